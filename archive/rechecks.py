"""Which archived articles a crawl asks for again when its discovery did not lead to them.

A portal drops an article from its sitemap and listings when it removes or moves it, and often
only because the article has aged out of them. Asked for by no crawl, such an article would stay
in the archive as the live page it once was: its removal (404, 410), its move (a redirect) or a
later edit never recorded. Each crawl therefore asks again for a few of its source's archived
articles, those asked for longest ago first, so that successive crawls go round the whole archive.
"""

from __future__ import annotations

import heapq
from collections.abc import Set
from contextlib import closing
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlite_utils import Database

from archive.sources import Source

# Articles with no URL left inside allowed_domains that a crawl's warning names.
OUTSIDE_SHOWN = 2


@dataclass
class Due:
    """The URLs a crawl asks for again, and the archived articles it met that it cannot ask for:
    those whose every URL is on a host allowed_domains no longer allows (``outside``, a few of
    them in ``outside_shown``)."""

    urls: list[str] = field(default_factory=list)
    outside: int = 0
    outside_shown: list[str] = field(default_factory=list)


def due_for_recheck(db: Database, source_id: str, count: int, *, skip: Set[str] = frozenset(),
                    source: Source | None = None) -> Due:
    """Up to ``count`` URLs of the source's archived articles, none of an article the crawl asked
    for already under any of its URLs (``skip``): those last fetched longest ago under any of
    their URLs first, one never fetched before any.

    An article is asked for at its own URL: whatever that answers is what the reading room tells
    of the live page. Where ``source`` (the source's entry as sources.toml has it now) no longer
    allows that URL, it is asked for at the one of its other URLs that it does, fetched last: a
    portal moved to another host answers there, and dropping the old host from allowed_domains
    must not end the article's re-checks. Among the URLs allowed, one article_pattern matches
    comes first; but a pattern changed after a portal reorganised its paths matches none of an
    article's archived URLs, which must still be asked: their redirects are where it went.
    """
    due = Due()
    if count <= 0:
        return due
    scheme = urlsplit(source.home).scheme if source else None
    # From the index on (source_id, last_fetch_id): by the last fetch at each article's own URL,
    # never fetched (null) first, the rowid breaking ties, each article with its other URLs and
    # the last fetch at each. The crawl's own URLs, fetched last, come at the end: the rows are
    # read only until enough are found, however many the crawl asked for.
    rows = db.execute(
        """select a.id, a.url, a.last_fetch_id, u.url, (select max(f.id) from fetches f where f.url = u.url),
                  (select min(f.id) from fetches f where f.url = u.url)
           from articles a left join article_urls u on u.article_id = a.id and u.url != a.url
           where a.source_id = ? order by a.last_fetch_id, a.id""", [source_id])
    # A fetch at another of its URLs makes an article fetched later than its own URL's says,
    # never earlier: an article is known to come before every row not yet read once its last
    # fetch is no later than the own URL's of the row just read. Until then it waits here.
    waiting: list[tuple[int, int, list]] = []
    with closing(rows):
        for article_id, urls in _articles(rows):
            heapq.heappush(waiting, (_due_order(urls, source), article_id, urls))
            while waiting and waiting[0][:2] <= (_order(urls[0][1]), article_id):
                if (url := _choice(heapq.heappop(waiting)[2], skip, source, scheme, due)) is not None:
                    due.urls.append(url)
                    if len(due.urls) == count:
                        return due
    while waiting and len(due.urls) < count:
        if (url := _choice(heapq.heappop(waiting)[2], skip, source, scheme, due)) is not None:
            due.urls.append(url)
    return due


def _order(fetch_id: int | None) -> int:
    """A fetch's place in the order of re-checks: never fetched before any."""
    return -1 if fetch_id is None else fetch_id


def _due_order(urls, source) -> int:
    """An article's place in the order of re-checks: its last fetch at any of its URLs; but its own
    URL's, while that is allowed and has not been asked since another URL of the article first
    appeared. A print copy that discovery reaches in every crawl makes the article always the
    latest fetched, and its own URL would otherwise never come within a crawl's re-checks."""
    if _owes_its_own(urls, source):
        return _order(urls[0][1])
    return max(_order(when) for _, when, _first in urls)


