"""A document's reference typed into a filter (the reading room's ``ref``, ``/-/results.json``,
``govarchive export --ref``) in any of the spellings a page or a keyboard gives it, and one
written in full-width characters in a page, are the reference the archive holds."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from archive import ingest
from archive.db import open_db
from archive.docrefs import find_doc_refs
from archive.filters import REF_DASHES, ref_key
from archive.search import _DASHES
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

BIN = Path(sys.executable).parent

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]

FILLER = ("Theo báo cáo, trong thời gian tới, các sở, ban, ngành và địa phương tiếp tục thực hiện nghiêm túc "
          "các nhiệm vụ được giao, bảo đảm tiến độ, chất lượng và hiệu quả. ")
# The reference as each page writes it: with a non-breaking hyphen, a hyphen (U+2010), and in
# full-width characters, as an East Asian input method types it.
PAGES = {
    "ke-hoach": ("Kế hoạch cải cách hành chính", "Kế hoạch số 174/KH\u2011UBND được ban hành."),
    "cong-van": ("Công văn về cổng thông tin", "Công văn số 7790/VP\u2010TTĐT của Văn phòng."),
    "toan-goc": ("Văn bản được đăng lại", "Văn bản số １７４／ＫＨ－ＵＢＮＤ được đăng tải lại trên cổng."),
}

TYPED = [
    ("174/KH\u2011UBND", "174/KH-UBND"),
    ("174 / KH-UBND", "174/KH-UBND"),
    ("174/KH - UBND", "174/KH-UBND"),
    ("１７４／KH-UBND", "174/KH-UBND"),
    ("１７４／ＫＨ－ＵＢＮＤ", "174/KH-UBND"),
    ("0174/kh\u2013ubnd", "174/KH-UBND"),
    ("7790/VP\u2010TTĐT", "7790/VP-TTĐT"),
    ("7790/vp\u2212ttdt", "7790/VP-TTĐT"),
]


def test_the_key_reads_the_dashes_search_reads_as_a_hyphen():
    assert {chr(c) for c in REF_DASHES} == set(_DASHES) - {"-"}


@pytest.mark.parametrize("typed, archived", TYPED + [("1.234/QĐ-UBND", "1234/QĐ-UBND")])
def test_ref_key_matches_the_spellings_of_a_reference(typed, archived):
    assert ref_key(typed) == ref_key(archived)


def test_ref_key_keeps_references_apart():
    assert ref_key("174/KH-UBND") != ref_key("174-KH/UBND")
    assert ref_key("174/KH-UBND") != ref_key("1740/KH-UBND")


def test_a_full_width_reference_in_text_is_the_usual_reference():
    text = "Văn bản số １７４／ＫＨ－ＵＢＮＤ ngày １２／１２／２０２４ được đăng tải."
    (found,) = find_doc_refs(text)
    assert (found.ref, found.type_name, found.issued) == ("174/KH-UBND", "Kế hoạch", "2024-12-12")
    assert text[found.start:found.end] == found.text == "Văn bản số １７４／ＫＨ－ＵＢＮＤ ngày １２／１２／２０２４"


def build_archive(path, pages: dict) -> Path:
    """An archive at ``path`` of one article for each of ``pages`` (slug: (title, sentence))."""
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for slug, (title, sentence) in pages.items():
            html = (f'<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head><body><article>'
                    f"<h1>{title}</h1><p>{sentence}</p><p>{FILLER}</p><p>{FILLER}</p></article></body></html>")
            url = f"https://t.vn/{slug}.html"
            record = ingest.extract_for_storage(html.encode(), url, {"Content-Type": "text/html; charset=utf-8"})
            store_page(db, record, source_id="t", seen_at="2024-12-09", crawl_id=crawl)
    db.close()
    return path


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("ref-spellings") / "archive.db", PAGES)


def citing(db_path, ref):
    conn = open_db(db_path).conn
    try:
        return {url.rsplit("/", 1)[1] for (url,) in conn.execute(
            "select a.url from doc_refs d join articles a on a.id = d.article_id where d.ref = ?", [ref])}
    finally:
        conn.close()


def test_the_full_width_reference_of_a_page_is_stored(db_path):
    assert citing(db_path, "174/KH-UBND") == {"ke-hoach.html", "toan-goc.html"}


@pytest.mark.parametrize("typed, archived", TYPED)
def test_the_reading_room_filter_takes_each_spelling(db_path, typed, archived):
    ds = make_datasette(db_path)
    body = asyncio.run(ds.client.get(f"/-/results.json?{urlencode({'ref': typed})}")).json()
    assert (body["count"], body["filters"], body["notes"]) == (len(citing(db_path, archived)), {"ref": archived}, [])


@pytest.mark.parametrize("typed, archived", [TYPED[0], TYPED[1], TYPED[4], TYPED[6]])
def test_export_takes_each_spelling(db_path, typed, archived):
    result = subprocess.run([str(BIN / "govarchive"), "export", "--db", db_path, "--format", "jsonl", "--ref", typed],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "note:" not in result.stderr
    exported = {json.loads(line)["url"].rsplit("/", 1)[1] for line in result.stdout.splitlines()}
    assert exported == citing(db_path, archived)
