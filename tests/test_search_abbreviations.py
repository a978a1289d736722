"""The abbreviations of agencies and places in a search: "UBND" finds "Ủy ban nhân dân" and the
other way round, "TP.HCM" "Thành phố Hồ Chí Minh", "Sở TT&TT" "Sở Thông tin và Truyền thông",
in the library, the reading room and datasette's JSON, with and without accents."""

import asyncio

import pytest

from archive.db import open_db
from archive.search import parse_query, search, snippet
from archive.serve import make_datasette
from test_search import small_archive

ARTICLES = {
    "ubnd": ("UBND tỉnh Đắk Lắk họp phiên thường kỳ", "Chiều nay, UBND tỉnh Đắk Lắk đã họp phiên thường kỳ."),
    "uy-ban": ("Ủy ban nhân dân tỉnh Đắk Lắk ban hành kế hoạch", "Ủy ban nhân dân tỉnh Đắk Lắk vừa ban hành kế hoạch."),
    # The words of the long form apart: the words typed still find it, the phrase does not.
    "apart": ("Đắk Lắk tổng kết năm", "Tỉnh Đắk Lắk mời ủy viên ban chấp hành và nhân dân dự lễ."),
    "tp-hcm": ("TP.HCM mở cổng dịch vụ công", "Người dân TP.HCM nộp hồ sơ trực tuyến."),
    "tp-dot": ("Họp báo chiều nay", "TP. Hồ Chí Minh tổ chức họp báo về cải cách hành chính."),
    "thanh-pho": ("Thành phố Hồ Chí Minh đón khách", "Thành phố Hồ Chí Minh đón nhiều khách du lịch."),
    "tphcm": ("Tin TPHCM", "TPHCM ra mắt ứng dụng mới."),
    "so-tt": ("Sở TT&TT Bắc Giang tập huấn", "Sở TT&TT Bắc Giang tập huấn công chức về an toàn thông tin."),
    "so-long": ("Sở Thông tin và Truyền thông Nghệ An", "Sở Thông tin và Truyền thông Nghệ An kiểm tra báo chí."),
    "hdnd": ("Kỳ họp HĐND tỉnh", "HĐND tỉnh Hà Tĩnh khai mạc kỳ họp thứ 10."),
    "hoi-dong": ("Kỳ họp Hội đồng nhân dân tỉnh", "Hội đồng nhân dân tỉnh Cà Mau khai mạc kỳ họp."),
    "bcd": ("BCĐ 389 họp", "BCĐ 389 tỉnh triển khai nhiệm vụ chống buôn lậu."),
    "ban-chi-dao": ("Ban Chỉ đạo chuyển đổi số họp", "Ban Chỉ đạo chuyển đổi số tỉnh họp phiên đầu tiên."),
    "mttq": ("MTTQ phường trao quà", "MTTQ phường trao quà cho hộ nghèo."),
    "mat-tran": ("Mặt trận Tổ quốc phường trao quà", "Mặt trận Tổ quốc phường trao quà cho hộ nghèo."),
    "bo-tt": ("Bộ TT&TT công bố dữ liệu", "Bộ TT&TT công bố dữ liệu về báo chí."),
    "bo-long": ("Bộ Thông tin và Truyền thông chỉ đạo", "Bộ Thông tin và Truyền thông chỉ đạo các cơ quan báo chí."),
    "gd": ("Sở GD&ĐT Nghệ An thông báo", "Sở GD&ĐT Nghệ An thông báo lịch thi."),
    "giao-duc": ("Sở Giáo dục và Đào tạo Hà Tĩnh thông báo", "Sở Giáo dục và Đào tạo Hà Tĩnh thông báo lịch thi."),
    "plan": ("Thực hiện Kế hoạch 174/KH-UBND", "Sở tổng kết Kế hoạch số 174/KH-UBND về cải cách."),
}


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("abbreviations") / "archive.db", ARTICLES)


def found(path, query, **options):
    db = open_db(path, create=False)
    try:
        return [r["url"].rsplit("/", 1)[1] for r in search(db, query, limit=50, **options)]
    finally:
        db.close()


@pytest.mark.parametrize("query", [
    "UBND tỉnh Đắk Lắk", "Ủy ban nhân dân tỉnh Đắk Lắk", "Uỷ ban nhân dân tỉnh Đắk Lắk", "ubnd tinh dak lak",
    "uy ban nhan dan tinh dak lak", '"UBND tỉnh Đắk Lắk"', '"Ủy ban nhân dân tỉnh Đắk Lắk"', "UBND",
])
def test_ubnd_and_uy_ban_nhan_dan_find_each_other(path, query):
    assert {"ubnd", "uy-ban"} <= set(found(path, query))


@pytest.mark.parametrize("query", [
    "TP.HCM", "TP. Hồ Chí Minh", "TP Hồ Chí Minh", "Thành phố Hồ Chí Minh", "thanh pho ho chi minh", "TPHCM",
    "tp.hcm", "TP HCM", '"TP. Hồ Chí Minh"', "Tp.Hồ Chí Minh",
])
def test_every_spelling_of_ho_chi_minh_city_finds_every_other(path, query):
    assert set(found(path, query)) == {"tp-hcm", "tp-dot", "thanh-pho", "tphcm"}