def _owed(own_last: int | None, others) -> bool:
    """Whether the own URL has not been asked since one of ``others`` first appeared."""
    return any(first is not None and _order(own_last) < first for _, _, first in others)


def _owes_its_own(urls, source) -> bool:
    """Whether the article is to be asked at its own URL, which ``source`` allows, to learn what
    that answers since another of its URLs first appeared."""
    (own, own_last, _), others = urls[0], urls[1:]
    return _owed(own_last, others) and (source is None or source.allows(own))


def _articles(rows):
    """due_for_recheck's rows, one for each article: its id and its URLs, its own first, each
    with the last fetch at it and, for the others, the first."""
    article_id = urls = None
    for row_id, url, fetched, other, other_fetched, other_first in rows:
        if row_id != article_id:
            if urls is not None:
                yield article_id, urls
            article_id, urls = row_id, [(url, fetched, None)]
        if other is not None:
            urls.append((other, other_fetched, other_first))
    if urls is not None:
        yield article_id, urls


def _choice(urls, skip, source, scheme, due: Due) -> str | None:
    """The URL of ``urls`` (an article's, its own first, each with its last fetch and, for the
    others, its first) it is asked for at; None when the crawl asked for it already or cannot ask
    for it (counted in ``due``).

    One the crawl read at another of its URLs (where it moved, a print copy) is still asked for
    at its own URL while the archive has not asked that since the other URL first appeared: a
    page moved without a redirect leaves its old address answering 404, which the reading room
    tells readers citing that address. Once asked, such an article is not asked again in a crawl
    that reads it elsewhere."""
    if scheme:
        urls = [(_in_scheme(url, scheme), when, first) for url, when, first in urls]
    (own, own_last, _), others = urls[0], urls[1:]
    asked = [other for other in others if other[0] in skip]
    if own in skip or (asked and not _owed(own_last, asked)):
        return None
    if source is None:
        return own
    # Its own URL first, then the others, the one fetched last first.
    ordered = [own, *(url for url, _, _ in sorted(others, key=lambda u: _order(u[1]), reverse=True))]
    allowed = [url for url in ordered if source.allows(url)]
    if not allowed:
        due.outside += 1
        if len(due.outside_shown) < OUTSIDE_SHOWN:
            due.outside_shown.append(own)
        return None
    if _owes_its_own(urls, source):
        return own
    chosen = next((url for url in allowed if source.is_article(url)), allowed[0])
    # A URL other than its own is asked for only to re-check the article, which the crawl did.
    return None if asked and chosen != own else chosen


def _in_scheme(url: str, scheme: str) -> str:
    """An archived URL as the crawl asks for it: canonical already, but for the scheme, which
    the crawl folds onto its home's (archive.urls.canonical_url)."""
    before, sep, rest = url.partition("://")
    return f"{scheme}://{rest}" if sep and before in ("http", "https") else url


def begin_rechecks(db: Database, crawl_id: int) -> None:
    """Record that the crawl begins its re-checks: every fetch it stores from now on is one of
    them, since it makes them once its discovery is done and stored."""
    with db.atomic():
        db.execute("update crawls set rechecks_after = (select coalesce(max(id), 0) from fetches) where id = ?",
                   [crawl_id])


def rechecks_stored(db: Database, crawl_id: int | None) -> int:
    """How many re-checks ``crawl_id`` and every crawl it resumes stored: what is left of the
    crawl's batch for the crawl that resumes it."""
    stored = 0
    while crawl_id is not None:
        resumed_from, after = db.execute(
            "select resumed_from, rechecks_after from crawls where id = ?", [crawl_id]).fetchone()
        if after is not None:
            stored += db.execute("select count(*) from fetches where crawl_id = ? and id > ?",
                                 [crawl_id, after]).fetchone()[0]
        crawl_id = resumed_from
    return stored
