"""URL canonicalisation: tracking and session parts go, every part that names the resource stays."""

import unicodedata

import pytest

from archive.urls import canonical_url
from conftest import crawl_into, query, serve_routes

H = "https://hanoi.gov.vn"


@pytest.mark.parametrize("url", [
    f"{H}/a/tin.aspx?111",                     # the article id is the whole query
    f"{H}/a/news.aspx?cid=201",                # courlan took cid, uid, eid, ref, source … for trackers
    f"{H}/a/news.aspx?uid=7&eid=8&ref=9&source=rss&session=2&campaign=5",
    f"{H}/a/tim-kiem.aspx?q=&page=2",          # an empty value
    f"{H}/a/tin.aspx?111&page=2",              # a bare key among parameters
    f"{H}/Pages/tin-tuc.aspx?ItemID=56861&CateID=13",  # in the portal's order, not sorted
    f"{H}/a/bai-sau.htm?sid=12",               # sid is a section or site id as often as a session
    f"{H}/a/bai.htm?cfid=7",                   # cfid alone is not ColdFusion's session
    f"{H}/tin/so-1;v=2",                       # a path parameter other than the session
    f"{H}/a+b(c)'d*e@f$g&h,i=j:k",             # sub-delimiters name a different resource when escaped
    f"{H}/a/b%2Fc%3Fd",                        # escaped reserved characters stay escaped
    f"{H}/share?u=https://hanoi.gov.vn/x.htm",
])
def test_parts_that_name_the_resource_are_kept_as_written(url):
    assert canonical_url(url) == url


def test_bare_key_and_category_links_stay_four_articles():
    links = ["/a/tin.aspx?111", "/a/tin.aspx?112", "/a/news.aspx?cid=201", "/a/news.aspx?cid=202"]
    assert len({canonical_url(H + link) for link in links}) == 4


@pytest.mark.parametrize("url, expected", [
    (f"{H}/a.htm?utm_source=fb&utm_medium=social&UTM_Campaign=x", f"{H}/a.htm"),
    (f"{H}/a.htm?fbclid=IwAR0&gclid=1&gclsrc=aw.ds&dclid=2&msclkid=3&yclid=4&_ga=5&igshid=6", f"{H}/a.htm"),
    (f"{H}/a.htm?mc_cid=1&mc_eid=2", f"{H}/a.htm"),
    (f"{H}/a.htm?zarsrc=30&utm_source=zalo&gidzl=Xyz123", f"{H}/a.htm"),  # a Zalo share link
    (f"{H}/a.aspx?b=2&utm_source=x&a=1&fbclid=y&c", f"{H}/a.aspx?b=2&a=1&c"),
    (f"{H}/a.aspx?id=1&&utm_source=x&", f"{H}/a.aspx?id=1"),
    (f"{H}/a.htm?utm%5Fsource=x", f"{H}/a.htm"),
])
def test_only_known_tracking_parameters_are_removed(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url, expected", [
    (f"{H}/a/bai-sau.htm;jsessionid=ABCDEF0123456789", f"{H}/a/bai-sau.htm"),
    (f"{H}/a/bai-sau.htm;JSESSIONID=AB.node1?id=3", f"{H}/a/bai-sau.htm?id=3"),
    (f"{H}/a;jsessionid=AB/b.htm", f"{H}/a/b.htm"),
    (f"{H}/a.do?id=3&jsessionid=AB", f"{H}/a.do?id=3"),
    (f"{H}/a.php?PHPSESSID=0123abcd&id=3", f"{H}/a.php?id=3"),
    (f"{H}/a.asp?ASPSESSIONIDQQGGQGPG=KJH&id=3", f"{H}/a.asp?id=3"),
    (f"{H}/a.cfm?id=3&CFID=1234&CFTOKEN=5678", f"{H}/a.cfm?id=3"),
])
def test_session_ids_are_removed(url, expected):
    assert canonical_url(url) == expected


def test_a_semicolon_in_the_path_is_not_escaped():
    # Escaped, ``;jsessionid=`` is part of the file name, and a Java server answers 404.
    assert "%3B" not in canonical_url(f"{H}/a/bai.htm;v=1")


