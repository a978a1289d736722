"""Scrapy settings for govarchive: polite defaults for crawling government portals.

Components read their own ARCHIVE_* settings; the runner overrides per source what
sources.toml sets (delay, concurrency).
"""

import os

BOT_NAME = "govarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

CONTACT_URL = os.environ.get("GOVARCHIVE_CONTACT", "https://github.com/govarchive/govarchive")
USER_AGENT = f"govarchive/0.1 (+{CONTACT_URL}; archive of Vietnamese government communications)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
# Error pages are archived as fetches too, so the spider sees every status.
HTTPERROR_ALLOW_ALL = True
DNS_TIMEOUT = 15

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# Next to the downloader, so WARC records hold responses as received (before decompression,
# redirects and retries).
DOWNLOADER_MIDDLEWARES = {"crawler.warc_capture.WarcCaptureMiddleware": 950}

# Where the archive lives; the pipeline is off (NotConfigured) without ARCHIVE_DB.
ARCHIVE_DB = os.environ.get("ARCHIVE_DB")
ARCHIVE_SOURCES = os.environ.get("ARCHIVE_SOURCES", "sources.toml")
ARCHIVE_MAX_PAGES = None
# Extraction processes: unset = one per core, 0 = in the crawler process itself.
ARCHIVE_EXTRACT_WORKERS = os.environ.get("GOVARCHIVE_EXTRACT_WORKERS")
ARCHIVE_WARC_ENABLED = True
ARCHIVE_WARC_DIR = os.environ.get("ARCHIVE_WARC_DIR")  # default: "<db name>-warc/" beside the db
ARCHIVE_WARC_MAX_SIZE = 1024**3
ARCHIVE_WARC_GZIP_LEVEL = 6
