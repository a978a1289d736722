"""Property tests: URL canonicalisation and extraction over arbitrary input."""

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from w3lib.url import safe_url_string

from archive.extract import RECORD_FIELDS, extract
from archive.urls import canonical_url

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.đàế%ABCDEF;\u0300", min_size=0, max_size=12)
TRACKERS = ["utm_source", "utm_medium", "fbclid", "zarsrc", "gidzl", "PHPSESSID"]
KEPT = ["id", "cid", "page", "q", "111", "ref", "source"]
params = st.lists(st.tuples(st.sampled_from(TRACKERS + KEPT), st.none() | segment), max_size=4)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    host = draw(st.sampled_from(["baochinhphu.vn", "HANOI.gov.vn", "127.0.0.1:8080", "www.ictvietnam.vn:443"]))
    path = "/".join(draw(st.lists(segment | st.sampled_from([".", ".."]), max_size=4)))
    path += draw(st.sampled_from(["", ";jsessionid=AB12.node1"]))
    fields = draw(params)
    query = "&".join(k if v is None else f"{k}={v}" for k, v in fields)
    fragment = draw(segment)
    url = f"{scheme}://{host}/{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    return url, [k for k, _ in fields]


@settings(max_examples=400, deadline=None)
@given(urls(), st.sampled_from([None, "http", "https"]))
def test_canonical_url_is_idempotent_and_clean(generated, scheme):
    url, names = generated
    once = canonical_url(url, prefer_scheme=scheme)
    assert canonical_url(once, prefer_scheme=scheme) == once
    # What Scrapy requests is the canonical URL itself, not another spelling of it.
    assert safe_url_string(once) == once
    parts = urlsplit(once)
    assert not parts.fragment
    assert ";jsessionid=" not in parts.path
    # Only the tracking parameters go; the others stay, in their order.
    assert [f.split("=", 1)[0] for f in parts.query.split("&") if f] == [n for n in names if n in KEPT]
    assert parts.hostname == parts.hostname.lower()
    if scheme:
        assert parts.scheme == scheme


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["", "text/html", "text/html; charset=utf-8",
                                                  "text/html; charset=windows-1258", "text/html; charset=base64"]))
def test_extraction_never_raises_on_arbitrary_bytes(body, content_type):
    record = extract(body, "https://example.vn/a.html", {"Content-Type": content_type})
    assert set(RECORD_FIELDS) <= set(record)
    assert isinstance(record["text"], str)
    assert record["word_count"] == len(record["text"].split())


html_bits = st.sampled_from([
    "<html>", "</html>", "<p>", "</p>", "<div class='date'>", "</div>", "<h1>", "</h1>", "<script>", "<!--",
    "<meta charset='utf-8'>", "Ngày đăng 05/07/2024 | 08:32", "174/KH-UBND", "Zalo OA “Sở”", "<a href='https://zalo.me/x'>",
    "Bài liên quan", "Ảnh: ", "&amp;", "&#xD800;", "\x00", "đ", " ",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(html_bits | st.text(max_size=20), max_size=60).map("".join))
def test_extraction_never_raises_on_html_like_text(text):
    record = extract(text.encode("utf-8", "surrogatepass"), "https://example.vn/a.html", {})
    assert record["text_hash"]
