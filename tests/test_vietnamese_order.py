"""Lists the reading room orders by name are in the Vietnamese alphabet's order (a ă â b c d đ e
… o ô ơ … u ư v, tones after letters), not the code points', which put Đ after Z and "Thái"
before "Tây"."""

import asyncio

import lxml.html

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from archive.vietnamese import collation_key
from tests.conftest import store_page

NAMES = {"van-phong": "Văn phòng mẫu", "uy-ban": "Ủy ban nhân dân mẫu", "dai": "Đài truyền hình mẫu",
         "so": "Sở mẫu", "bao": "Báo mẫu"}
# Agencies named in the articles, each as often as the others.
AGENCIES = ["Sở Nội vụ tỉnh Thanh Hóa", "Sở Nội vụ tỉnh Thái Nguyên", "Sở Nội vụ tỉnh Tây Ninh"]


def test_the_vietnamese_alphabet_orders_letters_then_tones():
    assert sorted(["Thanh Hóa", "Thái Nguyên", "Tây Ninh"], key=collation_key) == ["Tây Ninh", "Thái Nguyên", "Thanh Hóa"]
    assert sorted(["Văn", "Ủy", "Đài", "Sở", "Báo", "Dân"], key=collation_key) == ["Báo", "Dân", "Đài", "Sở", "Ủy", "Văn"]
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma", "mâ", "mă"], key=collation_key) == [
        "ma", "mà", "mả", "mã", "má", "mạ", "mă", "mâ"]
    assert sorted(["ư", "u", "ơ", "ô", "o"], key=collation_key) == ["o", "ô", "ơ", "u", "ư"]
    # Case aside, and one text written in either Unicode form is one place.
    assert collation_key("Đà Nẵng")[:2] == collation_key("đà nẵng")[:2] == collation_key("đà nẵng")[:2]


def test_sources_and_facet_values_of_one_count_are_listed_in_vietnamese_order(tmp_path):
    db = open_db(tmp_path / "archive.db")
    for n, (source_id, name) in enumerate(NAMES.items()):
        (source,) = parse_sources(
            f'[[source]]\nid = "{source_id}"\nname = "{name}"\nkind = "press"\nhome = "https://{source_id}.vn/"\n'
            f'allowed_domains = ["{source_id}.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
            f'[source.discovery]\nfeeds = ["https://{source_id}.vn/rss"]\n')
        crawl = ingest.start_crawl(db, source, max_pages=None)
        with db.atomic():
            store_page(db, {"url": f"https://{source_id}.vn/{n}", "title": f"Thông báo {n}", "text": "Thông báo.",
                            "text_hash": str(n), "published": "2025-07-01",
                            "mentions": [{"kind": "agency", "platform": None, "name": a} for a in AGENCIES]},
                       source_id=source_id, seen_at="2025-07-02", crawl_id=crawl)
    db.close()
    ds = make_datasette(tmp_path / "archive.db")
    expected = sorted(NAMES.values(), key=collation_key)
    assert expected[:2] == ["Báo mẫu", "Đài truyền hình mẫu"]

    home = lxml.html.fromstring(asyncio.run(ds.client.get("/")).text)
    listed = [name for name in (" ".join(a.text_content().split()) for a in home.xpath("//table[@class='sources']//td[1]/a"))
              if name in NAMES.values()]
    assert listed == expected, listed
    search = lxml.html.fromstring(asyncio.run(ds.client.get("/-/search?q=th%C3%B4ng+b%C3%A1o")).text)
    facet = [" ".join(a.text_content().split()) for a in search.xpath('//section[@data-facet="source"]//li/a')]
    assert [next(name for name in NAMES.values() if entry.startswith(name)) for entry in facet] == expected, facet
    agencies = [" ".join(a.text_content().split()) for a in search.xpath('//section[@data-facet="agency"]//li/a')]
    assert [next(a for a in AGENCIES if entry.startswith(a)) for entry in agencies] == [
        "Sở Nội vụ tỉnh Tây Ninh", "Sở Nội vụ tỉnh Thái Nguyên", "Sở Nội vụ tỉnh Thanh Hóa"], agencies
