"""A document cited with and without its number's leading zeros, and an agency named by its
abbreviation or in lower case, select every article that cites or names them: in the reading
room's filters and in ``govarchive export``."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import lxml.html
import pytest

from archive.db import open_db
from archive.serve import make_datasette
from test_ref_spellings import build_archive

BIN = Path(sys.executable).parent

PAGES = {
    "mot": ("Triển khai chuyển đổi số", "Theo Quyết định 06/QĐ-TTg, Ủy ban nhân dân tỉnh Bắc Giang đã triển khai."),
    "hai": ("Đề án dữ liệu dân cư", "Quyết định 06/QĐ-TTg được UBND tỉnh Bắc Giang quán triệt."),
    "ba": ("Kết quả thực hiện đề án", "Thực hiện Quyết định 6/QĐ-TTg, Bộ TT&TT đã hướng dẫn các địa phương."),
}
DOCUMENT = ["06/QĐ-TTg", "6/QĐ-TTg", "6/QD-TTg", "006/qđ-ttg"]
AGENCY = ["Ủy ban nhân dân tỉnh Bắc Giang", "UBND tỉnh Bắc Giang", "ubnd tỉnh bắc giang"]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("filter-spellings") / "archive.db", PAGES)


def test_the_archive_holds_both_spellings(db_path):
    conn = open_db(db_path).conn
    try:
        refs = dict(conn.execute("select ref, count(*) from doc_refs where ref like '%QĐ-TTg' group by ref"))
    finally:
        conn.close()
    assert refs == {"06/QĐ-TTg": 2, "6/QĐ-TTg": 1}


def results(db_path, **args):
    ds = make_datasette(db_path)
    return asyncio.run(ds.client.get(f"/-/results.json?{urlencode(args)}")).json()


def exported(db_path, *args):
    result = subprocess.run([str(BIN / "govarchive"), "export", "--db", db_path, "--format", "jsonl", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["url"].rsplit("/", 1)[1] for line in result.stdout.splitlines()}, result.stderr


@pytest.mark.parametrize("typed", DOCUMENT)
def test_the_reading_room_finds_a_document_in_each_of_its_spellings(db_path, typed):
    body = results(db_path, ref=typed)
    assert (body["count"], body["notes"]) == (3, [])


@pytest.mark.parametrize("typed", DOCUMENT[1:3])
def test_export_finds_a_document_in_each_of_its_spellings(db_path, typed):
    urls, stderr = exported(db_path, "--ref", typed)
    assert (urls, "note:" in stderr) == ({"mot.html", "hai.html", "ba.html"}, False)


@pytest.mark.parametrize("typed", AGENCY)
def test_the_reading_room_finds_an_agency_by_each_of_its_names(db_path, typed):
    body = results(db_path, agency=typed)
    assert (body["count"], body["filters"], body["notes"]) == (2, {"agency": AGENCY[0]}, [])


@pytest.mark.parametrize("typed, urls", [(AGENCY[2], {"mot.html", "hai.html"}),
                                         ("Bộ TT&TT", {"ba.html"})])
def test_export_finds_an_agency_by_its_abbreviation(db_path, typed, urls):
    found, stderr = exported(db_path, "--agency", typed)
    assert (found, "note:" in stderr) == (urls, False)


def test_an_agency_the_archive_does_not_have_is_still_said(db_path):
    body = results(db_path, agency="Bộ Không Có")
    assert body["count"] == 0
    assert "Bộ Không Có" in json.dumps(body["notes"], ensure_ascii=False)
    urls, stderr = exported(db_path, "--agency", "Sở TT&TT Không Có")
    assert urls == set()
    assert "note: the archive has no agency «Sở TT&TT Không Có»" in stderr


@pytest.mark.parametrize("typed", DOCUMENT)
def test_a_search_with_words_finds_a_document_in_each_of_its_spellings(db_path, typed):
    # With words, the filter is a word of the search indexes, which hold the page's spelling.
    body = results(db_path, ref=typed, q="quyết định")
    assert (body["count"], body["notes"]) == (3, [])
    body = results(db_path, ref=typed, q="quyết định", agency=AGENCY[1])
    assert body["count"] == 2


def page(db_path, path):
    ds = make_datasette(db_path)
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200
    return lxml.html.fromstring(response.text)


@pytest.mark.parametrize("query", ["source=t", "q=quyết+định"])
def test_the_documents_facet_lists_a_document_once_whatever_its_spellings(db_path, query):
    html = page(db_path, f"/-/search?{query}")
    facet = [(a.get("href"), a.text_content().split()) for a in html.xpath('//section[@data-facet="ref"]//li/a')
             if "TTg" in a.text_content()]
    assert [words[-1] for _href, words in facet] == ["3"], facet
    linked = page(db_path, facet[0][0])
    assert len(linked.xpath('//ol[contains(@class, "results")]/li')) == 3


def test_an_article_page_counts_every_spelling_of_a_document_it_cites(db_path):
    # Pages 1 and 2 write 06/QĐ-TTg, page 3 6/QĐ-TTg: each is cited by the three.
    for article in (1, 2, 3):
        html = page(db_path, f"/-/a/{article}")
        counted = [" ".join(li.text_content().split()) for li in html.xpath('//section[@class="refs"]//li')]
        assert [text for text in counted if "QĐ-TTg" in text and "cited by 3 articles" in text], counted


def test_an_article_that_writes_a_document_both_ways_lists_it_once(tmp_path):
    db = build_archive(tmp_path / "archive.db", {"bon": (
        "Rà soát đề án dữ liệu dân cư",
        "Quyết định 06/QĐ-TTg (có nơi viết Quyết định 6/QĐ-TTg) được Sở TT&TT tỉnh Bắc Giang rà soát.")})
    listed = [" ".join(li.text_content().split()) for li in page(db, "/-/a/1").xpath('//section[@class="refs"]//li')]
    assert [text for text in listed if "QĐ-TTg" in text] == ["06/QĐ-TTg Quyết định"], listed


def test_a_table_search_narrowed_to_one_spelling_counts_that_spelling(db_path):
    # datasette's refs__arraycontains selects the spelling as written: the newest matches the
    # search lists past its limit are those of that spelling, not of all of them.
    ds = make_datasette(db_path, search_limit=1)
    body = asyncio.run(ds.client.get("/archive/articles.json?" + urlencode({
        "_search": "quyết định", "refs__arraycontains": "06/QĐ-TTg", "_col": "id", "_shape": "objects"}))).json()
    assert [row["id"] for row in body["rows"]] == [2]


def test_the_documents_facet_names_a_document_as_most_articles_write_it_and_lists_it_once_when_selected(tmp_path):
    pages = {**PAGES, "bon": ("Hướng dẫn thực hiện", "Căn cứ Quyết định 006/QĐ-TTg, các xã rà soát dữ liệu.")}
    db = build_archive(tmp_path / "archive.db", pages)
    for query in ("source=t", "q=quyết+định", "ref=6/QĐ-TTg", "ref=006/QĐ-TTg&q=quyết+định"):
        html = page(db, f"/-/search?{query}")
        listed = [" ".join(a.text_content().split()) for a in html.xpath('//section[@data-facet="ref"]//li/a')
                  if "TTg" in a.text_content()]
        assert len(listed) == 1 and listed[0].split()[-1] in ("4", "✕"), (query, listed)
        if "ref=" not in query:
            assert listed[0].split()[0] == "06/QĐ-TTg", (query, listed)
