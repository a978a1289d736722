"""The archive database: schema (as sqlite-utils migrations) and opening it safely."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import time
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database, Migrations

MIGRATION_SET = "govarchive"
BUSY_TIMEOUT_MS = 30_000
# How long opening an archive waits for another process to finish upgrading it.
UPGRADE_WAIT_S = 3600
PAGE_SIZE = 16384
INCREMENTAL = 2  # PRAGMA auto_vacuum

migrations = Migrations(MIGRATION_SET)
logger = logging.getLogger(__name__)


class ArchiveError(Exception):
    """A problem the user can fix (bad path, not an archive ...); the message is one line."""


class BadEnvironment(ArchiveError):
    """An environment variable that cannot be used: the user's to fix, as a bad option is."""


class ArchiveDatabase(Database):
    """sqlite-utils' Database whose transactions take the write lock when they begin.

    Several processes write to one archive (the scheduler starts due crawls together). A
    transaction begun with a plain BEGIN that reads before it writes (an upsert looks at the
    table first) holds a snapshot; if another process commits meanwhile, SQLite cannot move that
    snapshot forward and fails the write with "database is locked" at once, without waiting out
    the busy timeout. BEGIN IMMEDIATE waits for the lock first, so there is no stale snapshot.
    """

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


@migrations()
def m001_initial(db: Database) -> None:
    db["sources"].create(
        {
            "id": str, "name": str, "kind": str, "home": str, "allowed_domains": str,
            "article_pattern": str, "schedule": str, "updated_at": str,
        },
        pk="id",
    )
    db["crawls"].create(
        {
            "id": int, "source_id": str, "started_at": str, "finished_at": str, "status": str,
            "finish_reason": str, "max_pages": int, "pages": int, "articles_new": int,
            "articles_changed": int, "articles_unchanged": int, "errors": int, "stats": str,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["fetches"].create(
        {
            "id": int, "crawl_id": int, "source_id": str, "url": str, "requested_url": str,
            "kind": str, "status": int, "fetched_at": str, "content_type": str, "length": int,
            "error": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("source_id", "sources", "id")],
    )
    db["fetches"].create_index(["url"])
    db["fetches"].create_index(["crawl_id"])
    db["articles"].create(
        {
            "id": int, "url": str, "source_id": str, "title": str, "author": str,
            "published": str, "updated": str, "published_month": str, "description": str,
            "text": str, "language": str, "sitename": str, "categories": str, "tags": str,
            "image": str, "word_count": int, "text_hash": str, "extractor_version": str,
            "charset": str, "first_seen": str, "last_seen": str, "fetch_id": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id"), ("fetch_id", "fetches", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["source_id", "published"])
    db["articles"].create_index(["published"])
    db["articles"].enable_fts(
        ["title", "description", "text"],
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )


@migrations()
def m002_warc_pointers(db: Database) -> None:
    for column, kind in (("warc_file", str), ("warc_offset", int), ("warc_length", int)):
        db["fetches"].add_column(column, kind)


FOLD_COLUMNS = ("title", "description", "text")


@migrations()
def m003_accent_insensitive_search(db: Database) -> None:
    """Exact-accent FTS plus a contentless index of text folded by archive.vietnamese.fold."""
    from archive.vietnamese import fold

    db["articles"].disable_fts()
    db["articles"].enable_fts(
        list(FOLD_COLUMNS), create_triggers=True, tokenize="unicode61 remove_diacritics 0"
    )
    db.execute(
        "create virtual table articles_fold using fts5(title, description, text, content='', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    for row in db.query("select id, title, description, text from articles"):
        db.execute(
            "insert into articles_fold (rowid, title, description, text) values (?, ?, ?, ?)",
            [row["id"], *(fold(row[c] or "") for c in FOLD_COLUMNS)],
        )


HEALTH_COLUMNS = ("health_articles", "share_title", "share_date", "share_author", "share_50_words")


@migrations()
def m004_incremental_crawls(db: Database) -> None:
    """Validators for conditional requests, version history, crawl health and the frontier."""
    db["fetches"].add_column("etag", str)
    db["fetches"].add_column("last_modified", str)
    db["crawls"].add_column("backfill", int)
    db["crawls"].add_column("resumed_from", int)
    db["crawls"].add_column("articles_not_modified", int)
    for column in HEALTH_COLUMNS:
        db["crawls"].add_column(column, float)
    db["article_versions"].create(
        {
            "id": int, "article_id": int, "version": int, "title": str, "description": str,
            "text": str, "text_hash": str, "word_count": int, "fetch_id": int, "captured_at": str,
            "extractor_version": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("fetch_id", "fetches", "id")],
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    db.execute(
        """insert into article_versions
           (article_id, version, title, description, text, text_hash, word_count, fetch_id, captured_at,
            extractor_version)
           select id, 1, title, description, text, text_hash, word_count, fetch_id, first_seen,
                  extractor_version from articles"""
    )
    # Requests a crawl has scheduled and not yet finished: what a resumed crawl must still do.
    db["frontier"].create(
        {"crawl_id": int, "url": str, "kind": str, "callback": str, "cb_kwargs": str, "created": str},
        pk=("crawl_id", "url"),
    )
    db.execute(
        """create view crawl_health as
           select c.id as crawl_id, c.source_id, c.started_at, c.status, c.pages,
                  c.articles_new, c.articles_changed, c.articles_unchanged, c.articles_not_modified,
                  c.errors, c.health_articles as articles_checked,
                  round(100 * c.share_title, 1) as pct_title, round(100 * c.share_date, 1) as pct_date,
                  round(100 * c.share_author, 1) as pct_author,
                  round(100 * c.share_50_words, 1) as pct_50_words
           from crawls c order by c.id desc"""
    )


@migrations()
def m005_knowledge(db: Database) -> None:
    """Document references, mentions, clean authors and syndicated-copy clusters."""
    for column in ("authors", "refs", "agencies", "channels"):
        db["articles"].add_column(column, str)  # JSON arrays, for datasette's array facets
    db["articles"].add_column("cluster_id", int)
    db["articles"].create_index(["cluster_id"])
    db["doc_refs"].create(
        {
            "id": int, "article_id": int, "ref": str, "text": str, "number": str, "year": int,
            "type_code": str, "type_name": str, "issuer": str, "issued": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["doc_refs"].create_index(["ref"])
    db["doc_refs"].create_index(["article_id"])
    db["mentions"].create(
        {"id": int, "article_id": int, "kind": str, "platform": str, "name": str, "text": str},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["mentions"].create_index(["name"])
    db["mentions"].create_index(["article_id"])
    db["article_minhash"].create({"article_id": int, "signature": bytes}, pk="article_id")
    db["lsh_bands"].create({"band": int, "bucket": str, "article_id": int})
    db["lsh_bands"].create_index(["band", "bucket"])
    db["lsh_bands"].create_index(["article_id"])


@migrations()
def m006_extraction_rules(db: Database) -> None:
    """Each source's CSS selector overrides, kept so re-extraction applies them too."""
    db["sources"].add_column("extract_rules", str)


@migrations()
def m008_lean_storage(db: Database) -> None:
    """Keep each text once, and the similarity index small.

    A version that is the article's current reading no longer repeats its title, description and
    text (``in_articles`` = 1; the ``article_history`` view puts them back). LSH bucket keys
    become integers in a WITHOUT ROWID table keyed by (band, bucket, article_id), so the
    lookup needs no second index, and signatures are stored as the 32-bit values they are.
    """
    import numpy as np

    from archive import syndication

    db["article_versions"].add_column("in_articles", int)
    db.execute(
        """update article_versions set in_articles = 1, title = null, description = null, text = null
           where id in (select v.id from article_versions v join articles a on a.id = v.article_id
                        where v.version = (select max(version) from article_versions w where w.article_id = v.article_id)
                          and v.text_hash is a.text_hash and v.title is a.title
                          and v.description is a.description and v.text is a.text)"""
    )
    db.execute(
        """create view article_history as
           select v.id, v.article_id, v.version,
                  case when v.in_articles then a.title else v.title end as title,
                  case when v.in_articles then a.description else v.description end as description,
                  case when v.in_articles then a.text else v.text end as text,
                  v.text_hash, v.word_count, v.fetch_id, v.captured_at, v.extractor_version
           from article_versions v join articles a on a.id = v.article_id"""
    )
    db.execute("drop table lsh_bands")
    db.execute(
        "create table lsh_bands (band integer, bucket integer, article_id integer, "
        "primary key (band, bucket, article_id)) without rowid"
    )
    for article_id, blob in db.execute("select article_id, signature from article_minhash").fetchall():
        values = syndication.values(blob)
        db.execute("update article_minhash set signature = ? where article_id = ?",
                   [values.astype(np.uint32).tobytes(), article_id])
        db.conn.executemany(
            "insert into lsh_bands (band, bucket, article_id) values (?, ?, ?)",
            [(band, bucket, article_id) for band, bucket in enumerate(syndication.bands(values))],
        )


@migrations()
def m009_exact_index_without_positions(db: Database) -> None:
    """The exact-accent index keeps no positions (``detail=none``).

    It only decides which of the folded index's matches rank first, and for that "has these
    accented words" is enough; positions were five sixths of its size (1.5 of the 8 KB an
    article took in the database). The triggers that keep it in step with ``articles`` stay.
    """
    db.execute("drop table articles_fts")
    db.execute(
        'create virtual table "articles_fts" using fts5 ("title", "description", "text", '
        "tokenize='unicode61 remove_diacritics 0', content=\"articles\", detail=none)"
    )
    db.execute("insert into articles_fts (articles_fts) values ('rebuild')")


@migrations()
def m010_fetch_urls_only_when_they_differ(db: Database) -> None:
    """A fetch row names its other URLs only when they are not ``url``.

    ``requested_url`` (the URL first asked for, before any redirect) almost always repeated
    ``url``; it is now null when it does. ``response_url`` is new: the URL that finally
    answered, when redirects led away from ``url`` (the WARC record has it too).
    """
    db.execute("update fetches set requested_url = null where requested_url = url")
    db["fetches"].add_column("response_url", str)


@migrations()
def m011_filter_words_in_the_search_indexes(db: Database) -> None:
    """Both search indexes get a ``filters`` column: each article's source and month as words
    (archive.search.filter_words), so a search filtered by them stays fast at any size.

    The exact index reads it through the ``articles_exact`` view, and its triggers now fire
    on updates of the indexed columns only: a re-crawl that moves ``last_seen`` used to delete
    and re-add every unchanged article. The folded index is contentless, so it is built
    again from the articles (about 100 s for a million).
    """
    _build_search_indexes(db, lists=False)


@migrations()
def m012_channel_agency_and_document_filter_words(db: Database) -> None:
    """The ``filters`` column also holds the channels, agencies and documents each article names.

    A common word filtered to Zalo (a third of an archive) read every match of the word newest
    first and checked each against the mentions: 0.8 s at a million articles. As words in the
    index, the channel is part of the FTS5 query, as the source and month are, and a document
    filter is ranked by relevance like any search. Both indexes are built again (about 100 s for
    a million articles).
    """
    _build_search_indexes(db, lists=True)


@migrations()
def m013_article_urls(db: Database) -> None:
    """An article's other URLs: variants of it (print, AMP, session ids, another host name) and
    where redirects from it led, each with what it gave when last read, the fetch that gave it,
    and when it was last confirmed, so that an edit seen only at one of them is a new version,
    not a page dropped as a duplicate. An article's own URL has a row once it has another."""
    db["article_urls"].create(
        {"url": str, "article_id": int, "text_hash": str, "title": str, "extractor_version": str,
         "first_seen": str, "last_seen": str, "fetch_id": int},
        pk="url",
        foreign_keys=[("article_id", "articles", "id"), ("fetch_id", "fetches", "id")],
        if_not_exists=True,
    )
    db["article_urls"].create_index(["article_id"], if_not_exists=True)


@migrations()
def m014_fetch_redirect_hops(db: Database) -> None:
    """A fetch row points at the WARC records of the redirects and retries that led to its
    response (``warc_hops``: a JSON list of {file, offset, length}, oldest first), so that an
    export holds the exchange for the URL that was asked for, not only the one that answered."""
    if "warc_hops" not in db["fetches"].columns_dict:
        db["fetches"].add_column("warc_hops", str)


@migrations()
def m015_eth_folds_to_d(db: Database) -> None:
    """The folded index holds "Ð" (U+00D0, which legacy-encoded pages use for "Đ") as d, as
    archive.vietnamese.fold now writes it, so that "Đà Nẵng" and "da nang" find "Ðà Nẵng".
    Only the articles that have the letter are indexed again; a contentless index forgets a row
    only when told its old values, which are the fold of earlier releases."""
    from archive.search import row_filter_words
    from archive.vietnamese import fold

    def fold_before(text: str) -> str:
        if text.isascii():
            return text.casefold()
        decomposed = unicodedata.normalize("NFD", text.casefold())
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
        return unicodedata.normalize("NFC", bare.replace("đ", "d"))

    if "articles_fold" not in db.table_names():
        return
    columns = ("title", "description", "text")
    rows = db.execute(
        "select id, title, description, text, source_id, published_month, channels, agencies, refs from articles "
        "where instr(coalesce(title, '') || coalesce(description, '') || coalesce(text, ''), 'Ð') "
        "or instr(coalesce(title, '') || coalesce(description, '') || coalesce(text, ''), 'ð')"
    ).fetchall()
    for row in rows:
        article = dict(zip(("id", *columns, "source_id", "published_month", "channels", "agencies", "refs"), row))
        texts = [article[c] or "" for c in columns]
        filters = row_filter_words(article)
        db.execute("insert into articles_fold (articles_fold, rowid, title, description, text, filters) "
                   "values ('delete', ?, ?, ?, ?, ?)", [article["id"], *map(fold_before, texts), filters])
        db.execute("insert into articles_fold (rowid, title, description, text, filters) values (?, ?, ?, ?, ?)",
                   [article["id"], *map(fold, texts), filters])


@migrations()
def m016_home_page_indexes(db: Database) -> None:
    """What the reading room's home page counts, without reading every row: each source's last
    capture (max(last_seen) read every article, 7 s on a million) and the fetches kept in WARC."""
    db.execute("create index if not exists idx_articles_source_id_last_seen on articles (source_id, last_seen)")
    db.execute("create index if not exists idx_fetches_captured on fetches (id) where warc_file is not null")


@migrations()
def m017_channel_and_agency_indexes(db: Database) -> None:
    """What the reading room's channel and agency filters read, from an index alone rather than
    every mention row: whether a value typed in a URL is one the archive holds, every value when
    its case is not the archive's, and the articles that have it. Agencies have no platform, so
    the channels' index leaves them out; the agencies' holds the kind its condition fixes, since
    SQLite reads the row for any column the index lacks. The facet counts still reach mentions
    by article id: an index led by kind would have the planner walk every agency for each article."""
    db.execute("create index if not exists idx_mentions_platform_article_id on mentions (platform, article_id) "
               "where platform is not null")
    db.execute("create index if not exists idx_mentions_agency_article_id on mentions (name, kind, article_id) "
               "where kind = 'agency'")


@migrations()
def m018_articles_fetch_id_index(db: Database) -> None:
    """The capture view names the article a capture is of, looked up by the capture's fetch:
    without an index that read every article, 0.4 s a capture page on a million."""
    db.execute("create index if not exists idx_articles_fetch_id on articles (fetch_id)")


@migrations()
def m019_articles_published_month_index(db: Database) -> None:
    """The reading room's list of a month's articles, newest first, read from an index: without
    one it read every article archived since, 0.4 s for a month ten years back on a million."""
    db.execute("create index if not exists idx_articles_published_month on articles (published_month)")


@migrations()
def m020_version_dates(db: Database) -> None:
    """Each version's publication date and author: a portal corrects either without touching
    the text, and the version it replaces keeps what it said. As with its texts, a version that
    is the article's current reading has them in the articles row; one replaced before this
    migration has none (what it said then was not kept)."""
    db["article_versions"].add_column("published", str)
    db["article_versions"].add_column("author", str)
    db.execute("drop view article_history")
    db.execute(
        """create view article_history as
           select v.id, v.article_id, v.version,
                  case when v.in_articles then a.title else v.title end as title,
                  case when v.in_articles then a.description else v.description end as description,
                  case when v.in_articles then a.text else v.text end as text,
                  case when v.in_articles then a.published else v.published end as published,
                  case when v.in_articles then a.author else v.author end as author,
                  v.text_hash, v.word_count, v.fetch_id, v.captured_at, v.extractor_version
           from article_versions v join articles a on a.id = v.article_id"""
    )


@migrations()
def m021_articles_last_fetch(db: Database) -> None:
    """Each article's latest fetch at its own URL, whatever it answered (a 200, a 304, a 404, a
    redirect), kept by triggers on every fetch and article written, and indexed by source: the
    re-checks of a crawl (archive.rechecks) take the articles fetched longest ago from the index
    instead of finding every article's latest fetch, which read all the source's articles
    (0.6-1.5 s a crawl for a source of 500,000). A first capture's fetch row is written before
    its article's, so a new article looks up its latest fetch itself."""
    db["articles"].add_column("last_fetch_id", int)
    db.execute("update articles set last_fetch_id = (select max(f.id) from fetches f where f.url = articles.url)")
    db.execute("create index if not exists idx_articles_source_id_last_fetch_id on articles (source_id, last_fetch_id)")
    db.execute("create trigger articles_last_fetch_on_fetch after insert on fetches begin "
               "update articles set last_fetch_id = new.id where url = new.url; end")
    db.execute("create trigger articles_last_fetch_on_insert after insert on articles begin "
               "update articles set last_fetch_id = (select max(id) from fetches where url = new.url) "
               "where id = new.id; end")


@migrations()
def m022_crawls_rechecks_after(db: Database) -> None:
    """Where a crawl's re-checks begin among its fetches (archive.rechecks.begin_rechecks): a
    crawl killed during them is resumed with the rest of its batch, not with a batch of its own."""
    db["crawls"].add_column("rechecks_after", int)


@migrations()
def m023_bare_warc_file_names(db: Database) -> None:
    """A fetch row names its WARC file relative to the database's folder. Crawls before that
    (commit d8384ba, when the files were always in ``<db name>-warc`` beside the database) wrote
    the file's bare name, which read as a file beside the database: every such capture was lost.
    A bare name is that of a file beside the database too (a crawl with ``--warc-dir`` the
    database's folder), so only names of files found in ``<db name>-warc``, and not beside it,
    get the folder in front."""
    folder, moved = _bare_warc_names_to_move(db)
    if moved:
        db.execute("update fetches set warc_file = ? || '/' || warc_file "
                   "where warc_file in (select value from json_each(?))", [folder, json.dumps(moved)])


def _bare_warc_names_to_move(db: Database) -> tuple[str, list[str]]:
    """m023's folder of WARC files, and the bare names of those found in it and not beside the database."""
    path = Path(db_file(db))
    folder = f"{path.stem}-warc"
    bare = [r[0] for r in db.execute("select distinct warc_file from fetches "
                                     "where instr(warc_file, '/') = 0 and warc_file != ''")]
    return folder, [name for name in bare
                    if path.with_name(folder).joinpath(name).is_file() and not path.with_name(name).exists()]


@migrations()
def m024_crawls_source_name(db: Database) -> None:
    """The source's name as each crawl found it in the sources file: a source renamed (a
    province merged into another) keeps its id, and an article is cited under the name its
    source had when the archive first captured it, not the name it has now. Crawls before
    this have none, and their articles are cited under sources.name."""
    if "source_name" not in db["crawls"].columns_dict:
        db["crawls"].add_column("source_name", str)


@migrations()
def m025_doc_refs_issuing_body(db: Database) -> None:
    """Each document reference's issuing body, as the text names it beside the number
    (archive.docrefs): every provincial committee numbers its plans from 1, so "174/KH-UBND"
    alone is many documents. The references archived before have none until ``govarchive
    reextract`` reads them again (the rules version that reads issuers is
    archive.docrefs.ISSUING_BODIES_SINCE); the reading room's document card says how many. The
    upgrade does not say so, as no change of the extraction rules does."""
    if "issuing_body" not in db["doc_refs"].columns_dict:
        db["doc_refs"].add_column("issuing_body", str)


@migrations()
def m026_merged_articles(db: Database) -> None:
    """The articles folded into another (archive.ingest._take_in_twin): each one's id, the
    article it is now part of (``into_id``), when, the fetch whose redirect said the two are one,
    and its one version's id and text hash. The reading room sends a merged id's pages to the
    article it is part of; a new article or version takes an id above all these (the tables have
    no AUTOINCREMENT, which only rebuilding them could add, so SQLite would give the greatest id
    of a deleted row again, and a mirror or a citation would take another article for it)."""
    db.execute("""create table if not exists merged_articles (
                    id integer primary key, into_id integer not null references articles(id),
                    merged_at text not null, fetch_id integer references fetches(id),
                    version_id integer, text_hash text)""")
    db.execute("create index if not exists idx_merged_articles_into_id on merged_articles (into_id)")
    db.execute("create index if not exists idx_merged_articles_version_id on merged_articles (version_id)")


# The articles columns an export carries, but last_seen: an article's change number moves when one
# of them does. last_seen (and last_fetch_id) move for every article a crawl checks, on every crawl.
CHANGE_COLUMNS = ("url", "source_id", "title", "author", "published", "updated", "published_month",
                  "description", "text", "language", "sitename", "categories", "tags", "image", "word_count",
                  "text_hash", "extractor_version", "charset", "first_seen", "fetch_id", "authors", "refs",
                  "agencies", "channels", "cluster_id")


def _next_change(table: str, row_id: str) -> str:
    """The statements of a trigger giving a row of ``table`` the next change number."""
    return (f"update change_counter set value = value + 1; "
            f"update {table} set changed = (select value from change_counter) where id = {row_id};")


@migrations()
def m027_change_numbers(db: Database) -> None:
    """A change number for every article, set by triggers whenever a column an export carries
    changes (``changed``), so that a copy kept in sync asks for what changed since the last number
    it has. The number is taken from a one-row counter inside the write transaction that makes
    the change, and SQLite lets one writer at a time: numbers are handed out in the order the
    changes commit, which no capture time is (a crawl stamps a page when it is fetched and stores
    it later, and several crawls write at once). A counter rather than the greatest number plus
    one: that number would be given again when the row holding it goes (a merged article).

    A merged article's row in merged_articles gets one too, so a copy hears that the id is gone.
    The articles archived before have none (NULL): a first full export covers them. The upgrade
    adds columns and empty indexes; building an index reads the articles table once."""
    db.execute("create table change_counter (id integer primary key check (id = 1), value integer not null)")
    db.execute("insert into change_counter (id, value) values (1, 0)")
    for table in ("articles", "merged_articles"):
        db.execute(f"alter table {table} add column changed integer")
        # Partial: the rows from before have none, and a "changed > N" query implies "is not null".
        db.execute(f"create index idx_{table}_changed on {table} (changed) where changed is not null")
    # A new article already has its row written again by m021's trigger: one update sets both.
    db.execute("drop trigger articles_last_fetch_on_insert")
    db.execute("create trigger articles_last_fetch_on_insert after insert on articles begin "
               "update change_counter set value = value + 1; "
               "update articles set last_fetch_id = (select max(id) from fetches where url = new.url), "
               "changed = (select value from change_counter) where id = new.id; end")
    # "after update of" leaves the trigger out of a statement that sets none of them (a crawl's
    # last_seen); "when" out of one that sets them to what they were (a page read alike again).
    differs = " or ".join(f"old.{c} is not new.{c}" for c in CHANGE_COLUMNS)
    db.execute(f"create trigger articles_changed_on_update after update of {', '.join(CHANGE_COLUMNS)} "
               f"on articles when {differs} begin {_next_change('articles', 'new.id')} end")
    # An article's other URLs are part of its record (other_urls).
    db.execute("create trigger articles_changed_on_url after insert on article_urls begin "
               f"{_next_change('articles', 'new.article_id')} end")
    db.execute("create trigger articles_changed_on_url_moved after update of article_id on article_urls "
               "when old.article_id is not new.article_id begin "
               f"{_next_change('articles', 'old.article_id')} {_next_change('articles', 'new.article_id')} end")
    db.execute("create trigger merged_articles_changed_on_insert after insert on merged_articles begin "
               f"{_next_change('merged_articles', 'new.id')} end")
    db.execute("create trigger merged_articles_changed_on_update after update of into_id on merged_articles "
               f"when old.into_id is not new.into_id begin {_next_change('merged_articles', 'new.id')} end")


@migrations()
def m028_source_renames(db: Database) -> None:
    """The source ids carried over to another (``formerly`` in sources.toml, archive.carryover):
    a link or bookmark filtering by the old id finds its successor's articles, and a former id
    the archive never held (a typo) is told from one carried over already."""
    db["source_renames"].create({"old_id": str, "new_id": str, "renamed_at": str}, pk="old_id", not_null={"new_id"})


@migrations()
def m029_live_change_numbers(db: Database) -> None:
    """An article takes the next change number when what its live page answers, as an export
    gives it (archive.history.live_key: gone, back, moved, moved elsewhere), changes: a copy kept in
    sync by change number learns that a page disappeared, which is what the archive is there to
    record. ``article_live`` holds each article's live key as last worked out by
    archive.ingest.note_live_state, in the write transaction that records the fetch; its trigger
    numbers the article as m027's do. The articles archived before have no row: the first fetch
    since works out what the fetches before it said, and numbers the article only if that differs."""
    db.execute("create table article_live (article_id integer primary key references articles(id) on delete cascade, "
               "state text)")
    db.execute("create trigger articles_changed_on_live after update of state on article_live "
               f"when old.state is not new.state begin {_next_change('articles', 'new.article_id')} end")


@migrations()
def m030_earlier_versions_search_index(db: Database) -> None:
    """A search index of the earlier versions' texts, so that a search finds what a page said
    before it was corrected (archive.search.earlier_versions): ``versions_fold``, contentless and
    folded as ``articles_fold`` is, one row per version that keeps texts of its own (``in_articles``
    not 1), rowid the version's id. Its ``filters`` are the words of the article when the version
    was its reading (archive.ingest.keep_version_texts indexes a version as the articles row is about
    to change), kept in ``article_versions.fold_filters``: a contentless index forgets a row only
    when told the values it was indexed with, and a carry-over changes the source word. The index
    is made with its first version (index_versions): until an article changes it would be four
    empty tables, 64 KB of pages.

    The versions replaced before this migration get the channels, agencies and documents the
    article names now (what each named then was not kept) and their own month, which one replaced
    before m020 (no date kept) has not. It folds every earlier version's texts: about 35 s per
    100,000 versions of 4,000 characters, nothing on an archive whose articles never changed."""
    from archive.search import LIST_FILTERS, row_filter_words

    db["article_versions"].add_column("fold_filters", str)
    lists = ", ".join(f"a.{column}" for _prefix, column in LIST_FILTERS)
    after = 0
    while batch := db.execute(
            f"""select v.id, v.title, v.description, v.text, a.source_id, substr(v.published, 1, 7), {lists}
                from article_versions v join articles a on a.id = v.article_id
                where v.in_articles is not 1 and v.id > ? order by v.id limit 2000""", [after]).fetchall():
        rows = []
        for version_id, title, description, text, source_id, month, *named in batch:
            words = row_filter_words({"source_id": source_id, "published_month": month or None,
                                      **{column: value for (_p, column), value in zip(LIST_FILTERS, named)}})
            rows.append((version_id, title, description, text, words))
        index_versions(db, rows)
        db.conn.executemany("update article_versions set fold_filters = ? where id = ?",
                            [(words, version_id) for version_id, *_texts, words in rows])
        after = batch[-1][0]


VERSIONS_INDEX = "versions_fold"


def index_versions(db: Database, rows, *, forget: bool = False) -> None:
    """Add ``rows`` to versions_fold (m030), made with the first, or with ``forget`` take them
    out: each (version id, title, description, text, filter words), the texts as article_versions
    holds them. Taken out, a row must be given the values it was added with, as a contentless
    FTS5 table needs."""
    from archive.vietnamese import fold

    rows = list(rows)
    if not rows:
        return
    if not db.execute("select 1 from sqlite_master where name = ?", [VERSIONS_INDEX]).fetchone():
        if forget:
            return  # never made: nothing was indexed
        db.execute(
            f"create virtual table {VERSIONS_INDEX} using fts5(title, description, text, filters, content='', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
    command, value = (f"{VERSIONS_INDEX}, ", "'delete', ") if forget else ("", "")
    db.conn.executemany(
        f"insert into {VERSIONS_INDEX} ({command}rowid, title, description, text, filters) "
        f"values ({value}?, ?, ?, ?, ?)",
        [(version_id, *(fold(t or "") for t in texts), words) for version_id, *texts, words in rows],
    )


@migrations()
def m031_article_urls_date_author_description(db: Database) -> None:
    """What each of an article's URLs gave beside its text and headline when last read: its date,
    author and description (sapo), so that a correction of them seen at any of its URLs (a moved
    article's new address) is compared with what that URL said, as its text is. The rows from
    before have none: a URL's is known from its next reading, and until then only the URL the
    article's reading came from is compared, with the article's, as before."""
    for column in ("published", "author", "description"):
        if column not in db["article_urls"].columns_dict:
            db["article_urls"].add_column(column, str)


# Migrations an archive that cannot be upgraded (read-only storage) is read and served without,
# with what their absence costs until it is upgraded (None: nothing a reader notices). One that
# lacks any other is refused: its pages would fail on the tables and columns it does not have.
_SLOWER = "pages that need its indexes (the home page, channel and agency filters, month pages) are slower"
READABLE_WITHOUT = {
    "m016_home_page_indexes": _SLOWER,
    "m017_channel_and_agency_indexes": _SLOWER,
    "m018_articles_fetch_id_index": _SLOWER,
    "m019_articles_published_month_index": _SLOWER,
    "m021_articles_last_fetch": None,  # columns only crawls read
    "m022_crawls_rechecks_after": None,
    "m023_bare_warc_file_names": "the captures of crawls from before the --warc-dir option are not found, as "
                                 "before the upgrade",
    "m024_crawls_source_name": "articles are cited under their source's present name, not the one it had when "
                               "they were captured",
    "m025_doc_refs_issuing_body": "a document number cited from different issuers is shown as one document",
    # It has no merges recorded: those made before the upgrade left none, and nothing merges here.
    "m026_merged_articles": None,
    "m027_change_numbers": "exports cannot select what changed since a change number (--changed-after)",
    # An archive never upgraded has carried nothing over: a carry-over writes, which upgrades it first.
    "m028_source_renames": None,
    # Read as it is, nothing fetches: no article's live page changes.
    "m029_live_change_numbers": None,
    "m030_earlier_versions_search_index": "a search does not list the earlier versions that match, only the articles",
    "m031_article_urls_date_author_description": None,  # columns only crawls read
}


def lacking(pending: list[str]) -> list[str]:
    """What an archive not upgraded through ``pending`` (all in READABLE_WITHOUT) lacks, each once."""
    return list(dict.fromkeys(READABLE_WITHOUT[name] for name in pending if READABLE_WITHOUT[name]))


# What each migration adding something extraction finds leaves empty for the articles archived
# before it: 'govarchive reextract' fills it in from their captures, and the upgrade says so.
FILLED_BY_REEXTRACT = {
    "m005_knowledge": "document references, mentions, clean author names and syndicated copies",
}


def _build_search_indexes(db: Database, *, lists: bool) -> None:
    """(Re)create both search indexes with a ``filters`` column, and fill them from the articles.

    ``lists`` puts the channel, agency and document words in it too (m012); m011 built it without.
    """
    from archive.search import LIST_FILTERS, filter_words_sql, row_filter_words
    from archive.vietnamese import fold

    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("drop table if exists articles_fts")
    db.execute("drop view if exists articles_exact")
    db.execute(
        f"create view articles_exact as select id, title, description, text, "
        f"{filter_words_sql('articles', lists=lists)} as filters from articles"
    )
    db.execute(
        'create virtual table "articles_fts" using fts5 ("title", "description", "text", "filters", '
        "tokenize='unicode61 remove_diacritics 0', content='articles_exact', content_rowid='id', detail=none)"
    )
    columns = "rowid, title, description, text, filters"

    def values(row):
        return (f"{row}.id, {row}.title, {row}.description, {row}.text, "
                f"{filter_words_sql(row, lists=lists)}")

    delete = f"insert into articles_fts (articles_fts, {columns}) values ('delete', {values('old')});"
    insert = f"insert into articles_fts ({columns}) values ({values('new')});"
    watched = ", ".join(["title", "description", "text", "source_id", "published_month",
                         *(column for _prefix, column in LIST_FILTERS if lists)])
    db.execute(f"create trigger articles_ai after insert on articles begin {insert} end")
    db.execute(f"create trigger articles_ad after delete on articles begin {delete} end")
    db.execute(f"create trigger articles_au after update of {watched} on articles begin {delete} {insert} end")
    # Filled from the articles, not by 'rebuild': FTS5 reads its content view from inside its
    # own write, where the view's json_each fails ("SQL logic error").
    db.execute(f"insert into articles_fts ({columns}) select {values('articles')} from articles")

    db.execute("drop table articles_fold")
    db.execute(
        "create virtual table articles_fold using fts5(title, description, text, filters, content='', "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    fields = ["id", *FOLD_COLUMNS, "source_id", "published_month", *(column for _prefix, column in LIST_FILTERS)]
    rows = db.conn.execute(f"select {', '.join(fields)} from articles")
    while batch := [dict(zip(fields, r)) for r in rows.fetchmany(2000)]:
        db.conn.executemany(
            "insert into articles_fold (rowid, title, description, text, filters) values (?, ?, ?, ?, ?)",
            [(r["id"], *(fold(r[c] or "") for c in FOLD_COLUMNS), row_filter_words(r, lists=lists)) for r in batch],
        )


def release_free_pages(db: Database) -> int:
    """Give the pages the archive no longer uses back to the file system; returns how many.

    A crawl frees pages as it goes (FTS segments merged away, the frontier drained). Archives
    created since auto_vacuum was set can hand them back; older ones keep them for reuse.
    """
    if db.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
        return 0
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    if free:
        # execute() steps the pragma once, which frees one page; executescript runs it through.
        db.conn.executescript("PRAGMA incremental_vacuum")
    return free


def _enable_wal(db: Database) -> None:
    """Switch to WAL, waiting out another process doing the same to a new archive.

    SQLite answers "database is locked" to a journal-mode change at once, without calling the
    busy handler, while another connection holds the lock it needs.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def applied_at(conn: sqlite3.Connection, name: str) -> datetime | None:
    """When the archive was upgraded through the migration ``name`` (None: not yet). What an
    archive recorded before a migration can lack what the migration began to keep."""
    row = conn.execute("select applied_at from _sqlite_migrations where migration_set = ? and name = ?",
                       [MIGRATION_SET, name]).fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def recorded_since(value: str | None, since: datetime | None) -> bool:
    """Whether the recorded time ``value`` (ISO 8601) is at or after ``since`` (applied_at): what
    was recorded then was recorded as the migration has it."""
    return bool(value and since and datetime.fromisoformat(value) >= since)


def db_file(db: Database) -> str:
    return db.execute("PRAGMA database_list").fetchone()[2]


def _migrate(db: Database) -> None:
    """Apply pending migrations, one process at a time.

    The scheduler starts every due source at once on the same archive, so several processes
    can find the same migrations pending. The transaction takes the write lock before the
    pending list is read again, so the others see the schema the first one built instead of
    failing on "table already exists". Upgrading a large archive takes minutes, longer than the
    busy timeout: the others keep waiting (up to UPGRADE_WAIT_S) rather than fail on "database is
    locked".
    """
    if not migrations.pending(db):
        return
    deadline = time.monotonic() + UPGRADE_WAIT_S
    waiting = False
    while True:
        try:
            with db.atomic():
                pending = [m.name for m in migrations.pending(db)]
                upgrading = pending and migrations.applied(db)
                if upgrading and any(_takes_a_while(db, name) for name in pending):
                    # Rebuilding an index over a million articles takes minutes: say why nothing happens.
                    logger.warning("%s: upgrading the archive (%s); on a large archive this takes a while",
                                   db_file(db), ", ".join(pending))
                migrations.apply(db)
            if upgrading:
                _say_what_reextract_fills(db, pending)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        if not waiting:
            logger.warning("%s: another process is writing to the archive (upgrading it?); waiting up to "
                           "%d minutes for it", db_file(db), UPGRADE_WAIT_S // 60)
            waiting = True


# Migrations that take no longer on a large archive than on a small one: they add a column, a
# table or a view. The upgrade says it takes a while only when one of the others is pending.
# m027's partial indexes are empty: building them reads the articles table once and writes
# nothing per row (0.2 s for 300,000 articles, 1 GB, read from the page cache).
_QUICK = frozenset({"m002_warc_pointers", "m006_extraction_rules", "m013_article_urls", "m014_fetch_redirect_hops",
                    "m020_version_dates", "m022_crawls_rechecks_after", "m024_crawls_source_name",
                    "m025_doc_refs_issuing_body", "m026_merged_articles", "m027_change_numbers",
                    "m028_source_renames", "m029_live_change_numbers",
                    "m031_article_urls_date_author_description"})


def _takes_a_while(db: Database, name: str) -> bool:
    """Whether the migration ``name`` goes through as many rows as the archive has. Asked of the
    pending ones in order, up to the first that does: m023's check reads the column m002 adds,
    and while m002 is pending so is m003, which rebuilds the search index."""
    if name in _QUICK:
        return False
    if name == "m023_bare_warc_file_names":
        # It changes only the rows of crawls older than the --warc-dir option, most archives none.
        return bool(_bare_warc_names_to_move(db)[1])
    if name == "m030_earlier_versions_search_index":
        # It folds the earlier versions only: an archive whose articles never changed has none.
        return db.execute("select 1 from article_versions where in_articles is not 1 limit 1").fetchone() is not None
    return True


def _say_what_reextract_fills(db: Database, applied: list[str]) -> None:
    """Tell the user when the migrations just applied left data empty that only re-extraction
    fills in: nothing else would, and the archive looks complete without it."""
    empty = [FILLED_BY_REEXTRACT[name] for name in applied if name in FILLED_BY_REEXTRACT]
    if empty:
        logger.warning("%s: upgraded; the articles archived before have no %s until 'govarchive reextract --db %s' "
                       "reads them again from their captures", db_file(db), ", ".join(empty), db_file(db))


@functools.cache
def _known_migrations() -> frozenset[str]:
    """Every migration this release has: all are pending on an empty database."""
    return frozenset(m.name for m in migrations.pending(Database(memory=True)))


def _refuse_newer(db: Database, path: Path) -> None:
    """Raise ArchiveError when the archive has been through migrations this release does not
    know: a newer release made or upgraded it, and its schema may mean anything to this one."""
    unknown = [m.name for m in migrations.applied(db) if m.name not in _known_migrations()]
    if unknown:
        db.close()
        raise ArchiveError(f"{path}: made by a newer govarchive (it has migrations this one does not know: "
                           f"{', '.join(unknown)}); open it with that release or a later one")


def open_db(path: str | Path, *, create: bool = True, for_reading: bool = False) -> ArchiveDatabase:
    """Open (and migrate) the archive at ``path``.

    With ``create=False`` the file must already be a govarchive archive: commands that only
    read should fail on a mistyped path instead of leaving an empty database behind.

    An archive this process cannot write to (read-only storage, a folder of another user) is an
    error, unless ``for_reading``: a command that only reads gets it as it is, not upgraded, if
    what the upgrade would add is only what it can do without (READABLE_WITHOUT).

    An archive made by a newer release is an error, whatever the command.
    """
    path = Path(path)
    if not create:
        check_archive(path)
    elif path.parent and not path.parent.exists():
        raise ArchiveError(f"{path}: directory {path.parent} does not exist")
    unwritable = _unwritable(path)
    if unwritable and for_reading:
        return _open_as_it_is(path, unwritable)
    if unwritable:
        raise ArchiveError(f"{path}: cannot write to the archive: {unwritable}")
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        db = ArchiveDatabase(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_newer(db, path)
        if db.execute("PRAGMA page_count").fetchone()[0] == 0:
            # An article row (text, description, JSON lists) is 2-3 KB: a 4 KB page holds one and
            # wastes the rest. Only a new file can take it without a VACUUM.
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            # Lets a finished crawl give back the pages it freed (release_free_pages).
            db.execute(f"PRAGMA auto_vacuum = {INCREMENTAL}")
        _enable_wal(db)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
            raise ArchiveError(f"{path}: not a usable SQLite database ({exc})") from None
        # A full disk or a failing one, met while the archive is made or upgraded: the file
        # itself may be sound, and calling it unusable would send its owner to restore it.
        raise ArchiveError(f"{path}: the archive could not be opened for writing: {exc} "
                           f"(is the disk full, the archive's or that of SQLite's temporary files in "
                           f"{sqlite_temp_dir()}, or a file size limit reached?)") from None
    return db


def pending_migrations(path: str | Path) -> list[str]:
    """The migrations the archive at ``path`` has yet to go through, read without writing to it."""
    conn = read_connection(Path(path))
    try:
        return [m.name for m in migrations.pending(Database(conn))]
    finally:
        conn.close()


def check_archive(path: str | Path, *, may_be_new: bool = False) -> Path:
    """Raise ArchiveError unless ``path`` is an existing govarchive database.

    ``may_be_new``: for a crawl, which makes the archive. Nothing at ``path`` yet, an empty file
    or a database without tables is fine; another program's database is not, since opening it
    would add the archive's tables to it.
    """
    path = Path(path)
    _check_length(path)
    if may_be_new and (not path.is_file() or path.stat().st_size == 0):
        return path
    if not path.exists():
        check_current_folder(path)
        raise ArchiveError(f"{path}: no such archive (run 'govarchive crawl' or 'govarchive demo' first)")
    if not path.is_file():
        raise ArchiveError(f"{path}: not a file")
    try:
        conn = read_connection(path)
        try:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        # SQLite says "unable to open database file" for a database it cannot open, whatever the
        # file holds: what it needed and lacked is the message.
        raise ArchiveError(f"{path}: cannot read it: {_why_unreadable(path, exc)}") from None
    except sqlite3.DatabaseError:
        raise ArchiveError(f"{path}: not a SQLite database") from None
    if may_be_new and not tables:
        return path
    if not tables:
        # What a first crawl leaves when it cannot make the archive (a full disk): no tables at all.
        raise ArchiveError(f"{path}: an empty database, with no archive made in it yet; "
                           "'govarchive crawl' makes one")
    if not {"articles", "crawls", "fetches"} <= tables:
        raise ArchiveError(f"{path}: a SQLite database, but not a govarchive archive")
    return path


def current_folder() -> str | None:
    """The current folder, None when it no longer exists."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return None


def check_current_folder(*paths: str | Path | None) -> None:
    """Raise ArchiveError, in one line naming them, when the current folder no longer exists (a
    deploy replaced the release folder under a shell that was in it) and some of ``paths`` are
    relative to it: what they name cannot be found, and saying it is not there would send the
    user to make it. Absolute ones are found all the same."""
    if current_folder() is not None:
        return
    relative = [str(p) for p in paths if p is not None and not os.path.isabs(p)]
    if relative:
        raise ArchiveError(f"the current folder no longer exists (it was deleted or replaced), so paths relative "
                           f"to it cannot be found ({', '.join(relative)}): give absolute paths, or run the command "
                           "from a folder that exists")


# SQLite opens paths of up to 512 bytes, and beside the archive it makes files named after it:
# the longest, its "-journal". Past either limit it says only "unable to open database file",
# which read as a full disk or a missing permission.
_SQLITE_PATH_MAX = 512
_LONGEST_SUFFIX = len("-journal")


def _check_length(path: Path) -> None:
    """Raise ArchiveError when SQLite could not open the archive at ``path`` for the length of
    its name or path."""
    name = len(os.fsencode(path.name)) + _LONGEST_SUFFIX
    folder = path.parent if path.parent.is_dir() else Path(".")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except OSError:
        name_max = 255
    if name > name_max:
        raise ArchiveError(f"{path}: its name is too long: SQLite makes files beside it named after it, "
                           f"'-journal' added, and this file system allows {name_max} bytes in a name")
    try:
        full = len(os.fsencode(os.path.abspath(path))) + _LONGEST_SUFFIX
    except FileNotFoundError:  # a relative path from a current folder that no longer exists
        return
    if full > _SQLITE_PATH_MAX:
        raise ArchiveError(f"{path}: its path is too long for SQLite, which opens paths of up to "
                           f"{_SQLITE_PATH_MAX} bytes, its '-journal' file's included "
                           f"(this one is {full}): move the archive to a shorter path")


def sqlite_temp_dir() -> str:
    """The folder SQLite keeps its temporary files in (sorts, index builds, the statement
    journals of large transactions), as its Unix file layer picks it."""
    for folder in (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp"):
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return "."


def _unwritable(path: Path) -> str | None:
    """Why this process cannot write to the archive at ``path`` (there or not yet), or None.

    A WAL database is written through the -wal and -shm files SQLite makes beside it, so a
    folder it cannot write to is as much in the way as a read-only file.
    """
    folder = path.parent
    if not os.access(folder, os.W_OK):
        return f"its folder {folder} is read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    return None


def nothing_can_change(path: Path) -> bool:
    """Whether SQLite may read the archive at ``path`` as an immutable file: one on a read-only
    mount, with no -wal file.

    Nothing can write to a read-only mount, and with no -wal there are no writes the file lacks:
    reading it alone is reading all of it. Only the mount tells: a folder that is read-only to this
    user may be written to by another (the crawler's), and an immutable reader would not see it change.
    """
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY) and not Path(f"{path}-wal").exists()


def sqlite_uri(path: str | Path, query: str) -> str:
    """An SQLite URI for the file at ``path`` with ``query`` ("mode=ro"). A '?', '#' or '%' in a
    path is syntax in a URI: written as it is, "q?x.db" opened (and made) a file "q", and
    "x%41.db" opened "xA.db", another archive."""
    return f"file:{quote(os.fsencode(path))}?{query}"


def read_connection(path: Path) -> sqlite3.Connection:
    """A connection that only reads the archive at ``path``, also where it cannot be written to.

    SQLite reads a WAL database (``mode=ro``) through its -shm file, which it cannot make in a
    read-only folder; ``immutable=1`` reads without one, and is used where that is safe.
    """
    if nothing_can_change(path):
        return sqlite3.connect(sqlite_uri(path, "immutable=1"), uri=True)
    return sqlite3.connect(sqlite_uri(path, "mode=ro"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _why_unreadable(path: Path, exc: sqlite3.OperationalError) -> str:
    unwritable = _unwritable(path)
    if not unwritable:
        return str(exc)
    shm = f"{path.name}-shm"
    if Path(f"{path}-wal").exists():
        held = f"it holds writes not yet merged into the file ({path.name}-wal)"
        fix = "open it once where it can be written to, which merges them"
    else:
        held = "another process may be writing to it"
        fix = "run the command as a user who can write to the folder"
    return f"{unwritable}, {held}, and SQLite needs to make {shm} there to read it: {fix}"


def _open_as_it_is(path: Path, unwritable: str) -> ArchiveDatabase:
    """The archive at ``path``, which cannot be written to, for reading without upgrading it;
    ArchiveError, naming the command that upgrades it, when it lacks what reading needs."""
    db = ArchiveDatabase(read_connection(path))
    _refuse_newer(db, path)
    pending = [m.name for m in migrations.pending(db)]
    if not set(pending) <= READABLE_WITHOUT.keys():
        db.close()
        raise ArchiveError(f"{path}: not yet upgraded ({', '.join(pending)}), and it cannot be upgraded here: "
                           f"{unwritable}; run 'govarchive stats --db {path}' once where it can be written to, "
                           "which upgrades it")
    return db
