"""The three site templates: URL scheme, routing and rendering of every page, without sockets.

Each template imitates a kind of Vietnamese CMS closely enough that extraction and discovery
meet the same problems they meet on the real sites: boxes of other articles inside the article
container, captions, share buttons and counters, tracking parameters on listing links, a
robots-disallowed section whose URLs look exactly like articles.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import random
import struct
import tomllib
import zlib
from abc import ABC, abstractmethod
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from functools import cached_property, partial
from urllib.parse import parse_qs, unquote, urldefrag, urljoin, urlsplit

import jinja2

from archive.samplesite.content import VN_TZ, parse_time, slugify

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
# What a portal's web server compresses when asked (nginx's gzip_types as commonly set), and the
# smallest body worth it.
_COMPRESSIBLE = ("text/", "application/xml", "application/rss+xml", "application/atom+xml")
_GZIP_MIN_LENGTH = 256

# Links as ``Site.warm`` follows them: HTML hrefs, sitemap locations, feed links, robots.txt's Sitemap lines.
_LINK = re.compile(r"""href=["']([^"']+)|<(?:loc|link)>\s*([^<\s]+)|^Sitemap:\s*(\S+)""", re.MULTILINE)

TRACKING = "utm_source=zalo&utm_medium=social"
INTERNAL_SECTION = "/noi-bo/"
FEED_SIZE = 10
TAG_PAGE_SIZE = 30
_MAX_PAGE = 99_999
_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    last_modified: datetime
    etag: str
    status: int = 200

    @classmethod
    def of(cls, body: str | bytes, content_type: str, last_modified: datetime, status: int = 200) -> Page:
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
        return cls(data, content_type, last_modified, etag, status)

    @property
    def compressible(self) -> bool:
        return self.content_type.startswith(_COMPRESSIBLE) and len(self.body) >= _GZIP_MIN_LENGTH

    @cached_property
    def gzipped(self) -> bytes:
        """The body as served with ``Content-Encoding: gzip`` (level 6, as most servers use);
        computed once, since pages are cached and served many times."""
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


class Entry:
    """One article (or internal page) as placed on a site: its URL path and display values."""

    def __init__(self, article: dict, path: str, internal: bool = False):
        self.article = article
        self.key = article["key"]
        self.title = article["title"]
        self.sapo = article["sapo"]
        self.paragraphs = article["paragraphs"]
        self.author = article["author"]
        self.category = article["category"]
        self.tags = article["tags"]
        self.published = parse_time(article["published"])
        self.updated = parse_time(article["updated"]) if article["updated"] else None
        self.modified = self.updated or self.published
        self.path = path
        self.internal = internal
        digest = stable_hash(self.key)
        self.views = 100 + digest % 4900
        self.comments = digest % 17
        self.tracked = digest % 3 == 0
        folder = self.published.strftime("%Y/%m/%d")
        self.images = [dict(image, src=f"/uploads/{folder}/{image['file']}") for image in article["images"]]
        self.thumb = self.images[0]["src"] if self.images else "/images/no-image.jpg"
        self.category_path = "/"
        self.tag_links: list[tuple[str, str]] = []

    @property
    def href(self) -> str:
        """The link a listing or feed uses: sometimes with the tracking parameters a CMS adds."""
        return f"{self.path}?{TRACKING}" if self.tracked else self.path

    @cached_property
    def blocks(self) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        for index, text in enumerate(self.paragraphs):
            out.append(("p", text))
            out.extend(("img", image) for image in self.images if image["after"] == index)
        return out


class Site(ABC):
    """Routing and rendering shared by the three templates; subclasses give the URL scheme."""

    name = ""
    title = ""
    source_name = ""
    kind = ""
    schedule = ""
    tagline = ""
    per_page = 10
    id_digits = 7
    tag_suffix = ""
    about_path = "/gioi-thieu"
    contact_path = "/lien-he"

    def __init__(self, base_url: str, articles: list[dict], internal: list[dict], env: jinja2.Environment):
        self.base = base_url.rstrip("/")
        self.env = env
        self.cache: dict[str, Page] = {}
        used: set[int] = set()
        self.entries = [Entry(a, self.article_path(a, self._unique_id(a, used))) for a in articles]
        self.entries.sort(key=lambda e: (e.published, e.key), reverse=True)
        self.internal = [
            Entry(a, self.internal_path(a, self._unique_id(a, used)), internal=True) for a in internal
        ]
        self.by_path = {e.path: e for e in [*self.entries, *self.internal]}
        self.by_key = {e.key: e for e in self.entries}
        self.categories: dict[str, tuple[str, list[Entry]]] = {}
        self.tags: dict[str, tuple[str, list[Entry]]] = {}
        for entry in self.entries:
            slug = slugify(entry.category)
            self.categories.setdefault(slug, (entry.category, []))[1].append(entry)
            entry.category_path = self.category_path(slug)
            for tag in entry.tags:
                tag_slug = slugify(tag)
                if tag_slug:
                    self.tags.setdefault(tag_slug, (tag, []))[1].append(entry)
                    entry.tag_links.append((tag, f"/tag/{tag_slug}{self.tag_suffix}"))
        self.most_viewed = sorted(self.entries, key=lambda e: (-e.views, e.key))
        self.hot_tags = [
            (name, f"/tag/{slug}{self.tag_suffix}")
            for slug, (name, _) in sorted(self.tags.items(), key=lambda t: (-len(t[1][1]), t[0]))[:5]
        ]
        self.updated = max((e.modified for e in self.entries), default=datetime(2019, 1, 1, tzinfo=VN_TZ))
        self.category_menu = sorted(
            ((slug, name) for slug, (name, _) in self.categories.items()), key=lambda c: c[1]
        )

    # URL scheme: each template defines its own ----------------------------------------------

    @abstractmethod
    def article_path(self, article: dict, number: int) -> str:
        """Path of an article page."""

    @abstractmethod
    def internal_path(self, article: dict, number: int) -> str:
        """Path of a page in the robots-disallowed section."""

    @abstractmethod
    def category_path(self, slug: str, page: int = 1) -> str:
        """Path of a page of a category listing."""

    @abstractmethod
    def article_pattern(self) -> str:
        """The sources.toml article_pattern matching exactly this site's article URLs."""

    @abstractmethod
    def discovery_toml(self) -> list[str]:
        """The sources.toml discovery lines (sitemaps, feeds, listings) for this site."""

    def extra_routes(self, path: str, query: dict):
        """The template's own pages: (cache key or None, render function), or None for a 404."""
        return None

    def article_id(self, article: dict) -> int:
        low = 10 ** (self.id_digits - 1)
        return low + stable_hash(article["key"]) % (9 * low)

    def _unique_id(self, article: dict, used: set[int]) -> int:
        number = self.article_id(article)
        while number in used:
            number += 1
        used.add(number)
        return number

    # Public -------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def expected_urls(self) -> set[str]:
        return {self.url(e.path) for e in self.entries}

    def warm(self) -> list[Page]:
        """Render every page reachable by links from the home page, robots.txt and the
        discovery URLs (sitemaps, feeds, listings), as a crawl finds them, and return them.

        Rendering is cached anyway; this does it before a benchmark's clock starts. Pages that
        are never cached (search results, pages past a listing's last one) are left out.
        """
        discovery = tomllib.loads("[source.discovery]\n" + "\n".join(self.discovery_toml()))["source"]["discovery"]
        todo = ["/", "/robots.txt", *discovery.get("sitemaps", []), *discovery.get("feeds", []),
                *(listing["url"] for listing in discovery.get("listings", []))]
        origin = urlsplit(self.base).netloc
        seen: set[str] = set()
        while todo:
            parts = urlsplit(urldefrag(urljoin(self.base + "/", todo.pop()))[0])
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc != origin or target in seen:
                continue
            seen.add(target)
            found = self._route_target(target)
            if found is None or found[0] is None:
                continue
            page = self._cached(*found)
            if page.content_type.startswith(_COMPRESSIBLE):
                text = page.body.decode("utf-8", "replace")
                todo += [html.unescape(next(filter(None, link))) for link in _LINK.findall(text)]
        return list(self.cache.values())

    def respond(self, target: str) -> Page | None:
        """The page for a request target (path and query), or None for a 404."""
        found = self._route_target(target)
        if found is None:
            return None
        key, render = found
        return render() if key is None else self._cached(key, render)

    def _route_target(self, target: str):
        parts = urlsplit(target)
        return self.route(unquote(parts.path) or "/", {k: v[0] for k, v in parse_qs(parts.query).items()})

    def _cached(self, key: str, render) -> Page:
        page = self.cache.get(key)
        if page is None:
            # Rendering is deterministic, so two threads racing here store identical bytes.
            page = self.cache[key] = render()
        return page

    def not_found(self) -> Page:
        page = self.cache.get("404")
        if page is None:
            body = self.render(
                "page.html", page=self._page("Không tìm thấy trang", "/404"),
                heading="Không tìm thấy trang yêu cầu",
                paragraphs=["Đường dẫn bạn truy cập không tồn tại hoặc đã được chuyển sang địa chỉ khác.",
                            "Vui lòng quay lại trang chủ hoặc dùng chức năng tìm kiếm."],
            )
            page = self.cache["404"] = Page.of(body, HTML, self.updated, status=404)
        return page

    def source_toml(self) -> str:
        lines = [
            "[[source]]",
            f'id = "sample-{self.name}"',
            f"name = {_toml(self.source_name)}",
            f'kind = "{self.kind}"',
            f'home = "{self.base}/"',
            'allowed_domains = ["127.0.0.1"]',
            f"article_pattern = '{self.article_pattern()}'",
            f'schedule = "{self.schedule}"',
            "",
            "[source.discovery]",
            *self.discovery_toml(),
            "",
            "[source.politeness]",
            "delay = 0.0",
            "concurrency = 8",
        ]
        return "\n".join(lines) + "\n"

    # Routing ------------------------------------------------------------------------------------

    def route(self, path: str, query: dict):
        entry = self.by_path.get(path)
        if entry is not None:
            return path, lambda: self.render_article(entry)
        if path == "/":
            return "/", self.render_home
        if path == "/robots.txt":
            return path, self.render_robots
        if path == "/tim-kiem":
            return None, lambda: self.render_search(query.get("q", "")[:100])
        if path.startswith("/tag/") and path.endswith(self.tag_suffix):
            tag = self.tags.get(path[len("/tag/"):len(path) - len(self.tag_suffix)])
            if tag is None:
                return None
            return path, lambda: self.render_listing(
                f"Từ khóa: {tag[0]}", tag[1], 1, lambda n: path, paginate=False
            )
        static = self.static_pages().get(path)
        if static is not None:
            return path, lambda: self.render_static(path, *static)
        return self.extra_routes(path, query)

    def listing_route(self, items: list[Entry], heading: str, page: int | None, link, key: str):
        """Route to page ``page`` of a paginated listing; ``link(n)`` is the path of page n."""
        if page is None:
            return None
        pages = max(1, -(-len(items) // self.per_page))
        render = partial(self.render_listing, heading, items, page, link)
        return (f"{key}|{page}" if page <= pages else None), render

    @staticmethod
    def page_number(value: str | None) -> int | None:
        if value is None:
            return 1
        if not value.isdigit() or not 1 <= int(value) <= _MAX_PAGE:
            return None
        return int(value)

    # Rendering ----------------------------------------------------------------------------------

    def render(self, template: str, **context) -> str:
        return self.env.get_template(f"{self.name}/{template}").render(site=self, **context)

    def _page(self, title: str, path: str, description: str = "", entry: Entry | None = None) -> dict:
        return {
            "title": title,
            "url": self.url(path),
            "path": path,
            "description": description or self.tagline,
            "image": self.url(entry.images[0]["src"]) if entry and entry.images else None,
            "keywords": ", ".join(entry.tags) if entry else "",
        }

    broken = False

    def render_article(self, entry: Entry) -> Page:
        if self.broken:
            body = f"<html><body><div id='app' data-id='{entry.key}'>Đang tải nội dung…</div></body></html>"
            return Page.of(body, HTML, datetime.now(VN_TZ))
        others = [e for e in self.entries if e is not entry]
        same = [e for e in others if e.category == entry.category]
        same.sort(key=lambda e: abs((e.published - entry.published).total_seconds()))
        older = [e for e in others if e.published <= entry.published]
        older += [e for e in others if e.published > entry.published]
        body = self.render(
            "article.html",
            page=self._page(entry.title, entry.path, entry.sapo, entry),
            entry=entry,
            related=same[:5],
            featured=[e for e in self.most_viewed if e is not entry][:6],
            older=older[:8],
            dont_miss=_rotate(others, stable_hash(entry.key))[:4],
            same_section=(same[:6] + [e for e in older if e not in same[:6]])[:6],
            ld=self.json_ld(entry),
        )
        return Page.of(body, HTML, entry.modified)

    def render_home(self) -> Page:
        body = self.render(
            "listing.html", page=self._page(self.title, "/"), heading="Tin mới nhất",
            items=self.entries[: self.per_page], home=True, **self._pagination(1, 1, lambda n: "/"),
            featured=self.most_viewed[:6], internal=self.internal, bare=False,
        )
        return Page.of(body, HTML, self.updated)

    def render_listing(self, heading, items, page, link, paginate=True) -> Page:
        """One page of a listing; past the last page, a page without a single article link."""
        if paginate:
            pages = max(1, -(-len(items) // self.per_page))
            shown = items[(page - 1) * self.per_page: page * self.per_page]
        else:
            pages, shown = 1, items[:TAG_PAGE_SIZE]
        bare = not shown
        body = self.render(
            "listing.html", page=self._page(heading if page == 1 else f"{heading} - Trang {page}", link(page)),
            heading=heading, items=shown, home=False, **self._pagination(page, pages, link),
            featured=[] if bare else self.most_viewed[:6], internal=[] if bare else self.internal, bare=bare,
        )
        return Page.of(body, HTML, max((e.modified for e in shown), default=self.updated))

    def _pagination(self, page: int, pages: int, link) -> dict:
        first = max(1, min(page - 3, pages - 6))
        return {
            "page_no": page,
            "pages": pages,
            "page_links": [(n, link(n)) for n in range(first, min(pages, first + 6) + 1)] if pages > 1 else [],
            "prev_href": link(page - 1) if 1 < page <= pages + 1 else None,
            "next_href": link(page + 1) if page < pages else None,
        }

    def render_search(self, q: str) -> Page:
        needle = slugify(q, limit=100)
        found = [e for e in self.entries if needle and needle in slugify(f"{e.title} {e.sapo}", limit=10_000)]
        heading = f"Kết quả tìm kiếm: {q}" if q else "Tìm kiếm"
        body = self.render(
            "listing.html", page=self._page(heading, "/tim-kiem"), heading=heading, items=found[:20],
            home=False, search=q, **self._pagination(1, 1, lambda n: "/tim-kiem"),
            featured=self.most_viewed[:6], internal=[], bare=False,
        )
        return Page.of(body, HTML, self.updated)

    def render_static(self, path: str, heading: str, paragraphs: list[str]) -> Page:
        body = self.render("page.html", page=self._page(heading, path), heading=heading, paragraphs=paragraphs)
        return Page.of(body, HTML, self.updated)

    def render_robots(self) -> Page:
        lines = [
            f"# robots.txt - {self.title}",
            "User-agent: *",
            f"Disallow: {INTERNAL_SECTION}",
            "Disallow: /quan-tri/",
            "Allow: /",
            *self.robots_extra(),
        ]
        return Page.of("\n".join(lines) + "\n", TEXT, self.updated)

    def robots_extra(self) -> list[str]:
        return []

    def json_ld(self, entry: Entry) -> str | None:
        return None

    def static_pages(self) -> dict[str, tuple[str, list[str]]]:
        return {
            self.about_path: ("Giới thiệu", [
                f"{self.title} là trang mẫu được dựng để kiểm thử govarchive, công cụ thu thập và lưu trữ "
                "tin tức truyền thông của cơ quan nhà nước Việt Nam.",
                "Nội dung trên trang gồm các bài viết mô phỏng tin tức về chuyển đổi số, cải cách hành chính, "
                "họp báo và hoạt động thông tin, tuyên truyền; mọi số liệu chỉ có giá trị minh họa.",
                "Trang không thu thập dữ liệu người dùng và không liên kết với bất kỳ hệ thống thật nào.",
            ]),
            self.contact_path: ("Liên hệ", [
                "Mọi góp ý về trang mẫu xin gửi tới nhóm phát triển govarchive qua kho mã nguồn của dự án.",
                "Địa chỉ, số điện thoại và hộp thư ghi ở chân trang là thông tin giả định, chỉ dùng cho mục "
                "đích kiểm thử.",
            ]),
        }


class PortalSite(Site):
    """A province/city portal: visible "Ngày đăng" line only, sitemap index with a news sitemap."""

    name = "portal"
    title = "Cổng Thông tin điện tử mẫu"
    source_name = "Cổng thông tin mẫu (portal)"
    kind = "province-portal"
    schedule = "0 */6 * * *"
    per_page = 10
    id_digits = 7
    tagline = "Cổng thông tin điện tử mẫu - thông tin chỉ đạo, điều hành của chính quyền địa phương"

    def article_path(self, article, number):
        return f"/tin-tuc/{article['slug']}-{number}.html"

    def internal_path(self, article, number):
        return f"{INTERNAL_SECTION}{article['slug']}-{number}.html"

    def category_path(self, slug, page=1):
        return f"/chuyen-muc/{slug}" + (f"?trang={page}" if page > 1 else "")

    def article_pattern(self):
        return "^" + re.escape(self.base) + r"/[a-z0-9-]+/[a-z0-9-]+-\d+\.html$"

    def discovery_toml(self):
        return [
            f'sitemaps = ["{self.base}/sitemap.xml"]',
            "feeds = []",
            "[[source.discovery.listings]]",
            f'url = "{self.base}/tin-tuc"',
            'next = "a.next"',
        ]

    def robots_extra(self):
        return [f"Sitemap: {self.base}/sitemap.xml"]

    def extra_routes(self, path, query):
        if path == "/tin-tuc":
            return self.listing_route(
                self.entries, "Tin tức - Sự kiện", self.page_number(query.get("trang")),
                lambda n: "/tin-tuc" + (f"?trang={n}" if n > 1 else ""), path,
            )
        if path.startswith("/chuyen-muc/") and path.count("/") == 2:
            slug = path.rsplit("/", 1)[1]
            if slug not in self.categories:
                return None
            name, items = self.categories[slug]
            return self.listing_route(
                items, name, self.page_number(query.get("trang")), lambda n: self.category_path(slug, n), path
            )
        if path == "/sitemap.xml":
            return path, lambda: self.render_xml("sitemap_index.xml", XML, sitemaps=[
                "/sitemaps/tin-tuc.xml", "/sitemaps/google-news.xml",
            ])
        if path == "/sitemaps/tin-tuc.xml":
            return path, lambda: self.render_xml(
                "sitemap.xml", XML, entries=self.entries, pages=["/", "/tin-tuc", self.about_path]
            )
        if path == "/sitemaps/google-news.xml":
            return path, lambda: self.render_xml("news_sitemap.xml", XML, entries=self.entries[:FEED_SIZE])
        return None

    def render_xml(self, template: str, content_type: str, **context) -> Page:
        body = self.env.get_template(template).render(site=self, **context)
        return Page.of(body, content_type, self.updated)


class MagazineSite(Site):
    """A magazine: category label over the title, og/article meta, boxes inside the article."""

    name = "magazine"
    title = "Tạp chí Truyền thông Số"
    source_name = "Tạp chí mẫu (magazine)"
    kind = "press"
    schedule = "30 */4 * * *"
    per_page = 6
    id_digits = 6
    tagline = "Tạp chí Truyền thông Số (trang mẫu) - chuyển đổi số, chính phủ số, truyền thông chính sách"
    feed_path = "/rss/tin-moi-nhat.rss"

    def article_path(self, article, number):
        return f"/{article['slug']}-{number}.html"

    def internal_path(self, article, number):
        return f"{INTERNAL_SECTION}{article['slug']}-{number}.html"

    def category_path(self, slug, page=1):
        return f"/chuyen-muc/{slug}" + (f"/trang-{page}" if page > 1 else "")

    def article_pattern(self):
        return "^" + re.escape(self.base) + r"/(?:[a-z0-9-]+/)?[a-z0-9-]+-\d+\.html$"

    def discovery_toml(self):
        lines = [f'feeds = ["{self.base}{self.feed_path}"]']
        for slug, _ in self.category_menu:
            lines += [
                "[[source.discovery.listings]]",
                f'url = "{self.base}{self.category_path(slug)}"',
                "next = 'nav.pagination a[rel=\"next\"]'",
            ]
        return lines

    _CATEGORY_PAGE = re.compile(r"^/chuyen-muc/([a-z0-9-]+)(?:/trang-(\d+))?$")

    def extra_routes(self, path, query):
        match = self._CATEGORY_PAGE.match(path)
        if match and match[1] in self.categories:
            slug = match[1]
            name, items = self.categories[slug]
            page = self.page_number(match[2])
            if match[2] == "1":
                return None
            return self.listing_route(items, name, page, partial(self.category_path, slug), f"/chuyen-muc/{slug}")
        if path == self.feed_path:
            return path, self.render_rss
        if path == "/rss":
            return path, lambda: self.render_static("/rss", "RSS", [
                f"Kênh RSS tin mới nhất: {self.base}{self.feed_path}",
                "Các chuyên mục của tạp chí có thể được theo dõi qua trang chuyên mục tương ứng.",
            ])
        return None

    def render_rss(self) -> Page:
        body = self.env.get_template("rss.xml").render(site=self, entries=self.entries[:FEED_SIZE])
        return Page.of(body, RSS, self.updated)


class NewsSite(Site):
    """A government newspaper: weekday date line, JSON-LD NewsArticle, "Xem thêm" listing."""

    name = "news"
    title = "Báo Điện tử Mẫu"
    source_name = "Báo điện tử mẫu (news)"
    kind = "press"
    schedule = "15 * * * *"
    per_page = 8
    id_digits = 18
    tag_suffix = ".htm"
    tagline = "Báo Điện tử Mẫu - thông tin chính sách, chỉ đạo điều hành (trang mẫu kiểm thử)"
    feed_path = "/rss/tin-moi-nhat.atom"
    about_path = "/gioi-thieu.htm"
    contact_path = "/lien-he.htm"

    def article_id(self, article):
        # Like the CMS it imitates: a prefix, the minute of publication, then a serial.
        stamp = parse_time(article["published"]).strftime("%y%m%d%H%M")
        return int(f"102{stamp}{stable_hash(article['key']) % 100_000:05d}")

    def article_path(self, article, number):
        return f"/{article['slug']}-{number}.htm"

    def internal_path(self, article, number):
        return f"{INTERNAL_SECTION}{article['slug']}-{number}.htm"

    def category_path(self, slug, page=1):
        return f"/{slug}.htm" + (f"?page={page}" if page > 1 else "")

    def article_pattern(self):
        return "^" + re.escape(self.base) + r"/(?:[a-z0-9-]+/)?[a-z0-9-]+-\d{15,}\.htm$"

    def discovery_toml(self):
        return [
            "sitemaps = []",
            f'feeds = ["{self.base}{self.feed_path}"]',
            "[[source.discovery.listings]]",
            f'url = "{self.base}/tin-moi.htm"',
            f'page_url = "{self.base}/tin-moi.htm?page={{page}}"',
        ]

    def extra_routes(self, path, query):
        page = self.page_number(query.get("page"))
        if path == "/tin-moi.htm":
            return self.listing_route(
                self.entries, "Tin mới", page, lambda n: "/tin-moi.htm" + (f"?page={n}" if n > 1 else ""), path
            )
        if path.endswith(".htm") and path.count("/") == 1 and path[1:-4] in self.categories:
            slug = path[1:-4]
            name, items = self.categories[slug]
            return self.listing_route(items, name, page, lambda n: self.category_path(slug, n), path)
        if path == self.feed_path:
            return path, self.render_atom
        return None

    def render_atom(self) -> Page:
        body = self.env.get_template("atom.xml").render(site=self, entries=self.entries[:FEED_SIZE])
        return Page.of(body, ATOM, self.updated)

    def json_ld(self, entry):
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": self.url(entry.path)},
            "headline": entry.title,
            "description": entry.sapo,
            "image": [self.url(image["src"]) for image in entry.images],
            "datePublished": entry.published.isoformat(),
            "dateModified": entry.modified.isoformat(),
            "articleSection": entry.category,
            "keywords": ", ".join(entry.tags),
            "inLanguage": "vi",
            "publisher": {
                "@type": "Organization",
                "name": self.title,
                "logo": {"@type": "ImageObject", "url": self.url("/images/logo-bao-dien-tu-mau.png")},
            },
        }
        if entry.author:
            data["author"] = {"@type": "Person", "name": entry.author.rsplit(" - ", 1)[-1]}
        return json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")


SITE_CLASSES = {cls.name: cls for cls in (PortalSite, MagazineSite, NewsSite)}


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archive.samplesite", "templates"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        dmy=lambda d: d.strftime("%d/%m/%Y"),
        hm=lambda d: d.strftime("%H:%M"),
        weekday=lambda d: _WEEKDAYS[d.weekday()],
        iso=lambda d: d.isoformat(),
        rfc822=lambda d: format_datetime(d),
        utc=lambda d: d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        thousands=lambda n: f"{n:,}".replace(",", "."),
        domain=lambda name: slugify(name).replace("-", "") + ".gov.vn",
        slug=slugify,
    )
    env.globals["page_parts"] = page_furniture()
    # Page-state JSON carries Vietnamese as UTF-8, as the CMSs' own state blobs do.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return env


# Sections every department keeps on a provincial portal; the portal's menu data lists them all.
_SECTIONS = ("Giới thiệu", "Tin hoạt động", "Văn bản chỉ đạo", "Thủ tục hành chính", "Lịch công tác", "Hỏi đáp")
_ICONS = ("search", "home", "print", "mail", "phone", "share", "facebook", "youtube", "rss", "calendar",
          "document", "clock", "eye", "font-up", "font-down", "arrow-up")


def page_furniture(seed: int = 7) -> dict:
    """The bulk real portal pages carry around an article, built once: an SVG icon sprite, the
    CMS's menu tree as inline JSON and a QR-code image inlined as a data URI (the layouts add
    the latest articles as page-state JSON, as script data rather than links).

    The Vietnamese article pages the performance targets were set on average 84 KB; without
    this the sample pages were 39 KB, the ratios of storage and crawl cost to page size were
    measured on pages unlike the ones archived.
    """
    rng = random.Random(seed)
    icons = []
    for name in _ICONS:
        x, y = rng.uniform(2, 22), rng.uniform(2, 22)
        parts = [f"M{x:.1f} {y:.1f}"]
        for _ in range(rng.randint(8, 14)):
            parts.append("c" + " ".join(f"{rng.uniform(-6, 6):.1f}" for _ in range(6)))
        icons.append((name, "".join(parts) + "z"))
    departments = [
        "Văn phòng Ủy ban nhân dân", "Sở Nội vụ", "Sở Tư pháp", "Sở Kế hoạch và Đầu tư", "Sở Tài chính",
        "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
        "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông", "Sở Lao động - Thương binh và Xã hội",
        "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế",
        "Thanh tra tỉnh", "Ban Dân tộc", "Sở Ngoại vụ", "Ban Quản lý các khu công nghiệp",
    ]
    menu, node = [], 1000
    for department in departments:
        node += 1
        children = []
        for section in _SECTIONS:
            node += 1
            children.append({"id": node, "title": section, "url": f"/{slugify(department)}/{slugify(section)}",
                              "target": "_self", "visible": True})
        menu.append({"id": node - len(_SECTIONS), "title": department, "url": f"/{slugify(department)}",
                     "icon": rng.choice(_ICONS), "children": children})
    return {
        "icons": icons,
        "menu_json": json.dumps(menu, ensure_ascii=False, separators=(",", ":")),
        "qr_png": base64.b64encode(_qr_like_png(rng)).decode("ascii"),
    }


def _qr_like_png(rng: random.Random, modules: int = 41, scale: int = 4) -> bytes:
    """A real grayscale PNG of a QR-code-like pattern (random modules), as pages inline them."""
    grid = [[rng.random() < 0.5 for _ in range(modules)] for _ in range(modules)]
    size = modules * scale
    rows = b"".join(
        b"\x00" + bytes(0 if grid[y // scale][x // scale] else 255 for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _rotate(items: list, by: int) -> list:
    if not items:
        return []
    start = by % len(items)
    return items[start:] + items[:start]


def _toml(text: str) -> str:
    # A JSON string is a valid TOML basic string for everything JSON escapes.
    return json.dumps(text, ensure_ascii=False)
