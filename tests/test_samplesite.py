"""The bundled sample site over real HTTP: pages, discovery, robots, and the rules for its articles."""

import gzip
import json
import re
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.html
import pytest

from archive.samplesite import ArticleError, SampleSite, load_articles
from archive.sources import parse_sources
from archive.urls import canonical_url

ARTICLES_DIR = Path(__file__).resolve().parents[1] / "archive" / "samplesite" / "articles"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SITES = ("portal", "magazine", "news")
SEED_DATES = {
    "000": "2021-04-08",
    "001": "2023-03-29T10:01:00+07:00",
    "002": "2021-04-08",
    "003": "2024-07-05T08:32:00+07:00",
    "004": "2024-12-04",
}
SEED_FACTS = {
    "000": ["174/KH-UBND", "9/8/2019", "93/QĐ-STTTT", "Sở Thông tin Truyền thông TP Hà Nội", "330", "2.153",
            "99.000", "Zalo"],
    "001": ["Bộ Nội vụ", "Zalo", "11.000", "350", "74 triệu", "Nguyễn Trọng Thừa"],
    "002": ["174/KH-UBND", "9/8/2019", "93/QĐ-STTTT", "Nguyễn Thanh Liêm", "10 tập thể", "Tiêu dùng Plus"],
    "003": ["7790/VP-TTĐT", "Thủ đô Hà Nội - Việt Nam", "VNeID", "Đề án 06"],
    "004": ["Zalo OA", "Zalo Mini App", "482", "21", "460", "2.300", "Võ Thị Minh Sinh", "Nghệ An"],
}
# Names a seed-modelled article must keep (agencies, channels, documents, slogans) count as one
# word each when looking for copied runs; a run of 8 words is copying, a long name is a fact.
FACTS = (
    "Sở Thông tin và Truyền thông Hà Nội", "Sở Thông tin Truyền thông TP Hà Nội",
    "Kế hoạch số 174/KH-UBND ngày 9/8/2019", "Kế hoạch số 174/KH-UBND", "Quyết định số 93/QĐ-STTTT",
    "7790/VP-TTĐT", "Thủ đô Hà Nội - Việt Nam", "Ủy ban MTTQ Việt Nam tỉnh Nghệ An",
    "Người cán bộ Mặt trận trong kỷ nguyên số",
    # The stock wording of every award citation, not text taken from a seed.
    "có thành tích xuất sắc trong",
)
RUN = 8


@pytest.fixture(scope="module")
def site():
    with SampleSite(extra_articles=90, seed=7) as running:
        yield running


@pytest.fixture(scope="module")
def sources(site):
    return {s.id.removeprefix("sample-"): s for s in parse_sources(site.sources_toml())}


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def site_of(site, url):
    return next(name for name, base in site.base_urls.items() if url.startswith(base + "/"))


def links(url, body):
    return [urljoin(url, href) for href in lxml.html.fromstring(body).xpath("//a/@href")]


def walk_listing(source, listing):
    """Follow one declared listing as the spider does; returns (pages, raw article links)."""
    pages, raw, url, page = 0, [], listing.url, 1
    while url and pages < 500:
        status, _, body = fetch(url)
        assert status == 200, url
        pages += 1
        found = [h for h in links(url, body) if source.is_article(canonical_url(h))]
        raw += found
        if listing.next:
            nxt = lxml.html.fromstring(body).cssselect(listing.next)
            url = urljoin(url, nxt[0].get("href")) if nxt else None
        else:
            page += 1
            url = listing.page_url.replace("{page}", str(page)) if found else None
    return pages, raw


def xml_locs(body):
    root = ET.fromstring(body)
    return root, [el.text.strip() for el in root.iter() if el.tag.endswith("}loc") and "/sitemap/0.9}" in el.tag]


# Articles --------------------------------------------------------------------------------------


