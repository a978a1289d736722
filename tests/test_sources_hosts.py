"""A sources file is checked against the URLs the crawler really asks for and matches: hosts
IDNA-encoded and lower case, paths percent-encoded, every link in home's scheme; a listing's
page numbers as the portal counts them."""

import pytest

from archive.sources import SourcesError, parse_sources


def _source(*, home="http://x.vn/", domains='["x.vn"]', pattern=r"'^http://x\.vn/a/\d+$'", listing=""):
    return f"""
[[source]]
id = "x"
name = "X"
kind = "press"
home = "{home}"
allowed_domains = {domains}
article_pattern = {pattern}
schedule = "5 * * * *"
[source.discovery]
feeds = ["{home}rss"]
{listing}
"""


def _refusal(text) -> str:
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    return str(info.value)


@pytest.mark.parametrize("home, domains", [
    ("http://cổng.vn/", '["cổng.vn"]'),
    ("http://cổng.vn/", '["xn--cng-qmz.vn"]'),
    ("http://xn--cng-qmz.vn/", '["CỔNG.VN"]'),
    ("http://CỔNG.vn./", '["cổng.vn."]'),
])
def test_a_vietnamese_host_is_one_host_however_it_is_written(home, domains):
    (source,) = parse_sources(_source(home=home, domains=domains, pattern=r"'^http://xn--cng-qmz\.vn/a/\d+$'"))
    # held as the crawler asks for it, so that the hosts it compares are written alike
    assert source.allowed_domains == ("xn--cng-qmz.vn",)
    assert source.home == "http://xn--cng-qmz.vn/" and source.feeds == ("http://xn--cng-qmz.vn/rss",)
    for url in ("http://xn--cng-qmz.vn/a/1", "http://cổng.vn/a/1", "http://www.xn--cng-qmz.vn/a/1"):
        assert source.allows(url), url
    assert not source.allows("http://cong.vn/a/1")


def test_a_fully_qualified_domain_is_the_domain():
    (source,) = parse_sources(_source(domains='["X.VN."]'))
    assert source.allowed_domains == ("x.vn",)
    assert source.allows("http://x.vn/a/1")


def test_a_url_written_as_is_stays_as_written():
    (source,) = parse_sources(_source(home="http://x.vn/", listing='[[source.discovery.listings]]\n'
                                                                 'url = "http://x.vn:8080/tin?"'))
    assert source.listings[0].url == "http://x.vn:8080/tin?"


@pytest.mark.parametrize("domain, message", [
    ("*.x.vn", "'*.x.vn' is not a host name (write 'x.vn': its subdomains are allowed too)"),
    ("x..vn", "'x..vn' is not a host name"),
])
def test_a_domain_that_is_no_host_name_is_refused(domain, message):
    assert f"field 'allowed_domains': {message}" in _refusal(_source(domains=f'["{domain}", "x.vn"]'))
