"""The other spellings of a word or number, where they were missed: the last word of a prefix,
the day and month of a date, a number typed with its thousands apart, a prefix in quotes."""

import asyncio
import json

import pytest

from archive.db import open_db
from archive.search import parse_query, search, snippet
from archive.serve import make_datasette
from test_search import small_archive

ARTICLES = {
    "qui-i": ("Qui chế làm việc của sở", "Sở ban hành qui chế mới về quản lí hồ sơ và kĩ năng văn thư."),
    "quy-y": ("Quý khách lưu ý", "Quý khách vui lòng đọc kỹ hướng dẫn quản lý trước khi nộp."),
    "quyet": ("Ủy ban ra văn bản mới", "Văn bản nêu rõ quyền và nghĩa vụ của người nộp hồ sơ."),
    "khoe-old": ("Chăm sóc sức khoẻ người cao tuổi", "Người cao tuổi được khám sức khoẻ miễn phí."),
    "khoe-bare": ("Vườn hoa khoe sắc", "Vườn hoa khoe sắc, khoe hương, khoe màu suốt mùa xuân."),
    "date-padded": ("Lịch tiếp dân", "Buổi tiếp dân diễn ra ngày 08/04/2025; hạn nộp ý kiến là 05/05/2025."),
    "date-bare": ("Thông báo kết quả", "Ngày 8/4/2025 sở thông báo kết quả xét tuyển."),
    "plain-number": ("Hồ sơ trực tuyến", "Có 1500 hồ sơ được nộp trực tuyến."),
    "dotted-number": ("Ý kiến người dân", "Sở đã tiếp nhận 2.500 ý kiến góp ý."),
    "da-nang": ("Đà Nẵng mở tuyến xe buýt", "Thành phố Đà Nẵng mở thêm tuyến xe buýt ven biển."),
}


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("spellings-more") / "archive.db", ARTICLES)


def found(path, query):
    db = open_db(path, create=False)
    try:
        return [r["url"].rsplit("/", 1)[1] for r in search(db, query, limit=50)]
    finally:
        db.close()


@pytest.mark.parametrize("word", ["quí", "quý", "qui", "quy", "lí", "lý", "kĩ", "kỹ"])
def test_a_prefix_finds_what_the_word_finds_in_either_spelling(path, word):
    assert set(found(path, word)) == {"qui-i", "quy-y"}
    assert set(found(path, word + "*")) >= {"qui-i", "quy-y"}


def test_the_other_spelling_of_a_prefix_is_the_whole_word(path):
    # i and y are each other only closing a syllable: "qui*" finds "quy", not "quyền".
    assert set(found(path, "qui*")) == {"qui-i", "quy-y"}
    assert set(found(path, "quy*")) == {"qui-i", "quy-y", "quyet"}


def test_a_prefix_in_either_spelling_finds_the_same_in_datasette_and_the_reading_room(path):
    ds = make_datasette(path)
    data = asyncio.run(ds.client.get("/archive/articles.json", params={"_search": "quí*", "_shape": "objects"})).json()
    assert {row["url"].rsplit("/", 1)[1] for row in data["rows"]} == {"qui-i", "quy-y"}
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": "lý*"})).json()
    assert {r["title"] for r in data["results"]} == {ARTICLES["qui-i"][0], ARTICLES["quy-y"][0]}


@pytest.mark.parametrize("typed, keys", [
    ("8/4/2025", {"date-padded", "date-bare"}),
    ("08/04/2025", {"date-padded", "date-bare"}),
    ("5/5/2025", {"date-padded"}),
    ("8/4", {"date-padded", "date-bare"}),
    ("08/4", {"date-padded", "date-bare"}),
    # as the press also writes dates: with points
    ("8.4.2025", {"date-padded", "date-bare"}),
    ("08.04.2025", {"date-padded", "date-bare"}),
    ("5.5.2025", {"date-padded"}),
])
def test_every_number_of_a_date_is_found_with_or_without_its_leading_zero(path, typed, keys):
    assert set(found(path, typed)) == keys


