"""SampleSite: the three templates served over real HTTP on 127.0.0.1, one server per template."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from archive.samplesite.content import check_unique, generate_articles, load_articles, load_pools
from archive.samplesite.sites import SITE_CLASSES, Page, Site, make_environment


class ServerGroup:
    """Servers that each run on a thread of their own. Subclasses define ``start()``, which
    hands each server to ``_run_server``; use ``start()`` and ``stop()``, or a with block."""

    def __init__(self):
        self._servers: dict = {}
        self._threads: list[threading.Thread] = []

    def _run_server(self, name: str, server, thread_name: str) -> None:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=thread_name,
                                  daemon=True)
        thread.start()
        self._servers[name] = server
        self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SampleSite(ServerGroup):
    """The bundled sample site: three templates, each on its own server on 127.0.0.1.

    ``extra_articles`` generated articles (the same for the same ``seed``) are added to the
    bundled ones and spread over the three templates. Use as a context manager, or call
    ``start()`` and ``stop()``.
    """

    def __init__(self, extra_articles: int = 0, seed: int = 0, articles_dir: str | Path | None = None,
                 gzip: bool = True):
        bundled = load_articles(articles_dir)
        taken = {(a["site"], a["slug"]) for a in bundled}
        generated = generate_articles(extra_articles, seed, taken)
        self.articles: list[dict] = bundled + generated
        check_unique(self.articles, ["articles folder"] * len(bundled) + ["generated articles"] * len(generated))
        self._internal = load_pools()["internal"]
        # Pages are gzipped for clients that accept it, as portals' web servers do.
        self.gzip = gzip
        # Every request served: (path, If-None-Match, If-Modified-Since, status); tests read it.
        self.requests: list[tuple[str, str | None, str | None, int]] = []
        super().__init__()

    def start(self) -> SampleSite:
        if self._servers:
            return self
        env = make_environment()
        for name, cls in SITE_CLASSES.items():
            server = _Server(("127.0.0.1", 0), _Handler)
            server.log = self.requests
            server.gzip = self.gzip
            base = f"http://127.0.0.1:{server.server_address[1]}"
            articles = [a for a in self.articles if a["site"] == name]
            server.site = cls(base, articles, _internal_articles(self._internal, name), env)
            self._run_server(name, server, f"samplesite-{name}")
        return self

    @property
    def sites(self) -> dict[str, Site]:
        if not self._servers:
            raise RuntimeError("the sample site is not running: call start() or use it in a with block")
        return {name: server.site for name, server in self._servers.items()}

    @property
    def base_urls(self) -> dict[str, str]:
        return {name: site.base for name, site in self.sites.items()}

    def sources_toml(self) -> str:
        header = "# Sources for the running govarchive sample site (generated; ports change on every run).\n\n"
        return header + "\n".join(site.source_toml() for site in self.sites.values())

    def expected_article_urls(self) -> set[str]:
        """Canonical URLs of every article a crawl should archive, and nothing else."""
        return set().union(*(site.expected_urls() for site in self.sites.values()))

    def article_url(self, key: str) -> str:
        for site in self.sites.values():
            entry = site.by_key.get(key)
            if entry is not None:
                return site.url(entry.path)
        raise KeyError(f"no article with key {key!r}")

    def _entry(self, key: str):
        for site in self.sites.values():
            if key in site.by_key:
                return site, site.by_key[key]
        raise KeyError(f"no article with key {key!r}")

    def edit_article(self, key: str, *, paragraphs: list[str] | None = None, title: str | None = None,
                     views: int | None = None) -> None:
        """Change an article as its site would: new text or title, or only its view counter
        (noise: the page's bytes change, the article does not)."""
        site, entry = self._entry(key)
        if paragraphs is not None:
            entry.paragraphs = paragraphs
            entry.__dict__.pop("blocks", None)
        if title is not None:
            entry.title = title
        if views is not None:
            entry.views = views
        entry.modified = datetime.now(timezone.utc)
        site.cache.clear()

    def break_articles(self, site_name: str) -> None:
        """Simulate a redesign the extractor does not know: article pages lose their title,
        byline, date and most of their text."""
        site = self.sites[site_name]
        site.broken = True
        site.cache.clear()

    def page_bytes(self, url: str) -> bytes:
        """The exact body served for ``url`` (before any content coding); KeyError if that URL
        is a 404."""
        return self._page(url).body

    def warm(self) -> None:
        """Render, and gzip where served gzipped, every page a crawl can reach (articles,
        listings and their pages, sitemaps, feeds, robots.txt) now rather than on first request,
        so that a benchmark times the crawler, not the templates."""
        for site in self.sites.values():
            for page in site.warm():
                if self.gzip and page.compressible:
                    page.gzipped  # a cached property: compressed here, once

    def _page(self, url: str) -> Page:
        parts = urlsplit(url)
        for site in self.sites.values():
            if urlsplit(site.base).netloc == parts.netloc:
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                page = site.respond(target)
                if page is None:
                    break
                return page
        raise KeyError(f"the sample site does not serve {url}")


# nginx's default gzip_buffers: 32 x 4 KB on most systems.
_CHUNK = 4096


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding value allows gzip: named (or matched by ``*`` when not named)
    with a q above 0."""
    weights = {}
    for item in header.split(","):
        name, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name.strip().lower()] = q
    for name in ("gzip", "x-gzip", "*"):
        if name in weights:
            return weights[name] > 0
    return False


def _internal_articles(pages: list[dict], site: str) -> list[dict]:
    """The disallowed section's pages, shaped like articles so they render like them."""
    return [
        {
            "key": f"noi-bo-{site}-{n}",
            "site": site,
            "slug": page["slug"],
            "title": page["title"],
            "sapo": page["sapo"],
            "paragraphs": page["paragraphs"],
            "images": [],
            "author": "Văn phòng",
            "published": page["published"],
            "updated": None,
            "category": "Thông tin nội bộ",
            "tags": [],
            "seed": None,
        }
        for n, page in enumerate(pages, start=1)
    ]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Crawls open many connections at once; the default backlog of 5 refuses some under load.
    request_queue_size = 128
    site: Site
    log: list
    gzip: bool

    def handle_error(self, request, client_address):
        # A crawler closing a kept-alive connection mid-response is normal, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleCMS/1.0"
    sys_version = ""

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        site = self.server.site
        page = site.respond(self.path) or site.not_found()
        status = 304 if page.status == 200 and self._not_modified(page) else page.status
        self.server.log.append(
            (self.path, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), status)
        )
        varies = self.server.gzip and page.compressible
        gzipped = varies and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        self.send_response(status)
        self.send_header("Content-Type", page.content_type)
        modified = page.last_modified.astimezone(timezone.utc)
        self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        # Like nginx: the gzipped variant's validator is weak, since its bytes differ.
        self.send_header("ETag", "W/" + page.etag if gzipped else page.etag)
        self.send_header("Cache-Control", "public, max-age=300")
        if varies:
            self.send_header("Vary", "Accept-Encoding")
        if status == 304:
            self.end_headers()
            return
        if not gzipped:
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(page.body)
            return
        # Like nginx, which compresses as it sends and so cannot know the length up front.
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if send_body:
            body = page.gzipped
            for start in range(0, len(body), _CHUNK):
                chunk = body[start : start + _CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")

    def _not_modified(self, page: Page) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            # If-None-Match compares weakly: W/"x" matches "x".
            return tags.strip() == "*" or page.etag in (t.strip().removeprefix("W/") for t in tags.split(","))
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return page.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def log_message(self, format, *args):
        # Silent: a crawl makes hundreds of requests and the crawler records each one itself.
        pass
