"""The reading room in a real browser: Playwright driving Debian's chromium against
``govarchive serve`` on 127.0.0.1.

Screenshots of every page go to test-artifacts/. The README's are of the demo archive, taken by
docs/take_screenshots.py (make screenshots).
"""

import csv
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.datasette.plugins.archive_downloads import MAX_REWRITTEN_PAGE
from archive.db import open_db
from archive.ingest import update_article
from test_datasette import add_capture, add_legacy_page
from test_reading_room import CHANGED_TITLE_START, HOSTILE_IMG, build_reading_archive

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

# CI installs chromium (make test); elsewhere, a machine without it skips instead of failing.
if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("needs Debian's chromium at /usr/bin/chromium (make test installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def reading_archive(crawled_archive, sample_site, tmp_path_factory):
    """The archive served, and the windows-1258 page added to it: (directory, that page's
    fetch id, an archived article it links to, that article's latest capture)."""
    directory = build_reading_archive(crawled_archive, tmp_path_factory.mktemp("browser"))
    return directory, *add_legacy_page(directory, sample_site)


@pytest.fixture(scope="module")
def server(reading_archive):
    directory = reading_archive[0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GOVARCHIVE_PASSWORD"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "serve", "--db", str(directory / "archive.db"),
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("govarchive serve did not start:\n" + process.stdout.read().decode())
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


# Words longer than a phone is wide, as archived text holds them: addresses and document numbers.
LONG_URL = "https://dichvucong.gov.vn/p/home/dvc-trang-chu-thu-tuc-hanh-chinh-truc-tuyen-toan-trinh.html"
LONG_SOCIAL = "https://www.facebook.com/thongtinchinhphu.baodientuchinhphu.nuoc.cong.hoa"
LONG_REF = "174/KH-UBND-VXNVCTTTTTTĐTHCCĐSHN/2024/QĐ-STTTTTTTTTTTTTTT"
ENGLISH_TITLE = "Prime Minister urges ministries to strengthen policy communication"


@pytest.fixture(scope="module")
def awkward(server, reading_archive):
    """Three articles of the served archive rewritten as a reader may meet them: ``long``, whose
    title, sapo, text, second version and other address hold words wider than a phone, and whose
    live page is gone; ``moved``, whose live page moved to such an address; ``english``, in
    English. They are the newest, so the home page lists them. Their ids, by those names."""
    directory, _, seeded, _ = reading_archive
    db = open_db(directory / "archive.db")
    spare = [row[0] for row in db.execute(
        "select id from articles where title not like ? and title not like '%alert(1)%' and cluster_id is null "
        "and url != ? order by id limit 3", [CHANGED_TITLE_START + "%", seeded])]
    ids = dict(zip(("long", "moved", "english"), spare))
    with db.conn:
        for n, number in enumerate(spare):
            update_article(db, number, {"published": f"2031-01-0{n + 1}T08:00:00+07:00"})
        update_article(db, ids["long"], {
            "title": f"Kế hoạch {LONG_REF}", "description": f"Tra cứu tại {LONG_URL}",
            "text": f"Người dân nộp hồ sơ tại {LONG_URL} hoặc theo dõi {LONG_SOCIAL}.\nĐoạn thứ hai.",
            "tags": json.dumps([LONG_SOCIAL])})
        # A table wider than a printed page: eight columns, the last a long address.
        update_article(db, ids["moved"], {"text": "Danh sách các xã đã triển khai.\n"
                       "| Xã | Huyện | Tổ công nghệ số | Tài khoản | Hồ sơ | Tỉ lệ | Kênh | Ghi chú |\n"
                       "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
                       f"| Tân Minh | Đà Bắc | 12 | 214 | 1.498 | 87,5% | Zalo OA | {LONG_URL} |"})
        update_article(db, ids["english"], {"title": ENGLISH_TITLE, "language": "en",
                                            "description": "The Prime Minister asked ministries to explain policy."})
        db.execute(
            "insert into article_versions (article_id, version, title, text, captured_at) "
            "select id, 2, title, text || ' Bổ sung ' || ?, '2031-01-05T08:00:00+07:00' from articles where id = ?",
            [LONG_REF, ids["long"]])
        db.execute(
            "insert into article_urls (url, article_id, first_seen, last_seen) values (?, ?, ?, ?)",
            [LONG_URL + "?print=1", ids["long"], "2031-01-01T01:00:00+00:00", "2031-01-01T01:00:00+00:00"])
        # The archive asked the live pages again: one is gone, the other has moved.
        for name, status, response_url in (("long", 404, None), ("moved", 200, LONG_URL + "?moved=1")):
            db.execute(
                "insert into fetches (url, requested_url, kind, status, fetched_at, response_url) "
                "select url, url, 'article', ?, '2031-11-27T06:40:00+00:00', ? from articles where id = ?",
                [status, response_url, ids[name]])
    db.close()
    return ids


# Any request to a host other than this machine's: the pages hold public addresses (LONG_URL, an
# archived page's links and images), and no test may reach one.
PUBLIC = re.compile(r"^(?:https?|wss?)://(?!(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")


@pytest.fixture(scope="module")
def browser():
    """Chromium, each of whose contexts refuses every public host: the requests tried are
    recorded, and the module fails if there was one."""
    tried = []

    def refuse(route):
        tried.append(route.request.url)
        route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def offline_context(**options):
            context = new_context(**options)
            context.route(PUBLIC, refuse)
            return context

        browser.new_context = offline_context
        yield browser
        browser.close()
    assert tried == [], f"the pages asked for public hosts: {tried}"


@pytest.fixture
def page(browser):
    """A page that records every dialog: an archived script that ran would open one."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    assert page.dialogs == [], f"a script ran: {page.dialogs}"
    context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def result_count(page):
    return int(page.locator("#result-count").inner_text().replace("\u202f", ""))


def test_home_search_without_accents_facet_and_chart(server, page):
    page.goto(server + "/")
    expect(page.locator("h1")).to_contain_text("Lưu trữ truyền thông chính phủ")
    expect(page.locator("table.sources tbody tr")).to_have_count(4)
    screenshot(page, "home")

    page.fill("input[name=q]", "bo noi vu")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/-/search?q=bo+noi+vu**")
    first = page.locator("ol.results li h3 a").first
    expect(first).to_contain_text("Bộ Nội vụ")
    expect(page.locator("ol.results li h3 mark").first).to_have_text("Bộ")

    page.goto(server + "/-/search?q=zalo")
    total = result_count(page)
    bars = page.locator("svg.chart rect.bar")
    assert bars.count() >= 1
    assert bars.first.bounding_box()["height"] > 0
    screenshot(page, "search")

    facet = page.locator('[data-facet="source"] li a').first
    expected = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url("**source=**")
    assert result_count(page) == expected < total
    expect(page.locator(".active-filters .chip")).to_have_count(1)
    # The chip and the selected facet are named for what they do, without the ✕.
    expect(page.get_by_role("link", name=re.compile(r"^Bỏ lọc \/ Remove filter: Nguồn \/ Source: [^✕]+$"))).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile(r"^Bỏ lọc \/ Remove filter: [^✕]+ \d+$"))).to_have_count(1)
    screenshot(page, "search-facet")


@pytest.mark.parametrize("width", [1280, 320])
def test_a_facet_s_count_stays_on_one_line(server, page, width):
    # A long facet label wraps; its count must not, or "12" reads as "1" over "2".
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(server + "/-/search?q=zalo")
    lines = page.eval_on_selector_all(".facets li a .count", """counts => counts.map(count => {
        const range = document.createRange();
        range.selectNodeContents(count);
        return [count.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size];
    })""")
    assert any(len(text) > 1 for text, _ in lines), lines
    assert all(rows == 1 for _, rows in lines), lines


def test_csv_download_has_every_result(server, page):
    page.goto(server + "/-/search?q=zalo")
    total = result_count(page)
    with page.expect_download() as info:
        page.click("a.download-csv")
    assert info.value.suggested_filename == "govarchive-search-zalo.csv"
    assert Path(info.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == total > 0
    assert all(row["title"] and row["archive_url"] for row in rows)
    with page.expect_download() as info:
        page.click("a.download-attention")
    numbers = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert sum(int(r["articles"]) for r in numbers) <= total and numbers


def test_article_page_and_diff(server, page):
    page.goto(server + "/-/search?q=" + CHANGED_TITLE_START)
    page.locator("ol.results li h3 a").first.click()
    page.wait_for_url("**/-/a/*")
    expect(page.locator("article h1")).to_contain_text(CHANGED_TITLE_START)
    assert page.locator("article .body p").count() >= 3
    expect(page.locator(".citation")).to_contain_text("Archived by govarchive on")
    expect(page.locator("section.refs, section.mentions").first).to_be_visible()
    screenshot(page, "article")

    page.locator("a.diff-link").first.click()
    page.wait_for_url("**/-/diff/*")
    expect(page.locator(".diff-text ins").first).to_be_visible()
    expect(page.locator(".diff-title ins")).to_contain_text("(cập nhật)")
    # A mark besides the colour, which forced colours take away.
    assert page.locator(".diff-text ins").first.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
    expect(page.locator(".diff-title ins .visually-hidden").first).to_have_css("position", "absolute")
    screenshot(page, "diff")


def test_an_earlier_version_is_read_and_cited_as_such(server, page):
    changed = page.request.get(server + "/-/results.json?q=" + CHANGED_TITLE_START).json()["results"][0]["id"]
    page.goto(f"{server}/-/a/{changed}")
    expect(page.locator(".version-notice")).to_have_count(0)
    page.locator("section.versions a.version-link").first.click()
    page.wait_for_url(f"**/-/a/{changed}?version=1")
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("This is an earlier version of the article (version 1 of 2)")
    expect(page.locator("article h1")).not_to_contain_text("(cập nhật)")
    expect(page.locator(".citation")).to_contain_text("Version 1 of 2, archived by govarchive on")
    expect(page.locator("a.stable-url")).to_have_attribute("href", re.compile(rf"/-/a/{changed}\?version=1$"))
    expect(page.locator('section.versions li[aria-current="true"]')).to_contain_text("v1")
    # The notice is the first stop past the skip link, and its links look like links.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('.version-notice')")
    assert all("underline" in link["underline"] for link in page.evaluate(LINK_STYLE, ".version-notice a"))
    screenshot(page, "article-version")
    # On paper too: a quotation printed from it says which version it is.
    page.emulate_media(media="print")
    assert all(page.evaluate(SHOWN, ".version-notice"))
    page.emulate_media(media="screen")
    notice.get_by_role("link", name=re.compile("Compare with version 2")).click()
    page.wait_for_url(f"**/-/diff/{changed}?from=1&to=2")
    expect(page.locator(".diff-title ins")).to_contain_text("(cập nhật)")
    missing = page.goto(f"{server}/-/a/{changed}?version=9")
    assert missing.status == 404
    expect(page.locator("main")).to_contain_text("No such version")


def test_hostile_page_runs_no_script(server, page):
    page.goto(server + "/-/search?q=gia+mao")
    link = page.locator("ol.results li h3 a").filter(has_text="<script>alert(1)</script>")
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url("**/-/a/*")
    expect(page.locator("article h1")).to_contain_text("<script>alert(1)</script> Cảnh báo")
    expect(page.locator("article .body")).to_contain_text(HOSTILE_IMG)
    screenshot(page, "hostile-article")

    requested, blocked = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: request.failure == "csp" and blocked.append(request.url))
    page.click("a.capture")
    page.wait_for_load_state("load")
    expect(archived(page).locator("h1")).to_contain_text("Cảnh báo trang giả mạo")
    page.wait_for_timeout(300)
    screenshot(page, "hostile-capture")
    # The archived page's own <img src=x> would be fetched from wherever it points (here, beside
    # the capture); an archive's reader must not be sent to the live site by the page.
    assert sent_by(page, requested, blocked) == capture_paths(page), (requested, blocked)


BANNER_BOX = """() => { const r = document.getElementById('govarchive-banner').getBoundingClientRect();
  return {top: r.top, height: r.height, width: r.width}; }"""


def archived(page):
    """The archived page, in the capture view's frame."""
    return page.frame_locator("iframe.page")


def capture_paths(page):
    """What opening the capture view in ``page`` asks the archive for: the view, and its frame."""
    view = urlsplit(page.url).path
    return [view, view.removesuffix(".html") + "/page.html"]


def sent_by(page, requested, blocked):
    return [urlsplit(url).path for url in requested if url not in blocked]


def test_an_archived_page_says_so_and_its_links_stay_in_the_archive(server, reading_archive, page):
    _, fetch_id, article, latest = reading_archive
    page.goto(f"{server}/-/capture/{fetch_id}.html")
    banner = page.locator("#govarchive-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Bản lưu trữ")
    expect(banner).to_contain_text("08:30 17/05/2024")
    box = page.evaluate(BANNER_BOX)
    assert box["top"] <= 8 and box["height"] > 20 and box["width"] >= 1200, box
    assert page.title().startswith("Bản lưu / Archived · Thông")
    # A windows-1258 page, read as the archive reads it: its letters whole, not mojibake.
    heading = archived(page).locator("h1").inner_text()
    assert unicodedata.normalize("NFC", heading) == "Việt Nam đẩy mạnh chuyển đổi số"
    screenshot(page, "capture")

    expect(banner.get_by_role("link", name=re.compile("The content file"))).to_have_attribute(
        "href", f"/-/capture/{fetch_id}.html?download=1")
    # Out of the frame: the whole tab goes to the capture view of what the link points to.
    archived(page).locator("#held").click()
    page.wait_for_url(f"**/-/capture/{latest}.html")
    expect(page.locator("#govarchive-banner")).to_contain_text(article)
    expect(page.locator("#govarchive-banner")).to_have_count(1)

    page.goto(f"{server}/-/capture/{fetch_id}.html")
    archived(page).locator("#held-fragment").click()
    page.wait_for_url(f"**/-/capture/{latest}.html?fragment=binh-luan")
    assert page.frames[1].url.endswith(f"/-/capture/{latest}/page.html#binh-luan")

    page.goto(f"{server}/-/capture/{fetch_id}.html")
    archived(page).locator("#not-held").click()
    page.wait_for_url("**/-/go?url=**")
    expect(page.locator("h1")).to_contain_text("not in the archive")
    live = urlsplit(article)._replace(path="/chuyen-doi-so.htm").geturl()
    expect(page.locator(f'main a[href="{live}"]')).to_have_count(1)

    page.goto(f"{server}/-/capture/{fetch_id}.html")
    archived(page).locator("#root").click()
    page.wait_for_url("**/-/go?url=**")
    expect(page.locator("h1")).to_contain_text("not in the archive")


def test_pages_fit_a_phone_and_put_the_results_first(server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    long_query = "https://xaydungchinhsach.chinhphu.vn/102250101123456789" + "ketoanchuyendoiso" * 3
    for path in ("/", "/-/search?q=zalo", "/-/search?q=" + long_query):
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"
        button = page.locator(".search-box button").bounding_box()
        assert button["x"] + button["width"] <= 375, path
    page.goto(server + "/-/search?q=zalo")
    screenshot(page, "search-phone")
    # On a phone the results come before the filters.
    first_result = page.locator("ol.results li").first.bounding_box()
    assert first_result["y"] < page.locator("aside.facets").bounding_box()["y"]
    context.close()


PLACEHOLDER_ROOM = """() => { const e = document.querySelector('.search-box input'), s = getComputedStyle(e);
  const g = document.createElement('canvas').getContext('2d'); g.font = s.font;
  return [e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight), g.measureText(e.placeholder).width]; }"""

SKIP_LINK_BOX = """() => { const r = document.querySelector('.skip-link').getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"""


@pytest.mark.parametrize("width", [320, 360])
def test_on_a_small_phone_the_search_field_gets_the_width_and_the_skip_link_hides_whole(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 640})
    page = context.new_page()
    for path in ("/", "/-/search?q=zalo"):
        page.goto(server + path)
        field = page.locator(".search-box input").bounding_box()
        button = page.locator(".search-box button").bounding_box()
        assert field["width"] >= 0.6 * width, (path, field)
        assert button["x"] + button["width"] <= width, (path, button)
        # The placeholder is read whole, not cut at the field's edge; the hint it left out is shown.
        room, needed = page.evaluate(PLACEHOLDER_ROOM)
        assert needed <= room, (path, room, needed)
        hint = page.locator("#q-hint")
        assert hint.is_visible() and hint.bounding_box()["x"] + hint.bounding_box()["width"] <= width
        assert page.locator(".search-box input").get_attribute("aria-describedby") == "q-hint"
    changed = page.request.get(server + "/-/results.json?q=" + CHANGED_TITLE_START).json()["results"][0]["id"]
    for path in ("/", "/-/search?q=zalo", f"/-/a/{changed}", f"/-/diff/{changed}", "/no/such/page"):
        page.goto(server + path)
        hidden = page.evaluate(SKIP_LINK_BOX)
        # Wholly above the page: at a bottom of 0 its border showed as a line along the header's top.
        assert hidden["bottom"] <= -1, (path, hidden)
        page.keyboard.press("Tab")
        shown = page.evaluate(SKIP_LINK_BOX)
        assert shown["top"] >= 0 and shown["left"] >= 0 and shown["right"] <= width, (path, shown)
    context.close()


FOCUSED = """() => { const e = document.activeElement, r = e.getBoundingClientRect();
  return {id: e.id, cls: e.className, href: e.getAttribute('href'), facet: !!e.closest('.facets'),
          top: r.top + scrollY}; }"""


def tab_stops(page, n):
    stops = []
    for _ in range(n):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    return stops


@pytest.mark.parametrize("width", [1280, 640])
def test_the_keyboard_meets_the_search_page_in_reading_order(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server + "/-/search?q=zalo&source=sample-news")
    stops = tab_stops(page, 80)
    first_facet = next(i for i, stop in enumerate(stops) if stop["facet"])
    before = " ".join(stop["cls"] for stop in stops[:first_facet])
    # The filter chips, the downloads and the results come before the facets' forty links.
    for control in ("chip", "download-csv", "download-json"):
        assert control in before, (control, stops[:first_facet])
    assert any("sort=newest" in (stop["href"] or "") for stop in stops[:first_facet])
    assert any("/-/a/" in (stop["href"] or "") for stop in stops[:first_facet])
    if width <= 820:
        # One column: focus moves down the page, never back up (past the skip links at its top).
        last_facet = max(i for i, stop in enumerate(stops) if stop["facet"])
        tops = [stop["top"] for stop in stops[2:last_facet + 1]]
        assert all(b >= a - 4 for a, b in zip(tops, tops[1:])), tops
    context.close()


def test_the_skip_links_lead_to_the_content_and_the_filters(server, page):
    changed = page.request.get(server + "/-/results.json?q=" + CHANGED_TITLE_START).json()["results"][0]["id"]
    for path in ("/", "/-/search?q=zalo", f"/-/a/{changed}", f"/-/diff/{changed}", "/no/such/page"):
        page.goto(server + path)
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_attribute("href", "#main")
        page.keyboard.press("Enter")
        expect(page.locator(":focus")).to_have_id("main")
        page.keyboard.press("Tab")
        # The next stop is inside the page's own content, past the site's header.
        assert page.evaluate("!!document.activeElement.closest('main')"), path
    page.goto(server + "/-/search?q=zalo")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("href", "#filters")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('.facets')")


LINK_STYLE = """(selector) => [...document.querySelectorAll(selector)].map(a => {
  const en = a.querySelector('.en');
  return {text: a.innerText, underline: getComputedStyle(a).textDecorationLine,
          colour: getComputedStyle(a).color, en: en && getComputedStyle(en).color}; })"""


def test_links_in_running_text_are_underlined_and_their_english_half_is_link_coloured(server, page):
    changed = page.request.get(server + "/-/results.json?q=" + CHANGED_TITLE_START).json()["results"][0]["id"]
    checks = {
        "/-/search?q=zalo": ["footer.site a", ".sort a", ".downloads a", "nav.pages a"],
        f"/-/a/{changed}": [".knowledge li a", ".cite a"],
        "/no/such/page": ["main a"],
    }
    for path, selectors in checks.items():
        page.goto(server + path)
        for selector in selectors:
            links = page.evaluate(LINK_STYLE, selector)
            assert links, (path, selector)
            for link in links:
                assert "underline" in link["underline"], (path, selector, link)
                assert link["en"] in (None, link["colour"]), (path, selector, link)


def contrast(a, b):
    """WCAG contrast ratio of two computed colours, "rgb(r, g, b)"."""
    def luminance(colour):
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_search_field_s_border_stands_out_from_its_background(server, page):
    for path in ("/", "/-/search?q=zalo"):
        page.goto(server + path)
        field = page.locator(".search-box input")
        border = field.evaluate("e => getComputedStyle(e).borderTopColor")
        for around in (field.evaluate("e => getComputedStyle(e).backgroundColor"),
                       page.evaluate("getComputedStyle(document.documentElement).backgroundColor")):
            assert contrast(border, around) >= 3, (path, border, around)


CHART_TYPE = """() => { const svg = document.querySelector('svg.chart');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return {sizes: [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale),
          months: [...svg.querySelectorAll('text.month')].map(t => { const r = t.getBoundingClientRect();
                                                                      return [r.left, r.right]; })}; }"""


@pytest.mark.parametrize("width", [375, 900, 1280])
def test_the_chart_s_labels_stay_readable_as_the_screen_narrows(server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server + "/-/search?q=zalo")
    chart = page.evaluate(CHART_TYPE)
    assert chart["sizes"] and min(chart["sizes"]) >= 11, chart["sizes"]
    assert all(a[1] <= b[0] for a, b in zip(chart["months"], chart["months"][1:])), chart["months"]
    # The chart scrolls inside its box; the page itself still fits the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


# Pages whose banner would land where nothing shows if placed by HTMLParser's reading of them,
# and one too long to rewrite, served as archived behind it.
HIDING_PAGES = (
    "<!DOCTYPE html><html><head><title>Tin <b>mới</b></title></head><p>Nội dung</p>",
    "<!DOCTYPE html><html><head><template><div>ẩn</div></template></head><p>Nội dung</p>",
    "<!DOCTYPE html><html><head><title/><div>ẩn</title></head><p>Nội dung</p>",
    "<!DOCTYPE html><html><body><p>Nội dung</p>" + "<a href='https://evil.example/'>x</a> " * (MAX_REWRITTEN_PAGE // 30),
)


def test_the_banner_shows_wherever_the_page_would_hide_it(server, reading_archive, page):
    for html in HIDING_PAGES:
        fetch_id = add_capture(reading_archive[0], "https://hostile.example/an.html", html.encode("utf-8"),
                               "text/html; charset=utf-8")
        page.goto(f"{server}/-/capture/{fetch_id}.html")
        banner = page.locator("#govarchive-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("An archived copy")
        box = page.evaluate(BANNER_BOX)
        assert box["top"] <= 8 and box["height"] > 20 and box["width"] >= 1200, (html[:80], box)
        expect(archived(page).locator("p").first).to_have_text("Nội dung")
    expect(banner).to_contain_text("the page's links lead to the live site")


def test_an_archived_page_that_refreshes_to_elsewhere_stays_put(server, reading_archive, page):
    # The sandbox the capture view is served in blocks a <meta http-equiv=refresh>: an archived
    # redirect page must not carry the reader off to another page (here the archive's own).
    html = ('<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url=/-/search?q=refreshed">'
            "</head><body><p>Trang đã chuyển</p></body></html>")
    fetch_id = add_capture(reading_archive[0], "https://hostile.example/moved.html", html.encode("utf-8"),
                           "text/html; charset=utf-8")
    page.goto(f"{server}/-/capture/{fetch_id}.html")
    page.wait_for_timeout(1500)
    assert page.url == f"{server}/-/capture/{fetch_id}.html"
    expect(archived(page).locator("p").first).to_have_text("Trang đã chuyển")


def test_an_inline_svg_s_links_stay_in_the_archive_and_its_pictures_stay_unloaded(server, reading_archive, page):
    _, _, article, latest = reading_archive
    html = ('<!DOCTYPE html><html><body><svg xmlns:xlink="http://www.w3.org/1999/xlink" width="300" height="90">'
            '<use xlink:href="/-/static/icons.svg#zalo"/><image xlink:href="/logo.png" width="9" height="9"/>'
            f'<a id="svg-link" xlink:href="{article}"><text x="20" y="40">bài đã lưu</text></a></svg></body></html>')
    fetch_id = add_capture(reading_archive[0], "https://hostile.example/svg.html", html.encode("utf-8"),
                           "text/html; charset=utf-8")
    requested, blocked = [], []
    page.on("request", lambda request: requested.append(request.url))
    # "origin": the browser fetches a <use> only from the page's own origin, which the sandbox's is not.
    page.on("requestfailed", lambda request: request.failure in ("csp", "origin") and blocked.append(request.url))
    page.goto(f"{server}/-/capture/{fetch_id}.html")
    page.wait_for_timeout(300)
    # Relative to the capture view, the pictures would come from the archive's own server.
    assert sent_by(page, requested, blocked) == capture_paths(page), (requested, blocked)
    archived(page).locator("#svg-link").click()
    page.wait_for_url(f"**/-/capture/{latest}.html")


# What the archived pages of a hostile site did to the banner when it was part of the page: a
# box over the whole window painted after it, and a negative margin that took the page (banner
# and all) out of sight.
COVERING_PAGES = (
    '<!DOCTYPE html><html><body><div style="position:fixed;inset:0;z-index:2147483647;background:#fff4c2">'
    "Bản lưu trữ của govarchive / An archived copy · Original URL: https://baochinhphu.vn/tin-that.htm</div>"
    "<p>Nội dung</p></body></html>",
    '<!DOCTYPE html><html><head><style>body{margin-top:-2000px !important}</style></head>'
    "<body><p>Nội dung</p></body></html>",
    '<!DOCTYPE html><html><head><style>html,body{height:100%;overflow:hidden}'
    "div{position:absolute;top:-100vh;left:-100vw;width:300vw;height:300vh;z-index:99;background:red}"
    "</style></head><body><div></div><p>Nội dung</p></body></html>",
)
# Whether the banner is what shows at points all over it, rather than something covering it.
BANNER_ON_TOP = """() => { const banner = document.getElementById('govarchive-banner');
  const r = banner.getBoundingClientRect();
  return [0.1, 0.5, 0.9].flatMap(x => [0.25, 0.5, 0.75].map(y => {
    const at = document.elementFromPoint(r.left + r.width * x, r.top + r.height * y);
    return at !== null && banner.contains(at); })); }"""


@pytest.mark.parametrize("width", [320, 1280])
def test_no_archived_page_can_cover_the_banner_or_push_it_away(server, reading_archive, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 568 if width == 320 else 900})
    page = context.new_page()
    for n, html in enumerate(COVERING_PAGES):
        fetch_id = add_capture(reading_archive[0], "https://hostile.example/cover.html", html.encode("utf-8"),
                               "text/html; charset=utf-8")
        page.goto(f"{server}/-/capture/{fetch_id}.html")  # which waits for the page's frame to load
        lines = page.evaluate(BANNER_ON_TOP)
        assert lines and all(lines), (n, lines)
        box = page.evaluate(BANNER_BOX)
        assert box["top"] == 0 and box["height"] > 20 and box["width"] == width, (n, box)
        expect(archived(page).locator("p").first).to_have_text("Nội dung")
        screenshot(page, f"capture-covered-{n}-{width}")
    # On a phone, the banner leaves most of the screen to the page, and nothing is wider than it.
    frame = page.locator("iframe.page").bounding_box()
    assert frame["y"] == box["height"] and frame["height"] >= 568 / 2, (box, frame)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


@pytest.mark.parametrize("width", [320, 375])
def test_long_words_in_archived_text_wrap_rather_than_widen_the_page(server, awkward, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    paths = ("/", "/-/search?q=dichvucong+facebook", f"/-/a/{awkward['long']}", f"/-/diff/{awkward['long']}?from=1&to=2",
             f"/-/a/{awkward['moved']}")
    shown = {"/": "ol.results .snippet", paths[1]: "ol.results .snippet", paths[2]: ".tags .chip",
             paths[3]: ".diff-text ins", paths[4]: ".live-state"}
    for path in paths:
        page.goto(server + path)
        # The long words are on the page, not left out of it.
        expect(page.locator(shown[path]).filter(has_text=re.compile("dichvucong|thongtinchinhphu|VXNVC"))).not_to_have_count(0)
        width_seen = page.evaluate("document.documentElement.scrollWidth")
        assert width_seen <= width, f"{path} is {width_seen}px wide on a {width}px screen"
    context.close()


NOTICE_BOX = """() => { const n = document.querySelector('[role=status]'), r = n.getBoundingClientRect(), s = getComputedStyle(n);
  return {top: r.top + scrollY, bottom: r.bottom + scrollY, background: s.backgroundColor, border: s.borderLeftWidth,
          text: document.querySelector('article .body').getBoundingClientRect().top + scrollY}; }"""


@pytest.mark.parametrize("width", [375, 1280])
def test_a_live_page_that_is_gone_or_moved_is_said_so_at_the_top_and_its_link_says_so_too(server, awkward, browser,
                                                                                          width):
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    page.goto(f"{server}/-/a/{awkward['long']}")
    notice = page.get_by_role("status")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Trang gốc đã bị gỡ: trả lời HTTP 404 khi kiểm tra lúc 13:40 ngày 27/11/2031")
    expect(notice).to_contain_text("The live page is gone: it answered HTTP 404 when checked at 13:40 on 27/11/2031")
    box = page.evaluate(NOTICE_BOX)
    # Above the archived text, on the first screen, and set apart from the page around it.
    assert box["bottom"] <= box["text"] and box["bottom"] <= 700, box
    assert box["background"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)") and box["border"] != "0px", box
    expect(page.locator("a.live")).to_contain_text("đã bị gỡ")
    expect(page.locator("a.live")).not_to_contain_text("trực tuyến")

    page.goto(f"{server}/-/a/{awkward['moved']}")
    expect(page.get_by_role("status")).to_contain_text(LONG_URL + "?moved=1")
    expect(page.locator("a.live")).to_contain_text("nay dẫn đến trang khác")
    expect(page.locator("a.live")).not_to_contain_text("trực tuyến")
    page.goto(f"{server}/-/a/{awkward['english']}")
    expect(page.get_by_role("status")).to_have_count(0)
    expect(page.locator("a.live")).to_contain_text("Trang gốc (trực tuyến)")
    context.close()


SHOWN = "(selector) => [...document.querySelectorAll(selector)].map(e => e.getClientRects().length > 0)"


def test_a_printed_page_has_the_archived_text_and_its_citation_not_the_site_s_controls(server, awkward, page):
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # an A4 page's text width
    article = awkward["moved"]
    page.goto(f"{server}/-/a/{article}")
    for selector in ("article h1", "article .body p", "article .meta time", ".citation", "a.stable-url", "a.live",
                     ".live-notice"):
        shown = page.evaluate(SHOWN, selector)
        assert shown and all(shown), (selector, shown)
    for selector in ("header.site", "footer.site", ".skip-link", "a.capture", 'a[href$=".warc.gz"]',
                     'a[href$=".json"]', "section.versions", "section.mentions"):
        assert not any(page.evaluate(SHOWN, selector)), selector
    # On paper a link is only its words: the original's address is printed after it.
    live = page.locator("a.live").get_attribute("href")
    assert live in page.locator("a.live").evaluate("a => getComputedStyle(a, '::after').content")
    assert page.locator("article.reading").bounding_box()["width"] > 600  # the whole width, no sidebar beside it
    # Paper does not scroll: a wide table's cells wrap within the page.
    assert page.evaluate("""() => [...document.querySelectorAll('article .body .table-wrap')].map(
        w => w.scrollWidth <= w.clientWidth + 1)""") == [True]

    page.goto(server + "/-/search?q=zalo")
    assert all(page.evaluate(SHOWN, "ol.results li h3"))
    for selector in ("header.site", ".search-box", "aside.facets", ".downloads", "nav.pages", ".active-filters",
                     ".sort"):
        assert not any(page.evaluate(SHOWN, selector)), selector
    page.goto(f"{server}/-/diff/{awkward['long']}?from=1&to=2")
    assert all(page.evaluate(SHOWN, ".diff-text p")) and not any(page.evaluate(SHOWN, ".versions-pick"))


# Whether each of the banner's links is whole on screen and the one thing at its centre, at load
# (``at_load``) and at some point as the banner is scrolled (``reachable``), by its text. What
# scrolls is the part above the banner's links, or on a very short screen the banner whole.
BANNER_LINKS = """async () => {
  const banner = document.getElementById('govarchive-banner'), links = [...banner.querySelectorAll('a')];
  const scroller = [banner.querySelector('.facts'), banner].find(e => e.scrollHeight > e.clientHeight) || banner;
  const whole = a => { const b = banner.getBoundingClientRect(), r = a.getBoundingClientRect();
    const at = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    return r.top >= b.top && r.bottom <= b.bottom - banner.clientTop && at !== null && a.contains(at); };
  const atLoad = links.map(whole), reachable = links.map(() => false);
  for (let top = 0; top <= scroller.scrollHeight; top += 4) {
    scroller.scrollTop = top;
    await new Promise(requestAnimationFrame);
    links.forEach((a, i) => { reachable[i] = reachable[i] || whole(a); });
  }
  return links.map((a, i) => ({text: a.innerText, at_load: atLoad[i], reachable: reachable[i]}));
}"""


@pytest.mark.parametrize("height", [480, 568, 700])
@pytest.mark.parametrize("asked", ["elsewhere", "at its URL"])
def test_on_a_phone_the_banner_s_links_are_on_screen_and_the_rest_a_scroll_of_the_banner_away(
        server, reading_archive, browser, height, asked):
    directory = reading_archive[0]
    url = "https://xaydungchinhsach.chinhphu.vn/" + "thong-tin-chinh-sach-moi-" * 5 + f"11924010{len(asked)}.htm"
    fetch_id = add_capture(directory, url, b"<!DOCTYPE html><p>N\xe1\xbb\x99i dung</p>", "text/html; charset=utf-8")
    conn = sqlite3.connect(directory / "archive.db")
    with conn:  # answered with an error; asked at another address, the banner's longest form
        requested = url + "?utm_source=zalo" if asked == "elsewhere" else None
        conn.execute("update fetches set requested_url = ?, status = 410 where id = ?", [requested, fetch_id])
    conn.close()
    context = browser.new_context(viewport={"width": 320, "height": height}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{server}/-/capture/{fetch_id}.html")
    # What the server answered is on screen at load, whole, and nothing is drawn over it.
    assert page.evaluate(WARNING_SHOWN), page.locator(".banner .warning").first.inner_text()
    links = page.evaluate(BANNER_LINKS)
    assert len(links) >= 3 and all(link["reachable"] for link in links), links
    # The banner's own links (the reading room, the content file, the WARC record) need no scrolling.
    assert [link["text"] for link in links if link["at_load"]][-2:] == ["Tệp nội dung / The content file", "WARC"], links
    assert page.locator("iframe.page").bounding_box()["height"] >= height / 2
    context.close()


WARNING_SHOWN = """() => {
  const banner = document.querySelector('.banner'), warning = banner.querySelector('.warning');
  const b = banner.getBoundingClientRect(), r = warning.getBoundingClientRect();
  const points = [[r.left + 4, r.top + 2], [r.left + 4, r.bottom - 2], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
  return r.top >= b.top && r.bottom <= b.bottom && points.every(([x, y]) => warning.contains(document.elementFromPoint(x, y)));
}"""
