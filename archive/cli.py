"""The ``govarchive`` command: thin click wrappers over the library functions."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import shlex
import signal
import sys
import time
from datetime import date, datetime
from pathlib import Path

import click

from archive import crawl as crawl_lib
from archive import standard_streams
from archive.db import ArchiveError, check_archive, check_current_folder, lacking, open_db, pending_migrations
from archive.sniff import not_a_page
from archive.sources import EXTRACTION_CHANGES, SourcesError, load_sources, overlaps

DB_OPTION = dict(
    default="archive.db", show_default=True, envvar="GOVARCHIVE_DB", type=click.Path(dir_okay=False),
    help="Archive database file (env GOVARCHIVE_DB).",
)
# The largest whole number SQLite stores: a larger one given as an option was a traceback where it
# met the database (OverflowError). Counts, pages and seconds stop at a billion, which also keeps a
# page's offset (--limit × --page) within it.
SQLITE_MOST = 2**63 - 1
MOST = 10**9
SOURCES_OPTION = dict(
    default="sources.toml", show_default=True, envvar="GOVARCHIVE_SOURCES",
    type=click.Path(dir_okay=False), help="Sources file (env GOVARCHIVE_SOURCES).",
)


class BadUsage(click.ClickException):
    """A sources file that fails validation, a source id the archive does not hold, a crawler
    environment variable that cannot be used: exit status 2, like click's own usage errors."""

    exit_code = 2


def _open_archive(db_path, *, for_reading=False):
    """The existing archive at ``db_path``, or a one-line error and exit.

    ``for_reading``: the command only reads, so an archive on read-only storage will do.
    """
    try:
        return open_db(db_path, create=False, for_reading=for_reading)
    except ArchiveError as exc:
        _fail(exc)


def _check_source(db, db_path, source_id):
    """Exit with a one-line error unless the archive holds ``source_id``, worded as for a
    source the sources file does not list.

    The archive's own sources table decides, not the sources file: a source since removed
    from the file keeps its articles and crawls in the archive.
    """
    if source_id is None:
        return
    known = [r[0] for r in db.execute("select id from sources order by id")]
    if source_id not in known:
        raise BadUsage(f"unknown source id {source_id!r} in {db_path} (known: {', '.join(known) or 'none'})")


def _fail(exc: Exception):
    if isinstance(exc, (SourcesError, crawl_lib.BadEnvironment)):
        raise BadUsage(str(exc))
    raise click.ClickException(str(exc))


class _Commands(click.Group):
    """Every command ends alike on Ctrl-C and on a reader that stops reading (``| head``), as a
    shell reports a program that a signal stopped: status 130, or 141 for SIGPIPE, quietly.
    Click's own ending is "Aborted!" and status 1 for the first, status 1 for the second. A
    stdout that cannot be written otherwise (a full disk, a closed descriptor) is a one-line
    error and status 1; a stderr that cannot be written loses what is said there, and the exit
    status still says how the command went."""

    def main(self, *args, **kwargs):
        standard_streams.guard()
        return super().main(*args, **kwargs)

    def make_context(self, info_name, args, parent=None, **extra):
        # The group's own --help and --version print here, while its arguments are parsed.
        with _ending_as_a_shell_reports():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        with _ending_as_a_shell_reports():
            return super().invoke(ctx)


@contextlib.contextmanager
def _ending_as_a_shell_reports():
    try:
        try:
            yield
        finally:
            # Here, not at exit, where a closed pipe is a complaint Python prints.
            sys.stdout.flush()
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        standard_streams.quiet_stdout(sys.stdout)
        sys.exit(141)
    except standard_streams.StdoutFailed as exc:
        standard_streams.quiet_stdout(sys.stdout)
        raise click.ClickException(f"cannot write stdout: {exc.strerror}") from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govarchive")
def cli():
    """govarchive: crawl, archive and search Vietnamese government-communications news.

    \b
    Example:
        govarchive crawl --all --max-pages 100
        govarchive search "Zalo OA"
        govarchive serve
    """


WARC_DIR_OPTION = dict(type=click.Path(file_okay=False), default=None,
                       help="Folder for WARC files (default: <db name>-warc beside the db).")
WARC_MAX_MB_OPTION = dict(type=click.IntRange(min=1, max=MOST), default=1024, show_default=True,
                          help="Start a new WARC file when one reaches this size.")


def _warc_args(warc_dir, warc_max_mb) -> list[str]:
    """The WARC options of a crawl to pass on, to its resume too: a resume writing its captures
    to another folder than the crawl's first part would split the crawl's WARC files."""
    args = ["--warc-dir", str(warc_dir)] if warc_dir else []
    return args + (["--warc-max-mb", str(warc_max_mb)] if warc_max_mb != WARC_MAX_MB_OPTION["default"] else [])


@cli.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID]...")
@click.option("--all", "all_sources", is_flag=True,
              help="Crawl every source in the sources file but those paused (enabled = false).")
@click.option("--sources", "sources_file", **SOURCES_OPTION)
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--max-pages", type=click.IntRange(min=1, max=SQLITE_MOST), help="At most N pages fetched per source.")
@click.option("--warc-dir", **WARC_DIR_OPTION)
@click.option("--warc-max-mb", **WARC_MAX_MB_OPTION)
@click.option("--backfill", is_flag=True,
              help="Page listings back to the end, not just to the first known page, and ask again for "
                   "archived articles whose sitemap <lastmod> predates their last fetch.")
@click.option("--resume", is_flag=True, help="Continue each source's interrupted crawl where it stopped.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors from the crawler.")
@click.pass_context
def crawl(ctx, source_ids, all_sources, sources_file, db_path, max_pages, warc_dir, warc_max_mb, backfill, resume,
          quiet):
    """Crawl sources into the archive and print what each crawl did.

    Exits with status 1 when a source could not be reached or its crawl failed.

    \b
    Example:
        govarchive crawl baochinhphu hanoi --max-pages 50
        govarchive crawl --all --db archive.db
    """
    if not source_ids and not all_sources:
        raise click.UsageError("name one or more SOURCE_IDs, or pass --all")
    if source_ids and all_sources:
        raise click.UsageError("give SOURCE_IDs or --all, not both")
    from archive.schedule import scheduler_of

    # At a terminal: a live progress line over quiet crawler logs; elsewhere (cron, CI) plain logs.
    interactive = sys.stderr.isatty()
    bar = _ProgressBar() if interactive else None
    try:
        rows = crawl_lib.run_crawl(
            db_path, sources_file=sources_file, source_ids=source_ids, max_pages=max_pages,
            log_level="WARNING" if quiet or interactive else "INFO", warc_dir=warc_dir,
            warc_max_size=warc_max_mb * 1024 * 1024, backfill=backfill, resume=resume,
            on_progress=bar.show if bar else None,
            # The scheduler warns of them once, not each crawl it starts.
            on_overlap=_warn if scheduler_of(sources_file) is None else None,
            on_note=_note,
        )
    except (SourcesError, ArchiveError) as exc:
        _fail(exc)
    finally:
        if bar:
            bar.close()
    if rows:
        _print_crawls(rows)
    failed = [r for r in rows if crawl_lib.crawl_failed(r)]
    if failed:
        _report_failures(ctx, failed)
        sys.exit(crawl_lib.exit_status(rows))


