"""Accent-insensitive search: the query parser, ranking, snippets, CLI and datasette's search box."""

import asyncio
import json
import re
import shutil
import sqlite3
import sys
import unicodedata

import pytest
from click.testing import CliRunner

from archive import ingest
from archive import search as search_module
from archive.cli import cli
from archive.db import open_db
from archive.search import as_phrase, html_snippet, parse_query, search, snippet
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page
from tests.test_read_only import read_only  # noqa: F401 (a fixture: a test below takes it)
from tests.test_search_versions import BRIDGES, CORRECTED, ROAD, STILL, _archive_before_m030
from tests.test_search_versions import archive as versions  # noqa: F401 (a fixture: an archive with corrected pages)

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]

ARTICLES = {
    "hanoi": ("Hà Nội ra mắt Fanpage", "Thành phố Hà Nội ra mắt fanpage Thủ đô Hà Nội - Việt Nam."),
    "doimoi": ("Đổi mới truyền thông", "Công cuộc đổi mới công tác truyền thông chính sách."),
    "dongnai": ("Đồng Nai triển khai Zalo OA", "Tỉnh Đồng Nai đưa Zalo OA vào phục vụ người dân."),
    "nfd": ("Bài lưu NFD", unicodedata.normalize("NFD", "Sở Thông tin và Truyền thông Hà Nội họp báo.")),
    "vietnam": ("Việt Nam chuyển đổi số", "Người dân Việt Nam dùng dịch vụ công trực tuyến."),
    "nam1": ("Kết quả năm 2023", "Trong năm 2023, năm đầu tiên, số liệu của năm tăng."),
    "nam2": ("Kế hoạch năm 2024", "Năm 2024 là năm bản lề, năm thứ hai của kế hoạch."),
    "ref": ("Thực hiện Kế hoạch 174/KH-UBND", "Sở tổng kết Kế hoạch số 174/KH-UBND ngày 9/8/2019."),
    "facebook": ("Trang Facebook của tỉnh", "Tỉnh mở trang Facebook để tiếp nhận phản ánh."),
    "area": ("Khu đất 50 m²", "Khu đất rộng 50 m² ở Đà Lạt."),
}


def small_archive(path, articles: dict, **fields):
    """An archive of one source holding ``articles`` (key: (title, text)), each with ``fields``."""
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for key, (title, text) in articles.items():
            record = {"url": f"https://t.vn/{key}", "title": title, "text": text, "published": "2024-01-01",
                      "text_hash": key, **fields}
            store_page(db, record, source_id="t", seen_at="2024-01-01", crawl_id=crawl)
    db.close()
    return path


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("search") / "archive.db", ARTICLES)


def found(db_path, query):
    db = open_db(db_path, create=False)
    return [r["url"].rsplit("/", 1)[1] for r in search(db, query, limit=50)]


@pytest.mark.parametrize("query", ["ha noi", "Ha Noi", "hà nội", "HÀ NỘI", "HA NOI", unicodedata.normalize("NFD", "Hà Nội")])
def test_hanoi_whatever_the_accents(db_path, query):
    assert {"hanoi", "nfd"} <= set(found(db_path, query))


@pytest.mark.parametrize("query, key", [("doi moi", "doimoi"), ("dong nai", "dongnai"), ("ĐỒNG NAI", "dongnai"),
                                        ("so thong tin", "nfd"), ("truyen thong", "doimoi")])
def test_d_with_stroke_is_folded(db_path, query, key):
    assert key in found(db_path, query)


def test_exact_accents_rank_first(db_path):
    results = found(db_path, "nam")
    assert set(results) >= {"vietnam", "nam1", "nam2", "hanoi"}
    exact = [k for k in results if k in ("vietnam", "hanoi")]
    assert results[: len(exact)] == exact
    assert found(db_path, "năm")[:2] in (["nam1", "nam2"], ["nam2", "nam1"])
    # a source filter keeps the order: both indexes carry the filter words
    db = open_db(db_path, create=False)
    filtered = [r["url"].rsplit("/", 1)[1] for r in search(db, "nam", limit=50, source="t")]
    assert filtered == results and search(db, "nam", source="elsewhere") == []


def test_operators_phrases_prefixes(db_path):
    assert found(db_path, '"Hà Nội"') and set(found(db_path, '"ha noi"')) == set(found(db_path, '"Hà Nội"'))
    assert set(found(db_path, "zalo OR facebook")) == {"dongnai", "facebook"}
    assert set(found(db_path, "tinh AND facebook")) == {"facebook"}
    assert "dongnai" not in found(db_path, "tinh NOT zalo")
    assert "facebook" in found(db_path, "tinh NOT zalo")
    assert {"doimoi", "hanoi"} <= set(found(db_path, "truyen*")) | set(found(db_path, "thu*"))
    assert set(found(db_path, "(zalo OR facebook) AND tinh")) == {"dongnai", "facebook"}
    assert found(db_path, "174/KH-UBND") == ["ref"]
    assert found(db_path, "title:zalo") == ["dongnai"]


@pytest.mark.parametrize("typed", ['"unbalanced', "AND", "NOT zalo", "zalo OR", "((", ")", "***", "a:b:c", ""])
def test_any_typing_is_a_valid_query(db_path, typed):
    found(db_path, typed)


def test_parse_query_shapes():
    q = parse_query('Hà Nội OR "Đồng Nai" chuyển*')
    assert q.exact == '"Hà" AND "Nội" OR "Đồng Nai" AND "chuyển"*'
    assert q.folded == '"ha" AND "noi" OR "dong nai" AND ( {description text title} : "chuyen"* )'
    # words typed one after another, as phrases, for ranking
    assert q.phrase == '"ha noi" OR "dong nai chuyen"*'
    assert parse_query("zalo NOT Hà Nội").phrase == ""
    assert parse_query("zal* oa").phrase == "" and parse_query("Hà AND Nội").phrase == ""
    # for the exact index, which keeps no positions: a phrase's words, no column filters, and
    # each word in its spellings (Đ and the legacy eth Ð)
    assert q.accented == '"Hà" AND "Nội" OR ( ( "Đồng" OR "Ðồng" ) AND "Nai" ) AND "chuyển"*'
    assert parse_query('title:năm "Kế hoạch 174/KH-UBND"').accented == (
        '"năm" AND ( "Kế" AND "hoạch" AND "174" AND "KH" AND "UBND" )')
    assert parse_query("NOT x AND").folded == ""
    assert parse_query("(a OR b").folded == '( "a" OR "b" )'


