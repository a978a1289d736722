"""export --month, --ref, --platform, --agency select what the reading room's filters select,
a value typed by hand read as the archive writes it."""

import asyncio
import json
import sqlite3
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

from archive.serve import make_datasette

BIN = Path(sys.executable).parent


def govarchive(*args, cwd):
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def exported_ids(crawled_archive, *args):
    result = govarchive("export", "--db", "archive.db", *args, cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}, result.stderr


def reading_room_ids(crawled_archive, params):
    ds = make_datasette(crawled_archive / "archive.db")
    response = asyncio.run(ds.client.get(f"/-/search.json?{urlencode(params)}"))
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["rows"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def one(crawled_archive, sql):
    conn = sqlite3.connect(crawled_archive / "archive.db")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _values(crawled_archive):
    ref = one(crawled_archive, "select ref from doc_refs where ref like '0%' group by ref order by count(*) desc")
    platform = one(crawled_archive, "select platform from mentions where platform is not null group by platform "
                                    "order by count(distinct article_id) desc")
    agency = one(crawled_archive, "select name from mentions where kind = 'agency' and name like 'Bộ%' "
                                  "group by name order by count(distinct article_id) desc")
    month = one(crawled_archive, "select published_month from articles where published_month is not null "
                                 "group by 1 order by count(*) desc")
    year, number = month.split("-")
    return [
        ("ref", ref, ref), ("ref", ref, ref.lstrip("0").lower().replace("đ", "d").replace("Đ", "D")),
        ("platform", platform, platform.swapcase()),
        # Python's lower-casing in NFC, not SQLite's, which leaves Ộ, Đ … alone.
        ("agency", agency, unicodedata.normalize("NFD", agency.upper())),
        ("month", month, month), ("month", month, f"{int(number)}/{year}"), ("month", month, f"{year}-{int(number)}"),
    ]


def test_each_filter_selects_what_the_reading_room_selects(crawled_archive):
    for param, archived, typed in _values(crawled_archive):
        ids, stderr = exported_ids(crawled_archive, f"--{param}", typed)
        assert ids and ids == reading_room_ids(crawled_archive, {param: archived}), (param, typed)
        assert "note:" not in stderr, stderr


def test_filters_combine_with_each_other_and_with_a_search(crawled_archive):
    platform = _values(crawled_archive)[2][1]
    month = one(crawled_archive, "select a.published_month from articles a join mentions m on m.article_id = a.id "
                                 f"where m.platform = '{platform}' group by 1 order by count(*) desc")
    params = {"platform": platform, "month": month, "q": "Zalo"}
    ids, _ = exported_ids(crawled_archive, "--platform", params["platform"], "--month", params["month"],
                          "--search", params["q"])
    assert ids and ids == reading_room_ids(crawled_archive, params)
    alone, _ = exported_ids(crawled_archive, "--platform", params["platform"])
    assert ids < alone


def test_a_value_the_archive_does_not_hold_is_noted_and_nothing_is_written(crawled_archive, tmp_path):
    out = tmp_path / "none.jsonl"
    result = govarchive("export", "--db", "archive.db", "--ref", "93/QĐ-XYZ", "--agency", "Bộ Không Có", "-o", out,
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "note: the archive has no document «93/QĐ-XYZ»",
        "note: the archive has no agency «Bộ Không Có»",
        'warning: nothing matched the selection (source=all ref=93/QĐ-XYZ agency="Bộ Không Có"); '
        "nothing was written",
    ]
    assert not out.exists()


@pytest.mark.parametrize("month", ["2024-13", "June", "2024"])
def test_a_month_that_is_no_month_is_a_usage_error(crawled_archive, month):
    result = govarchive("export", "--db", "archive.db", "--month", month, cwd=crawled_archive)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--month': '{month}' is not a month written YYYY-MM (or MM/YYYY)")


def test_the_zip_readme_names_the_filters(crawled_archive, tmp_path):
    values = {param: archived for param, archived, _ in _values(crawled_archive)}
    out = tmp_path / "f.zip"
    result = govarchive("export", "--db", "archive.db", "--format", "zip", "--agency", values["agency"],
                        "-o", out, cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as bundle:
        readme = bundle.read("README.txt").decode()
    assert f'selection            source=all agency="{values["agency"]}"' in readme
