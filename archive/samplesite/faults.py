"""FaultySite: web servers that misbehave on purpose, one fault per URL, on loopback addresses.

http.server cannot reset a connection mid-response, trickle bytes, send a broken status line or
hold a socket without answering, so these servers speak HTTP over raw sockets. Every response
closes its connection.

Four servers: ``main`` (the faults, 127.0.0.1), ``robots-500`` and ``robots-timeout`` (127.0.0.1,
other ports: robots.txt answers 500 / never answers) and ``outside`` (127.0.0.2, a host the
source does not allow; nothing should ever reach it). Every request is recorded::

    with FaultySite(secret_file=path) as site:
        site.sources_toml()          # the [[source]] entry, id = "faulty"
        site.url("http-500")         # where a fault (ARTICLE_FAULTS, DISCOVERY_FAULTS) lives
        site.hits("outside")         # the requests a server received
"""

from __future__ import annotations

import gzip
import random
import select
import socket
import socketserver
import struct
import threading
import time
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import brotli

from archive.samplesite.server import ServerGroup

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"

# What nginx accepts in a request line by default: longer ones get 414, as on a real server.
MAX_REQUEST_LINE = 8 * 1024
LONG_QUERY_BYTES = 100 * 1024
# More than the crawler's DOWNLOAD_MAXSIZE (20 MB).
OVERSIZE = 25 * 1024 * 1024
# The gzip bomb expands to this many MiB of zeros; about 1 KB per MiB goes over the wire.
BOMB_MIB = 1024
REDIRECT_CHAIN = 30
RETRY_AFTER = 2
RETRY_AFTER_LONG = 86_400
TRAP_START = "2024-05-17"
OUTSIDE_HOST = "127.0.0.2"


@dataclass(frozen=True)
class Hit:
    server: str
    method: str
    target: str
    host: str
    at: float


# Faults served as article pages at /f/<name> on the main server, linked from its home page.
ARTICLE_FAULTS = {
    "ok": "a well-formed article (the control)",
    "http-500": "500 Internal Server Error, every time",
    "http-502": "502 Bad Gateway, every time",
    "http-503": "503 Service Unavailable, every time",
    "http-429": f"429 with Retry-After: {RETRY_AFTER} on the first request, then the article",
    "http-429-long": f"429 with Retry-After: {RETRY_AFTER_LONG} (a day), every time",
    "http-404": "404 Not Found",
    "http-410": "410 Gone",
    "reset": "headers and part of the body, then a TCP reset",
    "never-answers": "accepts the connection, reads the request, never answers",
    "slow-loris": "headers at once, then the body at 1 byte a second",
    "not-http": "answers with an SSH banner instead of HTTP",
    "huge-header": "a 200 whose one header line is 1 MB long",
    "redirect-short": "two redirects, then the article (the control for redirects)",
    "redirect-loop": "302 to a page that redirects back here",
    "redirect-to-seen": "302 to the control article, which the crawl also fetches directly",
    "meta-refresh-loop": "a 200 page whose <meta http-equiv=refresh> points at itself",
    "redirect-outside": f"302 to {OUTSIDE_HOST}, a host outside the source",
    "redirect-localhost": "302 to localhost, a host name outside the source",
    "redirect-chain": f"a chain of {REDIRECT_CHAIN} redirects, longer than REDIRECT_MAX_TIMES",
    "redirect-long-url": f"302 to a URL with a {LONG_QUERY_BYTES // 1024} KB query string",
    "empty": "200 with an empty body",
    "binary": "64 KB of random bytes served as text/html",
    "too-big": f"a {OVERSIZE // 2**20} MB body announced in Content-Length",
    "too-big-unannounced": f"a {OVERSIZE // 2**20} MB body without Content-Length",
    "gzip-bomb": f"Content-Encoding: gzip expanding to {BOMB_MIB} MiB of zeros",
    "gzip-truncated": "Content-Encoding: gzip, the stream cut in half (Content-Length says so)",
    "br-truncated": "Content-Encoding: br, the stream cut in half (Content-Length says so)",
    "gzip-not-gzip": "Content-Encoding: gzip on a body that is plain HTML",
    "raw-headers": "an article over HTTP/1.0 with header values in UTF-8 and in latin-1 bytes",
    "deep-nesting": "an article inside 100,000 nested <div> elements",
    "invalid-utf8": "an article declared UTF-8 with invalid byte sequences in its text",
    "cp1258": "an article in windows-1258 (the Vietnamese legacy codepage), declared so",
    "wrong-charset": "a UTF-8 article declared ISO-8859-1",
    "control-chars": "an article whose text holds control characters and a noncharacter, which XML forbids",
    "charset-base64": "an article whose charset label names a bytes-to-bytes Python codec",
    "jsonld-deep": "an article whose JSON-LD is an array nested 100,000 deep",
    "long-query": f"linked with a {LONG_QUERY_BYTES // 1024} KB query string",
}

