"""An article met at more than one URL (print pages, moves) stays one article whose edits are
versions, whichever of its URLs shows them; a removed article sent to a section page is not
given that page as its text."""

import asyncio
import json
import sqlite3

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.captures import read_hop
from archive.serve import make_datasette
from archive.syndication import same_page
from tests.conftest import crawl_into, query, serve_routes

PARAGRAPHS = {
    "da-nang-tin-gia": [
        "Sở Thông tin và Truyền thông Đà Nẵng cho biết trong quý I đã tiếp nhận 42 phản ánh về tin sai sự thật.",
        "Các phản ánh đến qua kênh Zalo OA của thành phố và qua đường dây nóng của Trung tâm Thông tin.",
        "Đơn vị đã phối hợp với cơ quan công an xác minh và yêu cầu gỡ bỏ 17 bài đăng trên mạng xã hội.",
        "Người dân được khuyến nghị kiểm tra nguồn tin trên cổng thông tin điện tử trước khi chia sẻ.",
        "Thành phố sẽ tổ chức tập huấn kỹ năng nhận diện tin giả cho cán bộ cấp phường trong tháng tới.",
        "Kế hoạch truyền thông năm nay đặt mục tiêu mọi phường, xã có trang tin điện tử và tài khoản Zalo OA.",
        "Trong số các phản ánh, phần lớn liên quan đến thông tin về giá đất, quy hoạch và tuyển dụng viên chức.",
        "Một số tài khoản giả mạo trang của cơ quan nhà nước đã bị đề nghị khóa sau khi được xác minh.",
        "Sở đề nghị các cơ quan báo chí trên địa bàn phối hợp đăng tải thông tin chính thức kịp thời, chính xác.",
        "Cán bộ phụ trách mạng xã hội của các quận, huyện được giao theo dõi dư luận và báo cáo hằng tuần.",
        "Đường dây nóng tiếp nhận phản ánh hoạt động trong giờ hành chính và qua hộp thư điện tử của Sở.",
        "Kết quả xử lý các phản ánh được công khai trên cổng thông tin điện tử thành phố vào cuối mỗi tháng.",
    ],
    "nghe-an-nguoi-phat-ngon": [
        "Ủy ban nhân dân tỉnh Nghệ An công bố danh sách người phát ngôn của các sở, ban, ngành năm 2023.",
        "Danh sách gồm họ tên, chức vụ và số điện thoại để báo chí liên hệ khi cần cung cấp thông tin.",
        "Văn phòng Ủy ban nhân dân tỉnh đề nghị các đơn vị cập nhật danh sách khi có thay đổi nhân sự.",
        "Các cơ quan phải trả lời câu hỏi của báo chí trong thời hạn theo quy định của pháp luật.",
        "Việc cung cấp thông tin định kỳ được thực hiện qua họp báo hằng quý tại trụ sở tỉnh.",
        "Tỉnh sẽ đánh giá việc thực hiện quy chế phát ngôn trong báo cáo tổng kết cuối năm.",
    ],
    "ha-tinh-cong-van": [
        "Sở Thông tin và Truyền thông Hà Tĩnh ban hành công văn hướng dẫn vận hành Zalo OA cấp xã.",
        "Công văn yêu cầu mỗi xã phân công cán bộ trả lời tin nhắn của người dân trong giờ hành chính.",
        "Các thông báo về thủ tục hành chính cần được đăng đồng thời trên trang tin điện tử của xã.",
        "Sở sẽ tổng hợp số lượt quan tâm và số phản ánh được giải quyết để báo cáo hằng tháng.",
        "Những xã chưa có tài khoản phải hoàn thành việc đăng ký trước cuối quý.",
        "Trung tâm Công nghệ thông tin tỉnh hỗ trợ kỹ thuật khi các xã gặp khó khăn.",
    ],
}
TITLES = {
    "da-nang-tin-gia": "Đà Nẵng xử lý 42 phản ánh tin sai sự thật trong quý I",
    "nghe-an-nguoi-phat-ngon": "Nghệ An công bố người phát ngôn của các sở, ngành năm 2023",
    "ha-tinh-cong-van": "Hà Tĩnh hướng dẫn vận hành Zalo OA cấp xã",
}


