"""Serving the archive with datasette, with the archive's own metadata and plugins."""

from __future__ import annotations

from pathlib import Path

import yaml
from datasette.app import Datasette

from archive.db import check_archive
from archive.search import FILTERS_COLUMN, SEARCH_LIMIT

FOLDED_INDEX = "articles_fold"
# The migration since which the filters column also holds channel, agency and document words.
LIST_WORDS_MIGRATION = "m012_channel_agency_and_document_filter_words"

HERE = Path(__file__).parent / "datasette"

SETTINGS = {
    # A slow query must not tie up a public archive.
    "sql_time_limit_ms": 3000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,
    "suggest_facets": False,
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


def make_datasette(db_path: str | Path, *, search_limit: int | None = None, **settings) -> Datasette:
    """A Datasette instance serving ``db_path`` read-only with the archive's configuration.

    ``search_limit`` overrides how many matches a search counts and ranks before it reports
    "more than" (metadata.yml's ``plugins.govarchive.search_limit``).
    """
    path = check_archive(db_path)
    metadata = load_metadata(path.stem)
    if search_limit is not None:
        metadata.setdefault("plugins", {}).setdefault("govarchive", {})["search_limit"] = search_limit
    return Datasette(
        [str(path)],
        metadata=metadata,
        settings={**SETTINGS, **settings},
        plugins_dir=str(HERE / "plugins"),
        template_dir=str(HERE / "templates"),
        static_mounts=[("govarchive-static", str(HERE / "static"))],
    )


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001, search_limit: int | None = None) -> None:
    import uvicorn

    ds = make_datasette(db_path, search_limit=search_limit)
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on")
