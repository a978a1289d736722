"""Two source ids with one name (a source re-added under a new id that kept the name) are told
apart where the search page names sources: the source facet, its filter chip, the chart's
legend and its table give the id after the name."""

import asyncio
import html
import re

import pytest

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

NAME = "Sở TT&TT Bắc Giang"


def _source(source_id, name, host):
    return parse_sources(
        f'[[source]]\nid = "{source_id}"\nname = "{name}"\nkind = "province-portal"\nhome = "https://{host}/"\n'
        f'allowed_domains = ["{host}"]\narticle_pattern = "/tin/"\nschedule = "0 * * * *"\n'
        f'[source.discovery]\nfeeds = ["https://{host}/rss"]\n'
    )[0]


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "archive.db"
    db = open_db(path)
    for source in (_source("bacgiang", NAME, "stttt.bacgiang.gov.vn"),
                   _source("bacgiang-stttt", NAME, "sotttt.bacgiang.gov.vn"),
                   _source("hanoi", "Cổng TTĐT Hà Nội", "hanoi.gov.vn")):
        crawl = ingest.start_crawl(db, source, max_pages=None)
        with db.atomic():
            for n, month in enumerate(("2024-11-05", "2025-02-10")):
                host = source.home.split("/")[2]
                record = ingest.prepare({"url": f"https://{host}/tin/{n}", "title": f"Chuyển đổi số {n}",
                                         "text": "Chuyển đổi số trong tỉnh.", "published": month,
                                         "text_hash": f"{source.id}-{n}"})
                store_page(db, record, source_id=source.id, seen_at=month, crawl_id=crawl)
    db.close()
    return make_datasette(path)


def _page(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text[:500]
    return html.unescape(response.text)


def test_sources_with_one_name_are_labelled_with_their_ids(ds):
    page = _page(ds, "/-/search?q=chuyển")
    for label in (f"{NAME} (bacgiang)", f"{NAME} (bacgiang-stttt)"):
        # The facet, the chart's legend and its table each name both.
        assert page.count(label) >= 3, (label, page.count(label))
    # Each result names its publisher by name, as its citation does; every label names the id.
    labels = re.sub(r'<span class="source">[^<]*</span>', "", page)
    assert not re.search(re.escape(NAME) + r"(?! \()", labels), "a label without its id"
    # A name no other source has is shown alone.
    assert "Cổng TTĐT Hà Nội" in page and "Cổng TTĐT Hà Nội (hanoi)" not in page


def test_the_filter_chip_names_the_id_too(ds):
    page = _page(ds, "/-/search?q=chuyển&source=bacgiang-stttt")
    assert f"{NAME} (bacgiang-stttt)" in page
