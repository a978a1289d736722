"""The WARC files a crawl writes are read by the common WARC tools, whatever the site offers."""

import gzip
import subprocess
import sys
from pathlib import Path

import brotli

from archive.warc import default_warc_dir
from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import PARAGRAPHS, TITLES, write_sources

WARCIO = str(Path(sys.executable).with_name("warcio"))
KEY = "ha-tinh-cong-van"


def page() -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[KEY])
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{TITLES[KEY]}</title></head>'
            f"<body><article><h1>{TITLES[KEY]}</h1><div class=\"content\">{body}</div></article></body></html>"
            ).encode()


def answer(path, _base, headers):
    """Compressed as a portal's server does: with brotli to a client that asks for it."""
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path == "/list":
        body = b'<html><body><a href="/a/ha-tinh-zalo-oa-1022040801.htm">tin</a></body></html>'
    elif path == "/a/ha-tinh-zalo-oa-1022040801.htm":
        body = page()
    else:
        return None
    asked = [coding.strip().split(";")[0] for coding in headers.get("Accept-Encoding", "").split(",")]
    if "br" in asked:
        return 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "br"}, brotli.compress(body)
    return 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, gzip.compress(body)


def test_warcio_checks_every_record_of_a_crawl_of_a_site_offering_brotli(tmp_path):
    with serve_routes(answer, with_headers=True) as (base, _hits):
        write_sources(tmp_path, base)
        result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [a["title"] for a in query(tmp_path, "select title from articles")] == [TITLES[KEY]]
    files = sorted(default_warc_dir(tmp_path / "archive.db").glob("*.warc.gz"))
    assert files
    for path in files:
        # warcio undoes a record's Content-Encoding to check it, and cannot undo brotli with the
        # brotli module the archive installs (warcio expects brotlipy's decompressor).
        check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
