"""What the archive knows about each article: references, mentions, authors, syndicated copies."""

import asyncio
import json


from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from archive.syndication import SAME_ARTICLE, signature, values
from tests.conftest import query, store_page



def _seed_url(site, seed):
    return site.article_url(next(a["key"] for a in site.articles if a.get("seed") == seed))


def test_seed_000_and_002_are_linked_by_both_references(sample_site, crawled_archive):
    for ref in ("174/KH-UBND", "93/QĐ-STTTT"):
        rows = query(crawled_archive, "select a.url, d.type_name, d.issuer from doc_refs d join articles a "
                                  "on a.id = d.article_id where d.ref = ?", [ref])
        urls = {r["url"] for r in rows}
        assert {_seed_url(sample_site, "000"), _seed_url(sample_site, "002")} <= urls
    kh = query(crawled_archive, "select * from doc_refs where ref = '174/KH-UBND' limit 1")[0]
    assert (kh["type_name"], kh["issuer"], kh["number"], kh["issued"]) == ("Kế hoạch", "UBND", "174", "2019-08-09")
    ds = make_datasette(crawled_archive / "archive.db")
    data = asyncio.run(ds.client.get("/archive/articles.json?_facet_array=refs&_shape=objects&_size=0")).json()
    facet = {f["value"]: f["count"] for f in data["facet_results"]["refs"]["results"]}
    assert facet["174/KH-UBND"] >= 2 and facet["93/QĐ-STTTT"] >= 2
    citing = asyncio.run(ds.client.get("/archive/doc_refs.json?ref=174%2FKH-UBND&_shape=objects&_labels=on")).json()
    assert len(citing["rows"]) >= 2


def test_channels_and_agencies(sample_site, crawled_archive):
    fanpage = query(crawled_archive, "select m.* from mentions m join articles a on a.id = m.article_id where a.url = ?",
                [_seed_url(sample_site, "003")])
    assert ("channel", "Facebook", "Thủ đô Hà Nội - Việt Nam") in {(m["kind"], m["platform"], m["name"]) for m in fanpage}
    zalo = query(crawled_archive, "select m.* from mentions m join articles a on a.id = m.article_id where a.url = ?",
             [_seed_url(sample_site, "000")])
    assert ("Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội") in {(m["platform"], m["name"]) for m in zalo}
    names = {r["name"] for r in query(crawled_archive, "select distinct name from mentions where kind = 'agency'")}
    assert "Sở Thông tin và Truyền thông Hà Nội" in names
    assert not {n for n in names if "TT&TT" in n}, "short forms are folded into the long one"
    agencies = json.loads(query(crawled_archive, "select agencies from articles where url = ?",
                            [_seed_url(sample_site, "004")])[0]["agencies"])
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An" in agencies


def test_bylines_drop_organisations(sample_site, crawled_archive):
    with_org = [a for a in sample_site.articles if " - " in a["author"] and a["author"].split(" - ")[0].startswith(("Báo", "Cổng"))]
    assert with_org
    for article in with_org:
        (row,) = query(crawled_archive, "select author, authors from articles where url = ?",
                   [sample_site.article_url(article["key"])])
        person = article["author"].split(" - ")[-1]
        assert row["author"] == person, (article["author"], row)
        assert json.loads(row["authors"]) == [person]


def test_syndicated_copies_share_a_cluster(sample_site, crawled_archive):
    pair = [a for a in sample_site.articles if a["key"].endswith(("-syndicated-a", "-syndicated-b"))]
    assert len(pair) == 2
    rows = [query(crawled_archive, "select id, cluster_id, source_id, published from articles where url = ?",
              [sample_site.article_url(a["key"])])[0] for a in pair]
    assert rows[0]["source_id"] != rows[1]["source_id"]
    assert rows[0]["cluster_id"] is not None and rows[0]["cluster_id"] == rows[1]["cluster_id"]
    clustered = query(crawled_archive, "select count(*) as n from articles where cluster_id = ?", [rows[0]["cluster_id"]])
    assert clustered[0]["n"] == 2
    assert query(crawled_archive, "select count(distinct cluster_id) as n from articles where cluster_id is not null")[0]["n"] == 1


