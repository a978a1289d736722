"""sources.toml validation: every problem is one line naming the source and the field."""

import re

import pytest

from archive.sources import SourcesError, load_sources, parse_sources, select
from tests.conftest import ROOT

GOOD = """
[[source]]
id = "demo-portal"
name = "Cổng thông tin"
kind = "province-portal"
home = "https://hanoi.gov.vn/"
allowed_domains = ["hanoi.gov.vn"]
article_pattern = '^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$'
schedule = "0 */6 * * *"

[source.discovery]
sitemaps = ["https://hanoi.gov.vn/sitemap.xml"]
[[source.discovery.listings]]
url = "https://hanoi.gov.vn/tin-tuc"
next = "a.next"

[source.politeness]
delay = 2
concurrency = 2
"""


def test_good_file_parses():
    (source,) = parse_sources(GOOD)
    assert source.id == "demo-portal"
    assert source.delay == 2.0 and source.concurrency == 2
    assert source.is_article("https://hanoi.gov.vn/tin-tuc/ha-noi-ra-mat-123.htm")
    assert not source.is_article("https://hanoi.gov.vn/tin-tuc")
    assert source.listings[0].next == "a.next"
    assert source.start_urls() == ["https://hanoi.gov.vn/sitemap.xml", "https://hanoi.gov.vn/tin-tuc"]


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('kind = "province-portal"', 'kind = "blog"', "source 'demo-portal': field 'kind'"),
        ('schedule = "0 */6 * * *"', 'schedule = "every day"', "source 'demo-portal': field 'schedule'"),
        ('schedule = "0 */6 * * *"', 'schedule = 6', "source 'demo-portal': field 'schedule'"),
        ('schedule = "0 */6 * * *"', 'schedule = "0 0 31 2 *"',
         "source 'demo-portal': field 'schedule': cron expression '0 0 31 2 *' never fires"),
        ('schedule = "0 */6 * * *"', 'schedule = "0 0 30 2 *"',
         "source 'demo-portal': field 'schedule': cron expression '0 0 30 2 *' never fires"),
        ("article_pattern = '^https", "article_pattern = '(^https", "source 'demo-portal': field 'article_pattern'"),
        ('id = "demo-portal"', 'id = "Demo Portal"', "source #1: field 'id'"),
        ('id = "demo-portal"', f'id = "{"a" * 65}"', "source #1: field 'id': must be 1 to 64 "),
        ('id = "demo-portal"', f'id = "{"a" * 300}"', "source #1: field 'id'"),
        ('id = "demo-portal"', 'id = ""', "source #1: field 'id'"),
        ('name = "Cổng thông tin"\n', 'name = "Cổng"\ncolour = "red"\n', "source 'demo-portal': field 'colour': unknown key"),
        ('sitemaps = ["https://hanoi.gov.vn/sitemap.xml"]', 'sitemaps = ["https://evil.example/sitemap.xml"]',
         "source 'demo-portal': field 'discovery.sitemaps'"),
        ('home = "https://hanoi.gov.vn/"', 'home = "hanoi.gov.vn"', "source 'demo-portal': field 'home'"),
        ('next = "a.next"', 'next = "a..next["', "field 'discovery.listings[1].next'"),
        ('next = "a.next"', 'page_url = "https://hanoi.gov.vn/tin-tuc/trang-2"', "field 'discovery.listings[1].page_url'"),
        ("delay = 2", 'delay = "slow"', "field 'politeness.delay'"),
        ("concurrency = 2", "concurrency = 0", "field 'politeness.concurrency'"),
        ('allowed_domains = ["hanoi.gov.vn"]', "allowed_domains = []", "field 'allowed_domains'"),
        ('allowed_domains = ["hanoi.gov.vn"]', 'allowed_domains = ["hanoi.gov.vn:8443"]',
         "field 'allowed_domains': 'hanoi.gov.vn:8443': a host name has no port (write 'hanoi.gov.vn')"),
        ('schedule = "0 */6 * * *"', 'schedule = "0 25 * * *"', "cron expression '0 25 * * *' (hour '25' is not 0-23)"),
        ('schedule = "0 */6 * * *"', 'schedule = "*/0 * * * *"', "(minute '*/0' is not 0-59)"),
        ('schedule = "0 */6 * * *"', 'schedule = "0 0 * 13 *"', "(month '13' is not 1-12 or jan-dec)"),
        ('schedule = "0 */6 * * *"', 'schedule = "0 0 * * *  *"', "(5 fields: minute hour day month weekday)"),
        ('schedule = "0 */6 * * *"', 'schedule = "5-1 * * * *"', "cron expression '5-1 * * * *': minute range 5-1 runs backwards"),
        ('allowed_domains = ["hanoi.gov.vn"]', 'allowed_domains = ["[::1]:80"]', "'[::1]:80': a host name has no port"),
        ('name = "Cổng thông tin"\n', "", "field 'name': missing"),
    ],
)
def test_bad_field_is_named(old, new, message):
    assert old in GOOD
    with pytest.raises(SourcesError) as info:
        parse_sources(GOOD.replace(old, new, 1), "x.toml")
    text = str(info.value)
    assert message in text
    assert text.startswith("x.toml: ")
    assert "\n" not in text


