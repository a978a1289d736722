"""Scrapy settings for govarchive: polite defaults for crawling government portals.

Components read their own ARCHIVE_* settings; the runner overrides per source what
sources.toml sets (delay, concurrency).
"""

import os

BOT_NAME = "govarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# WARC 1.1's warcinfo `operator`: who ran the crawl and how to reach them, which the project's
# default page is not; left out of the WARC files when GOVARCHIVE_CONTACT is unset. An empty
# GOVARCHIVE_CONTACT is unset, as the crawl's warning about it takes it.
ARCHIVE_WARC_OPERATOR = os.environ.get("GOVARCHIVE_CONTACT") or None
CONTACT_URL = ARCHIVE_WARC_OPERATOR or "https://github.com/govarchive/govarchive"
USER_AGENT = f"govarchive/0.1 (+{CONTACT_URL}; archive of Vietnamese government communications)"
ROBOTSTXT_OBEY = True
# Scrapy's default asks for English; a portal that picks its language variant from the request
# (SharePoint variations, some CMS home pages) must serve the Vietnamese pages this archive keeps.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5",
    # The WARC keeps bodies as sent, so only codings the common WARC tools undo are asked for.
    # Scrapy also asks for zstd, which warcio (hence pywb) and ReplayWeb.page's wabac.js cannot
    # undo, and br, which warcio's check and readers fail on with the brotli module this
    # project installs (they expect brotlipy's decompressor). govarchive reads both back if a
    # server sends them unasked.
    "Accept-Encoding": "gzip, deflate",
}

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Seconds for a whole response, headers to last byte: a server that trickles bytes is cut off too.
# The tests' fault server sets it low through the environment.
DOWNLOAD_TIMEOUT = float(os.environ.get("GOVARCHIVE_DOWNLOAD_TIMEOUT") or 30)
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
# Longest Retry-After (429, 503) waited for before retrying; a longer one is not retried.
ARCHIVE_RETRY_AFTER_MAX = 60
# Listing pages followed from each start page: the end of a pagination or calendar trap that
# links to a new page forever. Full back-catalogues come from sitemaps.
DEPTH_LIMIT = 500
# Error pages are archived as fetches too, so the spider sees every status.
HTTPERROR_ALLOW_ALL = True
# robots.txt's Crawl-delay is obeyed (crawler/robots.py) up to this many seconds between requests.
ARCHIVE_ROBOTS_MAX_DELAY = 60.0
DNS_TIMEOUT = 15

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts an HTTP server in every crawl that runs Python code sent to it (token in a
# file under the user's profile); an archive's crawls are not to be driven that way.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# With the offset, as the scheduler's own lines: its log interleaves both, and the machine's
# clock may keep another zone than the Hà Nội times the messages name.
LOG_DATEFORMAT = "%Y-%m-%d %H:%M:%S%z"
LOGSTATS_INTERVAL = 30.0

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Collections of the youngest generation wait for this many new container objects (Python's
# default: 700), and start-up objects are left out of the scans (crawler/gc_tuning.py); 0 leaves
# Python's collector as it is.
ARCHIVE_GC_THRESHOLD = 20000
EXTENSIONS = {"crawler.gc_tuning.GcTuning": 0}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    # Next to the downloader, so WARC records hold responses as received (before decompression,
    # redirects and retries).
    "crawler.warc_capture.WarcCaptureMiddleware": 950,
    # Scrapy's robots.txt check, fixed for requests that arrive while robots.txt is loading.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxtMiddleware": 100,
    # Scrapy's own, except that what they would drop silently becomes a recorded fetch error.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.refusals.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.refusals.HttpCompressionMiddleware": 590,
    # Between decompression and the first reader of response.text.
    "crawler.charsets.UsableCharsetMiddleware": 585,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.refusals.MetaRefreshMiddleware": 580,
    # Just before RetryMiddleware (550) on the way back from the downloader.
    "crawler.retry_after.RetryAfterMiddleware": 560,
}
# Scrapy's disk queue, naming callbacks without searching the spider (crawler/queues.py).
SCHEDULER_DISK_QUEUE = "crawler.queues.PickleLifoDiskQueue"
# Outermost, so it records exactly the requests that reach the scheduler.
SPIDER_MIDDLEWARES = {"crawler.frontier.FrontierMiddleware": 10}
# Requests recorded in the frontier per transaction. A callback's output is held at most this
# many requests at a time, so a 50,000-URL sitemap never has all its requests alive at once.
ARCHIVE_FRONTIER_BATCH = 500

# Scrapy starts this many tasks for every response, whatever it yields (scrapy.utils.asyncio):
# at the default of 100 that was 235,000 tasks in a 2,349-page crawl. A page yields one item,
# and a sitemap's requests are queued without waiting, so a few are plenty.
CONCURRENT_ITEMS = 8
# Scrapy checks the source of every generator callback for a ``return value`` on every response:
# its cache is keyed by the bound method, which is new each time, so it parses the callback's
# source again (0.07 ms an article page, 0.65 ms a listing page). tests/test_crawl.py makes the
# same check once, over every callback of the spider.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Where the archive lives; the pipeline is off (NotConfigured) without ARCHIVE_DB.
ARCHIVE_DB = os.environ.get("ARCHIVE_DB")
ARCHIVE_SOURCES = os.environ.get("ARCHIVE_SOURCES", "sources.toml")
ARCHIVE_MAX_PAGES = None
# Archived articles each crawl asks for again (conditionally) when its sitemaps, feeds and
# listings did not lead to them, those asked for longest ago first: a page removed, moved or
# edited after it left the listings is otherwise never seen to. Successive crawls go round the
# whole archive; within --max-pages; 0: none. A source's discovery.recheck overrides it.
ARCHIVE_RECHECK_PER_CRAWL = 50
# Extraction processes: unset = one per core, 0 = in the crawler process itself.
ARCHIVE_EXTRACT_WORKERS = os.environ.get("GOVARCHIVE_EXTRACT_WORKERS")
# Items stored per transaction, and the longest an item waits for its transaction. A commit
# costs about 3 ms of CPU (both search indexes flush their new terms, the WARC file is synced):
# at 0.25 s a crawl of three sources committed every 5 to 10 articles.
ARCHIVE_WRITE_BATCH = 64
ARCHIVE_WRITE_INTERVAL = 1.0
ARCHIVE_WARC_ENABLED = True
ARCHIVE_WARC_DIR = os.environ.get("ARCHIVE_WARC_DIR")  # default: "<db name>-warc/" beside the db
ARCHIVE_WARC_MAX_SIZE = 1024**3
ARCHIVE_WARC_GZIP_LEVEL = 6