@pytest.mark.parametrize("url, expected", [
    (f"{H}/h%c3%a0-n%e1%bb%99i.htm", f"{H}/h%C3%A0-n%E1%BB%99i.htm"),   # escapes upper-cased
    (f"{H}/bai%2Dmot%5F1%2E%7Ehtm?q=%61%2d", f"{H}/bai-mot_1.~htm?q=a-"),  # unreserved ones decoded
    (f"{H}/a/./b/../c/%2E%2E/d.htm", f"{H}/a/d.htm"),
    (f"{H}/../a/b/..", f"{H}/a/"),
    (f"{H}/hà-nội.htm", f"{H}/h%C3%A0-n%E1%BB%99i.htm"),
    (unicodedata.normalize("NFD", f"{H}/hà-nội.htm"), f"{H}/h%C3%A0-n%E1%BB%99i.htm"),
])
def test_equivalent_spellings_of_a_path_are_one_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url, scheme, expected", [
    (f"{H}/a.htm#binh-luan", None, f"{H}/a.htm"),
    ("HTTP://HaNoi.Gov.VN:80/a.htm", None, "http://hanoi.gov.vn/a.htm"),
    ("https://hanoi.gov.vn:443/a.htm", None, f"{H}/a.htm"),
    ("http://hanoi.gov.vn:8080/a.htm", None, "http://hanoi.gov.vn:8080/a.htm"),
    ("http://hanoi.gov.vn/a.htm", "https", f"{H}/a.htm"),
    (f"{H}/a.htm", "http", "http://hanoi.gov.vn/a.htm"),
    ("mailto:so@hanoi.gov.vn", "https", "mailto:so@hanoi.gov.vn"),
])
def test_host_port_fragment_and_scheme(url, scheme, expected):
    assert canonical_url(url, prefer_scheme=scheme) == expected


def _article(key):
    paragraphs = "".join(
        f"<p>Ủy ban nhân dân tỉnh thông báo nội dung {key}.{i} của Kế hoạch 174/KH-UBND về việc đưa "
        f"kênh Zalo OA vào phục vụ người dân trên địa bàn tỉnh, mã bài {key}.</p>" for i in range(5))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Bài {key}</title></head><body>"
            f"<article><h1>Bài số {key} về chuyển đổi số</h1>{paragraphs}</article></body></html>").encode()


LISTING = [  # one ASP.NET and Java portal's links, each article under its own URL and a tracked one
    "/a/tin.aspx?111", "/a/tin.aspx?112", "/a/tin.aspx?111&utm_source=zalo",
    "/a/news.aspx?cid=201", "/a/news.aspx?cid=201&fbclid=IwAR0",
    "/a/bai.jsp;jsessionid=ABCDEF0123456789?id=301", "/a/bai.jsp?id=301#binh-luan",
]


def _portal(path, base):
    if path == "/a/list":
        items = "".join(f"<li><a href='{link}'>Tin</a></li>" for link in LISTING)
        return f"<html><body><ul>{items}</ul></body></html>".encode(), "text/html; charset=utf-8"
    # What the servers answer: a bare key or cid is the article; a session id in the path is
    # ignored by a Java server, but escaped it is part of the name and matches nothing.
    if path in ("/a/tin.aspx?111", "/a/tin.aspx?112", "/a/news.aspx?cid=201"):
        return _article(path.rsplit("?", 1)[1].removeprefix("cid=")), "text/html; charset=utf-8"
    if path.split(";jsessionid=")[0].split("?")[0] == "/a/bai.jsp" and path.endswith("?id=301"):
        return _article("301"), "text/html; charset=utf-8"
    return None


def test_a_crawl_archives_each_query_named_article_once(tmp_path):
    with serve_routes(_portal) as (base, hits):
        (tmp_path / "sources.toml").write_text(f"""
[[source]]
id = "aspx"
name = "Cổng ASP.NET"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/a/(tin\\.aspx\\?\\d+|news\\.aspx\\?cid=\\d+|bai\\.jsp\\?id=\\d+)$'
schedule = "0 * * * *"
[source.discovery]
[[source.discovery.listings]]
url = "{base}/a/list"
[source.politeness]
delay = 0.0
concurrency = 2
""", encoding="utf-8")
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    articles = query(tmp_path, "select url, title, text from articles order by url")
    assert [a["url"] for a in articles] == [
        f"{base}/a/bai.jsp?id=301", f"{base}/a/news.aspx?cid=201", f"{base}/a/tin.aspx?111", f"{base}/a/tin.aspx?112"]
    for article, key in zip(articles, ["301", "201", "111", "112"]):
        assert article["title"] == f"Bài số {key} về chuyển đổi số"
        assert f"mã bài {key}." in article["text"]
    assert not query(tmp_path, "select url, error from fetches where error is not null")
    assert sorted(path for _, path in hits if path.startswith("/a/") and path != "/a/list") == [
        "/a/bai.jsp?id=301", "/a/news.aspx?cid=201", "/a/tin.aspx?111", "/a/tin.aspx?112"]