@pytest.mark.parametrize("query, keys", [
    ("Sở TT&TT", {"so-tt", "so-long"}),
    ("Sở Thông tin và Truyền thông", {"so-tt", "so-long"}),
    ("so thong tin va truyen thong", {"so-tt", "so-long"}),
    ('"Sở TT&TT"', {"so-tt", "so-long"}),
    ("Bộ TT&TT", {"bo-tt", "bo-long"}),
    ('"Bộ Thông tin và Truyền thông"', {"bo-tt", "bo-long"}),
    ("HĐND", {"hdnd", "hoi-dong"}),
    ("hoi dong nhan dan", {"hdnd", "hoi-dong"}),
    ("MTTQ phường", {"mttq", "mat-tran"}),
    ("Mặt trận Tổ quốc phường", {"mttq", "mat-tran"}),
    # An agency's abbreviation in data/agencies.toml: "Sở GD&ĐT" is "Sở Giáo dục và Đào tạo".
    ("Sở GD&ĐT", {"gd", "giao-duc"}),
    ("Giáo dục và Đào tạo", {"gd", "giao-duc"}),
    # One the agency table lacked, added to its abbreviations for search.
    ("BCĐ", {"bcd", "ban-chi-dao"}),
    ('"Ban Chỉ đạo"', {"bcd", "ban-chi-dao"}),
])
def test_the_agencies_abbreviations_find_their_long_forms_and_the_other_way_round(path, query, keys):
    assert set(found(path, query)) == keys


def test_a_long_form_typed_without_quotes_still_finds_its_words_apart_and_ranks_them_last(path):
    results = found(path, "Ủy ban nhân dân tỉnh Đắk Lắk")
    assert set(results) == {"ubnd", "uy-ban", "apart"}
    assert results[-1] == "apart"
    # Quoted, the long form is a phrase, as its abbreviation is.
    assert set(found(path, '"Ủy ban nhân dân tỉnh Đắk Lắk"')) == {"ubnd", "uy-ban"}


def test_operators_columns_and_exclusions_take_every_spelling(path):
    assert found(path, "Đắk Lắk -UBND") == ["apart"]
    assert found(path, "Đắk Lắk NOT \"Ủy ban nhân dân\"") == ["apart"]
    assert set(found(path, "HĐND OR MTTQ")) == {"hdnd", "hoi-dong", "mttq", "mat-tran"}
    assert set(found(path, "title:(Ủy ban nhân dân tỉnh)")) == {"ubnd", "uy-ban"}
    # The UBND of a document number is the issuing committee: "Ủy ban nhân dân" finds it too.
    assert set(found(path, "title:(Ủy ban nhân dân)")) == {"ubnd", "uy-ban", "plan"}
    assert set(found(path, "title:TP.HCM")) == {"tp-hcm", "thanh-pho", "tphcm"}
    assert set(found(path, "UBND*")) == {"ubnd", "plan"}


def test_a_document_number_is_not_expanded(path):
    # The UBND of 174/KH-UBND is the issuer's code in a document number, not words of their own.
    assert "uy ban" not in parse_query("174/KH-UBND").folded
    assert found(path, '"KH-UBND"') == ["plan"]


def test_snippets_mark_the_spelling_the_article_has(path):
    query = parse_query("UBND tỉnh Đắk Lắk")
    assert "[Ủy] [ban] [nhân] [dân] [tỉnh] [Đắk] [Lắk]" in snippet(ARTICLES["uy-ban"][1], query)
    assert "[TP.HCM]" in snippet(ARTICLES["tp-hcm"][1], parse_query("Thành phố Hồ Chí Minh")).replace("].[", ".")


def test_the_reading_room_and_datasette_find_both_spellings_and_show_the_query_as_typed(path):
    ds = make_datasette(path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": "UBND tỉnh Đắk Lắk"})).json()
    assert {r["title"] for r in data["results"]} == {ARTICLES["ubnd"][0], ARTICLES["uy-ban"][0]}
    rows = asyncio.run(ds.client.get("/archive/articles.json", params={
        "_search": "Sở TT&TT", "_shape": "objects"})).json()["rows"]
    assert {row["url"].rsplit("/", 1)[1] for row in rows} == {"so-tt", "so-long"}
    page = asyncio.run(ds.client.get("/-/search", params={"q": "TP.HCM"})).text
    assert 'value="TP.HCM"' in page and "<title>«TP.HCM» · 4 kết quả" in page
    assert "<mark>Thành</mark> <mark>phố</mark> <mark>Hồ</mark>" in page and "<mark>TPHCM</mark>" in page


@pytest.mark.parametrize("typed", ["text:UBND", "text:TP.HCM", "UBND text:hoa", "text:qui"])
def test_a_column_search_naming_another_column_is_refused_whatever_spellings_its_words_have(path, typed):
    # The spellings of a word are ORed in a group of their own: they join no column filter.
    response = asyncio.run(make_datasette(path).client.get("/archive/articles.json", params={"_search_title": typed}))
    assert response.status_code == 400
    assert "names the column text" in response.json()["error"]


def test_a_column_search_naming_another_column_in_a_group_with_or_is_searched(path):
    ds = make_datasette(path)
    rows = asyncio.run(ds.client.get("/archive/articles.json", params={
        "_search_title": "(BCĐ OR text:hoa) họp", "_shape": "objects"})).json()["rows"]
    assert {row["url"].rsplit("/", 1)[1] for row in rows} == {"bcd", "ban-chi-dao"}
