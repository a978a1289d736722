"""A redirect the crawl cannot follow is an error of its fetch, said as such."""

from tests.conftest import crawl_into, query, serve_routes
from tests.test_discovery_warnings import _article, _listing, _write


def _site(path, base):
    if path == "/tin":
        return _listing(["/bai-1.html", "/bai-2.html", "/bai-3.html"]), "text/html"
    if path == "/bai-1.html":
        return 302, {"Location": "file:///etc/passwd"}, b""
    if path == "/bai-2.html":
        return 302, {"Location": base.replace("http://", "http://nguoi:matkhau@") + "/bai-4.html"}, b""
    if path in ("/bai-3.html", "/bai-4.html"):
        return _article(int(path[5])), "text/html; charset=utf-8"
    return None


def test_a_redirect_to_no_http_address_or_with_credentials_is_an_error_of_that_page(tmp_path):
    with serve_routes(_site) as (base, hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    errors = {row["url"].rsplit("/", 1)[1]: row["error"] for row in query(
        tmp_path, "select url, error from fetches where kind = 'article'")}
    assert errors["bai-1.html"] == "ResponseRefused: redirect to file:///etc/passwd, not an http(s) address"
    assert errors["bai-2.html"] == ("ResponseRefused: redirect to http://…@127.0.0.1/bai-4.html, an address with "
                                    "a user name or password, not followed")
    assert errors["bai-3.html"] is None
    # The rest of the host is crawled; no credential is sent.
    assert "/bai-4.html" not in {path for _, path in hits} and "robots.txt unavailable" not in str(errors)
    crawl = query(tmp_path, "select * from crawls")[0]
    assert crawl["errors"] >= 2
