"""A portal that moves an article and corrects its date (and perhaps a word) between the same two
crawls: the page at the new URL is a version of the archived article, not a second article,
whether the old URL redirects there or answers 404 while the sitemap lists the new one. Two
articles of one template, or an article and its follow-up, stay two."""

import asyncio

import lxml.html
import pytest

from archive.serve import make_datasette
from tests.conftest import query, serve_routes
from tests.test_variants import PARAGRAPHS, crawl, write_sources

TITLE = "Hà Tĩnh hướng dẫn vận hành Zalo OA cấp xã"
OLD = "/a/ha-tinh-zalo-oa-1022040801.htm"
NEW = "/tin-tuc/ha-tinh-huong-dan-zalo-oa-cap-xa-1022040801.htm"
DATE = "Thứ Năm, 08/04/2021 16:20 (GMT+7)"
NEW_DATE = "Thứ Sáu, 09/04/2021 08:05 (GMT+7)"


class Site:
    """Articles by path, listed by a listing page and a sitemap, and redirects, changed by the
    test between crawls."""

    def __init__(self):
        self.articles = {OLD: {"title": TITLE, "date": DATE, "paragraphs": list(PARAGRAPHS["ha-tinh-cong-van"])}}
        self.listed = [OLD]
        self.redirects: dict[str, str] = {}

    def page(self, article, *, printed=False) -> bytes:
        body = "".join(f"<p>{p}</p>" for p in article["paragraphs"])
        # A print page shows neither the date line nor the byline.
        date = "" if printed else f'<div class="date">{article["date"]}</div>'
        author = "" if printed else '<div class="author">Minh An</div>'
        return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{article['title']} - Cổng tỉnh
</title></head><body><header><a href="/">Cổng thông tin điện tử tỉnh</a></header><article><h1>{article['title']}</h1>
{date}<div class="content">{body}</div>{author}
</article><footer>Cổng thông tin điện tử tỉnh</footer></body></html>""".encode()

    def answer(self, path, base):
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path in self.redirects:
            return 301, {"Location": self.redirects[path]}, b""
        if path == "/list":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.listed)
            return 200, html, f"<html><body><ul>{links}</ul></body></html>".encode()
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in self.listed)
            return 200, {"Content-Type": "application/xml"}, (
                '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>").encode()
        if path in self.articles:
            return 200, html, self.page(self.articles[path])
        if path.endswith("?print=1") and path[:-len("?print=1")] in self.articles:
            return 200, html, self.page(self.articles[path[:-len("?print=1")]], printed=True)
        return 404, html, b"<html><body>Not found</body></html>"

    def move(self, old, new):
        self.articles[new] = self.articles.pop(old)
        self.listed = [new if p == old else p for p in self.listed]


@pytest.fixture
def site():
    return Site()


@pytest.fixture
def folder(site, tmp_path):
    with serve_routes(site.answer) as (base, _hits):
        write_sources(tmp_path, base)
        sources = tmp_path / "sources.toml"
        sources.write_text(sources.read_text(encoding="utf-8").replace(
            "[source.discovery]\n", f'[source.discovery]\nsitemaps = ["{base}/sitemap.xml"]\n').replace(
            "/[am]/", "/(a|tin-tuc|2024/0[34])/"), encoding="utf-8")
        site.base = base
        yield tmp_path


def history(folder):
    return query(folder, "select article_id, version, published, text from article_history order by article_id, version")


@pytest.mark.parametrize("change", ["date", "date and a word"])
@pytest.mark.parametrize("move", ["301, the new URL listed", "301, the old URL listed", "404, the new URL listed"])
def test_an_article_moved_and_redated_between_two_crawls_is_a_version_of_it(site, folder, move, change):
    crawl(folder)
    (article,) = query(folder, "select id, url, published from articles")
    site.articles[OLD]["date"] = NEW_DATE
    if change == "date and a word":
        paragraphs = site.articles[OLD]["paragraphs"]
        paragraphs[2] = paragraphs[2].replace("thủ tục", "các thủ tục")
    site.move(OLD, NEW)
    if move.startswith("301"):
        site.redirects[OLD] = NEW
    if move == "301, the old URL listed":
        site.listed = [OLD]
    crawl(folder)
    assert query(folder, "select id, url, published from articles") == [
        {**article, "published": "2021-04-09T08:05:00+07:00"}]
    versions = history(folder)
    assert [(v["version"], v["published"]) for v in versions] == [
        (1, "2021-04-08T16:20:00+07:00"), (2, "2021-04-09T08:05:00+07:00")]
    assert ("các thủ tục" in versions[1]["text"]) == (change == "date and a word")
    assert query(folder, "select url from article_urls where url != ?", [article["url"]]) == [
        {"url": f"{site.base}{NEW}"}]
    page = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/a/{article['id']}")).text
    assert "Also archived at" in page and f"{site.base}{NEW}" in page.split("Also archived at")[1]
    if move.startswith("404"):
        # Gone from its first address, it is still read at its new one, and the page says so.
        notice = " ".join(lxml.html.fromstring(page).xpath('string(//p[@class="live-state"])').split())
        assert "The live page is gone" in notice and f"The article was still read at {site.base}{NEW}" in notice
    # The next crawl finds nothing new.
    crawl(folder)
    assert len(history(folder)) == 2
    assert query(folder, "select articles_new, articles_changed from crawls order by id desc limit 1") == [
        {"articles_new": 0, "articles_changed": 0}]


def test_a_date_corrected_at_a_moved_articles_new_url_is_a_version_and_its_print_page_dates_nothing(site, folder):
    crawl(folder)
    (article,) = query(folder, "select id from articles")
    # Moved, with its print page, which shows no date; then the portal corrects the date alone.
    site.move(OLD, NEW)
    site.redirects[OLD] = NEW
    site.listed = [NEW, f"{NEW}?print=1"]
    crawl(folder)
    assert query(folder, "select url from article_urls where article_id = ? and url like '%print%'",
                 [article["id"]]) == [{"url": f"{site.base}{NEW}?print=1"}]
    assert len(history(folder)) == 1
    site.articles[NEW]["date"] = NEW_DATE
    crawl(folder)
    crawl(folder)
    assert [(v["version"], v["published"]) for v in history(folder)] == [
        (1, "2021-04-08T16:20:00+07:00"), (2, "2021-04-09T08:05:00+07:00")]
    assert query(folder, "select published from articles") == [{"published": "2021-04-09T08:05:00+07:00"}]


def two_of_one_template(site, number, date, district):
    """A press release of the template the site's article is on, with its own number."""
    article = site.articles[OLD]
    site.articles[f"/a/ha-tinh-zalo-oa-{number}.htm"] = {
        "title": article["title"], "date": date,
        "paragraphs": [p.replace("mỗi xã", f"mỗi xã của huyện {district}") for p in article["paragraphs"]],
    }
    site.listed.append(f"/a/ha-tinh-zalo-oa-{number}.htm")


