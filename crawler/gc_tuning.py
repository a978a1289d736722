"""Garbage-collector settings for the crawler process (``ARCHIVE_GC_THRESHOLD``).

A crawl allocates and drops container objects by the hundred per response (requests, responses,
Deferreds, items, parsed listing links), so at Python's default threshold of 700 the collector
ran about 300 times a thousand articles, and every older-generation pass walked the modules,
classes and functions that Scrapy, Twisted, lxml and sqlite-utils created at start-up: 0.3–0.4 ms
of CPU an article, 8 % of the crawler process (gc callbacks timed over 1,055-article crawls of
the sample site). Those start-up objects live as long as the process, so they are frozen out of
the collector's scans when the first engine starts, and young collections wait for more
allocations. Cycles are still collected, a little later; peak RSS grew by 20–50 MB in those
crawls.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured

# Several crawls share one process; the start-up objects are frozen once, by the first to start,
# so that a later crawl does not freeze the garbage of one already running.
_frozen = False


class GcTuning:
    def __init__(self, threshold: int):
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler):
        threshold = crawler.settings.getint("ARCHIVE_GC_THRESHOLD", 0)
        if threshold < 0:
            raise ValueError(f"ARCHIVE_GC_THRESHOLD must be >= 0 (is {threshold})")
        if threshold == 0:
            raise NotConfigured("ARCHIVE_GC_THRESHOLD is 0: Python's own collector settings")
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self):
        global _frozen
        if not _frozen:
            gc.collect()
            gc.freeze()
            _frozen = True
        gc.set_threshold(self.threshold)