SOURCE = parse_sources(
    '[[source]]\nid = "p"\nname = "P"\nkind = "press"\nhome = "https://p.vn/"\nallowed_domains = ["p.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://p.vn/rss"]\n'
)[0]


def test_print_variant_of_an_article_is_the_same_article(sample_site, tmp_path):
    article = next(a for a in sample_site.articles if a.get("seed") == "004")
    text = "\n".join(article["paragraphs"])
    db = open_db(tmp_path / "archive.db")
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    outcomes = []
    with db.atomic():
        for url, body in (("https://p.vn/a-1.html", text), ("https://p.vn/print/a-1.html", text + "\nIn bài viết")):
            record = {"url": url, "title": article["title"], "text": body, "text_hash": url,
                      "minhash": signature(body)}
            outcomes.append(store_page(db, record, source_id="p", seen_at="2024-12-04", crawl_id=crawl))
    assert outcomes == ["new", "unchanged"]
    assert db.execute("select count(*) from articles").fetchone()[0] == 1


NOTICE = (
    "Ban Tiếp công dân thành phố Hà Nội thông báo lịch tiếp công dân định kỳ của lãnh đạo Ủy ban nhân dân"
    " thành phố tại trụ sở số 1 phố Lý Thái Tổ; người dân mang theo giấy tờ tùy thân và các tài liệu liên"
    " quan đến nội dung khiếu nại, tố cáo, kiến nghị, phản ánh. Các buổi tiếp bắt đầu lúc 8 giờ sáng và kết"
    " thúc lúc 11 giờ 30; trường hợp đông người đề nghị cử đại diện không quá năm người. Ban Tiếp công dân bố"
    " trí phòng chờ, nước uống và người hướng dẫn thủ tục, ghi nhận đầy đủ ý kiến để chuyển các cơ quan chuyên"
    " môn xem xét, trả lời bằng văn bản trong thời hạn luật định. Thông tin chi tiết được đăng trên Cổng thông"
    " tin điện tử thành phố và kênh Zalo OA của Ban, nơi người dân cũng có thể đặt lịch hẹn trước qua mạng."
    " Người cao tuổi, người khuyết tật và phụ nữ mang thai được ưu tiên tiếp trước; người không nói được tiếng"
    " Việt được bố trí phiên dịch miễn phí nếu báo trước hai ngày làm việc. Các ý kiến gửi qua đường bưu điện"
    " hoặc hộp thư điện tử của Ban được xử lý như ý kiến trình bày trực tiếp, kết quả được thông báo cho người"
    " gửi và công khai trên trang tin của thành phố sau khi cơ quan có thẩm quyền ban hành văn bản trả lời."
)


def test_templated_notices_of_one_source_are_each_kept(tmp_path):
    """Monthly notices that differ by the month alone are near duplicates by signature, like a
    print page and its article, but each is an article of its own."""
    texts = {month: f"Lịch tiếp công dân tháng {month}/2025. {NOTICE}" for month in (5, 6, 7)}
    first = values(signature(texts[5]))
    assert min((values(signature(t)) == first).mean() for t in texts.values()) >= SAME_ARTICLE
    db = open_db(tmp_path / "archive.db")
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    outcomes = []
    with db.atomic():
        for month, text in texts.items():
            record = {"url": f"https://p.vn/thong-bao-thang-{month}.html",
                      "title": f"Thông báo lịch tiếp công dân tháng {month}/2025",
                      "published": f"2025-{month - 1:02d}-28", "text": text, "text_hash": str(month),
                      "minhash": signature(text)}
            outcomes.append(store_page(db, record, source_id="p", seen_at="2025-07-01", crawl_id=crawl))
    assert outcomes == ["new", "new", "new"]
    assert db.execute("select count(*) from articles").fetchone()[0] == 3


def test_every_date_form_on_the_sample_site_is_read(sample_site, crawled_archive):
    forms = [a for a in sample_site.articles if a.get("date_line")]
    assert len(forms) >= 10
    for article in forms:
        (row,) = query(crawled_archive, "select published, updated from articles where url = ?",
                       [sample_site.article_url(article["key"])])
        expected = article["published"]
        if "tháng" in article["date_line"] and ":" not in article["date_line"]:
            expected = expected[:10]  # the page gives the day only
        assert row["published"] == expected, article["date_line"]
        assert row["updated"] == article["updated"], article["date_line"]