def test_the_spellings_of_a_query_with_many_numbers_stay_few():
    folded = parse_query("1/2/3/4/5/6/7/8").folded
    assert folded.count(" OR ") + 1 == 8


def test_the_search_cli_and_export_find_a_date_without_its_leading_zeros(path, run_cli):
    result = run_cli("search", "5/5/2025", "--json", "--db", path, check=True)
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == ["https://t.vn/date-padded"]
    result = run_cli("export", "--format", "jsonl", "--search", "5/5/2025", "--db", path, check=True)
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == ["https://t.vn/date-padded"]


def test_a_prefix_takes_the_other_tone_placement_as_the_accents_typed(path):
    results = search(open_db(path, create=False), "khỏe*")
    assert [r["url"].rsplit("/", 1)[1] for r in results] == ["khoe-old", "khoe-bare"]
    assert [r["exact_match"] for r in results] == [True, False]
    # and so does a prefix's last word after others, as the words before it did
    assert parse_query("sức khỏe*").accented == '"sức" AND ( "khỏe"* OR "khoẻ" )'


@pytest.mark.parametrize("typed, key", [("1.500", "plain-number"), ("1,500", "plain-number"),
                                        ("2500", "dotted-number"), ("2.500", "dotted-number")])
def test_a_number_finds_it_with_or_without_its_thousands_apart(path, typed, key):
    assert found(path, typed) == [key]


def test_a_number_typed_with_its_thousands_apart_is_marked_without_them():
    assert snippet("Có 1500 hồ sơ và 1.500 lượt, 1 500 người", parse_query("1.500")) == (
        "Có [1500] hồ sơ và [1].[500] lượt, [1] [500] người")


def test_a_number_typed_with_its_thousands_apart_has_no_leading_zero():
    assert parse_query("1.500").folded == '( "1 500" OR "1500" )'
    # the digits after a decimal point are as typed, and years as written
    assert parse_query("4.0").folded == '"4 0"'
    assert parse_query("2.024").folded == '"2 024"'


@pytest.mark.parametrize("typed", ['"Đà N*"', '"Đà N"*', '"da n*"', 'title:"Đà N*"'])
def test_a_star_ending_a_phrase_makes_its_last_word_a_prefix(path, typed):
    assert found(path, typed) == ["da-nang"]
    assert parse_query(typed).notes == ()


def test_a_prefix_ending_a_phrase_in_the_reading_room_and_datasette(path):
    ds = make_datasette(path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": '"Đà N*"'})).json()
    assert [r["title"] for r in data["results"]] == [ARTICLES["da-nang"][0]] and data["notes"] == []
    data = asyncio.run(ds.client.get("/archive/articles.json", params={"_search": '"da n"*', "_shape": "objects"})).json()
    assert [row["url"] for row in data["rows"]] == ["https://t.vn/da-nang"]


def test_a_phrase_ending_in_a_prefix_finds_the_other_spelling_of_its_last_word(path):
    assert set(found(path, '"quản lí"*')) == {"qui-i", "quy-y"}
    assert parse_query('"sức khỏe"*').accented == '( "sức" AND ( "khỏe"* OR "khoẻ" ) )'
    assert found(path, '"sức khỏe"*') == ["khoe-old"]


@pytest.mark.parametrize("typed", ['"Đà* Nẵng"', "Đà*Nẵng", "*Nẵng", "Đà Nẵng *", '"Đà *"', '"Đà Nẵng *"'])
def test_a_star_that_is_not_at_the_end_of_a_word_or_phrase_gets_a_note(path, typed):
    [note] = parse_query(typed).notes
    assert note.en.startswith("Ignored the * in «") and "only at the end of a word or a phrase" in note.en
    assert note.vi.startswith("Bỏ qua dấu * trong «")
    assert found(path, typed) == found(path, typed.replace("*", " "))
