"""Feeds and sitemaps as portals serve them: in a legacy encoding their XML declaration names,
with bare '&' in their URLs, with Atom xml:base, and cut off in transit."""

import gzip
import unicodedata
import zlib
from urllib.parse import unquote

from tests.conftest import crawl_into, query, serve_routes


def _article(n) -> bytes:
    paragraphs = "".join(
        f"<p>Sở Tài nguyên và Môi trường thông báo nội dung thứ {n}.{i} của dự thảo Luật Đất đai sửa đổi "
        f"để lấy ý kiến người dân trên địa bàn tỉnh.</p>" for i in range(6))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Tin {n}</title></head><body><article>"
            f"<h1>Tin số {n} về Luật Đất đai</h1>{paragraphs}</article></body></html>").encode()


def _rss(base, encoding, links) -> bytes:
    items = "".join(f"<item><title>Tin</title><link>{link}</link></item>" for link in links)
    return (f"<?xml version='1.0' encoding='{encoding}'?><rss version='2.0'><channel><title>Tin</title>"
            f"<link>{base}/</link>{items}</channel></rss>").encode(encoding)


def _atom(base) -> bytes:
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
            f"xml:base='{base}/tin-tuc/'><title>Tin</title>"
            "<entry xml:base='atom/'><title>Tin</title><link href='xml-base.html'/></entry></feed>").encode()


def _urlset(base, paths) -> bytes:
    urls = "".join(f"<url><loc>{base}{path}</loc></url>" for path in paths)
    return (f"<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{urls}</urlset>").encode()


def _source(folder, base, discovery):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "tnmt"
name = "Sở TNMT"
kind = "press"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/(tin-tuc/.+\\.html|tin\\.aspx\\?.+)$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
{discovery}
[source.politeness]
delay = 0.0
concurrency = 4
""", encoding="utf-8")


def _routes(documents):
    def answer(path, base):
        if path in documents:
            return documents[path](base)
        if path.startswith(("/tin-tuc/", "/tin.aspx")):
            return _article(len(path)), "text/html; charset=utf-8"
        return None
    return answer


def _asked(hits) -> set[str]:
    return {unicodedata.normalize("NFC", unquote(path)) for _, path in hits}


def test_a_feed_is_read_in_its_declared_encoding_with_bare_ampersands_and_xml_base(tmp_path):
    documents = {
        # windows-1258 writes ấ as â and a combining acute accent.
        "/rss/dat-dai.rss": lambda base: (_rss(base, "windows-1258", [f"{base}/tin-tuc/đâ\u0301t-đai-2024.html"]),
                                          "application/rss+xml"),
        "/rss/thong-bao.rss": lambda base: (_rss(base, "iso-8859-1", [f"{base}/tin-tuc/thông-báo-hà-giang.html"]),
                                            "application/rss+xml"),
        "/rss/aspx.rss": lambda base: (_rss(base, "utf-8", [f"{base}/tin.aspx?ItemID=501&CateID=12"]),
                                       "application/rss+xml"),
        "/atom.xml": lambda base: (_atom(base), "application/atom+xml"),
    }
    with serve_routes(_routes(documents)) as (base, hits):
        feeds = ", ".join(f'"{base}{path}"' for path in documents)
        _source(tmp_path, base, f"feeds = [{feeds}]")
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    asked = _asked(hits)
    for path in ("/tin-tuc/đất-đai-2024.html", "/tin-tuc/thông-báo-hà-giang.html",
                 "/tin.aspx?ItemID=501&CateID=12", "/tin-tuc/atom/xml-base.html"):
        assert path in asked, sorted(asked)
    assert len(query(tmp_path, "select url from articles")) == 4
    (crawl,) = query(tmp_path, "select errors from crawls")
    assert crawl["errors"] == 0


def _cut(body: bytes) -> bytes:
    """A download cut off at 80%: a gzip file's later entries and its trailer lost."""
    return body[:len(body) * 4 // 5]


_PATHS = [f"/tin-tuc/bai-{n}.html" for n in range(1, 41)]


def _damaged(xml: bytes) -> bytes:
    """A gzip file whose deflate stream turns to noise after the first half of ``xml``: a block
    of the reserved type 3, which zlib refuses ("invalid block type")."""
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(xml[:len(xml) // 2]) + compressor.flush(zlib.Z_FULL_FLUSH) + b"\x07\x5a\x5a\x5a"


def test_a_sitemap_cut_short_is_a_failed_fetch_whose_entries_read_are_followed(tmp_path):
    documents = {
        "/sitemap-cut.xml.gz": lambda base: (_cut(gzip.compress(_urlset(base, _PATHS))), "application/x-gzip"),
        "/sitemap-cut.xml": lambda base: (_urlset(base, ["/tin-tuc/cat-1.html", "/tin-tuc/cat-2.html"])[:-40],
                                          "application/xml"),
        "/sitemap-aspx.xml": lambda base: (_urlset(base, ["/tin.aspx?ItemID=501&CateID=12"]), "application/xml"),
        "/sitemap-empty.xml.gz": lambda base: (gzip.compress(b"<?xml version='1.0' encoding='UTF-8'?>\n"),
                                               "application/x-gzip"),
        "/sitemap-stub.xml.gz": lambda base: (gzip.compress(_urlset(base, _PATHS))[:12], "application/x-gzip"),
        "/sitemap-damaged.xml.gz": lambda base: (_damaged(_urlset(base, _PATHS)), "application/x-gzip"),
        "/sitemap-three.xml.gz": lambda base: (b"\x1f\x8b\x08", "application/x-gzip"),
    }
    with serve_routes(_routes(documents)) as (base, hits):
        sitemaps = ", ".join(f'"{base}{path}"' for path in documents)
        _source(tmp_path, base, f"sitemaps = [{sitemaps}]")
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "StopIteration" not in result.stderr
    errors = {r["url"]: r["error"] for r in query(tmp_path, "select url, error from fetches where kind = 'sitemap'")}
    asked = _asked(hits)
    followed = [path for path in _PATHS if path in asked]
    assert followed and len(followed) < len(_PATHS) and followed == _PATHS[:len(followed)], followed
    assert errors[f"{base}/sitemap-cut.xml.gz"].startswith("sitemap cut short: "), errors
    assert f"{len(followed)} entries read" in errors[f"{base}/sitemap-cut.xml.gz"], errors
    assert "/tin-tuc/cat-1.html" in asked
    assert errors[f"{base}/sitemap-cut.xml"].startswith("sitemap cut short: "), errors
    assert "/tin.aspx?ItemID=501&CateID=12" in asked
    assert errors[f"{base}/sitemap-aspx.xml"] is None
    # A gzip file of an XML declaration alone, and one cut off before any XML.
    assert errors[f"{base}/sitemap-empty.xml.gz"] == "unreadable sitemap: no XML element in it", errors
    for stub in ("stub", "three"):  # cut in its header, or inside its first 10 bytes
        assert errors[f"{base}/sitemap-{stub}.xml.gz"].startswith(
            "sitemap cut short: the gzip file ends before any XML"), errors
    assert f"WARNING: tnmt: sitemap cut short {base}/sitemap-cut.xml.gz: " in result.stderr
    assert errors[f"{base}/sitemap-damaged.xml.gz"] == (
        "unreadable sitemap: its gzip file is damaged (Error -3 while decompressing data: invalid block type)"), errors
    (crawl,) = query(tmp_path, "select errors from crawls")
    assert crawl["errors"] == 6