def test_bundled_articles_cover_three_templates():
    core = json.loads((ARTICLES_DIR / "core.json").read_text(encoding="utf-8"))
    assert len(core) >= 12
    assert sorted(a["seed"] for a in core if a["seed"]) == ["000", "001", "002", "003", "004"]
    bundled = load_articles()
    assert len(bundled) >= 40
    for name in SITES:
        assert sum(a["site"] == name for a in bundled) >= 10, name


def test_served_site_has_forty_articles_over_three_templates(site):
    urls = site.expected_article_urls()
    assert len(urls) == len(site.articles) >= 40
    per_site = {name: [u for u in urls if u.startswith(base + "/")] for name, base in site.base_urls.items()}
    assert all(len(v) >= 10 for v in per_site.values()), {k: len(v) for k, v in per_site.items()}


def test_expected_urls_are_canonical_and_match_their_pattern(site, sources):
    for url in site.expected_article_urls():
        assert canonical_url(url) == url
        assert "?" not in url and "#" not in url
        assert sources[site_of(site, url)].is_article(url), url
    shapes = {
        "portal": r"/tin-tuc/[a-z0-9-]+-\d+\.html$",
        "magazine": r"^/[a-z0-9-]+-\d+\.html$",
        "news": r"^/[a-z0-9-]+-\d{15,}\.htm$",
    }
    for article in site.articles:
        path = urlsplit(site.article_url(article["key"])).path
        assert re.search(shapes[article["site"]], path), path
        assert article["slug"] in path


def test_every_article_answers_with_its_title(site):
    for article in site.articles:
        url = site.article_url(article["key"])
        status, headers, body = fetch(url)
        assert status == 200, url
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["ETag"] and headers["Last-Modified"]
        assert 60_000 <= len(body) <= 120_000, (url, len(body))
        assert body == site.page_bytes(url)
        doc = lxml.html.fromstring(body)
        assert [h.text_content().strip() for h in doc.iter("h1")] == [article["title"]]
        text = doc.text_content()
        assert all(p in text for p in article["paragraphs"]), url


def test_templates_carry_their_own_date_markup(site):
    by_site = {name: next(a for a in site.articles if a["site"] == name and a["updated"]) for name in SITES}
    portal = site.page_bytes(site.article_url(by_site["portal"]["key"])).decode()
    assert "article:published_time" not in portal and "application/ld+json" not in portal
    assert re.search(r"Ngày đăng \d\d/\d\d/\d{4} \| \d\d:\d\d .*\| Lượt xem: \d+", portal)
    magazine = site.page_bytes(site.article_url(by_site["magazine"]["key"])).decode()
    assert f'<meta property="article:published_time" content="{by_site["magazine"]["published"]}">' in magazine
    assert f'<meta property="article:modified_time" content="{by_site["magazine"]["updated"]}">' in magazine
    for box in ("Bài liên quan", "Nổi bật", "Đừng bỏ lỡ", "POWERED BY"):
        assert box in magazine
    news = site.page_bytes(site.article_url(by_site["news"]["key"])).decode()
    assert re.search(r"(Thứ (Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ Nhật), \d\d/\d\d/\d{4} \d\d:\d\d \(GMT\+7\)", news)
    ld = json.loads(lxml.html.fromstring(news).xpath('//script[@type="application/ld+json"]')[0].text)
    assert ld["@type"] == "NewsArticle"
    assert (ld["datePublished"], ld["dateModified"]) == (by_site["news"]["published"], by_site["news"]["updated"])
    assert "Tin cùng chuyên mục" in news and "<em>Ảnh: " in news