def _report_failures(ctx, failed: list[dict]) -> None:
    """Say on stderr why crawls failed, and how to resume those interrupted. A crawl that
    ``govarchive schedule`` started says it as lines of the scheduler's log, less what the
    scheduler says itself: that the crawl failed or was interrupted (unless the scheduler died,
    which stopped the crawl: no one else says it then), and a source another crawl holds."""
    from archive.schedule import scheduler_of

    scheduler = scheduler_of(ctx.params["sources_file"])
    say = _echo_line if scheduler is None else _log_line
    # One command resumes every interrupted crawl (its first fetch error, if any, has nothing
    # to do with why it stopped).
    interrupted = [r["source_id"] for r in failed if r["status"] == "interrupted"]
    if interrupted and (scheduler is None or os.getppid() != scheduler):
        it, where = ("it", "where it stopped") if len(interrupted) == 1 else ("them", "where they stopped")
        say(logging.WARNING, f"{', '.join(interrupted)}: interrupted; {_resume_command(ctx, interrupted)} "
                             f"continues {it} {where}")
    for r in failed:
        if r["status"] != "interrupted" and not (scheduler is not None and r["status"] == crawl_lib.NOT_STARTED):
            reason = f": {r['first_error']}" if r.get("first_error") else ""
            say(logging.ERROR, f"{r['source_id']}: {r['status']}{reason}")
    if scheduler is None and any(r["status"] not in ("interrupted", crawl_lib.NOT_STARTED) for r in failed):
        # An interrupted crawl has its --resume line above; its fetches hold no reason. Nor
        # do those of a crawl not started or stopped for storage: the line above says it.
        names = ", ".join(f"{r['source_id']} ({r['status']})" for r in failed)
        where = " See the fetches table for each error." if any(r.get("errors") for r in failed) else ""
        say(logging.ERROR, f"Could not crawl: {names}.{where}")


def _warn(line: str) -> None:
    click.echo(f"warning: {line}", err=True)


def _note(line: str) -> None:
    click.echo(f"note: {line}", err=True)


def _echo_line(level: int, line: str) -> None:
    click.echo(line, err=True)


def _log_line(level: int, line: str) -> None:
    from archive.schedule import log_to_stderr

    log_to_stderr()
    logging.getLogger("govarchive.crawl").log(level, "%s", line)


def _resume_command(ctx, source_ids: list[str]) -> str:
    """The command that resumes the crawls of ``source_ids``: not this one, which may have been
    run by ``govarchive schedule`` (from a copy of its sources file, and never with --resume)."""
    from click.core import ParameterSource

    words = ["govarchive", "crawl", *source_ids, "--resume"]
    if ctx.get_parameter_source("db_path") != ParameterSource.DEFAULT:
        words += ["--db", ctx.params["db_path"]]
    words += _warc_args(ctx.params["warc_dir"], ctx.params["warc_max_mb"])
    from archive.schedule import scheduler_of

    sources_file = ctx.params["sources_file"]
    scheduled = scheduler_of(sources_file) is not None
    if ctx.get_parameter_source("sources_file") != ParameterSource.DEFAULT and not scheduled:
        words += ["--sources", sources_file]
    command = f"'{shlex.join(words)}'"
    return f"{command}, with the sources file of 'govarchive schedule'," if scheduled else command


class _ProgressBar:
    def __init__(self):
        from tqdm import tqdm

        self.bar = tqdm(desc="Crawling", unit=" pages", file=sys.stderr, dynamic_ncols=True)

    def show(self, counts: dict) -> None:
        if not counts:
            return
        self.bar.update(counts["pages"] - self.bar.n)
        self.bar.set_postfix(
            new=counts["new"], changed=counts["changed"], unchanged=counts["unchanged"], errors=counts["errors"]
        )

    def close(self) -> None:
        self.bar.close()


def _print_crawls(rows):
    # The crawl just run says how it ended as stats does: a crawl cut short by --max-pages is
    # not done, and a failed one names why. This release's crawler names its reason.
    from archive.stats import ended, reached_max_pages

    statuses = [ended({"resumed_from": None, **r, "reached_max_pages": reached_max_pages(r, reason_named=True)})
                for r in rows]
    status_w = max([12, *map(len, statuses)])
    click.echo(f"{'source':<22} {'status':<{status_w}} {'pages':>6} {'new':>5} {'changed':>8} {'same':>5} "
               f"{'errors':>6}")
    for r, status in zip(rows, statuses):
        # An article answered 304 Not Modified is as unchanged as one fetched again with the
        # same text; the progress line counts both, and so does this.
        same = (r["articles_unchanged"] or 0) + (r.get("articles_not_modified") or 0)
        click.echo(
            f"{r['source_id']:<22} {status:<{status_w}} {r['pages'] or 0:>6} {r['articles_new'] or 0:>5} "
            f"{r['articles_changed'] or 0:>8} {same:>5} {r['errors'] or 0:>6}"
        )


@cli.command()
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
def serve(db_path, host, port):
    """Serve the archive with datasette (read-only): search, facets, downloads.

    \b
    Example:
        govarchive serve --db archive.db --port 8001
    """
    from archive.serve import check_public_url, listen, make_datasette, serve as serve_lib

    try:
        check_public_url(os.environ)
        # Upgraded first, as any command that opens it: the pages read the tables and columns the
        # upgrade adds. One that cannot be written to is served only if it lacks none they need.
        open_db(db_path, create=False, for_reading=True).close()
        make_datasette(db_path)
        pending = pending_migrations(db_path)
        sock = listen(host, port)
    except ArchiveError as exc:
        _fail(exc)
    if pending:
        # It cannot be written to, and lacks only what the pages can do without (READABLE_WITHOUT).
        costs = "".join(f"; {cost}" for cost in lacking(pending))
        click.echo(
            f"note: {db_path} is not yet upgraded ({', '.join(pending)}) and cannot be upgraded here: it is "
            f"served as it is until 'govarchive stats --db {db_path}' is run once where it can be written "
            f"to{costs}.", err=True,
        )
    click.echo(f"Serving {db_path} at http://{host}:{sock.getsockname()[1]}/ (Ctrl-C to stop)")
    serve_lib(db_path, sock=sock)


@cli.command()
@click.argument("query")
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1, max=MOST), help="Most results to show.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1, max=MOST),
              help="Which page of --limit results to show.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True,
              help="Best matches first, or by published date.")
@click.option("--source", "source_id", default=None, metavar="ID", help="Only this source's articles.")
@click.option("--json", "as_json", is_flag=True,
              help='Print results as JSON lines, each with "count", the articles matching, and "more": true '
                   "when more than 5,000 match.")
@click.option("--earlier-versions", "with_earlier", is_flag=True,
              help='With --json, add a last line {"earlier_versions": ...}: every other line stays an article.')