PATTERN = "article_pattern = '^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$'"


@pytest.mark.parametrize(
    "pattern, old, new, where",
    [
        (r"'^https://hanoi\.gov\.vn/'", "", "", "home 'https://hanoi.gov.vn/'"),
        (r"'/tin-tuc'", "", "", "discovery.listings[1].url 'https://hanoi.gov.vn/tin-tuc'"),
        (r"'\.xml$'", "", "", "discovery.sitemaps 'https://hanoi.gov.vn/sitemap.xml'"),
        (r"'/rss/'", "[source.discovery]\n", '[source.discovery]\nfeeds = ["https://hanoi.gov.vn/rss/tin-tuc.rss"]\n',
         "discovery.feeds 'https://hanoi.gov.vn/rss/tin-tuc.rss'"),
        # The pattern of the README's example, and a page_url whose pages look like articles to it.
        (None, 'next = "a.next"', 'page_url = "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm"',
         "discovery.listings[1].page_url 'https://hanoi.gov.vn/tin-tuc/trang-2.htm'"),
        # The crawler matches canonical URLs, in the home page's scheme and without tracking parameters.
        (r"'^https://hanoi\.gov\.vn/tin-tuc$'", 'url = "https://hanoi.gov.vn/tin-tuc"',
         'url = "http://hanoi.gov.vn/tin-tuc?utm_source=menu"',
         "discovery.listings[1].url 'http://hanoi.gov.vn/tin-tuc?utm_source=menu'"),
    ],
)
def test_an_article_pattern_that_matches_a_discovery_url_is_refused(pattern, old, new, where):
    assert PATTERN in GOOD and old in GOOD
    text = GOOD.replace(old, new, 1) if old else GOOD
    if pattern:
        text = text.replace(PATTERN, f"article_pattern = {pattern}")
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    assert str(info.value) == (
        f"x.toml: source 'demo-portal': field 'article_pattern': matches {where}, which would be stored as an article "
        "(line 8; the source starts at line 2)"
    )


def test_rare_schedules_are_accepted():
    for schedule in ("0 0 29 2 *", "0 0 L 2 *", "0 0 31 2 1"):
        (source,) = parse_sources(GOOD.replace('schedule = "0 */6 * * *"', f'schedule = "{schedule}"'))
        assert source.schedule == schedule


def test_longest_id_is_accepted():
    (source,) = parse_sources(GOOD.replace('id = "demo-portal"', f'id = "{"a" * 64}"'))
    assert source.id == "a" * 64


def test_duplicate_id_and_bad_toml():
    with pytest.raises(SourcesError, match="source 'demo-portal': field 'id': duplicate id: source #1 "):
        parse_sources(GOOD + GOOD)
    with pytest.raises(SourcesError, match="not valid TOML"):
        parse_sources("[[source]\nid=")
    with pytest.raises(SourcesError, match="no \\[\\[source\\]\\] entries"):
        parse_sources("")


def test_discovery_is_required():
    text = re.sub(r"\[source\.discovery\].*?next = \"a.next\"\n", "", GOOD, flags=re.S)
    with pytest.raises(SourcesError, match="field 'discovery': needs at least one"):
        parse_sources(text)


def test_missing_file(tmp_path):
    with pytest.raises(SourcesError, match="file not found"):
        load_sources(tmp_path / "nope.toml")


def test_file_must_be_utf8_and_may_start_with_a_bom(tmp_path):
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(GOOD.encode("utf-8").replace("Cổng thông tin".encode("utf-8"), "Công".encode("latin-1")))
    offset = latin1.read_bytes().index(b"C\xf4ng") + 1
    with pytest.raises(SourcesError) as info:
        load_sources(latin1)
    assert str(info.value) == f"{latin1}: not UTF-8 text (byte 0xf4 at offset {offset}); save the file as UTF-8"
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    (source,) = load_sources(bom)
    assert source.id == "demo-portal" and source.name == "Cổng thông tin"


def test_select_unknown_id():
    sources = parse_sources(GOOD)
    with pytest.raises(SourcesError, match="unknown source id 'nope'"):
        select(sources, ["nope"])


def test_select_names_each_source_once():
    sources = parse_sources(GOOD + GOOD.replace("demo-portal", "other-portal"))
    assert [s.id for s in select(sources, ["other-portal", "demo-portal", "other-portal"])] == [
        "other-portal", "demo-portal",
    ]


def test_project_sources_file_is_valid():
    sources = load_sources(ROOT / "sources.toml")
    assert len(sources) >= 10
    kinds = {s.kind for s in sources}
    assert {"press", "province-portal"} <= kinds
    for source in sources:
        assert source.delay is None or source.delay >= 1.0, source.id
        for url in source.start_urls():
            assert not source.is_article(url), (source.id, url)
