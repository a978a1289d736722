"""What search highlights: the words that matched, as they matched, and the notes that say why a
query cannot match."""

import asyncio
import json

import pytest

from archive.db import open_db
from archive.search import html_snippet, parse_query, search, snippet
from archive.serve import make_datasette
from test_search import small_archive

HOA_BINH = "Uỷ ban nhân dân tỉnh Hoà Bình họp bàn về thuỷ lợi"
THUY_SAN = "Hội nghị về phát triển thủy sản bền vững và hòa nhập cộng đồng."
KY_THUAT = "Ứng dụng kỹ thuật số trong quản lý thủy lợi. Các sở nâng cao sức khỏe hệ thống."


def test_the_words_of_a_phrase_are_marked_only_where_the_phrase_stands():
    # The article matched on "thuỷ" alone: "Hoà" of "hoa đào" did not match.
    assert snippet(HOA_BINH, parse_query('"hoa đào" OR thuỷ')) == "Uỷ ban nhân dân tỉnh Hoà Bình họp bàn về [thuỷ] lợi"
    assert snippet(THUY_SAN, parse_query('"hoa đào" OR thủy')) == (
        "Hội nghị về phát triển [thủy] sản bền vững và hòa nhập cộng đồng.")
    assert snippet(KY_THUAT, parse_query('"thuy loi" OR "ky nang"')) == (
        "Ứng dụng kỹ thuật số trong quản lý [thủy] [lợi]. Các sở nâng cao sức khỏe hệ thống.")
    # where it stands, it is marked; a word also typed alone is marked anywhere
    assert snippet("Lễ hội hoa đào, ngắm hoa.", parse_query('"hoa đào" OR thuỷ')) == "Lễ hội [hoa] [đào], ngắm hoa."
    assert snippet("Lễ hội hoa đào, ngắm hoa.", parse_query('"hoa đào" OR hoa')) == "Lễ hội [hoa] [đào], ngắm [hoa]."
    # a token of several words is a phrase too, a prefix at its end included
    assert snippet("Kế hoạch 174/KH-UBND; UBND và KH số 174", parse_query("174/KH-UB*")) == (
        "Kế hoạch [174]/[KH]-[UBND]; UBND và KH số 174")


def test_a_title_marks_only_what_matched_in_the_reading_room(tmp_path):
    path = small_archive(tmp_path / "a.db", {"hoabinh": (HOA_BINH, THUY_SAN)})
    ds = make_datasette(path)
    page = asyncio.run(ds.client.get("/-/search", params={"q": '"hoa đào" OR thuỷ'})).text
    assert "tỉnh Hoà Bình họp bàn về <mark>thuỷ</mark> lợi" in page and "<mark>Hoà</mark>" not in page
    [result] = asyncio.run(ds.client.get("/-/results.json", params={"q": '"hoa đào" OR thuỷ'})).json()["results"]
    assert "[thủy] sản" in result["snippet"] and "[hòa]" not in result["snippet"]


NUMBERS = "Trong tháng 12/2024, có 5.000 người tham gia; năm 2025 dự kiến 5 lớp học và 5 000 lượt, 5000 lần."


@pytest.mark.parametrize("typed", ["5000", "５０００"])
def test_a_number_is_marked_only_whole(typed):
    assert snippet(NUMBERS, parse_query(typed)) == (
        "Trong tháng 12/2024, có [5].[000] người tham gia; năm 2025 dự kiến 5 lớp học và [5] [000] lượt, [5000] lần.")
    # Typed with its thousands apart, the number finds itself joined too.
    assert snippet(NUMBERS, parse_query("5.000")) == (
        "Trong tháng 12/2024, có [5].[000] người tham gia; năm 2025 dự kiến 5 lớp học và [5] [000] lượt, [5000] lần.")


def test_the_search_cli_marks_no_lone_digit_of_a_number(tmp_path, run_cli):
    path = small_archive(tmp_path / "a.db", {"numbers": ("Số liệu", NUMBERS)})
    [line] = run_cli("search", "5000", "--json", "--db", path, check=True).stdout.splitlines()
    assert "dự kiến 5 lớp" in json.loads(line)["snippet"]


