"""An archived article over time: its earlier versions, and what its own URL answered when last
asked (still there, gone, moved). The reading room shows both; exports and the article's JSON
carry them, so that a downloaded record says as much as the page does."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from archive.captures import CaptureMissing, article_json, read_hop
from archive.ingest import NOT_THE_ARTICLE, NOT_THERE
from archive.warc import RecordUnreadable

# The redirects that say a page has moved for good; 302, 303 and 307 send the reader elsewhere
# for the moment, and the page may well come back at its address.
PERMANENT_REDIRECTS = (301, 308)

# Most moves a live state follows: a chain of moves longer than this is a loop.
MOST_MOVES = 10

VERSION_FIELDS = ("version", "captured_at", "fetch_id", "title", "published", "author", "description", "text",
                  "text_hash", "word_count", "extractor_version")

# What a downloaded record gives of each period the page was gone (History.gone_periods).
GONE_PERIOD_FIELDS = ("from", "to", "state", "status")


def redirect_statuses(db_path: str | Path, warc_hops: str | None) -> list[int] | None:
    """The statuses of the redirects before a fetch's response, read from their WARC records
    (the fetches table keeps only the response's own status), or None when the archive has
    no record of them or cannot read one."""
    hops = json.loads(warc_hops) if warc_hops else []
    try:
        statuses = [read_hop(db_path, hop).status for hop in hops]
    except (CaptureMissing, RecordUnreadable):
        return None
    # The hops include retries of a failed request, which are no redirects.
    return [status for status in statuses if 300 <= status < 400] or None


def _temporary(statuses: list[int] | None) -> bool | None:
    """Whether a move was a temporary redirect; None when its redirects are not known."""
    if statuses is None:
        return None
    return any(status not in PERMANENT_REDIRECTS for status in statuses)


def _removed(last: dict) -> dict | None:
    """The live state a fetch's answer gives when it says the page is no longer there: gone (404,
    410), or not_there (a "page not found" page answered 200, a soft 404, at the address or where
    it led); else None."""
    if last["status"] in (404, 410):
        return {"kind": "gone", **last}
    if last["error"] and NOT_THERE in last["error"]:
        return {"kind": "not_there", **last}
    return None


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The table's or view's columns; none when it is missing (or is a view over a table that is)."""
    try:
        return {row[1] for row in conn.execute(f"pragma table_info({table})")}
    except sqlite3.OperationalError:
        return set()


