"""The crawler process's collector settings (crawler/gc_tuning.py)."""

import gc

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import gc_tuning, settings as project_settings
from crawler.gc_tuning import GcTuning
from crawler.spiders.source import SourceSpider


@pytest.fixture
def collector():
    threshold = gc.get_threshold()
    # Python 3.12.1 starts with objects of its own frozen (375 tuples); 3.11 and 3.13 with none.
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc_tuning._frozen = False


def started(settings):
    crawler = get_crawler(SourceSpider, settings)
    extension = GcTuning.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.engine_started)
    return extension


def test_the_crawl_enables_it_with_a_raised_threshold():
    assert project_settings.EXTENSIONS == {"crawler.gc_tuning.GcTuning": 0}
    assert project_settings.ARCHIVE_GC_THRESHOLD > 700


def test_start_up_objects_are_frozen_once_and_the_threshold_is_raised(collector):
    assert gc.get_freeze_count() == 0
    started({"ARCHIVE_GC_THRESHOLD": 20000})
    assert gc.get_threshold()[0] == 20000
    frozen = gc.get_freeze_count()
    assert frozen > 1000
    # A second crawl in the same process must not freeze what the first one left to collect.
    # (Frozen objects that die leave the permanent generation: the count may fall, as threads
    # of earlier tests free theirs, but never grow by the 5,000 lists made meanwhile.)
    garbage = [[] for _ in range(5000)]
    started({"ARCHIVE_GC_THRESHOLD": 20000})
    assert gc.get_freeze_count() <= frozen
    del garbage


def test_zero_leaves_pythons_collector_alone_and_a_negative_value_is_refused(collector):
    before = gc.get_threshold()
    with pytest.raises(NotConfigured):
        started({"ARCHIVE_GC_THRESHOLD": 0})
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(ValueError, match="ARCHIVE_GC_THRESHOLD must be >= 0 \\(is -5\\)"):
        started({"ARCHIVE_GC_THRESHOLD": -5})