def article_page(key, paragraphs, *, printed=False, sapo=None):
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if printed:
        body += "<p>Bản in.</p>"
    furniture = "" if printed else "<header><nav><a href='/list'>Tin tức</a></nav></header>"
    # The sapo's box sits outside the body, as portals set it; a print page leaves it out.
    lead = f'<div class="sapo"><b>{sapo}</b></div>' if sapo and not printed else ""
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{TITLES[key]}</title>
<meta property="article:published_time" content="2024-03-05T08:00:00+07:00"></head>
<body>{furniture}<main><article><h1>{TITLES[key]}</h1>
<p class="date">05/03/2024 08:00</p>{lead}{body}</article></main>
<footer>Cổng thông tin mẫu · Giấy phép số 12/GP-TTĐT</footer></body></html>""".encode()


class Site:
    """The articles, the links the listing shows, and redirects, changed by the test between crawls."""

    def __init__(self):
        self.texts = {key: list(p) for key, p in PARAGRAPHS.items()}
        self.paths = {"da-nang-tin-gia": "/a/da-nang-tin-gia.htm", "nghe-an-nguoi-phat-ngon": "/a/nghe-an.htm",
                      "ha-tinh-cong-van": "/a/ha-tinh.htm"}
        self.listed = ["/a/da-nang-tin-gia.htm", "/a/da-nang-tin-gia.htm?print=1", "/a/nghe-an.htm", "/a/ha-tinh.htm"]
        self.redirects: dict[str, str] = {}
        self.print_texts: dict[str, list[str]] = {}  # a print page's own (late) text, when it has one
        self.sapos: dict[str, str] = {}  # an article's sapo, when it has one

    def answer(self, path):
        """(status, headers, body) for ``path``, as tests.conftest.serve_routes takes them."""
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path in self.redirects:
            return 301, {"Location": self.redirects[path]}, b""
        if path == "/list":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.listed)
            return 200, html, f"<html><body><ul>{links}</ul></body></html>".encode()
        if path == "/index.html":
            headlines = "".join(f"<li><a href='{p}'>{TITLES[k]}</a></li>" for k, p in self.paths.items())
            return 200, html, f"""<html lang="vi"><head><title>Cổng thông tin điện tử tỉnh</title></head><body>
<h1>Cổng thông tin điện tử tỉnh</h1><p>Trang chủ của cổng thông tin, nơi đăng tin hoạt động của các sở,
ban, ngành và thông báo cho người dân, doanh nghiệp về thủ tục hành chính.</p><ul>{headlines}</ul>
</body></html>""".encode()
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        bare, _, query_string = path.partition("?")
        # A path with a query names its article by it; the others are answered by path alone.
        exact = [key for key, where in self.paths.items() if where == path]
        for key, where in [(key, self.paths[key]) for key in exact] or self.paths.items():
            if bare == where or path == where:
                printed = query_string == "print=1"
                text = self.print_texts.get(key, self.texts[key]) if printed else self.texts[key]
                return 200, html, article_page(key, text, printed=printed, sapo=self.sapos.get(key))
        return 404, html, b"<html><body>Not found</body></html>"


@pytest.fixture
def site():
    return Site()


def write_sources(folder, base, *, home="/", hosts=("127.0.0.1",)):
    """The sources file of one source, "mau", served at ``base`` (also by the other ``hosts``):
    articles under /a/ and /m/, found on the listing /list."""
    port = base.rsplit(":", 1)[1]
    domains = ", ".join(f'"{host}"' for host in hosts)
    host_pattern = "|".join(host.replace(".", "\\.") for host in hosts)
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "mau"
name = "Cổng mẫu"
kind = "province-portal"
home = "{base}{home}"
allowed_domains = [{domains}]
article_pattern = '^http://({host_pattern}):{port}/[am]/[a-z0-9-]+\\.htm(\\?(print=1|sid=\\w+))?$'
schedule = "0 * * * *"
[source.discovery]
[[source.discovery.listings]]
url = "{base}/list"
[source.politeness]
delay = 0.0
concurrency = 1
""", encoding="utf-8")


@pytest.fixture
def folder(site, tmp_path):
    with serve_routes(lambda path, _base: site.answer(path)) as (base, _hits):
        write_sources(tmp_path, base)
        site.base = base
        yield tmp_path


