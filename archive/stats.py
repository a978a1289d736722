"""What the last crawls did: the library behind ``govarchive stats``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from archive.db import applied_at, recorded_since
from archive.ingest import GONE_SQL, RECHECKED_STAT, fetch_counts
from archive.locks import is_locked


def last_runs(db: Database, db_path: str | Path, *, limit: int = 20, source: str | None = None) -> list[dict]:
    """The last ``limit`` crawls, newest first, with how each ended: the crawler's
    finish_reason, the crawl it resumed, its --max-pages and whether it reached them (what it
    left waits for the next crawl), and ``gone``: the archived articles that answered they are
    no longer there (ingest.GONE_SQL). Each as it stands now (as_it_stands)."""
    where, params = ("where source_id = ?", [source]) if source else ("", [])
    # The name the source had when the crawl began (m024; none before it, nor on an archive
    # served read-only before its upgrade): a merger files two portals' crawls under one id.
    name = "source_name" if "source_name" in db["crawls"].columns_dict else "null as source_name"
    rows = db.execute(
        f"""select id, source_id, {name}, started_at, finished_at, status, pages, articles_new, articles_changed,
                   articles_unchanged, articles_not_modified, errors, health_articles, share_title,
                   share_date, share_author, share_50_words, finish_reason, resumed_from, max_pages,
                   json_extract(stats, ?) as rechecked,
                   (select count(*) from fetches f where f.crawl_id = crawls.id and {GONE_SQL}) as gone
            from crawls {where} order by id desc limit ?""",
        [f'$."{RECHECKED_STAT}"', *params, limit],
    )
    columns = [c[0] for c in rows.description]
    runs = [dict(zip(columns, r)) for r in rows.fetchall()]
    named_since = applied_at(db.conn, REASON_NAMED_WITH)
    for run in runs:
        run["seconds"] = _seconds(run["started_at"], run["finished_at"])
        as_it_stands(db, db_path, run)
        run["reached_max_pages"] = reached_max_pages(run, reason_named=recorded_since(run["started_at"], named_since))
        del run["rechecked"]
    return runs


def as_it_stands(db, db_path: str | Path, run: dict) -> dict:
    """``run``, a crawls row (its id, source_id, status, pages and errors), changed to say what
    the crawl is now, and returned; the home page of the reading room shows crawls so too.

    A crawl's counts are written when it ends, so those of a crawl still running, or killed
    before it could end, are counted from its fetches; a crawl whose source nobody holds the
    lock of was killed, whatever its row says. ``db`` is the archive's Database or a connection
    to it."""
    if run["status"] == "running":
        run["pages"], _ok, run["errors"] = fetch_counts(db, run["id"])
        if not is_locked(db_path, run["source_id"]):
            run["status"] = "interrupted"
    return run


def reached_max_pages(run: dict, *, reason_named: bool) -> bool:
    """Whether --max-pages cut the crawl short, what it left waiting for the next crawl: the
    crawler says so (finish_reason max_pages). A crawl that fetched as many pages as it could
    and ended for another reason was not cut short: nothing was left when its budget ran out.

    A crawl with no reason (killed), or recorded before the crawler named this one (not
    ``reason_named``), is judged by its pages; one that went on to re-check archived articles
    (its ``rechecked`` count) had done its discovery, whatever the re-checks took of its budget."""
    if run.get("finish_reason") is not None and reason_named:
        return run["finish_reason"] == "max_pages"
    return run.get("finish_reason") == "max_pages" or (
        not run.get("rechecked") and run.get("max_pages") is not None and (run.get("pages") or 0) >= run["max_pages"])


_FAILED_FOR = {"storage_failed": "storage"}

# A share of a crawl's articles with a title, a date or 50 words that falls this far below the
# source's last crawl's is a redesign its extract rules no longer read (the new pages archived as
# "articles" with no title, or a loading message for text), not articles that happen to lack one.
HEALTH_DROP = 0.5
# Fewer articles than this tell nothing by their shares: one undated notice is a third of three.
HEALTH_SAMPLE = 5
_HEALTH_SHARES = (("share_title", "have a title"), ("share_date", "a date"), ("share_50_words", "50 words or more"))


def health_drop(db: Database, crawl_id: int) -> str | None:
    """What to tell the operator when the crawl's articles read much worse than those of the
    source's last crawl that saw enough of them; None when they do not. The pages are archived
    as served whatever their reading: this is the one place a broken template shows before a
    reader meets the articles."""
    columns = ", ".join(column for column, _what in _HEALTH_SHARES)
    row = db.execute(f"select source_id, health_articles, {columns} from crawls where id = ?", [crawl_id]).fetchone()
    if row is None or (row[1] or 0) < HEALTH_SAMPLE:
        return None
    source_id, articles, *now = row
    before = db.execute(
        f"select id, {columns} from crawls where source_id = ? and id < ? and health_articles >= ? order by id desc limit 1",
        [source_id, crawl_id, HEALTH_SAMPLE]).fetchone()
    if before is None:
        return None
    earlier, *then = before
    fallen = [f"{_share(new)} {what} ({_share(old)} then)"
              for (_column, what), new, old in zip(_HEALTH_SHARES, now, then)
              if new is not None and old is not None and old - new >= HEALTH_DROP]
    if not fallen:
        return None
    return (f"its {int(articles)} articles read much worse than crawl {earlier}'s: {', '.join(fallen)}: "
            f"has the site changed its page template? "
            f"They are archived as served; once the source's extract rules read the new pages, "
            f"'govarchive reextract --source {source_id}' reads them again")


def _share(value: float) -> str:
    return f"{value:.0%}"


def ended(run: dict) -> str:
    """The status, with why it failed, that --max-pages cut it short, the crawl it resumes, as
    ``govarchive stats``, a crawl's summary and the reading room's home page say it."""
    why = []
    if run["status"] == "failed" and run.get("finish_reason"):
        why.append(_FAILED_FOR.get(run["finish_reason"], run["finish_reason"]))
    elif run["status"] == "ok" and run["reached_max_pages"]:
        why.append("max pages")
    if run["resumed_from"]:
        why.append(f"resumes #{run['resumed_from']}")
    return f"{run['status']} ({', '.join(why)})" if why else run["status"]


# The crawler named the reason max_pages (commit af1166e) before this migration came: a crawl
# started once the archive had it was recorded by a crawler that names it.
REASON_NAMED_WITH = "m020_version_dates"


def _seconds(start: str | None, end: str | None) -> float | None:
    """How long the crawl took, by its recorded times; None when they cannot tell: one missing,
    or an end before the start (the wall clock was set back while it ran)."""
    if not start or not end:
        return None
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return seconds if seconds >= 0 else None