def test_snippets_highlight_the_accented_original():
    text = "Sáng 8/4, Sở Thông tin và Truyền thông Hà Nội tổ chức hội nghị về đổi mới."
    assert "[Hà] [Nội]" in snippet(text, parse_query("ha noi").terms)
    assert "[đổi] [mới]" in snippet(text, parse_query("DOI MOI").terms)
    html = html_snippet("<b>Hà Nội</b> & Zalo", parse_query("ha noi").terms)
    assert str(html) == "&lt;b&gt;<mark>Hà</mark> <mark>Nội</mark>&lt;/b&gt; &amp; Zalo"


def test_datasette_search_box_forgives_accents(db_path):
    ds = make_datasette(db_path)

    def keys(q):
        response = asyncio.run(ds.client.get(f"/archive/articles.json?_search={q}&_shape=objects"))
        assert response.status_code == 200, response.text
        return {r["url"].rsplit("/", 1)[1] for r in response.json()["rows"]}

    assert {"hanoi", "nfd"} <= keys("ha+noi")
    assert keys("h%C3%A0+n%E1%BB%99i") == keys("ha+noi")
    assert keys("doi+moi") == {"doimoi"}
    assert keys("%22dong+nai%22") == {"dongnai"}
    assert keys("zalo+OR+facebook") == {"dongnai", "facebook"}
    assert keys("%22unbalanced") == set()


def test_search_cli_snippets(db_path, run_cli):
    result = run_cli("search", "dong nai", "--db", db_path, check=True)
    assert "[Đồng] [Nai]" in result.stdout


def test_search_cli_says_what_it_left_out_of_the_query(db_path, run_cli, tmp_path):
    result = run_cli("search", "NOT zalo", "--db", db_path, check=True)
    assert "note: Left out «NOT zalo»: NOT needs a word before it" in result.stderr
    assert result.stdout == "No results.\n"
    # An export by it selects what the search finds: nothing, which it writes nothing of and warns.
    export = run_cli("export", "--search", "NOT zalo", "--db", db_path, "-o", "out.jsonl", check=True)
    note, warning = export.stderr.splitlines()
    assert note.startswith("note: Left out «NOT zalo»")
    assert warning == 'warning: nothing matched the selection (source=all search="NOT zalo"); nothing was written'
    assert not (tmp_path / "out.jsonl").exists()