def crawl(folder):
    result = crawl_into(folder, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def articles(folder):
    return query(folder, "select id, url, text, last_seen from articles order by id")


def versions(folder, article_id):
    return query(folder, "select version, fetch_id from article_versions where article_id = ? order by version",
                 [article_id])


def test_an_edit_seen_only_at_a_print_page_is_a_version_and_nothing_flips(site, folder):
    crawl(folder)
    first = articles(folder)
    assert len(first) == 3, first
    (da_nang,) = [a for a in first if "da-nang" in a["url"]]
    # Whichever of the two pages was stored first is the article's URL, the other one of its URLs.
    (other,) = query(folder, "select url, article_id from article_urls where url != ?", [da_nang["url"]])
    assert other["article_id"] == da_nang["id"]
    main = f"{site.base}/a/da-nang-tin-gia.htm"
    assert {da_nang["url"], other["url"]} == {main, main + "?print=1"}
    # Both pages again, unchanged: the print page's extra line is not an edit, on any crawl.
    crawl(folder)
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 1

    # Only the print page is linked now, and it shows an edit.
    site.listed = ["/a/da-nang-tin-gia.htm?print=1"]
    site.texts["da-nang-tin-gia"][0] = site.texts["da-nang-tin-gia"][0].replace("42", "45")
    crawl(folder)
    assert len(articles(folder)) == 3
    assert len(versions(folder, da_nang["id"])) == 2
    (now,) = [a for a in articles(folder) if a["id"] == da_nang["id"]]
    assert "45 phản ánh" in now["text"]

    # Both linked again and both show a further edit: one version, not two.
    site.listed = ["/a/da-nang-tin-gia.htm", "/a/da-nang-tin-gia.htm?print=1"]
    site.texts["da-nang-tin-gia"][1] += " Kênh Zalo OA nhận nhiều phản ánh nhất."
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 3
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 3


def test_a_sapo_changed_alone_is_a_version_and_a_print_page_without_it_is_none(site, folder):
    # The article and its print page, which leaves the sapo out; only the sapo is then corrected.
    plan = "Ngày 05/6/2025, Ủy ban nhân dân thành phố ban hành Kế hoạch số {}/KH-UBND về phòng, chống tin giả."
    site.sapos["da-nang-tin-gia"] = plan.format(175)
    # An article with no print page: its first reading has the sapo for certain.
    site.sapos["nghe-an-nguoi-phat-ngon"] = plan.format(175)
    crawl(folder)
    crawl(folder)
    (da_nang,) = [a for a in articles(folder) if "da-nang" in a["url"]]
    assert len(versions(folder, da_nang["id"])) == 1
    # Whichever of the two pages was stored first gave the article its sapo, or none.
    (first,) = query(folder, "select description from articles where id = ?", [da_nang["id"]])
    site.sapos["da-nang-tin-gia"] = site.sapos["nghe-an-nguoi-phat-ngon"] = plan.format(176)
    crawl(folder)
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 2
    history = query(folder, "select version, description from article_history where article_id = ? order by version",
                    [da_nang["id"]])
    assert history[0]["description"] == first["description"] and "176/KH-UBND" in history[1]["description"]
    # The diff of the versions shows the sapo's correction, the text being the same.
    (nghe_an,) = [a for a in articles(folder) if "nghe-an" in a["url"]]
    assert len(versions(folder, nghe_an["id"])) == 2
    diff = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/diff/{nghe_an['id']}")).text
    (sapo,) = lxml.html.fromstring(diff).cssselect("p.diff-sapo")
    removed, added = (" ".join(e.text_content() for e in sapo.cssselect(tag)) for tag in ("del", "ins"))
    assert "175/KH-UBND" in removed and "176/KH-UBND" in added and "Kế hoạch" not in removed + added
    from archive.db import open_db
    from archive.search import search

    db = open_db(folder / "archive.db")
    try:
        assert {r["id"] for r in search(db, '"176/KH-UBND"')} == {da_nang["id"], nghe_an["id"]}
    finally:
        db.close()


def test_a_moved_article_edited_at_its_new_url_is_a_version_of_it(site, folder):
    crawl(folder)
    (nghe_an,) = [a for a in articles(folder) if "nghe-an" in a["url"]]
    # The portal moves the article; the old URL redirects.
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/nghe-an.htm"] = "/m/nghe-an-2023.htm"
    crawl(folder)
    assert query(folder, "select url, article_id from article_urls where url like '%/m/%'") == [
        {"url": f"{site.base}/m/nghe-an-2023.htm", "article_id": nghe_an["id"]}
    ]
    # The fetch keeps the redirect's own WARC record too, before the response it led to.
    (fetch,) = query(folder, "select warc_hops, response_url from fetches where url = ? order by id desc limit 1",
                     [nghe_an["url"]])
    (hop,) = json.loads(fetch["warc_hops"])
    redirect = read_hop(folder / "archive.db", hop)
    assert (redirect.url, redirect.status, redirect.headers["Location"]) == (nghe_an["url"], 301, "/m/nghe-an-2023.htm")
    # Then lists only the new URL, and edits the article there.
    site.listed = ["/m/nghe-an-2023.htm"]
    site.texts["nghe-an-nguoi-phat-ngon"].append("Danh sách được cập nhật thêm người phát ngôn của Sở Y tế.")
    crawl(folder)
    assert len(articles(folder)) == 3
    assert len(versions(folder, nghe_an["id"])) == 2
    assert "Sở Y tế" in next(a for a in articles(folder) if a["id"] == nghe_an["id"])["text"]


def test_a_new_url_that_redirects_to_an_archived_article_is_one_of_its_urls(site, folder):
    crawl(folder)
    (ha_tinh,) = [a for a in articles(folder) if "ha-tinh" in a["url"]]
    # The portal's listing now links the article by a short address that redirects to it.
    site.redirects["/a/ha-tinh-moi.htm"] = "/a/ha-tinh.htm"
    site.listed.append("/a/ha-tinh-moi.htm")
    crawl(folder)
    assert len(articles(folder)) == 3
    assert query(folder, "select article_id from article_urls where url = ?", [f"{site.base}/a/ha-tinh-moi.htm"]) == [
        {"article_id": ha_tinh["id"]}]
    assert len(versions(folder, ha_tinh["id"])) == 1


def test_an_export_replays_the_url_asked_for_through_its_redirect(site, folder, run_cli):
    site.redirects["/a/ha-tinh-cu.htm"] = "/a/ha-tinh.htm"
    site.listed = ["/a/ha-tinh-cu.htm"]
    crawl(folder)
    (article,) = articles(folder)
    assert article["url"] == f"{site.base}/a/ha-tinh-cu.htm"
    run_cli("export", "--format", "warc", "--db", folder / "archive.db", "-o", folder / "out.warc.gz", check=True)
    with open(folder / "out.warc.gz", "rb") as f:
        responses = [(r.rec_headers.get_header("WARC-Target-URI"), r.http_headers.get_statuscode())
                     for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert responses == [(article["url"], "301"), (f"{site.base}/a/ha-tinh.htm", "200")]


def test_an_article_sent_to_a_section_page_keeps_its_text(site, folder):
    crawl(folder)
    (ha_tinh,) = [a for a in articles(folder) if "ha-tinh" in a["url"]]
    site.redirects["/a/ha-tinh.htm"] = "/list"
    result = crawl(folder)
    assert len(versions(folder, ha_tinh["id"])) == 1
    (after,) = [a for a in articles(folder) if a["id"] == ha_tinh["id"]]
    assert after["text"] == ha_tinh["text"] and after["last_seen"] == ha_tinh["last_seen"]
    (fetch,) = query(folder, "select status, response_url, error from fetches where url = ? order by id desc limit 1",
                     [ha_tinh["url"]])
    assert fetch["status"] == 200 and fetch["response_url"] == f"{site.base}/list"
    assert fetch["error"] == f"redirected to {site.base}/list, the source's home or listing page, not an article"
    # The crawl's log names what failed, not only how many.
    assert f"mau: crawl 2: 1 failed: {ha_tinh['url']} (redirected to {site.base}/list," in result.stderr


def test_reextract_reads_an_articles_other_urls_again(site, folder, run_cli):
    crawl(folder)
    before = query(folder, "select u.url, u.text_hash from article_urls u join articles a on a.id = u.article_id "
                           "where u.url != a.url")
    assert len(before) == 1
    # New rules, as the next crawl will record them, and the archive read again by them.
    sources = folder / "sources.toml"
    sources.write_text(sources.read_text(encoding="utf-8") + '[source.extract]\nbody = "article p:nth-of-type(-n+4)"\n',
                       encoding="utf-8")
    conn = sqlite3.connect(folder / "archive.db")
    with conn:
        conn.execute("""update sources set extract_rules = '{"body": "article p:nth-of-type(-n+4)"}'""")
    conn.close()
    run_cli("reextract", "--db", folder / "archive.db", check=True)
    after = query(folder, "select url, text_hash from article_urls where url = ?", [before[0]["url"]])
    assert after[0]["text_hash"] != before[0]["text_hash"]
    # Read by the same rules as the new fetches, the pages are no edit.
    crawl(folder)
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == 3


def test_new_selectors_are_no_edit_but_an_edit_read_by_them_is(site, folder):
    crawl(folder)
    (nghe_an,) = [a for a in articles(folder) if "nghe-an" in a["url"]]
    # The source gets selectors that read only the first four paragraphs; the site has not
    # changed (and, like many portals, answers no conditional request).
    sources = folder / "sources.toml"
    sources.write_text(sources.read_text(encoding="utf-8") + '[source.extract]\nbody = "article p:nth-of-type(-n+4)"\n',
                       encoding="utf-8")
    crawl(folder)
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == 3
    (now,) = [a for a in articles(folder) if a["id"] == nghe_an["id"]]
    assert now["text"] != nghe_an["text"] and "Sở Y tế" not in now["text"]
    # Every article is read by them now, the one met at two URLs (its own and a print page) too.
    assert {r["v"].split("+")[-1][:6] for r in query(folder, "select extractor_version as v from articles")} == {"rules-"}
    # An edit the new selectors read is a version.
    site.texts["nghe-an-nguoi-phat-ngon"][2] = "Văn phòng tỉnh bổ sung người phát ngôn của Sở Y tế."
    crawl(folder)
    assert len(versions(folder, nghe_an["id"])) == 2
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == 4


def _crawled_without_print_pages(site, folder) -> dict:
    """The site crawled with no print page listed (one stored first would be its article's URL,
    and it does not redirect): each article by its key."""
    site.listed = [p for p in site.listed if "print" not in p]
    crawl(folder)
    return {key: next(a for a in articles(folder) if path.split("/")[-1].split(".")[0] in a["url"])
            for key, path in site.paths.items()}


def test_the_article_page_says_where_the_live_page_went(site, folder):
    by_key = _crawled_without_print_pages(site, folder)
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/nghe-an.htm"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/ha-tinh.htm"] = "/list"
    site.paths["da-nang-tin-gia"] = "/a/removed.htm"
    crawl(folder)
    ds = make_datasette(folder / "archive.db")

    def page(key):
        response = asyncio.run(ds.client.get(f"/-/a/{by_key[key]['id']}"))
        assert response.status_code == 200
        return response.text

    moved = page("nghe-an-nguoi-phat-ngon")
    assert "The live page has moved to" in moved and f'href="{site.base}/m/nghe-an-2023.htm"' in moved
    assert "Also archived at" in moved
    assert "The live page now sends readers to the home or a section page" in page("ha-tinh-cong-van")
    gone = page("da-nang-tin-gia")
    assert "The live page is gone: it answered HTTP 404" in gone and "Trang gốc đã bị gỡ" in gone


def test_the_article_page_says_the_live_page_now_leads_to_another_article(site, folder):
    by_key = _crawled_without_print_pages(site, folder)
    # The portal sends the old article's address to an unrelated one, which is not its move.
    site.redirects["/a/da-nang-tin-gia.htm"] = "/a/ha-tinh.htm"
    crawl(folder)
    ds = make_datasette(folder / "archive.db")
    page = asyncio.run(ds.client.get(f"/-/a/{by_key['da-nang-tin-gia']['id']}")).text
    live = page[page.index('<p class="live-state">'):]
    live = live[:live.index("</p>")]
    assert "home or a section page" not in live
    assert "The live page now leads to another page, not this article:" in live
    assert f'href="{site.base}/a/ha-tinh.htm"' in live
    # That page is in the archive: its copy is a click away.
    assert f'href="/-/a/{by_key["ha-tinh-cong-van"]["id"]}"' in live


def test_notices_that_share_a_headline_and_a_day_stay_two_articles(site, folder, monkeypatch):
    # Monthly notices of two districts: the same headline, the same day, bodies apart by a name.
    title = "Lịch tiếp công dân tháng 11 của lãnh đạo huyện"
    body = [
        "Ủy ban nhân dân huyện {0} thông báo lịch tiếp công dân định kỳ của Chủ tịch và các Phó Chủ tịch trong tháng 11.",
        "Lãnh đạo huyện tiếp công dân vào sáng thứ Năm hằng tuần tại Trụ sở tiếp công dân của huyện.",
        "Công dân đến phản ánh, kiến nghị cần mang theo giấy tờ tùy thân và tài liệu liên quan đến nội dung trình bày.",
        "Trường hợp nhiều người cùng phản ánh một nội dung thì cử người đại diện theo quy định của Luật Tiếp công dân.",
        "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân huyện bố trí cán bộ ghi nhận ý kiến và chuyển cơ quan chức năng.",
        "Lịch tiếp có thể thay đổi khi lãnh đạo huyện có công tác đột xuất; thông báo thay đổi được đăng trên trang tin.",
        "Người dân có thể gửi đơn thư qua đường bưu điện hoặc trực tiếp tại bộ phận một cửa của Ủy ban nhân dân huyện.",
        "Các phản ánh qua kênh Zalo OA của huyện được tổng hợp và chuyển đến lãnh đạo trước buổi tiếp công dân.",
        "Đơn thư không rõ người gửi, không có nội dung cụ thể sẽ không được xem xét giải quyết theo quy định.",
        "Thanh tra huyện có trách nhiệm theo dõi, đôn đốc việc giải quyết các kiến nghị sau buổi tiếp công dân.",
        "Kết quả giải quyết được thông báo bằng văn bản đến công dân trong thời hạn luật định.",
        "Mọi thắc mắc xin liên hệ Ban Tiếp công dân huyện trong giờ hành chính các ngày làm việc trong tuần.",
    ]
    for key, district in (("dong-anh", "Đông Anh"), ("soc-son", "Sóc Sơn")):
        monkeypatch.setitem(TITLES, key, title)
        site.texts[key] = [line.format(district) for line in body]
        site.paths[key] = f"/a/{key}.htm"
    site.listed = ["/a/dong-anh.htm", "/a/soc-son.htm"]
    crawl(folder)
    stored = {a["url"].rsplit("/", 1)[1]: a for a in articles(folder)}
    assert {"dong-anh.htm", "soc-son.htm"} <= set(stored)
    assert "Đông Anh" in stored["dong-anh.htm"]["text"] and "Sóc Sơn" in stored["soc-son.htm"]["text"]
    assert query(folder, "select count(*) as n from article_urls")[0]["n"] == 0


def test_notices_a_portal_names_by_query_stay_two_articles(site, folder, monkeypatch):
    # An ASP.NET portal: every article at /Pages/tin-tuc.aspx, told apart by ItemID; two monthly
    # notices of one day whose bodies differ by one word.
    title = "Lịch tiếp công dân của lãnh đạo tỉnh"
    body = [
        "Văn phòng Ủy ban nhân dân tỉnh thông báo lịch tiếp công dân định kỳ của lãnh đạo tỉnh trong tháng {0}.",
        *PARAGRAPHS["da-nang-tin-gia"][1:],
    ]
    for key, item, month in (("t3", 130, "3/2024"), ("t4", 131, "4/2024")):
        monkeypatch.setitem(TITLES, key, title)
        site.texts[key] = [line.format(month) for line in body]
        site.paths[key] = f"/Pages/tin-tuc.aspx?ItemID={item}&CategoryID=4"
    site.listed = [site.paths["t3"], site.paths["t4"]]
    sources = folder / "sources.toml"
    port = site.base.rsplit(":", 1)[1]
    pattern = f"article_pattern = '^http://127\\.0\\.0\\.1:{port}/Pages/tin-tuc\\.aspx\\?.*[Ii]tem[Ii][Dd]=\\d+'"
    sources.write_text("\n".join(pattern if line.startswith("article_pattern") else line
                                 for line in sources.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    crawl(folder)
    stored = {a["url"].split("ItemID=")[1][:3]: a for a in articles(folder)}
    assert set(stored) == {"130", "131"}
    assert "tháng 3/2024" in stored["130"]["text"] and "tháng 4/2024" in stored["131"]["text"]
    assert query(folder, "select count(*) as n from article_urls")[0]["n"] == 0


def test_a_query_number_tells_pages_apart_and_other_parameters_do_not():
    page = "https://p.gov.vn/Pages/tin-tuc.aspx?ItemID=130&CategoryID=4"
    assert not same_page(page, "https://p.gov.vn/Pages/tin-tuc.aspx?ItemID=131&CategoryID=4")
    # IIS reads parameter names in any case; a print or session parameter is no other page.
    assert same_page(page, "https://p.gov.vn/Pages/tin-tuc.aspx?itemid=0130&CategoryID=4&print=1")
    assert same_page(page, "https://p.gov.vn/Pages/tin-tuc.aspx?ItemID=130&sid=8f3a²")
    assert same_page("https://p.gov.vn/tin/bai-107.htm", "https://p.gov.vn/print/107?page=2")


def test_an_edit_first_seen_at_another_url_of_the_article_is_a_version(site, folder):
    site.listed = ["/a/da-nang-tin-gia.htm"]
    crawl(folder)
    (da_nang,) = [a for a in articles(folder) if "da-nang" in a["url"]]
    # The portal now links the article under another form only (with a session id), and it was
    # edited meanwhile: the article's own URL is not read today, so this page is the only word on it.
    site.listed = ["/a/da-nang-tin-gia.htm?sid=s3ss10n"]
    site.texts["da-nang-tin-gia"][2] = site.texts["da-nang-tin-gia"][2].replace("17", "19")
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 2
    assert "gỡ bỏ 19 bài" in next(a for a in articles(folder) if a["id"] == da_nang["id"])["text"]


def test_an_edit_a_print_page_shows_a_crawl_late_is_one_version(site, folder):
    crawl(folder)
    (da_nang,) = [a for a in articles(folder) if "da-nang" in a["url"]]
    # The print page's cache is a crawl late: the edit shows at the article first.
    site.print_texts["da-nang-tin-gia"] = list(site.texts["da-nang-tin-gia"])
    site.texts["da-nang-tin-gia"][3] += " Cổng thông tin đăng danh sách các nguồn tin chính thống."
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 2
    del site.print_texts["da-nang-tin-gia"]
    crawl(folder)
    crawl(folder)
    assert len(versions(folder, da_nang["id"])) == 2


@pytest.mark.parametrize("target", ["/index.html", "/a/nghe-an.htm"], ids=["home page", "another article"])
def test_an_article_sent_to_a_page_that_is_not_it_keeps_its_text(site, folder, target):
    crawl(folder)
    (ha_tinh,) = [a for a in articles(folder) if "ha-tinh" in a["url"]]
    site.redirects["/a/ha-tinh.htm"] = target
    crawl(folder)
    assert len(versions(folder, ha_tinh["id"])) == 1
    assert next(a for a in articles(folder) if a["id"] == ha_tinh["id"])["text"] == ha_tinh["text"]
    (fetch,) = query(folder, "select error from fetches where url = ? order by id desc limit 1", [ha_tinh["url"]])
    assert fetch["error"] == f"redirected to {site.base}{target}, a page that does not read as the article"
    assert query(folder, "select count(*) as n from article_urls where article_id = ?", [ha_tinh["id"]])[0]["n"] == 0


def test_another_url_of_the_article_does_not_date_its_own_url(tmp_path):
    from archive.db import open_db
    from archive.ingest import known_articles
    from archive.sources import Source
    from archive import ingest
    from tests.conftest import store_page

    db = open_db(tmp_path / "archive.db")
    source = Source(id="t", name="T", kind="press", home="https://t.vn/", allowed_domains=("t.vn",),
                    article_pattern=r"/a/", schedule="0 * * * *", listings=())
    ingest.register_source(db, source)
    record = ingest.extract_for_storage(article_page("da-nang-tin-gia", PARAGRAPHS["da-nang-tin-gia"]),
                                        "https://t.vn/a/da-nang.htm", {"Content-Type": "text/html; charset=utf-8"})
    with db.atomic():
        assert store_page(db, record, source_id="t", seen_at="2026-11-01T00:00:00.000+00:00") == "new"
        variant = {**record, "url": "https://t.vn/a/da-nang.htm?print=1"}
        assert store_page(db, variant, source_id="t", seen_at="2026-11-20T00:00:00.000+00:00") == "unchanged"
    known = known_articles(db, "t")
    # A sitemap's <lastmod> is compared with when each URL itself last answered.
    assert known["https://t.vn/a/da-nang.htm"].last_seen == "2026-11-01T00:00:00.000+00:00"
    assert known["https://t.vn/a/da-nang.htm?print=1"].last_seen == "2026-11-20T00:00:00.000+00:00"


def test_a_url_met_first_with_another_sapo_is_a_version_and_one_without_a_sapo_is_none(tmp_path):
    from archive import ingest
    from archive.db import open_db
    from archive.sources import Source
    from tests.conftest import store_page

    db = open_db(tmp_path / "archive.db")
    ingest.register_source(db, Source(id="t", name="T", kind="press", home="https://t.vn/", allowed_domains=("t.vn",),
                                      article_pattern=r"/a/", schedule="0 * * * *", listings=()))
    page = article_page("da-nang-tin-gia", PARAGRAPHS["da-nang-tin-gia"],
                        sapo="Đà Nẵng xử lý 42 phản ánh tin sai sự thật trong quý I theo Kế hoạch số 175/KH-UBND.")
    record = ingest.extract_for_storage(page, "https://t.vn/a/da-nang.htm", {"Content-Type": "text/html; charset=utf-8"})
    printed = {**record, "url": "https://t.vn/a/da-nang.htm?print=1", "description": None}
    corrected = {**record, "url": "https://t.vn/a/da-nang.htm?sid=s3ss10n",
                 "description": record["description"].replace("175/KH", "176/KH")}
    # Each in a crawl of its own, in which the article's own URL is not read: this page is the word on it.
    stored = [store_page(db, dict(r), source_id="t", seen_at=f"2026-11-0{day}T00:00:00.000+00:00")
              for day, r in enumerate((record, printed, corrected, record, printed, corrected), 1)]
    assert stored == ["new", "unchanged", "changed", "unchanged", "unchanged", "unchanged"]
    assert db.execute("select description from articles").fetchone()[0] == corrected["description"]


def test_an_article_downloaded_names_its_other_urls(site, folder, run_cli):
    site.listed = ["/a/da-nang-tin-gia.htm"]
    crawl(folder)
    site.listed = ["/a/da-nang-tin-gia.htm", "/a/da-nang-tin-gia.htm?print=1"]
    crawl(folder)
    main = f"{site.base}/a/da-nang-tin-gia.htm"
    out = run_cli("export", "--format", "jsonl", "--db", folder / "archive.db", "-o", "-", check=True).stdout
    records = {r["url"]: r for r in map(json.loads, out.splitlines())}
    assert records[main]["other_urls"] == [main + "?print=1"]
    assert all(r["other_urls"] == [] for url, r in records.items() if url != main)
    ds = make_datasette(folder / "archive.db")
    record = asyncio.run(ds.client.get(f"/-/article/{records[main]['id']}.json")).json()
    assert record["other_urls"] == [main + "?print=1"]


def test_the_article_page_follows_a_page_that_moved_twice(site, folder):
    site.listed = ["/a/nghe-an.htm"]
    crawl(folder)
    (nghe_an,) = articles(folder)
    for new in ("/m/nghe-an-2023.htm", "/m/nguoi-phat-ngon-nghe-an.htm"):
        old = site.paths["nghe-an-nguoi-phat-ngon"]
        site.paths["nghe-an-nguoi-phat-ngon"] = new
        site.redirects = {source: new for source in (*site.redirects, old)}
        site.listed = [old]
        crawl(folder)
    page = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/a/{nghe_an['id']}")).text
    live = page[page.index('<p class="live-state">'):]
    live = live[:live.index("</p>")]
    assert "The live page has moved to" in live and f'href="{site.base}/m/nguoi-phat-ngon-nghe-an.htm"' in live


def test_pages_stored_out_of_their_fetch_order_still_version_an_edit(tmp_path):
    # A crawl stores pages as their extractions finish: a print page fetched a moment after the
    # article's other form may be stored first and so become the article, which then dates its
    # first version after the other form's first reading.
    from archive import ingest
    from archive.db import open_db
    from archive.sources import Source
    from tests.conftest import store_page

    db = open_db(tmp_path / "archive.db")
    source = Source(id="t", name="T", kind="press", home="https://t.vn/", allowed_domains=("t.vn",),
                    article_pattern=r"/a/", schedule="0 * * * *", listings=())

    def reading(url, paragraphs, printed=False):
        return ingest.extract_for_storage(article_page("da-nang-tin-gia", paragraphs, printed=printed), url,
                                          {"Content-Type": "text/html; charset=utf-8"})

    main, printed = "https://t.vn/a/da-nang.htm", "https://t.vn/a/da-nang.htm?print=1"
    paragraphs = list(PARAGRAPHS["da-nang-tin-gia"])
    first = ingest.start_crawl(db, source, max_pages=None)
    with db.atomic():
        assert store_page(db, reading(printed, paragraphs, True), source_id="t", crawl_id=first,
                          seen_at="2026-11-01T00:00:00.898+00:00") == "new"
        assert store_page(db, reading(main, paragraphs), source_id="t", crawl_id=first,
                          seen_at="2026-11-01T00:00:00.896+00:00") == "unchanged"
    paragraphs[3] += " Cổng thông tin đăng danh sách các nguồn tin chính thống."
    second = ingest.start_crawl(db, source, max_pages=None)
    with db.atomic():
        assert store_page(db, reading(main, paragraphs), source_id="t", crawl_id=second,
                          seen_at="2026-11-02T00:00:00.000+00:00") == "changed"
    assert db.execute("select count(*) from article_versions").fetchone()[0] == 2
