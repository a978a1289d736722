"""How a table's streamed CSV ends: every row however big the file, and a last line saying so
when datasette cut the stream short."""

import asyncio
import csv
import io

import pytest

from archive.datasette.plugins.search_folding import INCOMPLETE
from archive.serve import make_datasette
from test_download_scale import ARTICLES, db_path  # noqa: F401 (fixture)


def streamed(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text[-500:]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def ds(db_path):  # noqa: F811 (the fixture imported)
    return make_datasette(db_path)


def test_a_whole_table_s_streamed_csv_has_no_size_limit(ds):
    # datasette's default max_csv_mb (100) cut a million articles' stream at 88,817 rows.
    assert ds.setting("max_csv_mb") == 0


def test_a_whole_table_s_streamed_csv_has_every_row_and_no_note(ds):
    header, *rows = streamed(ds, "/archive/articles.csv?_stream=on&_size=max&_col=title&_sort=id")
    assert header == ["id", "title"] and [int(r[0]) for r in rows] == list(range(1, ARTICLES + 1))


def test_a_stream_cut_short_ends_saying_it_is_incomplete(db_path):  # noqa: F811
    cut = make_datasette(db_path, max_csv_mb=1)
    *_, error, last = streamed(cut, "/archive/articles.csv?_stream=on&_size=max")
    assert error[-1].endswith("CSV contains more than 1048576 bytes")
    assert last == [INCOMPLETE]
