"""Serving the archive with datasette, with the archive's own metadata and plugins."""

from __future__ import annotations

import asyncio
import errno
import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from archive.db import ArchiveError, BadEnvironment, check_archive, nothing_can_change, sqlite_uri
from archive.search import FILTERS_COLUMN, SEARCH_LIMIT

FOLDED_INDEX = "articles_fold"
# The migration since which the filters column also holds channel, agency and document words.
LIST_WORDS_MIGRATION = "m012_channel_agency_and_document_filter_words"

HERE = Path(__file__).parent / "datasette"


def _register_plugins() -> None:
    """Register the archive's datasette plugins, once a process.

    They are its own modules, imported as Python imports source, in UTF-8, and registered in
    this order, whatever order a folder lists them in. datasette's plugins_dir read each file in
    the locale's encoding (under LC_ALL=C with UTF-8 mode off serve ended in a traceback; under a
    Latin-1 locale the facets' headings were mojibake) and ran its own copy of each module beside
    the one the others import. Imported here: they import this module.
    """
    from archive.datasette.plugins import archive_downloads, datasette_tables, reading_room, search_folding

    for plugin in (reading_room, archive_downloads, search_folding, datasette_tables):
        if not pm.is_registered(plugin):
            pm.register(plugin)


SETTINGS = {
    # A slow query must not tie up a public archive.
    "sql_time_limit_ms": 3000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,
    "suggest_facets": False,
    # A table's streamed CSV is how the README says to download all of it: no size limit.
    "max_csv_mb": 0,
}


def load_metadata(db_name: str) -> dict:
    metadata = yaml.safe_load((HERE / "metadata.yml").read_text(encoding="utf-8"))
    metadata["databases"] = {db_name: metadata.pop("database")}
    return metadata


def configured_search_limit(datasette) -> int:
    """How many matches a search counts and ranks at most: the ``search_limit`` setting under
    ``plugins: govarchive:`` (metadata.yml, or make_datasette's ``search_limit``)."""
    config = datasette.plugin_config("govarchive") or {}
    return int(config.get("search_limit") or SEARCH_LIMIT)


async def filter_word_kinds(db) -> tuple[str, ...]:
    """The filters (archive.search.with_filters keywords) that the archive's search indexes hold
    words for: none before migration m011, the source and month since, and the channel, agency
    and document since m012. Serving does not migrate the archive, so the plugins ask."""
    if not await db.table_exists(FOLDED_INDEX) or FILTERS_COLUMN not in await db.table_columns(FOLDED_INDEX):
        return ()
    kinds = ("source", "month")
    if await db.table_exists("_sqlite_migrations"):
        applied = await db.execute("select 1 from _sqlite_migrations where name = ?", [LIST_WORDS_MIGRATION])
        if applied.rows:
            kinds += ("platform", "agency", "ref")
    return kinds


# The address readers know the archive by (scheme and host, as https://archive.example.org):
# the full URLs the archive gives out (an article's stable URL, its citation, archive_url in
# downloads) are under it, rather than under the request's Host header, which the client
# chooses (and which a proxy may set to the archive's own internal address).
PUBLIC_URL_ENV = "GOVARCHIVE_PUBLIC_URL"


def check_public_url(environ) -> None:
    """Raise BadEnvironment, naming the value, unless GOVARCHIVE_PUBLIC_URL is unset or an http(s)
    address: without its scheme, every stable URL would be a path under whatever page shows it.
    A path is refused too: the archive is served at the root of its host, and datasette's own
    links and the pages' relative links would leave the path out."""
    value = environ.get(PUBLIC_URL_ENV, "").strip()
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadEnvironment(f"environment variable {PUBLIC_URL_ENV} is {value!r}: it must be an http(s) address "
                           "with its scheme and host, such as https://archive.example.org")
    if parts.path not in ("", "/"):
        raise BadEnvironment(f"environment variable {PUBLIC_URL_ENV} is {value!r}: it must be the scheme and host "
                           f"alone, such as {parts.scheme}://{parts.netloc}, since the archive is served at the "
                           "root of its host, not under a path")