DISCOVERY_FAULTS = {
    "sitemap-entity-bomb": "a sitemap with a billion-laughs entity in a <loc>",
    "sitemap-xxe": "a sitemap whose <loc> uses an external entity (a local file) and an external DTD",
    "sitemap-malformed": "a sitemap cut off mid-document, with garbage and unclosed tags",
    "sitemap-gzip-bomb": f"a .xml.gz sitemap expanding to {BOMB_MIB} MiB of zeros",
    "feed-entity-bomb": "an RSS feed with a billion-laughs entity in a <link>",
    "feed-xxe": "an RSS feed whose <link> uses an external entity and an external DTD",
    "sitemap-html": "an HTML page (200) where the sitemap should be, as after a portal's redesign",
    "feed-html": "an HTML page (200) where the feed should be",
    "calendar-trap": "a listing whose every page links to the next day, forever",
    "listing-bad-charset": "a listing page declared charset=base64",
    "offsite-links": f"links and sitemap entries pointing at {OUTSIDE_HOST} and localhost",
    "robots-500": "a site whose robots.txt answers 500",
    "robots-timeout": "a site whose robots.txt never answers",
}

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_LEAD = (
    "Bộ Thông tin và Truyền thông hướng dẫn triển khai Kế hoạch 174/KH-UBND về công tác truyền thông "
    "chính sách, trong đó các cổng thông tin điện tử phải cập nhật văn bản mới trong ngày ban hành."
)
_WORDS = (
    "Thủ tướng Chính phủ yêu cầu các bộ ngành địa phương đẩy mạnh chuyển đổi số hoạt động cơ quan nhà "
    "nước bảo đảm thông tin chính sách người dân kịp thời chính xác đơn vị sử dụng kênh Zalo OA trang "
    "điện tử tiếp nhận phản ánh kiến nghị doanh nghiệp trả lời công khai thời hạn quy định tỉnh thành "
    "phố ủy ban nhân dân sở báo chí phát ngôn họp báo định kỳ văn bản nghị định thông tư kế hoạch"
).split()


# Header values that are not ASCII, as portals send them: a UTF-8 file name, a latin-1 byte.
RAW_HEADERS = 'Content-Disposition: inline; filename="Kế hoạch 174.html"\r\n'.encode() + b"X-Latin: caf\xe9\r\n"


def title_for(name: str) -> str:
    """The title of the article a fault serves (when it serves one)."""
    return f"Kiểm thử {name}: Thủ tướng chỉ đạo đẩy mạnh chuyển đổi số"


def article_html(name: str, charset: str | None = "utf-8") -> str:
    """An article page; apart from its lead, its text is words drawn at random, seeded by ``name``,
    so that no two faults serve near-duplicates."""
    meta = f'<meta charset="{charset}">' if charset else ""
    rng = random.Random(name)
    body = [" ".join(rng.choice(_WORDS) for _ in range(60)).capitalize() + "." for _ in range(3)]
    paragraphs = "".join(f"<p>{p}</p>" for p in (_LEAD, *body))
    title = title_for(name)
    return (
        f'<!DOCTYPE html><html lang="vi"><head>{meta}<title>{title}</title>'
        '<meta property="article:published_time" content="2024-05-17T08:30:00+07:00"></head>'
        f'<body><article><h1>{title}</h1><p class="date">Thứ Sáu, 17/05/2024 08:30</p>{paragraphs}'
        "</article></body></html>"
    )