def test_article_boxes_sit_inside_the_article_container(site):
    key = next(a["key"] for a in site.articles if a["site"] == "magazine")
    doc = lxml.html.fromstring(site.page_bytes(site.article_url(key)))
    (article,) = doc.xpath("//article")
    titles = [t.text_content() for t in article.xpath('.//*[contains(@class, "c-box-title")]')]
    assert titles == ["Bài liên quan", "Nổi bật", "Đừng bỏ lỡ"] or titles == ["Nổi bật", "Đừng bỏ lỡ"]
    key = next(a["key"] for a in site.articles if a["site"] == "news")
    doc = lxml.html.fromstring(site.page_bytes(site.article_url(key)))
    assert doc.xpath('//div[@data-role="detail"]//h3[text()="Tin cùng chuyên mục"]')


def test_unknown_paths_are_404_and_pages_are_conditional(site):
    for name, base in site.base_urls.items():
        for path in ("/khong-co-trang-nay", "/tin-tuc/khong-co-bai-1.html", "/tag/khong-co-tu-khoa",
                     "/chuyen-muc/khong-co/trang-2", "/tin-moi.htm?page=abc"):
            status, headers, body = fetch(base + path)
            assert status == 404, base + path
            assert headers["Content-Type"] == "text/html; charset=utf-8" and "Không tìm thấy" in body.decode()
        url = next(u for u in site.expected_article_urls() if u.startswith(base))
        _, headers, _ = fetch(url)
        assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        with pytest.raises(KeyError):
            site.page_bytes(base + "/khong-co-trang-nay")