def public_origin(environ) -> tuple[str, bytes] | None:
    """GOVARCHIVE_PUBLIC_URL's scheme, and its host (with its port) as a Host header holds it;
    None when it is unset or no address (which serve and demo refuse before serving). Its path,
    if any, is no part of it: the archive is served at the root of its host."""
    parts = urlsplit(environ.get(PUBLIC_URL_ENV, "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    try:
        return parts.scheme, parts.netloc.rpartition("@")[2].encode("idna")
    except UnicodeError:  # a name DNS could not hold (an empty or overlong label)
        return None


def make_datasette(db_path: str | Path, *, search_limit: int | None = None, **settings) -> Datasette:
    """A Datasette instance serving ``db_path`` read-only with the archive's configuration.

    ``search_limit`` overrides how many matches a search counts and ranks before it reports
    "more than" (metadata.yml's ``plugins.govarchive.search_limit``).
    """
    path = check_archive(db_path)
    metadata = load_metadata(path.stem)
    if search_limit is not None:
        metadata.setdefault("plugins", {}).setdefault("govarchive", {})["search_limit"] = search_limit
    # Where nothing can change the file, datasette must read it as immutable: its usual mode=ro
    # needs a -shm file it cannot make there.
    where = "immutables" if nothing_can_change(path) else "files"
    _register_plugins()
    datasette = Datasette(
        **{where: [str(path)]},
        metadata=metadata,
        settings={**SETTINGS, **settings},
        template_dir=str(HERE / "templates"),
        static_mounts=[("govarchive-static", str(HERE / "static"))],
    )
    (name,) = [name for name, db in datasette.databases.items() if db.path == str(path)]
    datasette.remove_database(name)
    datasette.add_database(_ArchiveDatabase(datasette, str(path), is_mutable=where == "files"), name=name)
    return datasette


class _ArchiveDatabase(Database):
    """datasette's Database with the file's path percent-encoded in the SQLite URI it opens:
    datasette writes the path in as it is, where a '?', '#' or '%' is URI syntax ("x%41.db"
    was served from "xA.db", another archive)."""

    def connect(self, write=False):
        query = "" if write else "mode=ro" if self.is_mutable else "immutable=1"
        conn = sqlite3.connect(sqlite_uri(self.path, query), uri=True, check_same_thread=False)
        self._all_file_connections.append(conn)
        return conn


# uvicorn's own backlog (its Config's default): asyncio listens again with it, which changes nothing.
BACKLOG = 2048


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host`` and ``port``, for serve(); ArchiveError naming them if it cannot be.

    Taken before the server starts, so that a port in use or a host that is not this machine's
    is said in one line, not in uvicorn's log after the server said where it was serving. And
    listening already: a client told the address connects at once, before the server has started
    (it is answered once the server has), rather than being refused.
    """
    # As uvicorn binds: IPv6 for an address with colons, and the address reusable at once.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ArchiveError(f"port {port} on {host} is in use: pick another with --port") from None
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            raise ArchiveError(f"cannot listen on {host}: {exc.strerror}; --host takes an address or name "
                               "of this machine") from None
        raise ArchiveError(f"cannot listen on port {port} on {host}: {exc.strerror}") from None
    return sock


def keep_templates(ds: Datasette) -> None:
    """Read the archive's templates once, as the server starts, and never again: code upgraded
    under a running server must not send it templates written for plugins it has not loaded
    (a filter only the new code defines is a 500 on every page using it). Its filters are
    registered at start-up, which has to come first."""
    asyncio.run(ds.invoke_startup())
    ds.jinja_env.auto_reload = False
    for template in sorted((HERE / "templates").glob("*.html")):
        ds.jinja_env.get_template(template.name)


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001, search_limit: int | None = None,
          sock: socket.socket | None = None) -> None:
    """Serve until stopped, on ``sock`` (from listen()) or else on ``host`` and ``port``."""
    import uvicorn

    ds = make_datasette(db_path, search_limit=search_limit)
    keep_templates(ds)
    sock = sock or listen(host, port)
    uvicorn.Server(uvicorn.Config(ds.app(), log_level="info", lifespan="on", backlog=BACKLOG)).run(sockets=[sock])
