"""The bundled sample site: three Vietnamese CMS templates served on 127.0.0.1.

Tests, ``govarchive demo`` and the benchmarks crawl it instead of the real sources::

    with SampleSite(extra_articles=0, seed=0) as site:
        site.base_urls, site.sources_toml(), site.expected_article_urls()
"""

from archive.samplesite.content import ArticleError, load_articles
from archive.samplesite.server import SampleSite

__all__ = ["ArticleError", "SampleSite", "load_articles"]