class History:
    """An article's history read from an archive's connection; its schema is read once, since an
    export asks for every article's."""

    def __init__(self, conn: sqlite3.Connection, db_path: str | Path):
        self.conn, self.db_path = conn, db_path
        # An archive from before redirects were recorded has no warc_hops column, and one from
        # before dates and authors were versioned has no such columns in its history.
        self._hops = "warc_hops" if "warc_hops" in _columns(conn, "fetches") else "null as warc_hops"
        # Before the view, every version kept its own texts in article_versions; before that table,
        # an article had the one version it shows.
        self._versions = next((name for name in ("article_history", "article_versions") if _columns(conn, name)), None)
        history = _columns(conn, self._versions) if self._versions else set()
        self._version_columns = ", ".join(name if name in history else f"null as {name}" for name in VERSION_FIELDS)

    def live_state(self, url: str, *, before: int | None = None) -> dict | None:
        """What the article's own URL answered when last asked, when that says the page is gone
        or has moved: the reader of an archived copy needs to know whether the live page still
        says the same. None when the last answer was the article (or the archive never asked
        again). ``before``: as the fetches before that fetch id said it.

        ``kind`` is "gone" (404, 410), "not_there" (a "page not found" page answered 200),
        "elsewhere" (the address now leads to another page; ``archived`` is that page's article
        id when the archive has it), "retired" (to the home or a section page) or "moved". A
        move is followed while the archive asked the new address later (a page moved twice, or
        moved and then removed); it is ``temporary`` when any of its redirects was (302, 303,
        307), None when the archive cannot say: an archive older than its redirect records, or
        one missing. A fetch that got no answer says nothing about the page."""
        own, state, asked_after, last_id = url, None, "", 0
        statuses: list[int] | None = []
        bound = "" if before is None else f" and id < {int(before)}"
        for _ in range(MOST_MOVES):
            cursor = self.conn.execute(
                f"select id, status, error, fetched_at, response_url, {self._hops} from fetches where url = ? "
                f"and status is not null and fetched_at > ?{bound} order by id desc limit 1",
                [url, asked_after],
            )
            row = cursor.fetchone()
            if row is None:
                break
            last_id, *row = row
            last = dict(zip([c[0] for c in cursor.description[1:]], row))
            if removed := _removed(last):
                return removed
            if not (last["response_url"] and last["response_url"] != url and last["status"] < 400):
                if state is not None and not last["error"]:
                    # Where the article moved to answered later than its old address was asked: a
                    # copy told it was gone there must not read an older check of its move.
                    state = {**state, "fetched_at": last["fetched_at"]}
                break
            if last["error"] and NOT_THE_ARTICLE in last["error"]:
                # The address now leads to another page (often another article): not this one's move.
                found = self.conn.execute(
                    "select article_id from article_urls where url = ? union all select id from articles "
                    "where url = ? limit 1", [last["response_url"], last["response_url"]],
                ).fetchone()
                return {"kind": "elsewhere", **last, "archived": found[0] if found else None}
            if last["error"]:
                # A redirect to the home or a listing page is how portals retire an article.
                return {"kind": "retired", **last}
            these = redirect_statuses(self.db_path, last["warc_hops"])
            statuses = None if statuses is None or these is None else statuses + these
            state = {"kind": "moved", **last, "temporary": _temporary(statuses)}
            url, asked_after = last["response_url"], last["fetched_at"]
        return state or self._gone_from_its_new_host(own, last_id, before)

    def _gone_from_its_new_host(self, url: str, after: int, before: int | None) -> dict | None:
        """What the article's URL on another host answered, when it was asked after the article's
        own URL and said the page is gone. A portal that moved to a new host, dropped from
        ``allowed_domains`` before a crawl asked the old URL again, has its articles re-checked at
        their new URLs only, and their own URLs never record the move. Another URL on the same
        host (a print or mobile copy) says nothing of the article's page."""
        bound = "" if before is None else f" and f.id < {int(before)}"
        cursor = self.conn.execute(
            f"""select f.url, f.status, f.error, f.fetched_at, f.response_url, {self._hops}
                from article_urls u join fetches f on f.url = u.url
                where u.article_id = (select id from articles where url = ?) and f.id > ? and f.status is not null{bound}
                order by f.id desc""",
            [url, after],
        )
        host = urlsplit(url).hostname
        row = next((row for row in cursor if urlsplit(row[0]).hostname != host), None)
        if row is None:
            return None
        return _removed(dict(zip([c[0] for c in cursor.description[1:]], row[1:])))

    def gone_periods(self, url: str) -> list[dict]:
        """When the article's own URL answered that the page was gone, oldest first, as the live
        state tells it (_removed: 404, 410, a "page not found" page; an article moved with no
        redirect is gone from this address too): each period from the first fetch that said so to
        the next that said otherwise (``to``, None while it lasts), with that fetch's ``status``
        and ``state`` ("gone", "not_there"). Fetches saying the same again extend a period, so a
        page asked for daily while gone is one period; a changed answer (404, then 410) starts
        another, as it gives the live state a new change number. ``fetch_id`` is the fetch that
        began it, ``captured`` whether its answer was kept; ``ended``, what the answer that ended
        it was: "back" (the page), "gone" (another such answer, the next period's first) or
        "otherwise" (a server error, a redirect to the home page). A fetch that got no answer
        says nothing of the page. The article's other URLs are left out: a print or mobile
        copy's 404 says nothing of the article's page. One read of the fetches by their URL's
        index."""
        cursor = self.conn.execute(
            "select id, status, error, fetched_at, warc_file is not null from fetches "
            "where url = ? and status is not null order by id",
            [url],
        )
        periods: list[dict] = []
        for fetch_id, status, error, fetched_at, captured in cursor:
            removed = _removed({"status": status, "error": error})
            going = periods[-1] if periods and periods[-1]["to"] is None else None
            said = removed and (removed["kind"], status)
            if going and said == (going["state"], going["status"]):
                continue
            if going:
                ended = "gone" if removed else "back" if status < 400 and not error else "otherwise"
                going.update(to=fetched_at, ended=ended)
            if removed:
                periods.append({"from": fetched_at, "to": None, "state": removed["kind"], "status": status,
                                "fetch_id": fetch_id, "captured": bool(captured)})
        return periods

    def earlier_versions(self, article_id: int) -> list[dict]:
        """What the article said before its current reading, oldest first: each version's
        texts, date and author as captured (a version replaced before the archive kept dates
        and authors has none)."""
        if self._versions is None:
            return []
        cursor = self.conn.execute(
            f"select {self._version_columns} from {self._versions} where article_id = ? "
            "and version < (select max(version) from article_versions where article_id = ?) order by version",
            [article_id, article_id],
        )
        return [dict(zip(VERSION_FIELDS, row)) for row in cursor]

    def version_count(self, article_id: int) -> int:
        if self._versions is None:
            return 1
        return self.conn.execute("select count(*) from article_versions where article_id = ?",
                                 [article_id]).fetchone()[0]

    def record(self, row: dict) -> dict:
        """The article's downloadable record (article_json) with its history: how many versions
        the archive holds, what the live page answered, its change number (None in an archive
        read as it is, not upgraded: m027), the earlier versions' texts and when the page was gone."""
        record = article_json(row)
        record["versions"] = self.version_count(row["id"])
        record["live"] = live_json(self.live_state(row["url"]))
        record["changed"] = row.get("changed")
        record["earlier_versions"] = self.earlier_versions(row["id"])
        record["gone_periods"] = [{key: period[key] for key in GONE_PERIOD_FIELDS}
                                  for period in self.gone_periods(row["url"])]
        return record


def live_json(state: dict | None) -> dict | None:
    """A live state as a downloaded record gives it: what the live page answered, when, and
    where it leads now."""
    if state is None:
        return None
    record = {"state": state["kind"], "status": state["status"], "checked_at": state["fetched_at"]}
    if state["kind"] in ("moved", "retired", "elsewhere"):
        record["url"] = state["response_url"]
    if state["kind"] == "moved":
        record["temporary"] = state["temporary"]
    if state["kind"] == "elsewhere":
        record["archived_as"] = state["archived"]
    return record


def live_key(state: dict | None) -> str | None:
    """What of a live state a downloaded record gives (live_json) but when it was checked: an
    article whose key changes takes a new change number (archive.ingest.note_live_state), and
    one found gone again, as it was, does not, as last_seen moves none."""
    record = live_json(state)
    if record is None:
        return None
    del record["checked_at"]
    return json.dumps(record, sort_keys=True)