def test_press_releases_of_one_template_and_headline_dated_apart_stay_two_articles(site, folder):
    crawl(folder)
    two_of_one_template(site, 1022040802, NEW_DATE, "Kỳ Anh")
    # In the same crawl, the first one is moved: the template's others are no move of it.
    site.articles[OLD]["date"] = NEW_DATE
    site.move(OLD, NEW)
    crawl(folder)
    urls = {a["url"].rsplit("/", 1)[1] for a in query(folder, "select url from articles")}
    assert urls == {OLD.rsplit("/", 1)[1], "ha-tinh-zalo-oa-1022040802.htm"}
    assert query(folder, "select url from article_urls where url like '%1022040802%'") == []


def test_a_follow_up_a_week_later_with_a_like_headline_is_an_article_of_its_own(site, folder):
    crawl(folder)
    article = site.articles[OLD]
    site.articles["/a/ha-tinh-zalo-oa-cap-xa-1022041503.htm"] = {
        "title": TITLE + " (tiếp theo)", "date": "Thứ Năm, 15/04/2021 09:00 (GMT+7)",
        "paragraphs": [*article["paragraphs"][:4], "Đến nay đã có 120 xã hoàn thành việc đăng ký tài khoản."],
    }
    site.listed.append("/a/ha-tinh-zalo-oa-cap-xa-1022041503.htm")
    crawl(folder)
    assert len(query(folder, "select id from articles")) == 2
    assert query(folder, "select count(*) as n from article_urls")[0]["n"] == 0


def test_a_notice_posted_again_under_its_slug_in_another_month_is_an_article_of_its_own(site, folder):
    # No number names the article: its day is all that tells the two postings apart.
    site.articles = {
        f"/2024/0{month}/lich-tiep-cong-dan.htm": {
            "title": "Lịch tiếp công dân của lãnh đạo tỉnh", "date": f"Thứ Hai, 0{month}/0{month}/2024 08:00 (GMT+7)",
            "paragraphs": list(PARAGRAPHS["da-nang-tin-gia"]),
        } for month in (3, 4)
    }
    site.listed = ["/2024/03/lich-tiep-cong-dan.htm"]
    crawl(folder)
    site.listed = ["/2024/04/lich-tiep-cong-dan.htm"]
    crawl(folder)
    assert len(query(folder, "select id from articles")) == 2


@pytest.mark.parametrize("slugs", [
    ("/tin-tuc/trien-khai-nghi-dinh-168-2024-nd-cp-4567.htm", "/tin-tuc/trien-khai-nghi-dinh-168-2024-nd-cp-4890.htm"),
    ("/tin-tuc/trien-khai-nghi-dinh-168-an-phu.htm", "/tin-tuc/trien-khai-nghi-dinh-168-tan-chau.htm"),
    ("/tin-tuc/hoi-nghi-20240517-an-phu.htm", "/tin-tuc/hoi-nghi-20240517-tan-chau.htm"),
], ids=["short ids", "a document's number", "a day"])
def test_two_write_ups_of_one_document_whose_urls_share_its_number_stay_two_articles(site, folder, slugs):
    # A number in both URLs that is no article's id (a decree's, a day's) says nothing of a move.
    del site.articles[OLD]
    site.listed = list(slugs)
    for slug, district, date in zip(slugs, ("An Phú", "Tân Châu"), (DATE, NEW_DATE)):
        site.articles[slug] = {"title": "Triển khai Nghị định 168/2024/NĐ-CP", "date": date, "paragraphs": [
            f"Ủy ban nhân dân huyện {district} tổ chức hội nghị triển khai Nghị định 168/2024/NĐ-CP.",
            *PARAGRAPHS["ha-tinh-cong-van"]]}
    crawl(folder)
    assert sorted(r["url"].rsplit("/", 1)[1] for r in query(folder, "select url from articles")) == sorted(
        s.rsplit("/", 1)[1] for s in slugs)
    assert query(folder, "select count(*) as n from article_urls") == [{"n": 0}]