def test_any_text_parses_to_a_query_fts5_accepts(db_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    db = open_db(db_path, create=False)
    alphabet = st.sampled_from(list('ab đĐàÀ"()*:-–—−/ANDORNOT\t') + ["AND", "OR", "NOT", "title:", "NEAR", "foo:"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=12).map("".join) | st.text(max_size=40))
    def check(text):
        search(db, text, limit=1)

    check()


def test_the_connectors_are_every_character_of_category_pc():
    from archive.search import _CONNECTORS

    assert set(_CONNECTORS) == {c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(c) == "Pc"}


@pytest.mark.parametrize("joiner", ["_", "‿", "⁀", "⁔", "︳", "︴", "﹍", "﹎", "﹏", "＿"])
def test_connector_punctuation_separates_words_as_in_the_index(db_path, joiner):
    # unicode61 splits on every connector (category Pc): "ha_noi" is the two words "ha noi".
    assert found(db_path, f"ha{joiner}noi") == found(db_path, "ha noi")
    assert found(db_path, f"Hà{joiner}Nội") == found(db_path, "Hà Nội")
    ds = make_datasette(db_path)
    response = asyncio.run(ds.client.get("/-/results.json", params={"q": f"Hà{joiner}Nội"}))
    assert response.status_code == 200, response.text
    assert response.json()["count"] == len(found(db_path, "ha noi"))
    assert "[Hà]_[Nội]" in snippet("Thủ đô Hà_Nội", parse_query("ha noi").terms)


def test_only_matched_words_are_highlighted():
    text = "Hành chính: hằng năm hàng hai lần, Hạ Long và Hà Nội họp."
    # "Hạ" folds to "ha", a match; "hành", "hằng", "hàng" and "hai" only start with it
    assert snippet(text, parse_query("ha noi").terms) == "Hành chính: hằng năm hàng hai lần, [Hạ] Long và [Hà] [Nội] họp."
    assert snippet("Zalo, Zalo OA và zaloPay", parse_query('zalo o*').terms) == "[Zalo], [Zalo] [OA] và zaloPay"
    assert snippet("Hành chính và Hà Nội", parse_query("h*").terms) == "[Hành] chính và [Hà] Nội"


def test_a_column_filter_takes_a_phrase_or_a_group(db_path):
    assert found(db_path, 'title:"ha noi"') == ["hanoi"]
    assert set(found(db_path, '"ha noi"')) == {"hanoi", "nfd"}
    assert found(db_path, 'text:"zalo oa"') == ["dongnai"]
    assert found(db_path, "title:(tinh facebook)") == ["facebook"]
    assert found(db_path, "title:(tinh zalo)") == []
    assert found(db_path, "TITLE:(zalo OR facebook)") == found(db_path, "title:zalo OR title:facebook")
    # the exact index has neither positions nor columns: the operand alone ranks there
    assert parse_query("title:(zalo oa)").accented == '( "zalo" AND "oa" )'
    ds = make_datasette(db_path)
    response = asyncio.run(ds.client.get("/-/results.json", params={"q": 'title:"Hà Nội"'}))
    assert [r["title"] for r in response.json()["results"]] == [ARTICLES["hanoi"][0]]


def test_a_not_with_nothing_before_it_is_left_out_not_turned_around(db_path):
    assert found(db_path, "NOT zalo") == []
    assert [str(n) for n in parse_query("NOT zalo").notes] == [
        "Left out «NOT zalo»: NOT needs a word before it, as in «word NOT zalo»"]
    assert set(found(db_path, "tinh OR NOT zalo")) == set(found(db_path, "tinh"))
    assert parse_query("tinh OR NOT zalo").notes and not parse_query("tinh NOT zalo").notes
    assert found(db_path, "tinh AND NOT zalo") == found(db_path, "tinh NOT zalo") == ["facebook"]
    assert found(db_path, "(NOT zalo) tinh") == found(db_path, "tinh")
    ds = make_datasette(db_path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": "NOT zalo"})).json()
    assert data["count"] == 0 and data["notes"] == [{
        "vi": "Bỏ qua «NOT zalo»: NOT cần một từ đứng trước, ví dụ «từ NOT zalo»",
        "en": "Left out «NOT zalo»: NOT needs a word before it, as in «word NOT zalo»"}]
    html = asyncio.run(ds.client.get("/-/search", params={"q": "zalo OR NOT oa"})).text
    assert "NOT needs a word before it" in html and "NOT cần một từ đứng trước" in html


@pytest.mark.parametrize("typed, left_out", [
    ('"unbalanced', 'A closing " was missing'), ("(zalo", 'A closing ")" was missing'),
    ("zalo )", 'Ignored a ")"'), ("zalo OR", "Ignored «OR»"), ("zalo title:", "Ignored «title:»"),
])
def test_what_the_parser_drops_it_says(typed, left_out):
    assert [str(note) for note in parse_query(typed).notes if str(note).startswith(left_out)]


@pytest.mark.parametrize("typed, bound", [
    ("(" * 100 + "zalo", "at most 8 levels"), ("zalo " * 8000, "at most 500 characters"),
    (" ".join(["zalo"] * 33), "at most 32"),
])
def test_a_query_past_the_bounds_matches_nothing_and_names_the_bound(db_path, typed, bound):
    assert found(db_path, typed) == []
    ds = make_datasette(db_path)
    for path in ("/-/results.json", "/-/search"):
        response = asyncio.run(ds.client.get(path, params={"q": typed}))
        assert response.status_code == 200 and bound in response.text, path


def test_datasette_search_box_parses_the_query_once(db_path):
    ds = make_datasette(db_path)

    def table(query):
        response = asyncio.run(ds.client.get(f"/archive/articles.json?{query}&_shape=objects&_size=max"))
        assert response.status_code == 200, response.text
        data = response.json()
        return {r["url"].rsplit("/", 1)[1] for r in data["rows"]}, data["human_description_en"]

    assert table("_search=fac*") == ({"facebook"}, 'where search matches "fac*" sorted by id descending')
    assert table("_search=title%3Azalo")[0] == {"dongnai"}
    assert table("_search=title%3A%22zalo+oa%22&_search_text=dong+nai")[0] == {"dongnai"}
    assert table("_search=zalo+OR+%28title%3Afac*%29")[0] == {"dongnai", "facebook"}
    assert "NOT needs a word before it" in table("_search=NOT+zalo")[1]


def test_datasette_ignores_an_empty_search_as_stock_datasette_does(db_path):
    ds = make_datasette(db_path)

    def keys(query):
        response = asyncio.run(ds.client.get(f"/archive/articles.json?{query}&_shape=objects&_size=max"))
        assert response.status_code == 200, response.text
        return {r["url"].rsplit("/", 1)[1] for r in response.json()["rows"]}

    assert keys("_search=") == keys("_search=+") == set(ARTICLES)
    assert keys("_search=zalo&_search_title=") == keys("_search=zalo") == {"dongnai"}
    assert keys("_search=&_search_title=zalo") == {"dongnai"}
    # The box emptied on a page that searched for zalo: the form carries the old search along.
    assert keys("_search=&_fts_search=zalo") == set(ARTICLES)
    assert keys("_fts_search=zalo") == {"dongnai"}
    assert keys("_search=&_fts_search_title=zalo") == {"dongnai"}


def test_a_query_in_compatibility_characters_finds_what_its_plain_form_finds(db_path):
    assert found(db_path, "Ｚａｌｏ") == found(db_path, "zalo") == ["dongnai"]
    # the archived text is NFC, not NFKC: the form as typed still matches where the text has it
    assert found(db_path, "m²") == found(db_path, "title:m²") == ["area"]
    assert "[Ｚａｌｏ] và [Zalo]" in snippet("Ｚａｌｏ và Zalo", parse_query("Ｚａｌｏ").terms)


@pytest.fixture(scope="module")
def crowded_path(tmp_path_factory):
    """An archive where "thông tin" matches more articles than a search ranks (5,010 of 5,012)."""
    path = tmp_path_factory.mktemp("crowded") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i in range(1, 5013):
            text = f"Sở triển khai thông tin số {i}." if i <= 5010 else f"Sở triển khai kế hoạch số {i}."
            store_page(db, {"url": f"https://t.vn/{i}", "title": f"Tin {i}", "text": text, "published": "2024-01-01",
                            "text_hash": str(i)}, source_id="t", seen_at="2024-01-01", crawl_id=crawl)
    db.close()
    return path


def test_a_search_cli_past_the_search_limit_says_only_the_newest_were_ranked(crowded_path, run_cli):
    note = ("note: more than 5,000 articles match; only the 5,000 most recently archived were ranked — "
            "add words to narrow the search, or 'govarchive export --search' for every match")
    plain = run_cli("search", "thông tin", "--limit", "6000", "--db", crowded_path, check=True)
    assert plain.stderr.splitlines() == [note]
    assert plain.stdout.count("\n    https://t.vn/") == 5000
    as_json = run_cli("search", "thông tin", "--limit", "6000", "--json", "--db", crowded_path, check=True)
    assert as_json.stderr.splitlines() == [note]
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    # Every line is a result, and each says the ranking left matches out.
    assert len(rows) == 5000 and all(row["more"] is True and row["count"] == 5000 and row["url"] for row in rows)
    assert min(int(row["url"].rsplit("/", 1)[1]) for row in rows) == 11
    assert plain.stdout.startswith("more than 5,000 articles match; results 1–5,000:\n")
    # Sorted by date, the matches archived first are not among those sorted: the note says so.
    newest = run_cli("search", "thông tin", "--sort", "newest", "--db", crowded_path, check=True)
    assert newest.stderr.splitlines() == [
        "note: more than 5,000 articles match; only the 5,000 most recently archived were sorted by date: matches "
        "archived earlier are left out — add words to narrow the search, or 'govarchive export --search' for "
        "every match"]
    # Under the limit nothing is said, and the lines say nothing was left out.
    narrow = run_cli("search", "kế hoạch", "--json", "--db", crowded_path, check=True)
    assert narrow.stderr == ""
    assert [json.loads(line)["more"] for line in narrow.stdout.splitlines()] == [False, False]


# A province article full of "Hà" and "Nội" that never says "Hà Nội", and two that do.
NAMES = {
    "hatinh": ("Hà Tĩnh tổng kết công tác nội vụ năm 2024",
               "Sở Nội vụ tỉnh Hà Tĩnh họp. Bà Trần Thị Thu Hà, Phó Giám đốc Sở Nội vụ Hà Tĩnh, cho biết "
               "công tác nội vụ của Hà Tĩnh đạt kết quả. Hà Tĩnh và Sở Nội vụ sẽ tiếp tục."),
    "body": ("Tin địa phương", "Đoàn công tác đã làm việc tại Hà Nội trong hai ngày."),
    "title": ("Hà Nội tổng kết hai năm triển khai Zalo OA", "Thành phố tổng kết kết quả."),
}


@pytest.fixture(scope="module")
def names_path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("names") / "archive.db", NAMES, agencies=["Sở Nội vụ"])


@pytest.mark.parametrize("query", ["Hà Nội", "ha noi", "HÀ NỘI"])
def test_words_typed_together_rank_articles_that_have_them_together_first(names_path, query):
    assert found(names_path, query) == ["title", "body", "hatinh"]
    ds = make_datasette(names_path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": query})).json()
    assert [r["title"] for r in data["results"]] == [NAMES[key][0] for key in ("title", "body", "hatinh")]
    page = asyncio.run(ds.client.get("/-/search", params={"q": query})).text
    titles = [re.sub(r"</?mark>", "", t) for t in re.findall(r'<h3><a href="/-/a/\d+"><span lang="[^"]+">(.*?)</span></a></h3>', page, re.S)]
    assert titles == [NAMES[key][0] for key in ("title", "body", "hatinh")]


def test_a_prefix_does_not_match_the_facets_hidden_words(names_path):
    # Every article names an agency, so the filters column holds an "ag…" word for each.
    assert found(names_path, "ag*") == []
    assert found(names_path, "src*") == [] and found(names_path, "month*") == []
    assert found(names_path, "tĩnh*") == ["hatinh"]
    ds = make_datasette(names_path)
    assert asyncio.run(ds.client.get("/-/results.json", params={"q": "ag*"})).json()["results"] == []


def test_an_eth_is_searched_as_the_d_it_stands_for(tmp_path):
    # Text converted from a legacy encoding has "Ð" (U+00D0) where "Đ" belongs.
    path = tmp_path / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    record = {"url": "https://t.vn/eth", "title": "Ðà Nẵng công bố kênh Zalo OA", "published": "2024-01-01",
              "text": "Ðồng chí Chủ tịch Ủy ban nhân dân thành phố Ðà Nẵng ký Quyết định 12/QÐ-UBND.", "text_hash": "eth"}
    store_page(db, record, source_id="t", seen_at="2024-01-01", crawl_id=crawl)
    for typed in ("Đà Nẵng", "da nang", "ĐÀ NẴNG", "QĐ-UBND", "đồng chí"):
        assert [r["url"] for r in search(db, typed)] == ["https://t.vn/eth"], typed
    assert "[Ðà] [Nẵng]" in snippet(record["text"], parse_query("da nang").terms)


def test_the_upgrade_indexes_an_eth_again_as_d(tmp_path):
    from archive.db import m015_eth_folds_to_d

    path = tmp_path / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    record = {"url": "https://t.vn/eth", "title": "Ðà Nẵng họp báo", "text": "Thành phố Ðà Nẵng họp báo.",
              "published": "2024-01-01", "text_hash": "eth"}
    store_page(db, record, source_id="t", seen_at="2024-01-01", crawl_id=crawl)
    store_page(db, {**record, "url": "https://t.vn/plain", "title": "Đà Nẵng họp báo", "text_hash": "plain",
                    "text": "Thành phố Đà Nẵng họp báo lần hai."}, source_id="t", seen_at="2024-01-01", crawl_id=crawl)
    # As a release before m015 indexed it: the eth kept, lower-cased.
    (article_id,) = db.execute("select id from articles where url = 'https://t.vn/eth'").fetchone()
    db.execute("insert into articles_fold (articles_fold, rowid, title, description, text, filters) "
               "select 'delete', id, ?, '', ?, ? from articles where id = ?",
               ["da nang hop bao", "thanh pho da nang hop bao.", "src74 month202401", article_id])
    db.execute("insert into articles_fold (rowid, title, description, text, filters) values (?, ?, '', ?, ?)",
               [article_id, "ða nang hop bao", "thanh pho ða nang hop bao.", "src74 month202401"])
    assert [r["url"] for r in search(db, "da nang")] == ["https://t.vn/plain"]
    m015_eth_folds_to_d(db)
    assert {r["url"] for r in search(db, "da nang")} == {"https://t.vn/plain", "https://t.vn/eth"}
    assert db.execute("""select rowid from articles_fold where articles_fold match '"ða"'""").fetchall() == []
    db.execute("insert into articles_fold (articles_fold, rank) values ('integrity-check', 1)")


SPELLINGS = {
    "ky": ("Tập huấn kỹ năng số cho cán bộ", "Cán bộ xã được tập huấn kỹ năng sử dụng dịch vụ công."),
    "qui": ("Qui định mới về phát ngôn", "Tỉnh ban hành qui định về người phát ngôn."),
    "uy-old": ("Uỷ ban nhân dân tỉnh Thanh Hoá họp báo", "Họp báo thường kỳ của Uỷ ban nhân dân tỉnh."),
    "uy-far": ("Ban chỉ đạo chuyển đổi số", "Ban chỉ đạo được ủy quyền điều phối các ban ngành."),
}


@pytest.fixture(scope="module")
def spellings_path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("spellings") / "archive.db", SPELLINGS)


@pytest.mark.parametrize("typed, key", [("kĩ năng", "ky"), ("ki nang", "ky"), ("quy định", "qui"), ("QUY ĐỊNH", "qui")])
def test_a_word_spelt_with_i_or_y_finds_the_other_spelling(spellings_path, typed, key):
    assert found(spellings_path, typed) == [key]
    ds = make_datasette(spellings_path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": typed})).json()
    assert [r["title"] for r in data["results"]] == [SPELLINGS[key][0]]
    assert "[kỹ] [năng]" in snippet(SPELLINGS["ky"][1], parse_query("kĩ năng").terms)


def test_the_tone_mark_on_either_vowel_of_oa_oe_uy_is_the_accents_as_typed(spellings_path):
    # "ủy ban" typed with today's tone placement: the article that says "Uỷ ban" is the match,
    # not one with "ủy quyền" and "ban" apart.
    db = open_db(spellings_path, create=False)
    results = search(db, "ủy ban")
    assert [r["url"].rsplit("/", 1)[1] for r in results] == ["uy-old", "uy-far"]
    assert results[0]["exact_match"] and results[0]["phrase_match"]
    assert [r["exact_match"] for r in search(db, "Thanh Hóa")] == [True]


def test_a_minus_excludes_and_column_names_may_be_spaced_or_vietnamese(db_path):
    assert found(db_path, "tinh -zalo") == found(db_path, "tinh NOT zalo") == ["facebook"]
    # typed first, as search engines take it: it excludes from the words after it
    assert found(db_path, "-zalo tinh") == ["facebook"] and parse_query("-zalo tinh").notes == ()
    assert [str(n) for n in parse_query("-zalo OR tinh").notes] == [
        "Left out «-zalo»: - needs a word with it, in the same brackets and on the same side of any OR, "
        "as in «word -zalo»"]
    # a hyphen inside a word or standing alone is no exclusion
    assert found(db_path, "174/KH-UBND") == ["ref"] and set(found(db_path, "tinh - zalo")) == {"dongnai"}
    for typed in ("title : zalo", "tiêu đề:zalo", "TIEU DE: zalo", "Tiêu  đề :(zalo)"):
        assert found(db_path, typed) == ["dongnai"], typed
    assert found(db_path, "nội dung:phục") == ["dongnai"] and found(db_path, "mô tả:zalo") == []


def test_a_minus_before_a_phrase_a_group_or_a_column_filter_excludes_it(db_path):
    assert found(db_path, 'tinh -"zalo oa"') == found(db_path, 'tinh NOT "zalo oa"') == ["facebook"]
    assert found(db_path, "tinh -(zalo OR oa)") == ["facebook"]
    assert found(db_path, "tinh -title:zalo") == found(db_path, "tinh NOT title:zalo") == ["facebook"]
    assert "zalo" not in parse_query('tinh -"zalo oa"').terms and parse_query('tinh -"zalo oa"').phrase == ""


def test_an_operator_in_small_letters_is_a_word_and_says_so(db_path):
    assert found(db_path, "zalo or facebook") == []
    assert [str(n) for n in parse_query("zalo or facebook").notes] == [
        "«or» was searched as a word; write OR (capitals) for the operator"]
    ds = make_datasette(db_path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": "zalo not oa"})).json()
    assert data["notes"][0]["en"] == "«not» was searched as a word; write NOT (capitals) for the operator"
    # "Toán tử" is the Vietnamese word for a search operator ("phép toán" is an arithmetic operation).
    assert data["notes"][0]["vi"] == "«not» được tìm như một từ; viết NOT (chữ hoa) để dùng làm toán tử"


NUMBERS = {
    "reports": ("Hơn 5.000 phản ánh được xử lý", "Trong năm, hơn 5.000 phản ánh và 12,500 lượt hỏi đáp đã được trả lời."),
    "decision": ("Thực hiện Quyết định 6/QĐ-TTg", "Các sở triển khai Quyết định số 6/QĐ-TTg của Thủ tướng.\n\nZalo OA được dùng."),
    "padded": ("Kế hoạch 06/KH-UBND", "Ủy ban ban hành Kế hoạch 06/KH-UBND về chuyển đổi số, không dùng Zalo OA."),
    "industry": ("Công nghiệp 4.0", "Cách mạng công nghiệp 4.0 và 4 dự án mới."),
}


@pytest.fixture(scope="module")
def numbers_path(tmp_path_factory):
    return small_archive(tmp_path_factory.mktemp("numbers") / "archive.db", NUMBERS)


@pytest.mark.parametrize("typed, key", [("5000", "reports"), ("12500", "reports"), ("06/QĐ-TTg", "decision"),
                                        ("6/KH-UBND", "padded"), ("Kế hoạch 6", "padded")])
def test_a_number_finds_it_written_with_thousands_apart_or_a_leading_zero(numbers_path, typed, key):
    assert found(numbers_path, typed) == [key]


def test_the_digits_after_a_numbers_point_are_not_spelt_otherwise(numbers_path):
    # "000" read as a leading-zero "0" made 4.000 find "công nghiệp 4.0".
    assert found(numbers_path, "4.000") == [] and found(numbers_path, "5.000") == ["reports"]
    assert found(numbers_path, "4.0") == ["industry"]


def test_excluded_words_are_not_marked_and_snippets_are_one_line(numbers_path, run_cli):
    text = NUMBERS["padded"][1]
    assert "[chuyển]" not in snippet(text, parse_query("zalo NOT chuyển").terms)
    assert "[Zalo]" in snippet(text, parse_query("zalo NOT chuyển").terms)
    result = run_cli("search", "zalo", "--db", numbers_path, check=True)
    snippets = [line for line in result.stdout.splitlines() if line.startswith("    ") and "[Zalo]" in line]
    assert len(snippets) == 2 and any("6/QĐ-TTg của Thủ tướng. [Zalo] OA" in line for line in snippets)
    nothing = run_cli("search", "...", "--db", numbers_path, check=True)
    assert "note: Nothing to search for in «...»: it has no word" in nothing.stderr


def test_the_search_cli_pages_sorts_and_keeps_to_a_source(db_path, run_cli):
    def urls(*args):
        result = run_cli("search", "tinh OR nam OR zalo", "--db", db_path, "--json", *args, check=True)
        return [json.loads(line)["url"] for line in result.stdout.splitlines()]

    everything = urls("--limit", "50")
    assert len(everything) > 4
    assert urls("--limit", "2") + urls("--limit", "2", "--page", "2") == everything[:4]
    assert urls("--limit", "50", "--source", "t") == everything
    newest = urls("--limit", "50", "--sort", "newest")
    assert sorted(newest) == sorted(everything) and newest != everything
    wrong = run_cli("search", "zalo", "--db", db_path, "--source", "nope")
    assert wrong.returncode == 2 and "unknown source id 'nope'" in wrong.stderr and "(known: t)" in wrong.stderr


@pytest.mark.parametrize("dash", ["–", "—", "−", "--", "—–"])
def test_a_dash_a_phone_or_word_processor_types_excludes_as_a_minus_does(db_path, dash):
    # en dash, em dash, minus sign, and "--" that a phone may turn into one of them
    assert found(db_path, f"tinh {dash}zalo") == found(db_path, "tinh -zalo") == ["facebook"]
    assert parse_query(f"tinh {dash}zalo").notes == () and "zalo" not in parse_query(f"tinh {dash}zalo").terms
    assert found(db_path, f'tinh {dash}"zalo oa"') == ["facebook"]
    assert found(db_path, f"tinh {dash}(zalo OR oa)") == ["facebook"]
    assert found(db_path, f"tinh {dash}title:zalo") == ["facebook"]
    assert parse_query(f"{dash}zalo tinh") == parse_query(f"tinh {dash}zalo")
    assert [str(n) for n in parse_query(f"{dash}zalo").notes] == [
        f"Left out «{dash}zalo»: {dash} needs a word with it, in the same brackets and on the same side of any "
        f"OR, as in «word {dash}zalo»"]


@pytest.mark.parametrize("opening, closing", [("“", "”"), ("„", "“"), ("＂", "＂"), ("“", '"')])
def test_curly_quotes_a_phone_types_make_a_phrase_as_straight_ones_do(db_path, opening, closing):
    typed = f"text:{opening}zalo oa{closing}"
    assert parse_query(typed) == parse_query('text:"zalo oa"')
    assert found(db_path, typed) == ["dongnai"]
    assert found(db_path, f"tinh -{opening}zalo oa{closing}") == ["facebook"]


@pytest.mark.parametrize("before", ['"zalo oa"', "(zalo oa)"])
def test_a_dash_right_after_a_phrase_or_group_excludes_what_follows(db_path, before):
    typed = f"tinh {before}-title:mini"
    assert parse_query(typed) == parse_query(f"tinh {before} -title:mini")
    assert found(db_path, f'tinh {before}-"zalo mini"') == found(db_path, f'tinh {before} -"zalo mini"')


def test_a_double_prime_is_no_quote():
    assert parse_query("21°01′30″ bắc").notes == ()
    assert parse_query("21°01′30″ bắc").folded == '"21 01 30" AND "bac"'


def test_a_dash_inside_a_word_is_no_exclusion(db_path, numbers_path):
    assert found(db_path, "174/KH–UBND") == found(db_path, "174/KH-UBND") == ["ref"]
    assert found(numbers_path, "06/QĐ–TTg") == ["decision"]
    assert parse_query("2020–2024").folded == '"2020 2024"'
    assert parse_query("Sở—Zalo").folded == '"so zalo"'


@pytest.mark.parametrize("typed, words", [("tinh - zalo", "tinh zalo"), ("tinh – zalo", "tinh zalo"),
                                          ("tinh -- zalo", "tinh zalo"), ("zalo -", "zalo"), ("zalo —", "zalo")])
def test_a_dash_standing_alone_is_ignored_and_says_how_to_exclude(db_path, typed, words):
    assert found(db_path, typed) == found(db_path, words)
    dash = typed.split()[1]
    assert [str(n) for n in parse_query(typed).notes] == [
        f"Ignored «{dash}» standing alone: to exclude a word, write - right before it, with no space, as in «zalo -oa»"]


@pytest.mark.parametrize("typed", ['"', '""', '" "', "(", ")", "AND", "-", "—", "title:", '" ()', "((", "-("])
def test_a_query_with_no_word_says_there_is_nothing_to_search_for(db_path, typed):
    assert found(db_path, typed) == []
    assert [str(n) for n in parse_query(typed).notes] == [f"Nothing to search for in «{typed}»: it has no word"]


def test_a_lone_quote_in_the_reading_room_says_there_is_nothing_to_search_for(db_path):
    ds = make_datasette(db_path)
    data = asyncio.run(ds.client.get("/-/results.json", params={"q": '"'})).json()
    assert data["count"] == 0 and [n["en"] for n in data["notes"]] == ['Nothing to search for in «"»: it has no word']


@pytest.mark.parametrize("typed, name", [("source:sample-news", "source"), ("foo:bar", "foo"), ('foo:"x y"', "foo"),
                                         ("tinh -nguồn:zalo", "nguồn"), ("subtitle:zalo", "subtitle")])
def test_a_name_before_a_colon_that_is_no_column_is_searched_as_words_and_says_so(typed, name):
    assert [str(n) for n in parse_query(typed).notes] == [
        f"«{name}:» is not a column name, so it was searched as words; the columns are title:, description:, "
        "text: (tiêu đề:, mô tả:, nội dung:)"]
    # the words of the token, one after another, as "foo/bar" is searched
    assert parse_query(typed).folded == parse_query(typed.replace(":", "/", 1)).folded


@pytest.mark.parametrize("typed", ["8:30", "họp lúc 14:30", "http://t.vn/a", "https://t.vn/a?b=c:d", "title:zalo",
                                   "tiêu đề:zalo", "Nơi nhận: Sở", "174/KH-UBND", "a::b"])
def test_times_urls_columns_and_a_colon_before_a_space_need_no_note(typed):
    assert parse_query(typed).notes == ()


LOOK_ALIKES = ("Người theo dõi trang của Sở tăng nhanh; dư địa mới còn nhiều. " + "Tin ngắn. " * 30
               + "Chương trình đổi mới cách truyền thông chính sách được triển khai.")


def test_a_snippet_shows_the_words_typed_together_where_they_stand_together():
    # "dõi" and "mới" fold to the words of "đổi mới"; the run is the match that ranked the article
    shown = snippet(LOOK_ALIKES, parse_query("đổi mới"))
    assert "[đổi] [mới] cách truyền thông" in shown and "[dõi]" not in shown and "[mới] còn" not in shown
    assert "[đổi] [mới]" in snippet(LOOK_ALIKES, parse_query("doi moi"))
    assert "[đổi] [mới]" in snippet(LOOK_ALIKES, parse_query('"đổi mới"'))
    # a run that nowhere stands whole: its words are marked where they are, with the accents typed
    assert snippet("Theo dõi để đổi rồi nói chuyện mới.", parse_query("đổi mới")) == (
        "Theo dõi để [đổi] rồi nói chuyện [mới].")
    assert snippet("Theo dõi để đổi rồi nói chuyện mới.", parse_query("doi moi")) == (
        "Theo [dõi] để [đổi] rồi nói chuyện [mới].")
    # "tin" of "tin giả" is not marked in "Sở Thông tin" when "tin giả" stands in the text
    shown = snippet("Sở Thông tin và Truyền thông xử lý tin giả trên mạng.", parse_query("tin giả"))
    assert shown == "Sở Thông tin và Truyền thông xử lý [tin] [giả] trên mạng."


def test_a_snippet_marks_a_word_with_the_accents_typed_when_the_text_has_them():
    text = "Miền Nam có Nam Định. " + "Tin ngắn. " * 30 + "Năm nay tăng so với năm trước."
    assert snippet(text, parse_query("năm")).startswith("…Tin ngắn. Tin ngắn.")
    assert "[Năm] nay tăng so với [năm] trước" in snippet(text, parse_query("năm"))
    assert "[Nam]" not in snippet(text, parse_query("năm"))
    assert snippet(text, parse_query("nam")).startswith("Miền [Nam] có [Nam] Định.")  # typed bare: all alike
    assert snippet("Miền Nam và Nam Định", parse_query("năm")) == "Miền [Nam] và [Nam] Định"  # none accented so


def test_search_results_snippets_show_the_run(tmp_path):
    path = small_archive(tmp_path / "a.db", {"run": ("Truyền thông chính sách", LOOK_ALIKES)})
    [result] = search(open_db(path, create=False), "đổi mới")
    assert "[đổi] [mới] cách" in result["snippet"] and "[dõi]" not in result["snippet"]


def test_the_reading_room_shows_the_run_in_its_snippets_and_titles(tmp_path):
    path = small_archive(tmp_path / "a.db", {"run": ("Theo dõi đổi mới truyền thông", LOOK_ALIKES)})
    ds = make_datasette(path)
    [result] = asyncio.run(ds.client.get("/-/results.json?q=đổi+mới")).json()["results"]
    assert "[đổi] [mới] cách" in result["snippet"] and "[dõi]" not in result["snippet"]
    page = asyncio.run(ds.client.get("/-/search?q=đổi+mới")).text
    assert "Theo dõi <mark>đổi</mark> <mark>mới</mark> truyền thông" in page
    assert "<mark>đổi</mark> <mark>mới</mark> cách" in page


@pytest.mark.parametrize("typed, quoted", [
    ("Đà Nẵng", '"Đà Nẵng"'),
    ("  Hà   Nội ", '"Hà Nội"'),
    ("Kế hoạch 174/KH-UBND", '"Kế hoạch 174/KH-UBND"'),
    ("Zalo, OA", '"Zalo, OA"'),
    ("Đà", None),  # one word
    ("174/KH-UBND", None),  # one token, already searched as a phrase
    ('"Đà Nẵng"', None), ("Đà OR Nẵng", None), ("đà or nẵng", None), ("Đà -Nẵng", None), ("Đà Nẵ*", None),
    ("title:Đà Nẵng", None), ("foo:Đà Nẵng", None), ("Đà (Nẵng)", None), (". ,", None), ("", None),
])
def test_words_typed_one_after_another_can_be_searched_as_a_phrase(typed, quoted):
    assert as_phrase(typed) == quoted


def test_the_search_cli_says_how_many_match_and_how_many_have_the_words_together(db_path, run_cli):
    # Every article with "viet" and "nam" has them together: nothing to say.
    both = found(db_path, "Việt Nam")
    assert len(both) == 2 and found(db_path, '"viet nam"') == both
    apart = run_cli("search", "Việt Nam", "--db", db_path, check=True)
    assert apart.stdout.startswith("2 articles match; results 1–2:\n") and apart.stderr == ""
    # "năm" is also "nam" (Việt Nam): of the articles with "nam" and "so" none has them together.
    assert sorted(found(db_path, "năm số")) == ["nam1", "vietnam"] and found(db_path, '"nam so"') == []
    words = run_cli("search", "năm số", "--db", db_path, check=True)
    assert words.stderr.splitlines() == [
        "note: none of the 2 matches has the words together (accents aside): they have them apart"]
    assert [json.loads(line)["count"] for line in run_cli("search", "năm số", "--json", "--db", db_path,
                                                           check=True).stdout.splitlines()] == [2, 2]
    one = run_cli("search", "Zalo", "--db", db_path, check=True)
    assert one.stdout.startswith("1 article matches; results 1–1:\n")


def test_the_search_cli_names_a_page_past_the_end_and_refuses_an_empty_query(db_path, run_cli):
    assert len(found(db_path, "năm")) == 4
    past = run_cli("search", "năm", "--db", db_path, "--limit", "3", "--page", "9", check=True)
    assert past.stdout == "No results on page 9: 4 articles match, 2 pages of 3.\n"
    empty = run_cli("search", "  ", "--db", db_path)
    assert empty.returncode == 2 and "Error: QUERY is empty: nothing to search for" in empty.stderr


def _lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_search_cli_lists_the_earlier_versions_after_the_results(versions, run_cli):
    # What a page said before it was corrected, which its article no longer says, as the reading
    # room's "Earlier versions" lists it (tests/test_search_versions.py): captured at 01:00 UTC.
    path, ids = versions
    result = run_cli("search", "93/QĐ-STTTT", "--db", path, check=True)
    assert result.stdout == (
        "1 article matches; results 1–1:\n"
        f"2024-05-03T09:00:00+07:00  s  Kế hoạch Zalo OA\n    {STILL}\n"
        "    Kế hoạch thực hiện Quyết định số [93]/[QĐ]-[STTTT] của Sở, có bổ sung.\n"
        "\n"
        "1 earlier version of 1 article says this, though the article no longer does:\n"
        "captured 2024-05-01 08:00 (UTC+7)  s  Sở công bố quyết định chuyển đổi số\n"
        f"    article {ids[CORRECTED]}, version 1 of 2\n"
        "    Theo Quyết định số [93]/[QĐ]-[STTTT], các xã mở Zalo OA.\n")
    assert result.stderr == ""
    # Every --json line is an article, as scripts read them; asked for, the earlier versions come
    # as /-/results.json has them, in a last line, without the reading room's addresses.
    assert [r["id"] for r in _lines(run_cli("search", "93/QD-STTTT", "--json", "--db", path, check=True))] == [
        ids[STILL]]
    *results, last = _lines(run_cli("search", "93/QD-STTTT", "--json", "--earlier-versions", "--db", path,
                                    check=True))
    assert [r["id"] for r in results] == [ids[STILL]]
    assert last == {"earlier_versions": {"count": 1, "more": False, "examined": 1000, "articles": 1, "results": [{
        "article_id": ids[CORRECTED], "version": 1, "versions": 2, "title": "Sở công bố quyết định chuyển đổi số",
        "captured_at": "2024-05-01T01:00:00+00:00", "source_id": "s",
        "snippet": "Theo Quyết định số [93]/[QĐ]-[STTTT], các xã mở Zalo OA.", "read_otherwise": []}]}}
    # The number the article says now: the article, and no earlier version.
    now = run_cli("search", "95/QĐ-STTTT", "--db", path, check=True)
    assert now.stdout.startswith("1 article matches") and "earlier" not in now.stdout
    assert [set(line) >= {"id", "count"} for line in _lines(
        run_cli("search", "95/QĐ-STTTT", "--json", "--db", path, check=True))] == [True]


def test_when_only_earlier_versions_say_it_the_search_cli_says_so(versions, run_cli):
    path, ids = versions
    road = (f"captured 2024-05-03 08:00 (UTC+7)  t  Đường Lê Lợi\n    article {ids[ROAD]}, version 1 of 2\n"
            "    Đường Lê Lợi được [sửa] [chữa] trong tháng Ba.\n")
    assert run_cli("search", "sửa chữa", "--db", path, check=True).stdout == (
        "No article says this now; an earlier version of one article did.\n\n"
        "1 earlier version of 1 article says this, though the article no longer does:\n" + road)
    # Filtered as the articles are, and then said to match the search, as the reading room says it.
    assert run_cli("search", "sửa chữa", "--source", "t", "--db", path, check=True).stdout == (
        "No article matches this search now; an earlier version of one article did.\n\n"
        "1 earlier version of 1 article matches this search, though the article no longer does:\n" + road)
    assert run_cli("search", "sửa chữa", "--source", "s", "--db", path, check=True).stdout == "No results.\n"
    assert run_cli("search", "sửa chữa", "--source", "s", "--json", "--db", path, check=True).stdout == ""
    assert run_cli("search", "sua chua", "--json", "--db", path, check=True).stdout == ""
    (only,) = _lines(run_cli("search", "sua chua", "--json", "--earlier-versions", "--db", path, check=True))
    assert [(r["article_id"], r["version"]) for r in only["earlier_versions"]["results"]] == [(ids[ROAD], 1)]


def test_the_search_cli_lists_the_newest_earlier_versions_and_says_what_it_looked_at(versions, monkeypatch):
    path, ids = versions
    newest_first = [ids[url] for url in reversed(BRIDGES)]

    def search(*args):
        result = CliRunner().invoke(cli, ["search", "cầu Rồng", "--db", str(path), *args])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    lines = search("--limit", "2")
    assert lines[:3] == ["No article says this now; earlier versions of some articles did.", "",
                         "3 earlier versions of 3 articles say this, though the articles no longer do; "
                         "the 2 archived most recently:"]
    assert [line for line in lines if line.startswith("    article")] == [
        f"    article {article}, version 1 of 2" for article in newest_first[:2]]
    # Of more versions with the words than it looks at, the newest are looked at, as the page says.
    monkeypatch.setattr(search_module, "VERSIONS_EXAMINED", 2)
    assert search("--limit", "1")[2] == (
        "Of the 2 versions archived most recently with these words, 2 earlier versions of 2 articles say this, "
        "though the articles no longer do; the 1 archived most recently:")
    (last,) = [json.loads(line) for line in search("--json", "--earlier-versions")]
    assert {k: last["earlier_versions"][k] for k in ("count", "more", "examined", "articles")} == {
        "count": 2, "more": True, "examined": 2, "articles": 2}


def test_the_search_cli_marks_a_version_read_by_other_rules_than_the_article_now(versions, run_cli, tmp_path):
    # After reextract with new [source.extract] rules, an earlier version read by the old ones may
    # say what the page still says and the new rules leave out: not an edit on the site.
    path, ids = tmp_path / "copy.db", versions[1]
    shutil.copy(versions[0], path)
    with sqlite3.connect(path) as conn:
        conn.execute("update article_versions set extractor_version = 'govarchive-8' where article_id = ?",
                     [ids[CORRECTED]])
        conn.execute("update articles set extractor_version = 'govarchive-9+rules-0a1b2c3d' where id = ?",
                     [ids[CORRECTED]])
    conn.close()
    result = run_cli("search", "93/QĐ-STTTT", "--db", path, check=True)
    assert (f"    article {ids[CORRECTED]}, version 1 of 2, read with another extractor release and other "
            "extraction rules than the article now\n") in result.stdout
    last = _lines(run_cli("search", "93/QĐ-STTTT", "--json", "--earlier-versions", "--db", path, check=True))[-1]
    assert last["earlier_versions"]["results"][0]["read_otherwise"] == ["release", "rules"]


def test_an_archive_not_upgraded_to_the_versions_index_lists_none_silently(read_only, run_cli, tmp_path):  # noqa: F811
    path = tmp_path / "archive.db"
    article = _archive_before_m030(path)
    old = read_only(lambda mnt: shutil.copy(path, mnt / "old.db")) / "old.db"
    # On read-only storage it is read as it is: the article, and nothing of its earlier version.
    unlisted = run_cli("search", "93/QD-STTTT", "--db", old, check=True)
    assert (unlisted.stdout, unlisted.stderr) == ("No results.\n", "")
    assert run_cli("search", "93/QD-STTTT", "--json", "--earlier-versions", "--db", old, check=True).stdout == ""
    assert run_cli("search", "95/QD-STTTT", "--db", old, check=True).stdout.startswith("1 article matches")
    # Where it can be written to, the search upgrades it, and lists the version.
    upgraded = run_cli("search", "93/QD-STTTT", "--db", path, check=True)
    assert f"    article {article}, version 1 of 2\n" in upgraded.stdout


@pytest.mark.parametrize("typed, searched", [
    ("() -zalo", []), ("(NOT oa) -zalo", []), ("(AND) -zalo", []), ("title:() -zalo", []), ("() NOT zalo", []),
    ("facebook OR () -zalo", ["facebook"]),
])
def test_a_not_an_empty_group_leaves_with_nothing_before_it_is_left_out_with_what_it_excludes(
        db_path, typed, searched):
    # Dropping only the NOT searched for what was excluded.
    assert found(db_path, typed) == searched
    op, needs = (("NOT ", "needs a word before it") if "NOT zalo" in typed
                 else ("-", "needs a word with it, in the same brackets and on the same side of any OR"))
    assert f"Left out «{op}zalo»: {op.strip()} {needs}, as in «word {op}zalo»" in [
        str(note) for note in parse_query(typed).notes]


def test_an_and_an_empty_group_leaves_before_a_not_is_dropped_as_it_is_without_the_group(db_path):
    assert parse_query("tinh AND () -zalo") == parse_query("tinh -zalo")
    assert found(db_path, "tinh AND () -zalo") == ["facebook"]
