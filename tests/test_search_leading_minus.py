"""A "-" exclusion typed before the words it excludes from: "-oa zalo" is "zalo -oa", as search
engines take it, in ``govarchive search``, the reading room, datasette's search box and
``export --search``."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import open_db
from archive.search import count_matches, parse_query, search, snippet
from archive.serve import make_datasette
from test_search import small_archive

ARTICLES = {
    "oa": ("Đồng Nai triển khai Zalo OA", "Tỉnh Đồng Nai đưa Zalo OA vào phục vụ người dân."),
    "mini": ("Zalo Mini App cổng dịch vụ công", "Cổng dịch vụ công có Zalo Mini App."),
    "cong": ("Cổng thông tin trên Zalo", "Người dân tra cứu cổng thông tin qua Zalo."),
    "fanpage": ("Fanpage và Zalo của cổng tỉnh", "Cổng thông tin tỉnh mở fanpage và Zalo."),
    "oa-cong": ("Zalo OA của cổng thông tin", "Cổng thông tin tỉnh có Zalo OA."),
    "facebook": ("Trang Facebook của tỉnh", "Tỉnh mở trang Facebook để tiếp nhận phản ánh."),
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("leading-minus") / "archive.db", ARTICLES)


def found(db_path, query):
    db = open_db(db_path, create=False)
    return sorted(r["url"].rsplit("/", 1)[1] for r in search(db, query, limit=50))


def notes(query):
    return [str(note) for note in parse_query(query).notes]


@pytest.mark.parametrize("typed, meant", [
    ("-oa zalo", "zalo -oa"),
    ("-oa -fanpage zalo cổng", "zalo cổng -oa -fanpage"),
    ("–oa zalo", "zalo –oa"),
    ("-oa AND zalo", "zalo -oa"),
    ('-"zalo oa" cổng', 'cổng -"zalo oa"'),
    ("-title:oa zalo", "zalo -title:oa"),
    ("-(oa OR fanpage) zalo", "zalo -(oa OR fanpage)"),
    ("-oa (zalo OR facebook)", "(zalo OR facebook) -oa"),
    ("(-oa zalo) OR facebook", "(zalo -oa) OR facebook"),
    ("facebook OR -oa -fanpage zalo", "facebook OR zalo -oa -fanpage"),
    ("title:(-oa zalo)", "title:(zalo -oa)"),
    # An empty group is no operand: the exclusion after it still starts its branch.
    ("(()) -oa zalo", "zalo -oa"),
    ("( ) -fanpage zalo", "zalo -fanpage"),
])
def test_an_exclusion_typed_first_excludes_from_the_rest_of_its_branch(db_path, typed, meant):
    assert parse_query(typed) == parse_query(meant)
    assert notes(typed) == []
    assert found(db_path, typed) == found(db_path, meant)
    db = open_db(db_path, create=False)
    assert count_matches(db, typed) == count_matches(db, meant)


def test_the_counts_are_those_of_the_exclusion_typed_last(db_path):
    assert found(db_path, "-oa zalo") == ["cong", "fanpage", "mini"]
    assert found(db_path, "-oa -fanpage zalo cổng") == ["cong", "mini"]


@pytest.mark.parametrize("typed, left_out, searched", [
    ("-oa", "-oa", ""),
    # OR binds loosest: "-oa" is a side of its own, "every article without oa", which no index lists.
    ("-oa OR zalo", "-oa", '"zalo"'),
    ("zalo OR -oa", "-oa", '"zalo"'),
    # A group says how far the exclusion reaches: nothing in it to exclude from.
    ("(-oa) zalo", "-oa", '"zalo"'),
    ("-oa ()", "-oa", ""),
    ("-oa (NOT fanpage)", "-oa", ""),
])
def test_an_exclusion_with_nothing_to_exclude_from_is_still_left_out(typed, left_out, searched):
    assert (f"Left out «{left_out}»: - needs a word with it, in the same brackets and on the same side of any OR, "
            f"as in «word {left_out}»" in notes(typed))
    assert parse_query(typed).folded == searched


def test_a_not_typed_first_still_needs_a_word_before_it(db_path):
    assert notes("NOT oa zalo") == ["Left out «NOT oa»: NOT needs a word before it, as in «word NOT oa»"]
    assert parse_query("NOT oa zalo").folded == '"zalo"'
    # a "-" exclusion beside it still excludes
    assert parse_query("NOT fanpage -oa zalo").folded == parse_query("-oa NOT fanpage zalo").folded == '"zalo" NOT "oa"'


@pytest.mark.parametrize("typed, meant", [("-hoa hòa", "hòa -hoa"), ("-năm Việt Nam", "Việt Nam -năm")])
def test_an_exclusion_of_a_word_searched_for_says_so_wherever_it_is_typed(typed, meant):
    assert notes(typed) == notes(meant) != []
    assert notes(typed)[0].startswith("Nothing can match «")


def test_the_words_excluded_first_are_not_marked_and_the_words_after_them_are_a_run():
    text = ARTICLES["oa-cong"][1] + " Zalo và cổng."
    assert snippet(text, parse_query("-oa zalo")) == snippet(text, parse_query("zalo -oa"))
    assert "[OA]" not in snippet(text, parse_query("-oa zalo")) and "[Zalo]" in snippet(text, parse_query("-oa zalo"))
    assert parse_query("-oa zalo cổng").phrase == parse_query("zalo cổng").phrase == '"zalo cong"'


def test_the_reading_room_and_datasettes_search_box_take_it_so(db_path):
    ds = make_datasette(db_path)

    def results(query):
        body = asyncio.run(ds.client.get("/-/results.json", params={"q": query})).json()
        titles = {title: key for key, (title, _text) in ARTICLES.items()}
        return sorted(titles[r["title"]] for r in body["results"]), body["count"], body["notes"]

    def rows(query):
        response = asyncio.run(ds.client.get("/archive/articles.json", params={"_search": query, "_shape": "objects"}))
        return sorted(r["url"].rsplit("/", 1)[1] for r in response.json()["rows"])

    assert results("-oa zalo") == results("zalo -oa") == (["cong", "fanpage", "mini"], 3, [])
    assert rows("-oa zalo") == rows("zalo -oa") == ["cong", "fanpage", "mini"]


def govarchive(*args):
    return subprocess.run([str(Path(sys.executable).with_name("govarchive")), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_the_search_cli_after_dashes_dashes(db_path):
    typed = govarchive("search", "--db", db_path, "--limit", "1", "--", "-oa zalo")
    meant = govarchive("search", "--db", db_path, "--limit", "1", "zalo -oa")
    assert typed.returncode == meant.returncode == 0, typed.stderr + meant.stderr
    assert typed.stdout.splitlines()[0] == meant.stdout.splitlines()[0] == "3 articles match; results 1–1:"
    assert typed.stderr == meant.stderr == ""


def test_export_search_exports_what_search_finds(db_path):
    def exported(query):
        result = govarchive("export", "--db", db_path, "--format", "jsonl", "--search", query)
        assert result.returncode == 0, result.stderr
        return sorted(json.loads(line)["url"].rsplit("/", 1)[1] for line in result.stdout.splitlines()), \
            [line for line in result.stderr.splitlines() if line.startswith("note:")]

    assert exported("-oa zalo") == exported("zalo -oa") == (["cong", "fanpage", "mini"], [])