def search(query, db_path, limit, page, sort, source_id, as_json, with_earlier):
    """Full-text search of archived articles, best matches first.

    QUERY: words, "phrases", AND/OR/NOT in capitals (NOT needs a word before it: 'Zalo NOT
    fanpage'; -fanpage excludes from the words on its side of any OR, typed before or after them:
    'Zalo -fanpage', '-fanpage Zalo'), prefix*, title:word, title:"a phrase" or title:(a group)
    (also description: and text:, or tiêu đề:, mô tả:, nội dung:), with or without accents.
    Articles with the words typed together rank first. At most 500 characters, 32 words and
    8 nested parentheses. What the query cannot honour is left out and said in a note on stderr.

    When more than 5,000 articles match, only the 5,000 most recently archived are ranked or
    sorted, and a note on stderr says so; 'govarchive export --search' lists every match.
    Words typed together match wherever they stand, accents aside ("Hà Nam" finds "hạ" and
    "năm"): a note says how many matches have them together, as the quoted query finds.
    A query that starts with - (an exclusion typed first) goes after the options and --:
    govarchive search --limit 5 -- '-fanpage Zalo'.

    After the results come the earlier versions that say it though their articles no longer
    do (a number a page corrected), as the reading room lists them: how many, and the --limit
    archived most recently, each with its article's id, its number, its capture time (Vietnam
    time) and its title as it was. With --json they are left out (each line is an article) unless
    --earlier-versions asks for them, in a last line {"earlier_versions": ...}.

    \b
    Example:
        govarchive search "Zalo OA"
        govarchive search 'Hà Nội AND fanpage' --limit 5 --json
        govarchive search 'title:"Kế hoạch 174"'
        govarchive search "chuyển đổi số" --source baochinhphu --sort newest --page 2
    """
    from archive.search import (
        EARLIER_VERSION_FIELDS, SEARCH_LIMIT, bounded_search, count_matches, earlier_versions, parse_query,
    )

    if not query.strip():
        raise click.UsageError("QUERY is empty: nothing to search for")
    db = _open_archive(db_path, for_reading=True)
    _check_source(db, db_path, source_id)
    parsed = parse_query(query)
    _echo_notes(parsed)
    found = bounded_search(db, parsed, limit=limit, offset=(page - 1) * limit, order=sort, source=source_id)
    # What a page said before it was corrected, which the articles no longer say: the results miss
    # it. The newest, whatever the page; none of an archive not upgraded to their index (m030).
    earlier = earlier_versions(db, parsed, limit=limit, source=source_id)
    if found.more:
        done = "ranked" if sort == "relevance" else "sorted by date: matches archived earlier are left out"
        click.echo(f"note: more than {SEARCH_LIMIT:,} articles match; only the {SEARCH_LIMIT:,} most recently "
                   f"archived were {done} — add words to narrow the search, or 'govarchive export --search' "
                   "for every match", err=True)
    else:
        _echo_together(query, found.count, lambda phrase: count_matches(db, phrase, source=source_id)[0], "search")
    if as_json:
        for row in found.results:
            # On every line, as /-/results.json says it once: a reader of the results' lines needs
            # no other kind of line (the earlier versions' comes after them).
            click.echo(json.dumps({**row, "count": found.count, "more": found.more}, ensure_ascii=False))
        if with_earlier and earlier.count:
            # Last, as /-/results.json's "earlier_versions" (without the reading room's addresses);
            # asked for, as scripts read every line as an article.
            click.echo(json.dumps({"earlier_versions": {
                "count": earlier.count, "more": earlier.more, "examined": earlier.examined,
                "articles": earlier.articles,
                "results": [{key: row[key] for key in EARLIER_VERSION_FIELDS} for row in earlier.results],
            }}, ensure_ascii=False))
        return
    # With a filter a version may be listed for what it was filed under, as the reading room says.
    said = ("matches this search", "match this search") if source_id else ("says this", "say this")
    if not found.results:
        if found.count:
            pages = -(-found.count // limit)
            click.echo(f"No results on page {page}: {found.count:,} articles match, {pages:,} "
                       f"page{'s' if pages > 1 else ''} of {limit}.")
        elif earlier.count:
            did = ("an earlier version of one article" if earlier.count == 1 else
                   f"earlier versions of {'one article' if earlier.articles == 1 else 'some articles'}")
            click.echo(f"No article {said[0]} now; {did} did.")
        else:
            click.echo("No results.")
    else:
        matched = (f"more than {found.count:,} articles match" if found.more
                   else "1 article matches" if found.count == 1 else f"{found.count:,} articles match")
        click.echo(f"{matched}; "
                   f"results {(page - 1) * limit + 1:,}–{(page - 1) * limit + len(found.results):,}:")
        for row in found.results:
            click.echo(f"{row['published'] or '(no date)'}  {row['source_id']}  {row['title']}")
            click.echo(f"    {row['url']}")
            click.echo(f"    {row['snippet']}")
    if earlier.count:
        _echo_earlier_versions(earlier, said)


def _echo_earlier_versions(earlier, said: tuple[str, str]) -> None:
    """The reading room's "Earlier versions" section, after the results: how many earlier versions
    of how many articles say what the articles no longer do (of the versions with the words
    archived most recently, past the bound), then the newest, each as the results are listed, at
    its capture time in Vietnam time, as the reading room and stats show times."""
    n, m = earlier.count, earlier.articles
    examined = f"Of the {earlier.examined:,} versions archived most recently with these words, " if earlier.more else ""
    newest = f"; the {len(earlier.results):,} archived most recently" if n > len(earlier.results) else ""
    click.echo(f"\n{examined}{n:,} earlier version{'s' if n > 1 else ''} of {m:,} article{'s' if m > 1 else ''} "
               f"{said[n > 1]}, though {'the article no longer does' if m == 1 else 'the articles no longer do'}"
               f"{newest}:")
    for row in earlier.results:
        click.echo(f"captured {_vietnam_minute(row['captured_at'])} (UTC+7)  {row['source_id']}  "
                   f"{row['title'] or '(no title)'}")
        otherwise = " and ".join(EXTRACTION_CHANGES[part][1] for part in row["read_otherwise"])
        click.echo(f"    article {row['article_id']}, version {row['version']} of {row['versions']}"
                   + (f", read with {otherwise} than the article now" if otherwise else ""))
        click.echo(f"    {row['snippet']}")


def _echo_notes(parsed) -> None:
    for note in parsed.notes:
        click.echo(f"note: {note.en}", err=True)


def _echo_together(query: str, count: int, count_of, how: str) -> None:
    """Of ``count`` matches of words typed one after another, say how many have them together
    (accents aside, as ``count_of(quoted query)`` counts them), and ``how`` to find only those
    ("search", "--search")."""
    from archive.search import as_phrase

    together = as_phrase(query)
    if not together or not count:
        return
    n = count_of(together)
    if not n:
        none = ("the one match does not have the words together (accents aside): it has them apart" if count == 1
                else f"none of the {count:,} matches has the words together (accents aside): they have them apart")
        click.echo(f"note: {none}", err=True)
    elif n < count:
        have = "has" if n == 1 else "have"
        click.echo(f"note: {n:,} of the {count:,} matches {have} the words together (accents aside); "
                   f"{how} {together!r} for only {'that one' if n == 1 else 'those'}", err=True)


@cli.command()
@click.option("--sources", "sources_file", **SOURCES_OPTION)
@click.option("--json", "as_json", is_flag=True, help="Print the parsed sources as JSON lines, one per source.")
def sources(sources_file, as_json):
    """List and validate the configured sources.

    A bad file prints one line naming the source and the field, and exits with status 2. A
    paused source (enabled = false) says "paused" before its schedule, which is not followed.

    \b
    Example:
        govarchive sources --sources sources.toml
    """
    try:
        entries = load_sources(sources_file)
    except SourcesError as exc:
        _fail(exc)
    for line in overlaps(entries):
        _warn(line)
    if as_json:
        for s in entries:
            data = {k: v for k, v in vars(s).items() if not k.startswith("_")}
            data["listings"] = [vars(listing) for listing in s.listings]
            click.echo(json.dumps(data, ensure_ascii=False))
        return
    # A paused source's schedule is not followed: the column says so, keeping the schedule.
    schedules = [s.schedule if s.enabled else f"paused ({s.schedule})" for s in entries]
    schedule_w = max([16, *(len(schedule) + 1 for schedule in schedules)])
    for s, schedule in zip(entries, schedules):
        discovery = ", ".join(
            f"{len(v)} {k}" for k, v in (("sitemaps", s.sitemaps), ("feeds", s.feeds), ("listings", s.listings)) if v
        )
        click.echo(f"{s.id:<20} {s.kind:<16} {schedule:<{schedule_w}} {discovery:<32} {s.name}")
    paused = sum(not s.enabled for s in entries)
    click.echo(f"{len(entries)} sources{f' ({paused} paused)' if paused else ''}, file is valid.")


class _PageFile(click.File):
    """A FILE to read a page from, or - for stdin. A stdin the shell closed (``0<&-``) is no
    stream at all in Python (sys.stdin is None), and click.File then fails with a traceback:
    it is said in one line, as an empty stdin is."""

    def convert(self, value, param, ctx):
        if value == "-" and sys.stdin is None:
            raise click.ClickException("stdin is closed: pipe the page into it, or give FILE")
        return super().convert(value, param, ctx)


@cli.command()
@click.argument("file", type=_PageFile("rb"))
@click.option("--url", default=None, help="URL the page was fetched from (default: file:// of FILE).")
@click.option("--content-type", default=None, help="Content-Type header the page was served with.")
@click.option("--captured-at", default=None, callback=lambda ctx, param, value: _captured_at(value),
              help="When the page was saved, as 2024-04-09 or 2024-04-09T08:30+07:00 (default: now): "
                   "a date without its year (Chiều 8/4) takes it from this, and no later date line is "
                   "read as the page's.")
@click.option("--source", "source_id", default=None,
              help="Read the page by this source's [source.extract] rules in the sources file.")
@click.option("--sources", "sources_file", **SOURCES_OPTION)
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
@click.pass_context
def extract(ctx, file, url, content_type, captured_at, source_id, sources_file, as_json):
    """Extract the article record from a saved page (FILE, or - for stdin).

    With --source, the page is read by that source's [source.extract] rules, as a crawl or
    reextract would read it: a way to try rules before crawling. A warning on stderr names each
    selector that matches nothing on the page (the generic extractor reads that part instead),
    and a note says when the selectors that match pick what the generic extractor reads anyway.

    Exits with status 1, printing one line that says why on stderr and nothing on stdout,
    when FILE is not a page (empty, binary, compressed, or by its first bytes a feed, a
    sitemap, a PDF, an image, a zip or JSON) or no article text is found in it.

    \b
    Example:
        govarchive extract saved-page.html --url https://baochinhphu.vn/a-102.htm --json
        govarchive extract saved-page.html --source hanoi --sources sources.toml
        curl -s URL | govarchive extract - --url URL
    """
    from click.core import ParameterSource

    from archive.extract import extract as extract_lib
    from archive.sources import UNMATCHED_RULES, select, unmatched_rule

    if source_id is None and ctx.get_parameter_source("sources_file") == ParameterSource.COMMANDLINE:
        raise click.UsageError("--sources is read only with --source ID")
    rules = None
    if source_id is not None:
        try:
            (source,) = select(load_sources(sources_file), [source_id])
        except SourcesError as exc:
            _fail(exc)
        rules = source.extract
    name = "stdin" if file.name == "<stdin>" else file.name
    try:
        body = file.read()
    except OSError as exc:  # a stdin open for writing only (0>FILE), a disk failing
        raise click.ClickException(f"cannot read {name}: {exc.strerror}") from None
    problem = not_a_page(body)
    if problem:
        raise click.ClickException(f"{name} {problem}")
    if url is None:
        url = "stdin:" if file.name == "<stdin>" else Path(file.name).resolve().as_uri()
    headers = {"Content-Type": content_type} if content_type else {}
    record = extract_lib(body, url, headers, rules, captured_at=captured_at)
    # Said before a page without text is refused: a body selector that matched nothing may be why.
    unmatched = record.pop(UNMATCHED_RULES, {})
    for key, why in unmatched.items():
        click.echo(f"warning: {unmatched_rule(key, rules[key], why, 'this page')}", err=True)
    if not (record.get("text") or "").strip():
        raise click.ClickException(f"no article text found in {name}")
    if rules and len(unmatched) < len(rules) and _same_reading(
            record, extract_lib(body, url, headers, captured_at=captured_at)):
        matching = "those of its selectors that match there pick" if unmatched else "its selectors pick"
        click.echo(f"note: {source_id}'s extract rules change nothing on {name}: {matching} what the generic "
                   "extractor reads there anyway", err=True)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    for key in ("title", "author", "published", "updated", "sitename", "language", "word_count"):
        click.echo(f"{key + ':':<11} {record.get(key) if record.get(key) is not None else ''}")
    click.echo()
    click.echo(record["text"])


def _captured_at(value: str | None) -> datetime:
    """The time a saved page is read as seen at: a crawl reads a page against the time it fetched
    it, and a page saved by hand is taken as saved now unless told otherwise."""
    from archive.vietnamese import VN_TZ

    if value is None:
        return datetime.now(VN_TZ)
    try:
        seen = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time such as 2024-04-09 or 2024-04-09T08:30+07:00")
    # Dates are read up to a day past it, and a time in another zone moves it by hours: near the
    # calendar's ends that overflows.
    if not 1900 <= seen.year <= 9000:
        raise click.BadParameter(f"{value!r} is not a time a page was saved at: its year must be 1900 to 9000")
    return seen if seen.tzinfo else seen.replace(tzinfo=VN_TZ)


def _same_reading(ruled: dict, generic: dict) -> bool:
    """Whether two records differ only in the extractor version, which names the rules asked for."""
    return {**ruled, "extractor_version": None} == {**generic, "extractor_version": None}


@cli.command()
@click.option("--db", "db_path", default="demo.db", show_default=True, type=click.Path(dir_okay=False),
              help="Demo archive to (re)build.")
@click.option("--no-serve", is_flag=True, help="Exit after the crawl instead of serving datasette.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port for datasette.")
@click.option("--extra", default=0, show_default=True, type=click.IntRange(min=0),
              help="Generated articles to add to the sample site.")
def demo(db_path, no_serve, port, extra):
    """Crawl the bundled sample site (offline) into a fresh demo archive, then serve it.

    Stopped during its crawl (Ctrl-C, SIGTERM), it serves nothing and exits with status 130
    (143 for SIGTERM).

    \b
    Example:
        govarchive demo
        govarchive demo --no-serve --db /tmp/demo.db
    """
    from archive.demo import run_demo

    try:
        # Before the old demo archive is removed to make way for the new one.
        check_current_folder(db_path)
        crawl_lib.check_environment(os.environ)
        sock = None
        if not no_serve:
            from archive.serve import check_public_url, listen

            check_public_url(os.environ)
            # Before the crawl, which replaces the old demo archive: a port in use is said first.
            sock = listen("127.0.0.1", port)
        with run_demo(db_path, extra_articles=extra) as result:
            _print_crawls(result.crawls)
            if result.stopped_by:
                click.echo(f"interrupted: the demo archive {db_path} is incomplete; run 'govarchive demo' again "
                           "to rebuild it", err=True)
                sys.exit(128 + result.stopped_by)
            click.echo(
                f"Demo archive {db_path}: {result.articles} articles from {len(result.crawls)} sample sources "
                f"(sample site at {', '.join(result.base_urls.values())})."
            )
            if sock is not None:
                from archive.serve import serve as serve_lib

                click.echo(f"Serving {db_path} at http://127.0.0.1:{sock.getsockname()[1]}/ (Ctrl-C to stop)")
                serve_lib(db_path, sock=sock)
    except (SourcesError, ArchiveError) as exc:
        _fail(exc)


class _Day(click.ParamType):
    """A calendar day, YYYY-MM-DD. click.DateTime says a day that does not exist (2024-02-30)
    "does not match the format", though it does: the value is named as no date instead."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        typed = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", value)
        if not typed:
            self.fail(f"{value!r} is not a day written YYYY-MM-DD", param, ctx)
        try:
            return date(*map(int, typed.groups()))
        except ValueError as exc:
            self.fail(f"{value} is not a date ({exc})", param, ctx)


_DAY = _Day()


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc", "zip"]), default="jsonl",
              show_default=True, help="jsonl/csv: article records; warc: their captures; zip: all with a README.")
@click.option("--source", default=None, help="Only articles of this source id (one the archive holds).")
@click.option("--since", type=_DAY, default=None,
              help="Published on or after this day, YYYY-MM-DD (a Vietnam calendar day, as the published date is "
                   "in +07:00). With --since or --until, articles with no published date are left out.")
@click.option("--until", type=_DAY, default=None,
              help="Published on or before this day, YYYY-MM-DD (a Vietnam calendar day).")
@click.option("--search", default=None,
              help="Only articles matching this full-text query. Words typed one after another match wherever "
                   "they stand, accents aside: a note says how many of those selected have them together.")
@click.option("--month", default=None, metavar="YYYY-MM",
              help="Only articles published in this month (also 2024-6, 06/2024), as the reading room's filter.")
@click.option("--ref", default=None, metavar="DOC",
              help="Only articles citing this document, e.g. 174/KH-UBND (case, accents and the number's leading "
                   "zeros aside, as in the reading room).")
@click.option("--agency", default=None,
              help="Only articles naming this agency, by its name or an abbreviation (case aside).")
@click.option("--platform", default=None, metavar="CHANNEL",
              help="Only articles naming this channel, e.g. 'Zalo OA' (case aside).")
@click.option("--changed-after", type=click.IntRange(min=0, max=SQLITE_MOST), default=None, metavar="N",
              help="Only articles changed since change number N, in the order of their changes: N is the "
                   "'changes through' an earlier export said. Articles merged into another since are named.")
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file, or - for stdout (not for --format zip, which needs a FILE).")
@click.option("--db", "db_path", **DB_OPTION)
def export(fmt, source, since, until, search, month, ref, agency, platform, changed_after, output, db_path):
    """Export a selection of the archive, streamed (constant memory).

    A WARC (and the zip's captures.warc.gz) holds every version's capture of each article,
    oldest first. A capture that cannot go in (none was kept, its file is gone, its record is
    damaged or of another URL) is named in a warning, a WARC file gone or unreadable once for all its captures
    with their count, and in the zip's missing-captures.tsv; the export goes on without it,
    and the command exits with status 1 when it is done. A selection that matches
    nothing writes nothing (no file is created or overwritten) and says so in a warning.

    FILE is written under a temporary name beside it and takes the name only when the export
    is complete: an export that fails or is stopped (Ctrl-C, SIGTERM: exit status 130, 143)
    leaves the file that was there as it was. So does one that left captures out: it is kept
    as FILE.incomplete (replacing an earlier one), and FILE only ever holds a whole export.

    Every export says the archive's last change number when it was made ("changes through
    N"; the zip's README too): --changed-after N then exports what changed since, with no
    article missed or repeated however crawls write meanwhile. The ids of articles merged into
    another since N are named in warnings (the zip lists them in merged.tsv): drop them.

    \b
    Example:
        govarchive export --format jsonl --source hanoi --since 2024-01-01 -o hanoi.jsonl
        govarchive export --changed-after 1234 -o changes.jsonl
        govarchive export --format zip --search "Zalo OA" -o zalo.zip
        govarchive export --ref 174/KH-UBND --month 2024-06 -o kh174.jsonl
        govarchive export --format warc -o - | warcio index -
    """
    from archive.export import (
        Selection, WriteFailed, changes, count_selected, export as export_lib, read_before_issuers, selects_any,
        snapshot,
    )
    from archive.filters import split_ref_value, typed
    from archive.search import parse_query

    db = _open_archive(db_path, for_reading=True)
    _check_source(db, db_path, source)
    matches_nothing = False
    if search is not None:
        parsed = parse_query(search)
        _echo_notes(parsed)
        # As 'govarchive search' finds nothing for it: a selection that matches nothing.
        matches_nothing = not parsed
    if since and until and until < since:
        raise click.BadParameter(f"{until:%Y-%m-%d} is before --since {since:%Y-%m-%d}", param_hint="'--until'")
    filters, unheld = _as_archived(db, {"month": month, "ref": ref, "platform": platform, "agency": agency})
    if ref is not None and (unread := read_before_issuers(db, typed(ref))):
        # Their issuer is not known rather than another: the reading room's document card says so too.
        citing = f"article{'s' if unread > 1 else ''} citing {split_ref_value(typed(ref))[0]}"
        them, were = ("them", "were") if unread > 1 else ("it", "was")
        click.echo(f"warning: {unread:,} {citing} {were} read before the archive read documents' issuers: "
                   f"--ref naming an issuer leaves {them} out until 'govarchive reextract --db {db_path}' reads "
                   f"{them} again", err=True)
    # A value the archive does not hold matches nothing, as the reading room's filter does.
    matches_nothing = matches_nothing or unheld
    selection = Selection(source=source, since=since, until=until, search=search, changed_after=changed_after,
                          **filters)
    if fmt == "zip" and output == "-":
        raise click.UsageError("--format zip needs -o FILE")
    if not output:
        # Opened, "" is the current folder: "cannot write : Is a directory" says nothing useful.
        raise click.BadParameter("is empty: give a file name, or - for stdout", param_hint="'-o' / '--output'")
    try:
        # One snapshot: the change number said is the one up to which nothing was selected.
        with snapshot(db):
            unchanged = changes(db, changed_after) if changed_after is not None else None
            if matches_nothing or not selects_any(db, selection):
                click.echo(f"warning: nothing matched the selection ({selection}); nothing was written", err=True)
                _echo_changes(unchanged, fmt)
                return
        if search is not None:
            # Counted within the whole selection (--source, --since, --until), as it is exported.
            _echo_together(search, count_selected(db, selection),
                           lambda phrase: count_selected(db, dataclasses.replace(selection, search=phrase)), "--search")
    except ValueError as exc:
        _fail(exc)
    target = _open_output(db, db_path, output)
    out = target.file if target else click.get_binary_stream("stdout")
    left_out = []
    where = []
    unread_files = {}  # WARC file: why none of its captures can be read
    in_unread_files = []

    def report(row, reason, file):
        left_out.append(row["id"])
        if file:
            # Every capture in the file fails alike: the file is named once, not each article.
            unread_files.setdefault(*file)
            in_unread_files.append(row["id"])
            return
        click.echo(f"warning: article {row['id']} ({row['url']}): capture left out: {reason}", err=True)

    try:
        with _stopped_by_sigterm():
            count = export_lib(db, db_path, fmt, out, selection, left_out=report,
                               filename=None if output == "-" else Path(output).name, changed=where.append)
            aside = stale = None
            if target and left_out:
                aside = target.set_aside()
            elif target:
                stale = target.commit()
    except WriteFailed as exc:
        if target is None:
            standard_streams.quiet_stdout(out)
        if isinstance(exc.__cause__, BrokenPipeError):
            # The reader took what it wanted (``| head``, also after -o /dev/stdout): not an
            # error worth a message, but not a complete export either.
            sys.exit(141)
        raise click.ClickException(f"cannot write {'stdout' if output == '-' else output}: {exc.strerror}")
    except ValueError as exc:
        _fail(exc)
    except KeyboardInterrupt as stop:
        if target is None:
            standard_streams.quiet_stdout(out)
            click.echo("interrupted: the export on stdout is incomplete", err=True)
        else:
            click.echo(f"interrupted: {output} is as it was", err=True)
        sys.exit(143 if isinstance(stop, _Terminated) else 130)
    finally:
        if target:
            target.discard()
    if unread_files:
        n = len(in_unread_files)
        them = "them" if n > 1 else "it"
        listed = (f"the zip's missing-captures.tsv lists {them}" if fmt == "zip"
                  else f"--format zip lists {them} in its missing-captures.tsv")
        click.echo(f"warning: {n:,} capture{'s' if n > 1 else ''} left out; {_files_named(unread_files)}; {listed}",
                   err=True)
    _echo_changes(where[0], fmt)
    # A WARC export counts the articles whose current capture it holds, the others every article.
    without = f"; {len(left_out)} captures could not be included (named above)" if left_out else ""
    to = f" to {output}" if output != "-" else ""
    if aside:
        kept = "left as it was" if target.existed else "not created"
        to = (f" to {_shown(output, aside)}, not {output}: it is {kept}, as only an export with every capture "
              "takes its name")
    click.echo(f"Exported {count} article{'' if count == 1 else 's'} as {fmt}{to}{without}.", err=True)
    if stale:
        click.echo(f"Removed {_shown(output, stale)}, an earlier incomplete export: {output} is complete.", err=True)
    if left_out:
        sys.exit(1)


def _echo_changes(changes, fmt: str) -> None:
    """Say where an export stands in the archive's changes (archive.export.Changes; None: the
    archive has no change numbers), and the articles merged into another since --changed-after."""
    if changes is None:
        return
    if changes.after is not None and changes.after > changes.through:
        # Changes numbered up to it from now on would never be asked for by a copy that goes on from it.
        click.echo(f"warning: --changed-after {changes.after} is past this archive's last change number, "
                   f"{changes.through}: it is another archive's, or this one was restored from an older copy; "
                   f"what changes here next is numbered from {changes.through + 1}: export from --changed-after "
                   f"{changes.through}, or export in full", err=True)
    if changes.merged and fmt == "zip":
        click.echo(f"warning: {len(changes.merged):,} article{'s' if len(changes.merged) > 1 else ''} merged into "
                   f"another since change {changes.after}: the zip's merged.tsv lists them", err=True)
    elif changes.merged:
        for article_id, into_id, merged_at, _changed in changes.merged:
            click.echo(f"warning: article {article_id} was merged into article {into_id} at {merged_at}: "
                       f"its id is gone from the archive", err=True)
    click.echo(f"Changes through {changes.through}: continue with --changed-after {changes.through}.", err=True)


def _shown(output: str, aside: Path) -> str:
    """Where an incomplete export was kept, named from ``output`` as given when it is FILE.incomplete
    there (not beside the file a link leads to)."""
    from archive.export import OutputFile

    beside = output + OutputFile.INCOMPLETE
    return beside if Path(os.path.realpath(beside)) == aside else str(aside)


def _as_archived(db, given: dict[str, str | None]) -> tuple[dict[str, str], bool]:
    """The filter values given, each as the archive writes it (archive.filters), and whether
    the archive lacks one: that one is said in a note and kept as typed, matching nothing. A
    --month that is no month is a usage error."""
    from archive.filters import BY_PARAM, archived_value, typed

    tables = set(db.table_names())
    found, unheld = {}, False
    for name, value in given.items():
        if value is None:
            continue
        f = BY_PARAM[name]
        value = typed(value)
        if f.spelled:
            value = f.spelled(value)
            if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
                raise click.BadParameter(f"{value!r} is not a month written YYYY-MM (or MM/YYYY)",
                                         param_hint=f"'--{name}'")
        archived = archived_value(db.conn, f.values, f.key, value) if f.table in tables else None
        if archived is None:
            click.echo(f"note: the archive has no {f.en} «{value}»", err=True)
            unheld = True
        found[name] = archived or value
    return found, unheld


def _open_output(db, db_path, output):
    """The OutputFile for ``-o FILE``, None for stdout."""
    from archive.export import OutputFile, check_output

    if output == "-":
        return None
    hint = "'-o' / '--output'"
    try:
        check_output(db, db_path, output)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    try:
        return OutputFile(output)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {output}: {exc.strerror}", param_hint=hint) from None


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the export is, so that it stops as on Ctrl-C."""


@contextlib.contextmanager
def _stopped_by_sigterm():
    """By default SIGTERM ends the process where it stands, without the clean-up of Ctrl-C:
    the temporary file of an export to a file would be left behind."""

    def stop(signum, frame):
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command()
@click.option("--source", default=None, help="Only articles of this source id (one the archive holds).")
@click.option("--from-id", type=click.IntRange(min=1, max=SQLITE_MOST), default=None,
              help="Start at this article id (articles go in id order): what an interrupted run says to continue from.")
@click.option("--sources", "sources_file", **{
    **SOURCES_OPTION,
    "help": "Sources file whose [source.extract] rules to re-extract by and store (env GOVARCHIVE_SOURCES); "
            "when the default file is absent, the rules stored in the archive.",
})
@click.option("--stored-rules", is_flag=True,
              help="Re-extract by the rules stored in the archive (those of the last crawl or reextract).")
@click.option("--db", "db_path", **DB_OPTION)
@click.pass_context
def reextract(ctx, source, from_id, sources_file, stored_rules, db_path):
    """Re-run extraction over the stored WARC captures, without network access.

    Use after the extractor or its rules change; articles are updated in place and do not
    count as changed on the site. Each source's [source.extract] rules come from the sources
    file and are stored in the archive, as a crawl stores them; a source the file does not
    list keeps the rules stored in the archive, and so does every source when the default
    file is absent or with --stored-rules. The line after the counts says which rules were used.

    An article whose capture cannot be read (its WARC file gone or unreadable, its record
    damaged or of another URL, a content coding nobody can undo) is left as it is, the record or the file is
    named, and the command exits with status 1 when it is done. Articles that lost their text
    or title are counted in a warning (a rule that finds nothing), and so is each extract rule
    whose selector matched nothing on some of the articles re-read. Interrupted (Ctrl-C), it says
    what it did and the --from-id to continue with, and exits with status 130.

    \b
    Example:
        govarchive reextract --db archive.db
        govarchive reextract --source baochinhphu --sources sources.toml
        govarchive reextract --from-id 500001
        govarchive reextract --stored-rules
    """
    from click.core import ParameterSource

    from archive.reextract import (
        Interrupted, reextract as reextract_lib, shared_readings, take_rules, unmatched_readings,
    )

    named = ctx.get_parameter_source("sources_file") == ParameterSource.COMMANDLINE
    if named and stored_rules:
        raise click.UsageError("give --sources or --stored-rules, not both")
    db = _open_archive(db_path)
    _check_source(db, db_path, source)
    if stored_rules:
        used = "Extract rules stored in the archive (--stored-rules)."
    elif not named and not Path(sources_file).exists():
        # Re-extracting by the rules of the last crawl is what reextract did before it read
        # the file, and an archive moved away from its sources file is still worth reading.
        used = f"Extract rules stored in the archive (there is no {sources_file})."
    else:
        try:
            taken = take_rules(db, load_sources(sources_file), only=source)
        except SourcesError as exc:
            _fail(exc)
        if taken.changed and not named:
            # A sources file found, not asked for, may belong to another archive.
            click.echo(f"note: the extract rules for {', '.join(taken.changed)} in {sources_file} differ from those "
                       "stored in the archive; re-extracting by the file's, which replace them (pass --stored-rules "
                       "to keep the stored ones)", err=True)
        used = _rules_used(sources_file, taken)
    progress = _Progress("Re-extracting", "articles")
    try:
        tally = reextract_lib(db, db_path, source=source, from_id=from_id, progress=progress.show)
    except Interrupted as stop:
        progress.close()
        click.echo(f"interrupted: {_tally(stop.tally)} before the interruption; run the same command with "
                   f"--from-id {stop.next_id} to continue", err=True)
        _echo_unread(stop.tally)
        sys.exit(130)
    progress.close()
    click.echo(f"{_tally(tally)}.")
    if used:
        click.echo(used)
    for key, (ids, sources) in tally.emptied.items():
        if tally[f"no {key}"]:
            click.echo(f"warning: {tally[f'no {key}']:,} articles have no {key} after re-extraction, though they had "
                       f"before (e.g. ids {', '.join(map(str, ids))}): check the extract rules of "
                       f"{', '.join(sorted(sources))}", err=True)
    for line in [*shared_readings(tally), *unmatched_readings(tally)]:
        click.echo(f"warning: {line}", err=True)
    if _echo_unread(tally):
        sys.exit(1)


FILES_NAMED = 5  # WARC files named of those gone or unreadable; the rest are counted


def _echo_unread(tally) -> bool:
    """Say that captures could not be read, naming the WARC files at fault; whether any were."""
    if not tally["unreadable"]:
        return False
    line = f"error: {tally['unreadable']:,} captures could not be read; their articles keep their reading"
    if tally.files:
        line += f"; {_files_named(tally.files)}"
    click.echo(line, err=True)
    return True


def _files_named(files: dict[str, str]) -> str:
    """The WARC files gone or unreadable (file: why), the first FILES_NAMED of them named."""
    named = [f"{file} ({reason})" for file, reason in list(files.items())[:FILES_NAMED]]
    more = len(files) - len(named)
    return f"WARC files gone or unreadable: {', '.join(named)}" + (f" and {more} more" if more else "")


def _rules_used(sources_file, taken) -> str | None:
    parts = []
    if taken.listed:
        changed = (f"changed for {', '.join(taken.changed)}, now stored in the archive" if taken.changed
                   else "as stored in the archive")
        parts.append(f"from {sources_file} ({changed})")
    if taken.unlisted:
        parts.append(f"stored in the archive for {', '.join(taken.unlisted)}, which {sources_file} does not list")
    return f"Extract rules {'; '.join(parts)}." if parts else None


def _tally(tally) -> str:
    unreadable = f", {tally['unreadable']} with a capture that cannot be read" if tally["unreadable"] else ""
    meanwhile = (f", {tally['changed meanwhile']} left alone as a crawl stored them anew meanwhile"
                 if tally["changed meanwhile"] else "")
    return (f"{tally['updated']} updated, {tally['unchanged']} unchanged, {tally['missing']} without a capture"
            f"{unreadable}{meanwhile}")


class _Progress:
    """A bar at a terminal; elsewhere (a log, cron) a line every tenth of the way or 30 seconds,
    so a long run is seen to move."""

    def __init__(self, label: str, unit: str):
        self.label, self.unit = label, unit
        self.bar = None
        self.tenths, self.next_time = 0, time.monotonic() + 30

    def show(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            if self.bar is None:
                self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
                self.bar.__enter__()
            self.bar.update(1)
            return
        tenths = done * 10 // total
        if tenths > self.tenths or time.monotonic() >= self.next_time:
            click.echo(f"{self.label}: {done:,} of {total:,} {self.unit} ({done / total:.0%})", err=True)
            self.tenths, self.next_time = tenths, time.monotonic() + 30

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command()
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--source", default=None, help="Only the captures and articles of this source id (one the archive holds).")
@click.option("--json", "as_json", is_flag=True,
              help="Print each problem as a JSON line; the summary line goes to stderr.")
def verify(db_path, source, as_json):
    """Check that the archive still holds what it recorded (a fixity check), changing nothing.

    Every WARC record a fetch row points at is read back, with the redirects before it: its
    gzip CRC, its WARC digests and that it is a capture of the fetch's URL (a redirect's, of the
    URL the one before it led to). Every article's and
    earlier version's text must have a capture behind it, and must still give the text_hash
    stored with it: one that does not was changed in the database after the fact.

    Each problem is a line on stdout naming the article, the fetch, the URL, the WARC file and
    offset, and what is wrong; a WARC file that is missing, cannot be read, is cut short or has
    no record that reads back is named once, with the count of its captures and of the articles
    whose text they hold. A summary line ends it. Exit status 0 when all is well, 1 when a problem was found.

    It only reads (an archive of an older release is upgraded first where it can be written to,
    as by every command), and takes no lock: it checks an archive on read-only storage (a
    backup, an old disk), and one a crawl is writing to as it stood when the check began (one
    read transaction; what the crawl adds meanwhile waits for the next check). Away from a terminal
    it prints a progress line every tenth of the way or 30 s. Interrupted (Ctrl-C), it says how
    far it got and exits with status 130.

    \b
    Example:
        govarchive verify --db /backup/archive.db
        govarchive verify --source baochinhphu --json > problems.jsonl
    """
    from archive.verify import Interrupted, summary, verify as verify_lib

    db = _open_archive(db_path, for_reading=True)
    _check_source(db, db_path, source)
    progress = _Progress("Verifying", "captures and texts")

    def found(problem) -> None:
        click.echo(problem.as_json() if as_json else problem.line())

    try:
        tally = verify_lib(db, db_path, source=source, found=found, progress=progress.show)
    except Interrupted as stop:
        progress.close()
        click.echo(summary(stop.tally, interrupted=True), err=True)
        sys.exit(130)
    progress.close()
    click.echo(summary(tally), err=as_json)
    if tally.problems:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--source", default=None, help="Only crawls of this source id (one the archive holds).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1, max=MOST), help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="Print runs as JSON lines.")