def test_pages_are_gzipped_for_clients_that_accept_it(site):
    url = next(iter(site.expected_article_urls()))
    status, headers, body = fetch(url, {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == site.page_bytes(url)
    assert len(body) < len(site.page_bytes(url)) / 3
    # Sent in chunks, as a server compressing on the fly does; plain pages keep their length.
    assert headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in headers
    # The gzipped variant's validator is weak, and a conditional request with it still matches.
    assert headers["ETag"].startswith('W/"')
    assert fetch(url, {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})[0] == 304
    for refused in ("", "identity", "gzip;q=0, *", "br, zstd"):
        _, plain_headers, plain = fetch(url, {"Accept-Encoding": refused} if refused else None)
        assert "Content-Encoding" not in plain_headers and plain == site.page_bytes(url), refused
        assert int(plain_headers["Content-Length"]) == len(plain)
        assert plain_headers["ETag"] == headers["ETag"].removeprefix("W/")
    # Error pages and sitemaps too; not a body too small to be worth it (gzip_min_length).
    for path in ("/khong-co-trang-nay", "/sitemap.xml"):
        _, headers, body = fetch(site.base_urls["portal"] + path, {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body), path
    status, headers, body = fetch(site.base_urls["portal"] + "/robots.txt", {"Accept-Encoding": "gzip"})
    assert status == 200 and len(body) < 256 and "Content-Encoding" not in headers
    with SampleSite(extra_articles=0, gzip=False) as identity:
        url = next(iter(identity.expected_article_urls()))
        _, headers, body = fetch(url, {"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in headers and "Vary" not in headers and body == identity.page_bytes(url)


# Discovery -------------------------------------------------------------------------------------


def test_sources_toml_is_valid_and_fast(site, sources):
    assert set(sources) == set(SITES)
    for name, source in sources.items():
        assert source.home == site.base_urls[name] + "/"
        assert (source.delay, source.concurrency) == (0.0, 8)
    assert sources["portal"].kind == "province-portal"
    assert sources["portal"].sitemaps and sources["portal"].listings[0].next == "a.next"
    assert sources["magazine"].feeds and all(lst.next for lst in sources["magazine"].listings)
    assert sources["news"].feeds and sources["news"].listings[0].page_url.endswith("?page={page}")


def test_robots_disallows_a_section_that_looks_like_articles(site, sources):
    for name, source in sources.items():
        base = site.base_urls[name]
        status, headers, body = fetch(base + "/robots.txt")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        assert "Disallow: /noi-bo/" in body.decode()
        robots = RobotFileParser(base + "/robots.txt")
        robots.parse(body.decode().splitlines())
        _, raw = walk_listing(source, source.listings[0])
        internal = {canonical_url(u) for u in raw if "/noi-bo/" in u}
        assert len(internal) >= 3, name
        for url in internal:
            assert source.is_article(url) and not robots.can_fetch("govarchive", url)
            status, _, body = fetch(url)
            assert status == 200 and lxml.html.fromstring(body).xpath("//h1")
        assert not internal & site.expected_article_urls()
        assert all(robots.can_fetch("govarchive", u) for u in site.expected_article_urls() if u.startswith(base))


def test_portal_sitemap_index_points_to_a_sitemap_and_a_news_sitemap(site, sources):
    base = site.base_urls["portal"]
    status, headers, body = fetch(base + "/sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    root, children = xml_locs(body)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex" and len(children) == 2
    listed, news = set(), None
    for url in children:
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"].startswith("application/xml")
        root, locs = xml_locs(body)
        assert root.tag.endswith("}urlset")
        articles = {u for u in locs if sources["portal"].is_article(u)}
        if list(root.iter("{http://www.google.com/schemas/sitemap-news/0.9}publication_date")):
            news = articles
        listed |= articles
    expected = {u for u in site.expected_article_urls() if u.startswith(base)}
    assert listed == expected
    assert news and len(news) == 10 and news <= expected


def test_feeds_parse_and_list_the_latest_articles(site, sources):
    status, headers, body = fetch(sources["magazine"].feeds[0])
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    rss = ET.fromstring(body)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    rss_links = [item.findtext("link") for item in rss.iter("item")]
    status, headers, body = fetch(sources["news"].feeds[0])
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    atom = ET.fromstring(body)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.tag == "{http://www.w3.org/2005/Atom}feed"
    atom_links = [e.find("a:link[@rel='alternate']", ns).get("href") for e in atom.iterfind("a:entry", ns)]
    for name, raw in (("magazine", rss_links), ("news", atom_links)):
        assert len(raw) == 10
        base = site.base_urls[name]
        canonical = [canonical_url(u) for u in raw]
        assert set(canonical) <= site.expected_article_urls()
        newest = sorted((a for a in site.articles if a["site"] == name), key=lambda a: a["published"])[-10:]
        assert set(canonical) == {site.article_url(a["key"]) for a in newest}
        assert all(u.startswith(base) for u in canonical)


def test_listings_paginate_and_reach_every_article(site, sources):
    tracked = fragments = 0
    for name, source in sources.items():
        pages, found = 0, set()
        for listing in source.listings:
            n, raw = walk_listing(source, listing)
            pages += n
            found |= {canonical_url(u) for u in raw if "/noi-bo/" not in u}
            tracked += sum("utm_source=zalo" in u for u in raw)
            fragments += sum(u.endswith("#comments") for u in raw)
        assert pages > len(source.listings), f"{name}: no listing has a second page"
        assert found == {u for u in site.expected_article_urls() if u.startswith(site.base_urls[name])}, name
    assert tracked and fragments


def test_pages_that_are_not_articles_do_not_match_the_pattern(site, sources):
    for name, source in sources.items():
        base = site.base_urls[name]
        article = site.page_bytes(next(u for u in sorted(site.expected_article_urls()) if u.startswith(base)))
        tags = [u for u in links(base + "/", article) if "/tag/" in u]
        others = [base + "/", base + "/robots.txt", base + "/tim-kiem?q=zalo", base + "/tim-kiem?q=Chuy%E1%BB%83n",
                  *tags, *source.sitemaps, *source.feeds]
        for listing in source.listings:
            others.append(listing.url)
            status, _, body = fetch(listing.url)
            others += [u for u in links(listing.url, body) if re.search(r"/trang-\d+$|[?&](trang|page)=\d+$", u)]
        for url in others:
            assert not source.is_article(canonical_url(url)), url
            assert fetch(url)[0] == 200, url
        assert tags and any(re.search(r"trang|page", u) for u in others)


# Seeds -----------------------------------------------------------------------------------------


def test_seed_articles_keep_their_facts(site):
    modelled = {a["seed"]: a for a in site.articles if a["seed"] and a["key"].startswith("seed-")}
    assert sorted(modelled) == ["000", "001", "002", "003", "004"]
    assert {a["site"] for a in modelled.values()} == set(SITES)
    for seed, article in modelled.items():
        assert article["published"].startswith(SEED_DATES[seed]), seed
        page = lxml.html.fromstring(site.page_bytes(site.article_url(article["key"]))).text_content()
        for fact in SEED_FACTS[seed]:
            assert fact in page, (seed, fact)
    assert modelled["000"]["published"] > "2021-04-08T12" and modelled["002"]["published"] > "2021-04-08T12"
    zalo = [a for a in site.articles if "Zalo" in " ".join([a["title"], a["sapo"], *a["paragraphs"]])]
    assert len({a["site"] for a in zalo}) == 3 and len(zalo) >= 6


def _words(text):
    text = unicodedata.normalize("NFC", text).lower()
    for n, fact in enumerate(sorted(FACTS, key=len, reverse=True)):
        text = text.replace(fact.lower(), f" fact{n} ")
    return re.findall(r"\w+", text)


def test_no_seed_sentence_or_long_run_is_copied(site):
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS_DIR}")
    runs, sentences = {}, {}
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        words = _words(text)
        for i in range(len(words) - RUN + 1):
            runs.setdefault(tuple(words[i:i + RUN]), path.name)
        for sentence in re.split(r"(?<=[.!?…])\s+|\n+", text):
            words = _words(sentence)
            if len(words) >= 5:
                sentences[" " + " ".join(words) + " "] = path.name
    assert runs and sentences
    copied = []
    for article in site.articles:
        captions = [image["caption"] for image in article["images"]]
        for field in [article["title"], article["sapo"], *article["paragraphs"], *captions]:
            words = _words(field)
            joined = " " + " ".join(words) + " "
            copied += [(article["key"], s.strip()) for s in sentences if s in joined]
            copied += [
                (article["key"], " ".join(words[i:i + RUN]))
                for i in range(len(words) - RUN + 1)
                if tuple(words[i:i + RUN]) in runs
            ]
    assert not copied


# Data rules and determinism --------------------------------------------------------------------


GOOD = {
    "key": "test-1", "site": "news", "slug": "mot-bai-thu", "title": "Một bài thử", "sapo": "Tóm tắt.",
    "paragraphs": ["Một.", "Hai.", "Ba.", "Bốn."],
    "images": [{"file": "anh-thu-1617970753.jpg", "caption": "Chú thích.", "after": 1}],
    "author": "Minh Hà", "published": "2021-04-08T16:20:00+07:00", "updated": None,
    "category": "Chuyển đổi số", "tags": ["Zalo"], "seed": None,
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": None}, "field 'title'"),
        ({"paragraphs": ["Một.", "Hai.", "Ba."]}, "field 'paragraphs': needs at least 4"),
        ({"slug": "Mot Bai"}, "field 'slug'"),
        ({"site": "blog"}, "field 'site'"),
        ({"published": "2021-04-08"}, "field 'published'"),
        ({"updated": "2021-04-07T10:00:00+07:00"}, "field 'updated': is earlier"),
        ({"images": [{"file": "a.jpg", "caption": "x", "after": 4}]}, "field 'images[0].after'"),
        ({"seed": "005"}, "field 'seed'"),
        ({"publised": "x"}, "field 'publised': unknown"),
    ],
)
def test_load_articles_names_the_file_key_and_field(tmp_path, change, message):
    (tmp_path / "a.json").write_text(json.dumps([{**GOOD, **change}]), encoding="utf-8")
    with pytest.raises(ArticleError) as info:
        load_articles(tmp_path)
    assert str(info.value).startswith("a.json: article #0 ('test-1')") and message in str(info.value)


def test_load_articles_missing_field_and_duplicates(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{k: v for k, v in GOOD.items() if k != "sapo"}]), "utf-8")
    with pytest.raises(ArticleError, match=r"a\.json: article #0 \('test-1'\): field 'sapo': missing"):
        load_articles(tmp_path)
    (tmp_path / "a.json").write_text(json.dumps([GOOD]), "utf-8")
    (tmp_path / "b.json").write_text(json.dumps([GOOD]), "utf-8")
    with pytest.raises(ArticleError, match=r"b\.json: article 'test-1': field 'key': duplicate \(also in a\.json"):
        load_articles(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps([{**GOOD, "key": "test-2"}]), "utf-8")
    with pytest.raises(ArticleError, match=r"b\.json: .*field 'slug': 'mot-bai-thu' is already used on the news"):
        load_articles(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps([{**GOOD, "key": "test-2", "site": "portal"}]), "utf-8")
    assert [a["key"] for a in load_articles(tmp_path)] == ["test-1", "test-2"]


def test_generated_articles_are_deterministic_and_valid():
    first = SampleSite(extra_articles=12, seed=5).articles
    assert first == SampleSite(extra_articles=12, seed=5).articles
    assert first != SampleSite(extra_articles=12, seed=6).articles
    generated = [a for a in first if a["key"].startswith("gen-")]
    assert len(generated) == 12 and {a["site"] for a in generated} == set(SITES)
    vietnamese = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
    assert all(vietnamese.search(a["paragraphs"][0]) for a in generated)


def test_pages_are_the_same_bytes_on_every_run(site):
    url = site.article_url(site.articles[0]["key"])
    with SampleSite(extra_articles=90, seed=7) as again:
        other = again.article_url(site.articles[0]["key"])
        # Only the origin's port is masked (also URL-encoded, in share links): replacing the port's
        # digits anywhere also hit article numbers that happened to contain them.
        origin = re.compile(rb"(127\.0\.0\.1(?::|%3A))\d+")
        assert origin.sub(rb"\1PORT", fetch(other)[2]) == origin.sub(rb"\1PORT", site.page_bytes(url))


def test_module_runs_the_site_in_the_foreground(tmp_path):
    sources_file = tmp_path / "sources.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.samplesite", "--extra", "3", "--write-sources", str(sources_file)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        assert [line.split()[0] for line in lines[:3]] == list(SITES)
        assert "articles; press Ctrl-C to stop." in lines[3]
        portal = lines[0].split()[1]
        assert fetch(portal + "robots.txt")[0] == 200
        assert {s.id for s in parse_sources(sources_file.read_text(encoding="utf-8"))} == {
            "sample-portal", "sample-magazine", "sample-news"}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_a_warmed_site_renders_nothing_a_crawl_asks_for_but_pages_past_a_listing(tmp_path, monkeypatch):
    """``--warm`` promises that a benchmark times the crawler, not the templates: after it, a
    crawl's listings, sitemaps, feeds and robots.txt are served from the cache like its articles.
    Only the page past a paginated listing's last one is rendered on request (never cached)."""
    from archive.samplesite.sites import Site
    from conftest import crawl_into

    with SampleSite(extra_articles=60, seed=3) as warmed:
        warmed.warm()
        rendered = []
        render = Site.render

        def counting(self, template, **context):
            rendered.append(context["page"]["path"])
            return render(self, template, **context)

        monkeypatch.setattr(Site, "render", counting)
        (tmp_path / "sources.toml").write_text(warmed.sources_toml(), encoding="utf-8")
        result = crawl_into(tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        paged = [listing for source in parse_sources(warmed.sources_toml()) for listing in source.listings
                 if listing.page_url]
    assert len(rendered) <= len(paged), rendered
