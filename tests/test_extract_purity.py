"""Extraction is a function of what the archive keeps: the same bytes, headers and capture time
give the same record on any day and on any machine, so that `govarchive reextract` finds an
article changed only when its reading did."""

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import htmldate.validators
import pytest
import trafilatura.settings

import archive.vietnamese
from archive.db import open_db
from archive.extract import extract
from archive.reextract import reextract
from tests.conftest import crawl_into, query
from tests.test_variants import write_sources

# The clocks extraction could read: ours, htmldate's (its latest plausible date), trafilatura's.
CLOCKED = (archive.vietnamese, htmldate.validators, trafilatura.settings)
EARLY = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
LATE = dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.timezone.utc)

PARAGRAPH = ("Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác chuyển đổi số với sự tham dự "
             "của đại diện các sở, ban, ngành và địa phương trong tỉnh. ") * 3
HTML = "text/html; charset=utf-8"
SEEN = "Mon, 02 Dec 2030 08:00:00 GMT"
SEEN_ISO = "2030-12-02T08:00:00.000+00:00"


class _Clock(type):
    # Real datetimes are still datetimes to the code whose clock is set (htmldate checks
    # isinstance(max_date, datetime)).
    def __instancecheck__(cls, obj):
        return isinstance(obj, dt.datetime)


def set_clocks(monkeypatch, when: dt.datetime) -> None:
    """Make every clock extraction could read say ``when``."""

    class Frozen(dt.datetime, metaclass=_Clock):
        @classmethod
        def now(cls, tz=None):
            return when.astimezone(tz) if tz else when.astimezone().replace(tzinfo=None)

    for module in CLOCKED:
        monkeypatch.setattr(module, "datetime", Frozen)


def extract_on(when: dt.datetime, *args, **kwargs) -> dict:
    """extract(*args, **kwargs) with every clock saying ``when``."""
    with pytest.MonkeyPatch.context() as patch:
        set_clocks(patch, when)
        return extract(*args, **kwargs)


def page(*lines: str, head: str = "") -> bytes:
    """An article: a headline, the prose, and ``lines`` between its paragraphs."""
    middle = "".join(f"<p>{line}</p>" for line in lines)
    return (f"<html><head><title>Hội nghị</title>{head}</head><body><article><h1>Hội nghị chuyển đổi số</h1>"
            f"<p>{PARAGRAPH}</p>{middle}<p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></article></body></html>").encode()


# Dated after the page was seen (2 December 2030), and before the later clock.
LATER_LINES = ("20/12/2030 09:00", "Cập nhật 20/12/2030 09:00")


@pytest.mark.parametrize("line", LATER_LINES)
def test_a_page_with_a_date_header_reads_alike_on_any_day(line):
    body, headers = page(line), {"Content-Type": HTML, "Date": SEEN}
    early = extract_on(EARLY, body, "http://127.0.0.1/a.html", headers)
    assert extract_on(LATE, body, "http://127.0.0.1/a.html", headers) == early
    # A date weeks after the page was seen is none of its stamps: it stays in the text.
    assert line in early["text"]


@pytest.mark.parametrize("line", LATER_LINES)
def test_a_page_without_a_date_header_reads_alike_by_its_capture_time(line):
    body = page(line)
    early = extract_on(EARLY, body, "http://127.0.0.1/a.html", {"Content-Type": HTML}, captured_at=SEEN_ISO)
    late = extract_on(LATE, body, "http://127.0.0.1/a.html", {"Content-Type": HTML},
                      captured_at=dt.datetime(2030, 12, 2, 15, 0, tzinfo=archive.vietnamese.VN_TZ))
    assert late == early
    # The capture's time stands where the Date header would.
    assert early == extract_on(EARLY, body, "http://127.0.0.1/a.html", {"Content-Type": HTML, "Date": SEEN})


def test_a_date_only_htmldate_finds_reads_alike_on_any_day():
    """htmldate bounds the dates it finds by the end of today unless told otherwise."""
    url = "http://127.0.0.1/tin-tuc/2030/12/20/hoi-nghi.html"
    headers = {"Content-Type": HTML, "Date": "Wed, 25 Dec 2030 08:00:00 GMT"}
    early = extract_on(EARLY, page(), url, headers)
    assert early == extract_on(LATE, page(), url, headers)
    assert early["published"] == "2030-12-20"


def test_a_page_with_no_time_it_was_seen_reads_alike_on_any_day():
    """Without a Date header or a capture time, no date is refused for being after today."""
    body = page(*LATER_LINES)
    early = extract_on(EARLY, body, "http://127.0.0.1/a.html", {"Content-Type": HTML})
    assert extract_on(LATE, body, "http://127.0.0.1/a.html", {"Content-Type": HTML}) == early
    # Read as dates, so as the stamps they are.
    assert not any(line in early["text"] for line in LATER_LINES)