def stats(db_path, source, limit, as_json):
    """Print the last crawl runs: outcome, counts and extraction health.

    The status says why a crawl failed ("failed (storage)": the archive or its WARC files
    could not be written), that --max-pages cut it short ("ok (max pages)": the rest waits for
    the next crawl) and which crawl it resumed ("resumes #12"). --json has these as
    finish_reason, reached_max_pages (with max_pages) and resumed_from, and the seconds taken.

    "gone" counts the archived articles the crawl found gone from the live site (404, 410 or a
    "page not found" page): the record of their removal, not errors. Start times are Vietnam
    time (UTC+7), as in the reading room; --json has them as recorded, in UTC with the offset.

    Health is the share of the run's articles with a title, a date, an author and at least
    50 words: a site redesign that breaks extraction shows as a drop.

    \b
    Example:
        govarchive stats --limit 10
        govarchive stats --source baochinhphu --json
    """
    from archive.stats import ended, last_runs

    db = _open_archive(db_path, for_reading=True)
    _check_source(db, db_path, source)
    runs = last_runs(db, db_path, limit=limit, source=source)
    if as_json:
        for run in runs:
            click.echo(json.dumps(run, ensure_ascii=False))
        return
    if not runs:
        click.echo("No crawls yet.")
        return
    ended_as = [ended(r) for r in runs]
    # As wide as what is shown, to stay within 100 columns: a crawl's duration is left to --json
    # ("seconds"), and 304 Not Modified counts as unchanged, as in the crawl's summary.
    id_w = max(len("id"), *(len(str(r["id"])) for r in runs))
    source_w = max(len("source"), *(len(r["source_id"]) for r in runs))
    status_w = max(len("status"), *map(len, ended_as))
    counts = [_counts(r) for r in runs]
    count_w = {name: max(len(name), *(len(str(c[name])) for c in counts)) for name in counts[0]}
    click.echo(
        f"{'id':>{id_w}} {'source':<{source_w}} {'started (UTC+7)':<16} {'status':<{status_w}} "
        f"{' '.join(f'{name:>{w}}' for name, w in count_w.items())} title date auth  50w"
    )
    for r, status, c in zip(runs, ended_as, counts):
        health = " ".join(_pct(r[k]).rjust(width) for k, width in (
            ("share_title", 5), ("share_date", 4), ("share_author", 4), ("share_50_words", 4)))
        click.echo(
            f"{r['id']:>{id_w}} {r['source_id']:<{source_w}} {_vietnam_minute(r['started_at']):<16} "
            f"{status:<{status_w}} {' '.join(f'{c[name]:>{w}}' for name, w in count_w.items())} {health}"
        )


