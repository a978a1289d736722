"""Run crawls of one or more sources in one Scrapy process: ``python -m crawler --help``.

``govarchive crawl`` starts this as a subprocess, because Twisted's reactor cannot be restarted
inside one process and a crawl should not take the caller down with it.
"""

from __future__ import annotations

import argparse
import os
import sys

from archive.sources import SourcesError, load_sources, select


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("source_ids", nargs="*", metavar="SOURCE_ID")
    parser.add_argument("--all", action="store_true", help="crawl every source in the file")
    parser.add_argument("--sources", default="sources.toml", help="sources file (default: sources.toml)")
    parser.add_argument("--db", required=True, help="archive database to write")
    parser.add_argument("--max-pages", type=int, default=None, help="at most N requests per source")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    try:
        sources = load_sources(args.sources)
        chosen = sources if args.all or not args.source_ids else select(sources, args.source_ids)
    except SourcesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.source import SourceSpider

    base = get_project_settings()
    base.set("ARCHIVE_DB", args.db)
    base.set("ARCHIVE_SOURCES", args.sources)
    base.set("LOG_LEVEL", args.log_level.upper())
    process = CrawlerProcess(base)
    for source in chosen:
        settings = base.copy()
        if source.delay is not None:
            settings.set("DOWNLOAD_DELAY", source.delay)
            settings.set("AUTOTHROTTLE_START_DELAY", max(source.delay, 0.0))
        if source.concurrency is not None:
            settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", source.concurrency)
            settings.set("AUTOTHROTTLE_TARGET_CONCURRENCY", float(source.concurrency))
        process.crawl(Crawler(SourceSpider, settings), source=source, max_pages=args.max_pages)
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
