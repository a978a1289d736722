"""``govarchive demo``: the whole pipeline, offline, against the bundled sample site."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archive.crawl import run_crawl
from archive.db import ArchiveError, check_archive, sqlite_uri
from archive.samplesite import SampleSite
from archive.warc import default_warc_dir

SAMPLE_PREFIX = "sample-"


@dataclass
class DemoResult:
    crawls: list[dict]
    articles: int
    base_urls: dict[str, str]
    sources_file: Path

    @property
    def stopped_by(self) -> int | None:
        """The signal that stopped the crawls (SIGINT, SIGTERM), if one did: the demo is then
        incomplete, and not to be served."""
        return next((row["signal"] for row in self.crawls if row.get("signal")), None)


@contextmanager
def run_demo(db_path: str | Path, *, extra_articles: int = 0, log_level: str = "WARNING"):
    """Start the sample site, crawl all of it into a fresh ``db_path``, yield the result.

    The sample site keeps running inside the ``with`` block, so its live links work while the
    archive is being looked at.
    """
    path = Path(db_path)
    if not path.parent.is_dir():
        raise ArchiveError(f"{path}: directory {path.parent} does not exist")
    sources_file = path.with_name(f"{path.stem}-sources.toml")
    with _writing_in(path.parent):
        _remove_old_demo(path)
    with SampleSite(extra_articles=extra_articles) as site:
        with _writing_in(path.parent):
            sources_file.write_text(site.sources_toml(), encoding="utf-8")
        crawls = run_crawl(path, sources_file=sources_file, log_level=log_level)
        conn = sqlite3.connect(str(path))
        try:
            articles = conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
        yield DemoResult(crawls=crawls, articles=articles, base_urls=site.base_urls, sources_file=sources_file)


@contextmanager
def _writing_in(folder: Path):
    """A folder the demo cannot write in (read-only, full) is a one-line error, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise ArchiveError(f"cannot write in directory {folder}: {exc.strerror} ({exc.filename})") from None


def _remove_old_demo(path: Path) -> None:
    """A demo starts from nothing, but never deletes an archive of real sources, nor its captures."""
    if not path.exists():
        return
    check_archive(path)
    conn = sqlite3.connect(sqlite_uri(path, "mode=ro"), uri=True)
    try:
        ids = [r[0] for r in conn.execute("select id from sources")]
    finally:
        conn.close()
    if any(not i.startswith(SAMPLE_PREFIX) for i in ids):
        raise ArchiveError(f"{path}: holds real sources; the demo will not overwrite it (use another --db)")
    # Its captures would be orphans beside the new archive, more of them every run. Only files
    # named after sample sources go: anything else in the folder is not the demo's. They go
    # first: while the archive is there, the next run knows them for the demo's.
    for capture in default_warc_dir(path).glob(f"{SAMPLE_PREFIX}*.warc.gz"):
        capture.unlink()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