def _counts(run: dict) -> dict:
    """A run's counts under the table's headings; gone (archived articles found removed) apart from errors."""
    return {
        "pages": run["pages"] or 0, "new": run["articles_new"] or 0, "chg": run["articles_changed"] or 0,
        "same": (run["articles_unchanged"] or 0) + (run["articles_not_modified"] or 0), "err": run["errors"] or 0,
        "gone": run["gone"],
    }


def _vietnam_minute(value: str | None) -> str:
    """A time the archive recorded on Vietnam's clock, to the minute: the reading room and
    exports show Vietnam time."""
    from archive.vietnamese import recorded_time

    moment = recorded_time(value)
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


# Why a crawl failed, in a word or two: the crawler's finish reasons (anything else as it is).
def _pct(share) -> str:
    return f"{share * 100:.0f}%" if share is not None else "-"


@cli.command()
@click.option("--sources", "sources_file", **SOURCES_OPTION)
@click.option("--db", "db_path", **DB_OPTION)
@click.option("--once", is_flag=True, help="Start what is due now, wait for it, and exit (for cron and tests).")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(min=1, max=MOST),
              help="Seconds between checks for due sources.")
@click.option("--max-pages", type=click.IntRange(min=1, max=SQLITE_MOST), help="Passed on to every crawl.")
@click.option("--warc-dir", **WARC_DIR_OPTION)
@click.option("--warc-max-mb", **WARC_MAX_MB_OPTION)
def schedule(sources_file, db_path, once, interval, max_pages, warc_dir, warc_max_mb):
    """Run each source's crawl when its cron schedule in the sources file says so.

    Never runs two crawls of one source at once; a crawl that fails is logged and the
    scheduler carries on. With --once, exits 1 if any crawl it started failed.

    \b
    Example:
        govarchive schedule                 # long-running
        govarchive schedule --once          # from cron: */10 * * * *
    """
    from archive.schedule import Scheduler, log_to_stderr

    log_to_stderr()
    try:
        # Once, here: every crawl started would fail alike, each in a log line of its own.
        check_current_folder(db_path, sources_file, warc_dir)
        crawl_lib.check_environment(os.environ)
        load_sources(sources_file)
        check_archive(db_path, may_be_new=True)
        open_db(db_path).close()
    except (SourcesError, ArchiveError) as exc:
        _fail(exc)
    warc_args = _warc_args(warc_dir, warc_max_mb)
    scheduler = Scheduler(db_path, sources_file, warc_args=warc_args,
                          extra_args=[*(["--max-pages", str(max_pages)] if max_pages else []), *warc_args])
    if once:
        scheduler.run_once()
        _end_schedule(scheduler, failed=scheduler.check_failed or any(code != 0 for _, code in scheduler.finished))
        return
    scheduler.run_forever(interval)
    _end_schedule(scheduler, failed=False)


def _end_schedule(scheduler, *, failed: bool) -> None:
    """Exit as a shell reports a program a signal stopped (130 for Ctrl-C, 143 for systemctl
    stop, 129 for SIGHUP), 141 when stdout was a pipe its reader closed, 1 when the check for
    due sources or a crawl failed, or a crawl's summary could not be written (the scheduler
    logged why)."""
    if scheduler.output_failed:
        standard_streams.quiet_stdout(sys.stdout)  # what it could not write is not written at exit either
    if scheduler.stop_signal is not None:
        sys.exit(128 + scheduler.stop_signal)
    if isinstance(scheduler.output_failed, BrokenPipeError):
        sys.exit(141)
    if failed or scheduler.output_failed:
        sys.exit(1)