def encode_cp1258(text: str) -> bytes:
    """windows-1258 spells most Vietnamese letters as a base letter plus a combining tone mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
        out += (base + "".join(c for c in parts if c in _TONE_MARKS)).encode("cp1258")
    return bytes(out)


@cache
def gzip_bomb(mib: int = BOMB_MIB) -> bytes:
    """A gzip stream of ``mib`` MiB of zeros, built without compressing them all.

    After a full flush deflate starts afresh, so every MiB of zeros compresses to the same bytes:
    compress one and repeat it.
    """
    zeros = b"\0" * 2**20
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(zeros) + block.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + one * mib + end + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)


_LAUGHS = "\n".join(
    ['<!ENTITY lol "lol">']
    + [f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)]
)


class FaultySite(ServerGroup):
    """The fault servers; use as a context manager, or call ``start()`` and ``stop()``.

    ``secret_file`` (default /etc/hostname) is the local file the XXE documents point their
    external entity at; its content must never show up anywhere a crawl writes.
    """

    def __init__(self, secret_file: str | Path | None = None):
        super().__init__()
        self.secret_file = Path(secret_file).resolve() if secret_file else Path("/etc/hostname")
        self._hits: list[Hit] = []
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self) -> FaultySite:
        if self._servers:
            return self
        self.stopping.clear()
        for name, host in (("main", "127.0.0.1"), ("robots-500", "127.0.0.1"),
                           ("robots-timeout", "127.0.0.1"), ("outside", OUTSIDE_HOST)):
            server = _Server((host, 0), _Handler)
            server.name, server.site = name, self
            self._run_server(name, server, f"faults-{name}")
        return self

    def stop(self) -> None:
        # Handlers hanging or trickling bytes on purpose end first, so shutdown does not wait.
        self.stopping.set()
        super().stop()

    # What the servers are and what they saw --------------------------------------------------

    def base(self, server: str = "main", host: str | None = None) -> str:
        address, port = self._servers[server].server_address[:2]
        return f"http://{host or address}:{port}"

    def url(self, name: str) -> str:
        """The URL of a fault from ARTICLE_FAULTS or DISCOVERY_FAULTS."""
        if name in ARTICLE_FAULTS:
            suffix = f"?q={'x' * LONG_QUERY_BYTES}" if name == "long-query" else ""
            return f"{self.base()}/f/{name}{suffix}"
        special = {
            "sitemap-entity-bomb": f"{self.base()}/sitemaps/entity-bomb.xml",
            "sitemap-xxe": f"{self.base()}/sitemaps/xxe.xml",
            "sitemap-malformed": f"{self.base()}/sitemaps/malformed.xml",
            "sitemap-gzip-bomb": f"{self.base()}/sitemaps/bomb.xml.gz",
            "feed-entity-bomb": f"{self.base()}/feeds/entity-bomb.rss",
            "feed-xxe": f"{self.base()}/feeds/xxe.rss",
            "sitemap-html": f"{self.base()}/sitemaps/moved.xml",
            "feed-html": f"{self.base()}/feeds/moved.rss",
            "calendar-trap": f"{self.base()}/lich/{TRAP_START}",
            "listing-bad-charset": f"{self.base()}/tin-bang-ma-la",
            "offsite-links": f"{self.base('outside')}/f/offsite-link",
            "robots-500": f"{self.base('robots-500')}/",
            "robots-timeout": f"{self.base('robots-timeout')}/",
        }
        return special[name]

    def hits(self, server: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if server is None or h.server == server]

    def sources_toml(self) -> str:
        """The [[source]] entry whose discovery leads the real spider to every fault."""
        main = self.base()
        sitemaps = [f"{main}/sitemap.xml"] + [self.url(n) for n in DISCOVERY_FAULTS if n.startswith("sitemap-")]
        feeds = [self.url(n) for n in DISCOVERY_FAULTS if n.startswith("feed-")]
        listings = [(f"{main}/", None), (self.url("calendar-trap"), "a.next"), (self.url("listing-bad-charset"), None),
                    (self.url("robots-500"), None), (self.url("robots-timeout"), None)]
        lines = [
            "[[source]]",
            'id = "faulty"',
            'name = "Trang lỗi (fault-injection test site)"',
            'kind = "press"',
            f'home = "{main}/"',
            'allowed_domains = ["127.0.0.1"]',
            r"article_pattern = '^http://127\.0\.0\.1:\d+/f/'",
            'schedule = "0 * * * *"',
            "",
            "[source.discovery]",
            f"sitemaps = [{', '.join(_quote(u) for u in sitemaps)}]",
            f"feeds = [{', '.join(_quote(u) for u in feeds)}]",
        ]
        for url, nxt in listings:
            lines += ["", "[[source.discovery.listings]]", f"url = {_quote(url)}"]
            if nxt:
                lines.append(f"next = {_quote(nxt)}")
        lines += ["", "[source.politeness]", "delay = 0.0", "concurrency = 16"]
        return "\n".join(lines) + "\n"

    # Serving ---------------------------------------------------------------------------------

    def _record(self, server: str, method: str, target: str, host: str) -> int:
        """Log a request; returns how many times this server has now been asked for ``target``."""
        with self._lock:
            self._hits.append(Hit(server, method, target, host, time.monotonic()))
            key = (server, target)
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def _serve(self, server: str, ex: _Exchange) -> None:
        count = self._record(server, ex.method, ex.target, ex.host)
        if len(ex.target) > MAX_REQUEST_LINE:
            ex.respond(414, _error_page(414))
        elif server == "outside":
            ex.respond(200, article_html("outside").encode())
        elif server in ("robots-500", "robots-timeout"):
            self._serve_robots_site(server, ex)
        else:
            self._serve_main(ex, count)

    def _serve_robots_site(self, server: str, ex: _Exchange) -> None:
        name = f"behind-{server}"
        if ex.path == "/robots.txt":
            if server == "robots-500":
                ex.respond(500, _error_page(500))
            else:
                ex.hang(self.stopping)
        elif ex.path == "/":
            ex.respond(200, _listing([f"/f/{name}"]))
        elif ex.path == f"/f/{name}":
            ex.respond(200, article_html(name).encode())
        else:
            ex.respond(404, _error_page(404))

    def _serve_main(self, ex: _Exchange, count: int) -> None:
        path = ex.path
        main = self.base()
        if path == "/robots.txt":
            ex.respond(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/":
            links = [self.url(n) for n in ARTICLE_FAULTS]
            links += [self.url("offsite-links"), f"{self.base(host='localhost')}/f/localhost-link"]
            ex.respond(200, _listing(links))
        elif path == "/sitemap.xml":
            ex.respond(200, _sitemap([f"{main}/f/ok", f"{self.base('outside')}/f/offsite-sitemap"]), XML)
        elif path.startswith(("/sitemaps/", "/feeds/")):
            self._serve_discovery(ex)
        elif path == "/tin-bang-ma-la":
            ex.respond(200, _listing([f"{main}/f/via-bad-charset-listing"]), "text/html; charset=base64")
        elif path.startswith("/lich/"):
            day = path.removeprefix("/lich/")
            ex.respond(200, _listing([f"{main}/f/ok"], next_href=f"/lich/{_next_day(day)}"))
        elif path.startswith("/r/"):
            self._serve_redirect_hop(ex)
        elif path.startswith("/f/"):
            self._serve_fault(ex, path.removeprefix("/f/"), count)
        else:
            ex.respond(404, _error_page(404))

    def _serve_fault(self, ex: _Exchange, name: str, count: int) -> None:
        if name == "http-429":
            if count == 1:
                ex.respond(429, _error_page(429), headers=[("Retry-After", str(RETRY_AFTER))])
            else:
                ex.respond(200, article_html(name).encode())
        elif name == "http-429-long":
            ex.respond(429, _error_page(429), headers=[("Retry-After", str(RETRY_AFTER_LONG))])
        elif name.startswith("http-") and name[5:].isdigit():
            ex.respond(int(name[5:]), _error_page(int(name[5:])))
        elif name == "reset":
            ex.head(200, HTML, [("Content-Length", "20000")])
            ex.send(article_html(name).encode()[:2000])
            ex.reset()
        elif name == "never-answers":
            ex.hang(self.stopping)
        elif name == "slow-loris":
            body = article_html(name).encode()
            ex.head(200, HTML, [("Content-Length", str(len(body)))])
            ex.trickle(body, self.stopping)
        elif name == "not-http":
            ex.send(b"SSH-2.0-OpenSSH_9.6\r\n")
        elif name == "huge-header":
            ex.respond(200, article_html(name).encode(), headers=[("X-Padding", "a" * 2**20)])
        elif name == "redirect-short":
            ex.redirect("/r/short/1")
        elif name == "redirect-loop":
            ex.redirect("/r/loop")
        elif name == "redirect-to-seen":
            ex.redirect("/f/ok")
        elif name == "meta-refresh-loop":
            page = article_html(name).replace("<head>", f'<head><meta http-equiv="refresh" content="0; url=/f/{name}">')
            ex.respond(200, page.encode())
        elif name == "redirect-outside":
            ex.redirect(f"{self.base('outside')}/f/stolen")
        elif name == "redirect-localhost":
            ex.redirect(f"{self.base(host='localhost')}/f/stolen")
        elif name == "redirect-chain":
            ex.redirect("/r/chain/1")
        elif name == "redirect-long-url":
            ex.redirect(f"/r/long?q={'y' * LONG_QUERY_BYTES}")
        elif name == "empty":
            ex.respond(200, b"")
        elif name == "binary":
            ex.respond(200, random.Random(0).randbytes(64 * 1024))
        elif name == "too-big":
            ex.head(200, HTML, [("Content-Length", str(OVERSIZE))])
            ex.stream_zeros(OVERSIZE)
        elif name == "too-big-unannounced":
            ex.head(200, HTML, [])
            ex.stream_zeros(OVERSIZE)
        elif name == "gzip-bomb":
            ex.respond(200, gzip_bomb(), headers=[("Content-Encoding", "gzip")])
        elif name in ("gzip-truncated", "br-truncated"):
            coding = name.split("-")[0]
            page = article_html(name).encode()
            packed = gzip.compress(page) if coding == "gzip" else brotli.compress(page)
            ex.respond(200, packed[: len(packed) // 2], headers=[("Content-Encoding", coding)])
        elif name == "raw-headers":
            body = article_html(name).encode()
            ex.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + RAW_HEADERS
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        elif name == "gzip-not-gzip":
            ex.respond(200, article_html(name).encode(), headers=[("Content-Encoding", "gzip")])
        elif name == "deep-nesting":
            depth = 100_000
            inner = article_html(name).split("<body>")[1].split("</body>")[0]
            ex.respond(200, ("<html><body>" + "<div>" * depth + inner + "</div>" * depth + "</body></html>").encode())
        elif name == "invalid-utf8":
            body = article_html(name).encode()
            cut = body.index("chính sách,".encode())
            ex.respond(200, body[:cut] + b"\xff\xfe\xc3\x28\xa0\xa1" + body[cut:])
        elif name == "cp1258":
            ex.respond(200, encode_cp1258(article_html(name, "windows-1258")), "text/html; charset=windows-1258")
        elif name == "control-chars":
            html = article_html(name)
            cut = html.index("chính sách,")
            ex.respond(200, (html[:cut] + "\x01\x0b \x1f\ufffe" + html[cut:]).encode())
        elif name == "wrong-charset":
            ex.respond(200, article_html(name, None).encode(), "text/html; charset=iso-8859-1")
        elif name == "charset-base64":
            ex.respond(200, article_html(name, None).encode(), "text/html; charset=base64")
        elif name == "jsonld-deep":
            script = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
            ex.respond(200, article_html(name).replace("</head>", script + "</head>").encode())
        elif name in ARTICLE_FAULTS or name in ("malformed-sitemap-entry", "via-bad-charset-listing"):
            ex.respond(200, article_html(name).encode())
        elif name in ("stolen", "localhost-link"):
            # Reaching these means the crawler left the source's host (localhost resolves here).
            ex.respond(200, article_html(name).encode())
        else:
            ex.respond(404, _error_page(404))

    def _serve_redirect_hop(self, ex: _Exchange) -> None:
        path = ex.path
        if path.startswith("/r/short/"):
            hop = int(path.rsplit("/", 1)[1])
            if hop < 2:
                ex.redirect(f"/r/short/{hop + 1}")
            else:
                ex.respond(200, article_html("redirect-short").encode())
        elif path == "/r/loop":
            ex.redirect("/f/redirect-loop")
        elif path.startswith("/r/chain/"):
            hop = int(path.rsplit("/", 1)[1])
            if hop < REDIRECT_CHAIN:
                ex.redirect(f"/r/chain/{hop + 1}")
            else:
                ex.respond(200, article_html("redirect-chain").encode())
        else:
            ex.respond(404, _error_page(404))

    def _serve_discovery(self, ex: _Exchange) -> None:
        main = self.base()
        secret = self.secret_file.as_uri()
        outside_dtd = f"{self.base('outside')}/evil.dtd"
        path = ex.path
        if path == "/sitemaps/entity-bomb.xml":
            ex.respond(200, _sitemap([f"{main}/f/bomb-&lol9;", f"{main}/f/ok"], f"<!DOCTYPE urlset [\n{_LAUGHS}\n]>"), XML)
        elif path == "/sitemaps/xxe.xml":
            doctype = f'<!DOCTYPE urlset SYSTEM "{outside_dtd}" [\n<!ENTITY xxe SYSTEM "{secret}">\n]>'
            ex.respond(200, _sitemap([f"{main}/f/&xxe;", f"{main}/f/ok"], doctype), XML)
        elif path == "/sitemaps/malformed.xml":
            body = _sitemap([f"{main}/f/malformed-sitemap-entry"]).rsplit(b"</urlset>", 1)[0]
            ex.respond(200, body + b"<url><loc>\x00\xff<<</loc><url><lastmod>2024</urlsett", XML)
        elif path == "/sitemaps/bomb.xml.gz":
            ex.respond(200, gzip_bomb(), "application/gzip")
        elif path == "/feeds/entity-bomb.rss":
            ex.respond(200, _rss([f"{main}/f/bomb-&lol9;", f"{main}/f/ok"], f"<!DOCTYPE rss [\n{_LAUGHS}\n]>"), RSS)
        elif path == "/feeds/xxe.rss":
            doctype = f'<!DOCTYPE rss SYSTEM "{outside_dtd}" [\n<!ENTITY xxe SYSTEM "{secret}">\n]>'
            ex.respond(200, _rss([f"{main}/f/&xxe;", f"{main}/f/ok"], doctype), RSS)
        elif path in ("/sitemaps/moved.xml", "/feeds/moved.rss"):
            ex.respond(200, f'<!DOCTYPE html><html><body><a href="{main}/f/ok">Tin mới</a></body></html>'.encode())
        else:
            ex.respond(404, _error_page(404))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    name: str
    site: FaultySite

    def handle_error(self, request, client_address):
        # The crawler hanging up on a fault is what the faults are for.
        pass


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(30)
        exchange = _Exchange.read(self.request)
        if exchange is not None:
            self.server.site._serve(self.server.name, exchange)


class _Exchange:
    """One request read from a socket, and the primitives to answer (or not answer) it."""

    def __init__(self, sock: socket.socket, method: str, target: str, headers: dict[str, str]):
        self.sock = sock
        self.method = method
        self.target = target
        self.path = urlsplit(target).path
        self.host = headers.get("host", "")

    @classmethod
    def read(cls, sock: socket.socket) -> _Exchange | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk or len(data) > 1024 * 1024:
                return None
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3:
            return None
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(sock, parts[0], parts[1], headers)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def head(self, status: int, content_type: str, headers) -> None:
        lines = [f"HTTP/1.1 {status} {_reason(status)}", f"Content-Type: {content_type}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def respond(self, status: int, body: bytes, content_type: str = HTML, headers=()) -> None:
        self.head(status, content_type, [*headers, ("Content-Length", str(len(body)))])
        self.send(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.respond(status, b"", headers=[("Location", location)])

    def reset(self) -> None:
        # Linger 0 makes close() send RST instead of FIN.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def hang(self, stopping: threading.Event) -> None:
        """Hold the connection open without a byte of answer until the client hangs up."""
        while not stopping.is_set():
            readable, _, _ = select.select([self.sock], [], [], 0.2)
            if readable and not self.sock.recv(4096):
                return

    def trickle(self, body: bytes, stopping: threading.Event) -> None:
        for i in range(len(body)):
            if stopping.wait(1.0):
                return
            self.send(body[i:i + 1])

    def stream_zeros(self, size: int) -> None:
        chunk = b"0" * 65536
        for _ in range(size // len(chunk)):
            self.send(chunk)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _error_page(status: int) -> bytes:
    phrase = _reason(status)
    return f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>".encode()


def _listing(links: list[str], next_href: str | None = None) -> bytes:
    items = "".join(f'<li><a href="{href}">{href[:80]}</a></li>' for href in links)
    pager = f'<a class="next" href="{next_href}">Ngày sau</a>' if next_href else ""
    return f'<!DOCTYPE html><html lang="vi"><body><ul>{items}</ul>{pager}</body></html>'.encode()


def _sitemap(locs: list[str], doctype: str = "") -> bytes:
    urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def _rss(links: list[str], doctype: str = "") -> bytes:
    items = "".join(f"<item><title>Tin</title><link>{link}</link></item>" for link in links)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n'
        f"<rss version=\"2.0\"><channel><title>Trang lỗi</title>{items}</channel></rss>"
    ).encode()


def _next_day(day: str) -> str:
    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        return TRAP_START


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