def test_without_a_time_it_was_seen_only_a_date_past_the_horizon_is_refused():
    line = "<p class='date'>Thứ Sáu, 20/12/2204 09:00</p>"
    body = (f"<html><body><article><h1>Hội nghị</h1>{line}<p>{PARAGRAPH}</p></article></body></html>").encode()
    assert extract_on(EARLY, body, "http://127.0.0.1/a.html", {})["published"] is None
    assert extract_on(EARLY, body.replace(b"2204", b"2040"), "http://127.0.0.1/a.html", {})["published"] == (
        "2040-12-20T09:00:00+07:00")


def test_dates_found_without_a_reference_are_the_same_on_any_day(monkeypatch):
    text = "01/01/2040 | 12/12/99 12:00 | 20/12/2204 | Chiều 8/4"
    found = []
    for when in (EARLY, EARLY.replace(year=2045)):
        set_clocks(monkeypatch, when)
        found.append([(f.value.isoformat(), f.text) for f in archive.vietnamese.find_dates(text)])
    # A year-less date needs the time the page was seen; a year past the horizon is a slip.
    assert found == [[("2040-01-01T00:00:00+07:00", "01/01/2040"), ("2099-12-12T12:00:00+07:00", "12/12/99 12:00")]] * 2


def test_the_capture_time_gives_a_year_less_date_its_year():
    line = "<p class='date'>Chiều 8/4, 14:30</p>"
    body = (f"<html><body><article><h1>Hội nghị</h1>{line}<p>{PARAGRAPH}</p></article></body></html>").encode()
    captured = extract_on(EARLY, body, "http://127.0.0.1/a.html", {}, captured_at="2024-04-10T01:00:00+00:00")
    assert captured["published"] == "2024-04-08T14:30:00+07:00"
    assert extract_on(EARLY, body, "http://127.0.0.1/a.html", {})["published"] is None


def test_a_date_header_without_a_zone_is_read_alike_on_any_machine(monkeypatch):
    """An HTTP date with "-0000" parses naive: it is GMT, not the extracting machine's time."""
    # Seen at 06:30 on 3 December in Hà Nội: "3/12" is of that year, not of the year before.
    line = "<p class='date'>Sáng 3/12, 08:00</p>"
    body = f"<html><body><article><h1>Hội nghị</h1>{line}<p>{PARAGRAPH}</p></article></body></html>".encode()
    headers = {"Content-Type": HTML, "Date": "Mon, 02 Dec 2030 23:30:00 -0000"}
    records = []
    for zone in ("America/New_York", "Asia/Tokyo", "UTC"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        records.append(extract_on(EARLY, body, "http://127.0.0.1/a.html", headers))
    monkeypatch.undo()
    time.tzset()
    assert records[0] == records[1] == records[2]
    assert records[0]["published"] == "2030-12-03T08:00:00+07:00"


class _NoDate(BaseHTTPRequestHandler):
    """A site that sends no Date header: a listing and one article, whose text has an update
    line dated a few years after the crawl."""

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        later = dt.datetime.now(dt.timezone.utc).year + 2
        pages = {
            "/list": f'<html><body><a href="{base}/a/hoi-nghi.htm">Hội nghị</a></body></html>',
            "/a/hoi-nghi.htm": page(f"Cập nhật 20/12/{later} 09:00").decode(),
        }
        body = pages.get(self.path, "").encode()
        self.send_response_only(200 if body else 404)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def crawled_without_date(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoDate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        write_sources(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
        result = crawl_into(tmp_path, "--quiet")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        server.shutdown()
        server.server_close()
    return tmp_path


def test_a_crawl_and_a_later_reextraction_read_a_capture_alike(crawled_without_date, monkeypatch):
    """The crawl reads the page by the time it fetched it, and so does a re-extraction years
    later: it finds nothing to update."""
    (row,) = query(crawled_without_date, "select text from articles")
    # Dated years after the crawl: no stamp of the page, but the article's line.
    assert "Cập nhật 20/12/" in row["text"]
    set_clocks(monkeypatch, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5 * 366))
    path = crawled_without_date / "archive.db"
    db = open_db(path)
    try:
        assert reextract(db, path) == {"unchanged": 1}
    finally:
        db.close()


def test_a_server_clock_years_wrong_does_not_cost_the_page_its_dates():
    # The archive's own capture time, not the server's Date, bounds the page's dates: a Date of
    # 1970 made every date on the page "future" and the record lost its published date and its
    # documents' issue dates.
    from tests.conftest import ROOT

    body = (ROOT / "tests" / "golden" / "seed-003.html").read_bytes()
    url = "https://example.gov.vn/tin/seed-003.htm"
    captured = "2026-11-27T10:00:00+00:00"
    sane = extract(body, url, {"Content-Type": HTML, "Date": "Fri, 27 Nov 2026 10:00:00 GMT"}, captured_at=captured)
    wrong = extract(body, url, {"Content-Type": HTML, "Date": "Thu, 01 Jan 1970 00:00:00 GMT"}, captured_at=captured)
    assert sane["published"] and wrong["published"] == sane["published"]
    assert wrong["doc_refs"] == sane["doc_refs"]
