"""A downloaded record names who issued each document the article cites, and when: "174/KH-UBND"
of Đắk Lắk and of Hà Nội are two documents, and ``refs`` alone cannot tell them apart. The
archives are made by extracting and ingesting a few pages directly (no crawl)."""

import asyncio
import csv
import io
import json
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive import ingest
from archive.cli import cli
from archive.db import open_db
from archive.export import Selection, export
from archive.extract import extract
from archive.serve import make_datasette
from conftest import store_page
from test_reading_room_issuers import DAK_LAK, HA_NOI, SOURCE, _page

# (key, the paragraph citing the documents): Hà Nội's plan 174 after a decree of the government,
# cited first though it sorts last; Đắk Lắk's plan 174 with its date; the number naming no issuer.
PAGES = (
    ("hn", "Thực hiện Nghị định 13/2023/NĐ-CP, Kế hoạch 174/KH-UBND ngày 3/7/2025 của UBND TP Hà Nội đặt mục "
           "tiêu bảo vệ dữ liệu cá nhân ở các quận."),
    ("dl", "UBND tỉnh Đắk Lắk vừa ban hành Kế hoạch 174/KH-UBND ngày 20/6/2025 về chuyển đổi số cho các xã."),
    ("bare", "Nhiều địa phương đã triển khai Kế hoạch 174/KH-UBND với các chỉ tiêu cụ thể cho từng quý."),
)
DOCUMENTS = {
    "hn": [{"ref": "13/2023/NĐ-CP", "issuing_body": None, "issued": None},
           {"ref": "174/KH-UBND", "issuing_body": HA_NOI, "issued": "2025-07-03"}],
    "dl": [{"ref": "174/KH-UBND", "issuing_body": DAK_LAK, "issued": "2025-06-20"}],
    "bare": [{"ref": "174/KH-UBND", "issuing_body": None, "issued": None}],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("documents") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i, (key, paragraph) in enumerate(PAGES):
            record = extract(_page(f"Bài {key}", paragraph), f"https://t.vn/{key}", {"Content-Type": "text/html"})
            record["published"] = f"2025-07-{10 + i:02d}T08:00:00+07:00"
            store_page(db, record, source_id="t", seen_at="2025-07-20", crawl_id=crawl)
    db.close()
    return path


def _copy(archive, tmp_path, *statements):
    copy = tmp_path / "archive.db"
    source = sqlite3.connect(archive)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    for sql in statements:
        target.execute(sql)
    target.commit()
    target.close()
    return copy


def _exported(path, fmt, tmp_path) -> bytes:
    db = Database(path)  # as it is: an archive read without its upgrade keeps its schema
    out = tmp_path / f"out.{fmt}"
    with out.open("wb") as file:
        export(db, path, fmt, file, Selection())
    db.close()
    return out.read_bytes()


def _key(record) -> str:
    return record["url"].rsplit("/", 1)[1]


def jsonl_documents(path, tmp_path) -> dict:
    return {_key(r): r["documents"] for r in map(json.loads, _exported(path, "jsonl", tmp_path).splitlines())}


def test_each_record_carries_its_documents_with_issuer_and_date_in_every_format(archive, tmp_path):
    records = [json.loads(line) for line in _exported(archive, "jsonl", tmp_path).splitlines()]
    assert {_key(r): r["documents"] for r in records} == DOCUMENTS
    # refs stays as it was: the numbers, each once.
    assert {_key(r): r["refs"] for r in records} == {"hn": ["13/2023/NĐ-CP", "174/KH-UBND"],
                                                     "dl": ["174/KH-UBND"], "bare": ["174/KH-UBND"]}

    rows = list(csv.DictReader(io.StringIO(_exported(archive, "csv", tmp_path).decode("utf-8-sig"))))
    assert {_key(r): json.loads(r["documents"]) for r in rows} == DOCUMENTS
    # The last column: a CSV read by column position still reads.
    assert list(rows[0])[-2:] == ["changed", "documents"]

    with zipfile.ZipFile(io.BytesIO(_exported(archive, "zip", tmp_path))) as zipped:
        in_zip = [json.loads(line) for line in zipped.read("articles.jsonl").splitlines()]
        in_csv = list(csv.DictReader(io.StringIO(zipped.read("articles.csv").decode("utf-8-sig"))))
        readme = zipped.read("README.txt").decode()
    assert {_key(r): r["documents"] for r in in_zip} == DOCUMENTS
    assert {_key(r): json.loads(r["documents"]) for r in in_csv} == DOCUMENTS
    assert "\ndocuments " in readme


def test_the_article_json_carries_them_as_the_export_does(archive, tmp_path):
    ds = make_datasette(archive)
    records = [json.loads(line) for line in _exported(archive, "jsonl", tmp_path).splitlines()]
    for record in records:
        response = asyncio.run(ds.client.get(f"/-/article/{record['id']}.json"))
        assert response.status_code == 200
        assert response.json()["documents"] == DOCUMENTS[_key(record)]


def test_an_archive_read_before_m025_exports_them_with_no_issuer(archive, tmp_path):
    copy = _copy(archive, tmp_path, "delete from _sqlite_migrations where name = 'm025_doc_refs_issuing_body'",
                 "alter table doc_refs drop column issuing_body")
    unnamed = {key: [{**d, "issuing_body": None} for d in documents] for key, documents in DOCUMENTS.items()}
    assert jsonl_documents(copy, tmp_path) == unnamed
    ds = make_datasette(copy)  # serve reads an archive as it is
    (hn,) = [i for (i,) in sqlite3.connect(copy).execute("select id from articles where url like '%/hn'")]
    assert asyncio.run(ds.client.get(f"/-/article/{hn}.json")).json()["documents"] == unnamed["hn"]


def export_ref(path, value):
    return CliRunner().invoke(cli, ["export", "--db", str(path), "--format", "jsonl", "--ref", value])


def test_a_ref_naming_an_issuer_on_an_archive_not_re_extracted_says_reextract_reads_issuers(archive, tmp_path):
    # As an archive upgraded through m025 has it until reextract: read by the rules before, no issuer.
    copy = _copy(archive, tmp_path, "update doc_refs set issuing_body = null",
                 "update articles set extractor_version = 'govarchive-23/trafilatura-2.0.0'")
    result = export_ref(copy, f"174/KH-UBND ({DAK_LAK})")
    assert result.exit_code == 0 and result.stdout == ""
    warning = " ".join(line for line in result.stderr.splitlines() if "issuers" in line)
    assert warning.startswith("warning: 3 articles citing 174/KH-UBND were read before the archive read "
                              "documents' issuers")
    assert f"'govarchive reextract --db {copy}'" in warning
    # Typed by hand, another spelling of the number and of the issuer.
    assert "3 articles citing" in export_ref(copy, "174/kh-ubnd (UBND tỉnh Đắk Lắk)").stderr
    # The number alone selects every citation: nothing is left out, nothing to say.
    result = export_ref(copy, "174/KH-UBND")
    assert "issuers" not in result.stderr and len(result.stdout.splitlines()) == 3
    from archive.export import read_before_issuers

    db = Database(copy)
    assert read_before_issuers(db, "13/2023/NĐ-CP (Chính phủ)") == 1
    db.close()


def test_an_archive_that_read_issuers_says_nothing_of_them(archive):
    result = export_ref(archive, f"174/KH-UBND ({HA_NOI})")
    assert result.exit_code == 0 and "issuers" not in result.stderr
    assert [_key(json.loads(line)) for line in result.stdout.splitlines()] == ["hn"]
