"""Every page that shows times says, once, which clock they are on: Vietnam's (UTC+7). A reader
abroad, or one quoting a capture time, otherwise takes them for local time or UTC."""

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from conftest import store_page
from test_reading_room_a11y import SOURCE, _article, get, text_of

ZONE = "giờ Việt Nam, UTC+7 / Vietnam time, UTC+7"


def _archive(tmp_path, versions: int):
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for n in range(versions):
            store_page(db, {**_article(1), "text": _article(1)["text"] + " Bổ sung." * n, "text_hash": f"1-{n}"},
                       source_id="t", seen_at=f"2024-12-0{n + 1}T00:00:00+00:00", crawl_id=crawl)
    db.close()
    return make_datasette(path)


def test_the_home_page_says_its_capture_and_crawl_times_are_vietnam_time(tmp_path):
    home = get(_archive(tmp_path, 1), "/").text
    assert "07:00 01/12/2024" in text_of(home, "//table[@class='sources']")
    assert text_of(home, "//section[@id='sources']/p[contains(@class, 'table-note')]") == (
        "Thời điểm theo giờ Việt Nam, UTC+7 / Times are Vietnam time, UTC+7")


def test_the_diff_page_says_its_versions_times_are_vietnam_time(tmp_path):
    ds = _archive(tmp_path, 2)
    summary = text_of(get(ds, "/-/diff/1").text, "//p[@class='diff-summary']")
    assert summary.endswith(f"v1 (07:00:00 01/12/2024) → v2 (07:00:00 02/12/2024) ({ZONE})"), summary
    one = text_of(get(_archive(tmp_path / "one", 1), "/-/diff/1").text, "//p[@class='one-version']")
    assert one.endswith(f"(v1, 07:00:00 01/12/2024, {ZONE})."), one