EXCLUDED_IN_VAIN = [
    ("hòa -hoa", "hòa", "-hoa", "hoa"),
    ("hòa NOT hoa", "hòa", "NOT hoa", "hoa"),
    ("thủy -thúy", "thủy", "-thúy", "thúy"),
    ("Việt Nam -năm", "Nam", "-năm", "năm"),
    ("Đảng -đăng", "Đảng", "-đăng", "đăng"),
    ('"hòa bình" -hoa', '"hòa bình"', "-hoa", "hoa"),
    ("(hòa OR hoà) -hoa", "(hòa OR hoà)", "-hoa", "hoa"),
]


@pytest.mark.parametrize("typed, word, shown, excluded", EXCLUDED_IN_VAIN)
def test_excluding_a_word_searched_for_but_for_its_accents_says_nothing_can_match(typed, word, shown, excluded):
    [note] = parse_query(typed).notes
    assert note.en == (f"Nothing can match «{word} {shown}»: search ignores accents, "
                       f"so every article with «{word}» has «{excluded}»")
    assert note.vi == (f"Không bài nào có thể khớp «{word} {shown}»: tìm kiếm bỏ qua dấu, "
                       f"nên mọi bài có «{word}» đều có «{excluded}»")


@pytest.mark.parametrize("typed", ["hòa OR thủy -hoa", "hòa -hoan", "hòa* -hoa", 'hòa -"hoa đào"', "zalo -oa",
                                   "hòa -title:hoa", "hoa -hoa", "hòa -(hoa AND sen)"])
def test_an_exclusion_that_leaves_something_to_match_needs_no_note(typed):
    assert parse_query(typed).notes == ()


def test_the_cli_the_export_and_the_reading_room_say_why_an_exclusion_matches_nothing(tmp_path, run_cli):
    path = small_archive(tmp_path / "a.db", {"hoa": ("Hòa Bình", "Tỉnh Hòa Bình và hoa ban.")})
    note = "Nothing can match «hòa -hoa»: search ignores accents, so every article with «hòa» has «hoa»"
    cli = run_cli("search", "hòa -hoa", "--db", path, check=True)
    assert cli.stdout == "No results.\n" and cli.stderr == f"note: {note}\n"
    export = run_cli("export", "--search", "hòa -hoa", "--db", path, "-o", tmp_path / "out.jsonl", check=True)
    assert export.stderr.startswith(f"note: {note}\nwarning: nothing matched the selection")
    ds = make_datasette(path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": "hòa -hoa"})).json()
    assert data["count"] == 0 and [n["en"] for n in data["notes"]] == [note]
    rows = asyncio.run(ds.client.get("/a/articles.json", params={"_search": "hòa -hoa", "_shape": "objects"})).json()
    assert rows["rows"] == [] and note in rows["human_description_en"]


def test_both_tone_placements_are_marked_as_the_accents_typed():
    text = "Chị Nguyễn Thị Thuý, cán bộ y tế. Chị Thúy chia sẻ cùng chị Thủy."
    assert snippet(text, parse_query("thuý")) == "Chị Nguyễn Thị [Thuý], cán bộ y tế. Chị [Thúy] chia sẻ cùng chị Thủy."
    text = "Kênh của Đảng uỷ khối. ĐẢNG ỦY KHỐI yêu cầu; đang ủy quyền."
    assert snippet(text, parse_query("đảng ủy")) == "Kênh của [Đảng] [uỷ] khối. [ĐẢNG] [ỦY] KHỐI yêu cầu; đang ủy quyền."


def test_the_legacy_eth_is_the_accents_typed_of_d_with_stroke(tmp_path):
    path = small_archive(tmp_path / "a.db", {"eth": ("Ðà Nẵng họp báo", "Ðảng bộ thành phố Ðà Nẵng họp."),
                                             "stroke": ("Đảng uỷ", "Đảng uỷ khối họp.")})
    db = open_db(path, create=False)
    assert [r["exact_match"] for r in search(db, "Ðảng")] == [True, True]
    assert [(r["url"].rsplit("/", 1)[1], r["exact_match"]) for r in search(db, "Đà Nẵng")] == [("eth", True)]
    assert str(html_snippet("Ðà Nẵng và đa năng", parse_query("Đà Nẵng"))) == (
        "<mark>Ðà</mark> <mark>Nẵng</mark> và đa năng")