def test_a_time_element_in_a_list_of_other_articles_does_not_date_the_article():
    """A "latest news" list before the article carries <time datetime> of other articles; the
    article is dated by its own <time>, not by the first one in the page."""
    from archive.extract import extract

    page = (
        "<html lang='vi'><head><meta charset='utf-8'><title>Hà Nội ra mắt Zalo OA</title></head><body>"
        "<aside><ul>" + "".join(
            f"<li><a href='/tin-{n}.html'>Tin khác số {n}</a><time datetime='2025-05-{10 + n}T08:00:00+07:00'>"
            f"{10 + n}/05/2025</time></li>" for n in range(5)) + "</ul></aside>"
        "<article><h1>Hà Nội ra mắt Zalo OA</h1><time datetime='2024-04-08T14:30:00+07:00'></time>"
        + "<p>Sở Thông tin và Truyền thông Hà Nội đưa kênh Zalo OA vào phục vụ người dân, tiếp nhận phản ánh "
          "về hạ tầng và thủ tục hành chính.</p>" * 6
        + "</article></body></html>"
    ).encode("utf-8")
    assert extract(page, "http://127.0.0.1/ha-noi-zalo-oa.html", {})["published"] == "2024-04-08T14:30:00+07:00"


def test_signatures_stay_comparable_with_those_already_stored():
    # Pinned from the signature code before permutations were drawn once per process: a change
    # of permutations would make every stored signature incomparable with new ones.
    text = ("Sở Thông tin và Truyền thông Hà Nội triển khai Kế hoạch 174/KH-UBND về kênh Zalo OA "
            "của các quận huyện trong năm 2024 nhằm đưa thông tin tới người dân nhanh hơn")
    sig = signature(text)
    assert len(sig) == 64 * 8
    assert sig.startswith("d0c3a308f93bd00626e2bb0be4e9090b")
    assert sig.endswith("af4bb806c9c4330203bf8505")
    assert signature(text) == sig


def test_keywords_split_on_commas_and_semicolons_but_not_inside_a_decimal():
    from archive.extract import extract

    page = (
        "<html lang='vi'><head><meta charset='utf-8'><title>Gói hỗ trợ chuyển đổi số</title>"
        "<meta name='keywords' content='Gói 1,5 tỷ đồng, Zalo OA;Kế hoạch 174/KH-UBND , Zalo OA'></head><body><article>"
        + "<p>Ủy ban nhân dân thành phố dành gói 1,5 tỷ đồng cho việc đưa thủ tục hành chính lên kênh Zalo OA "
          "theo Kế hoạch 174/KH-UBND.</p>" * 5
        + "</article></body></html>"
    ).encode("utf-8")
    assert extract(page, "http://127.0.0.1/goi-ho-tro.html", {})["tags"] == [
        "Gói 1,5 tỷ đồng", "Zalo OA", "Kế hoạch 174/KH-UBND",
    ]


def test_storing_a_notice_costs_no_more_statements_however_many_of_its_template_are_archived(tmp_path):
    """A source's templated notices are each other's candidates (near-identical text). Asking
    the archive about each candidate on its own made every new notice slower than the last: a
    crawl of a portal with thousands of them slowed without end."""
    db = open_db(tmp_path / "archive.db")
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)

    def notice(n):
        text = f"Lịch tiếp công dân số {n}. {NOTICE}"
        return {"url": f"https://p.vn/thong-bao/lich-tiep-cong-dan-{10000 + n}.html",
                "title": f"Thông báo lịch tiếp công dân số {n}", "published": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "text": text, "text_hash": str(n), "minhash": signature(text)}

    def statements_storing(n):
        count = []
        db.conn.set_trace_callback(count.append)
        try:
            with db.atomic():
                assert store_page(db, notice(n), source_id="p", seen_at="2025-07-01", crawl_id=crawl) == "new"
        finally:
            db.conn.set_trace_callback(None)
        return len(count)

    with db.atomic():
        for n in range(3):
            store_page(db, notice(n), source_id="p", seen_at="2025-07-01", crawl_id=crawl)
    among_few = statements_storing(3)
    with db.atomic():
        for n in range(4, 60):
            store_page(db, notice(n), source_id="p", seen_at="2025-07-01", crawl_id=crawl)
    assert statements_storing(60) == among_few
