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


@pytest.mark.parametrize("pattern, message", [
    # Literal Vietnamese letters: canonical paths are percent-encoded.
    (r"'^http://x\.vn/tin-tức/\d+$'",
     "'^http://x\\.vn/tin-tức/\\d+$' has 'ứ', which no URL it is matched against has: those are "
     "canonical URLs, ASCII, with a path's letters percent-encoded ('ứ' in a path is '%E1%BB%A9') and the "
     "host IDNA-encoded ('cổng.vn' is 'xn--cng-qmz.vn')"),
    (r"'^https://x\.vn/a/\d+$'",
     "'^https://x\\.vn/a/\\d+$' begins ^https://x.vn/a/, but every URL it is matched against begins 'http://': "
     "the crawler asks for each link of the source by home's scheme"),
    (r"'^http://X\.VN/a/\d+$'",
     "'^http://X\\.VN/a/\\d+$' has the host 'X.VN', but the URLs it is matched against have theirs in lower "
     "case ('x.vn')"),
    (r"'^/a/\d+$'", "begins ^/a/, but every URL it is matched against begins 'http://'"),
])
def test_a_pattern_no_canonical_url_can_match_is_refused(pattern, message):
    text = _refusal(_source(pattern=pattern))
    assert text.startswith("x.toml: source 'x': field 'article_pattern': ") and message in text, text


@pytest.mark.parametrize("home, domains, pattern, host", [
    # The portal moved (a province merged into another): home and allowed_domains were updated, the pattern not.
    ("http://haiphong.gov.vn/", '["haiphong.gov.vn"]', r"'^http://haiduong\.gov\.vn/tin/\d+$'", "haiduong.gov.vn"),
    # A narrower allowed_domains: the bare domain is not one of www's subdomains.
    ("http://www.x.vn/", '["www.x.vn"]', r"'^http://x\.vn/a/\d+$'", "x.vn"),
    ("http://x.vn/", '["x.vn"]', r"'^http://y\.vn:8080/a/\d+$'", "y.vn:8080"),
])
def test_a_pattern_on_a_host_allowed_domains_does_not_allow_is_refused(home, domains, pattern, host):
    text = _refusal(_source(home=home, domains=domains, pattern=pattern))
    assert text.startswith("x.toml: source 'x': field 'article_pattern': "), text
    assert f"has the host {host!r}, which allowed_domains does not allow" in text, text
    assert "the crawler follows no link to it, so the pattern matches nothing" in text, text


@pytest.mark.parametrize("pattern", [
    r"'^http://www\.x\.vn/a/\d+$'", r"'^http://x\.vn:8080/a/\d+$'", r"'(?i)^http://X\.VN/a/\d+$'",
    # The host not written out to its end: it may be any the source allows.
    r"'^http://x\.v[n]/a/'", r"'^http://(www\.)?x\.vn/a/'",
])
def test_a_pattern_on_an_allowed_host_or_its_subdomain_is_accepted(pattern):
    parse_sources(_source(pattern=pattern))


def test_the_idn_example_is_the_sources_own_host():
    text = _refusal(_source(home="http://cổng.vn/", domains='["cổng.vn"]', pattern=r"'^http://cổng\.vn/a/\d+$'"))
    assert "has 'ổ'" in text and "('cổng.vn' is 'xn--cng-qmz.vn')" in text


@pytest.mark.parametrize("pattern", [
    r"'^https?://x\.vn/a/\d+$'", r"'(?i)^http://X\.VN/a/\d+$'", r"'^http://(www\.)?x\.vn/a/\d+$'",
    r"'/a/\d+$'", r"'^http://a|^https://b'", r"'^http://x\.vn/tin-t%E1%BB%A9c/\d+$'", r"'^htt(p|ps)://x\.vn/a/'",
    # Letters outside ASCII a match can do without: in a class, an alternative, a comment.
    r"'^http://x\.vn/[^đ]+/\d+'", r"'^http://x\.vn/(a|tức)/\d+'",
    r"'''(?x) ^http://x\.vn/ a/\d+  # bài viết'''",
])
def test_a_pattern_that_can_match_is_accepted(pattern):
    parse_sources(_source(pattern=pattern))


PAGED = '[[source.discovery.listings]]\nurl = "http://x.vn/tin"\npage_url = "http://x.vn/tin?{query}"\n'


@pytest.mark.parametrize("query, extra, pages", [
    ("page={page}", "", ["?page=2", "?page=3", "?page=4"]),
    # Drupal: the first page has no number, ?page=1 is the second
    ("page={page}", "first_page = 1", ["?page=1", "?page=2", "?page=3"]),
    # Joomla: by offset
    ("start={page}", "first_page = 10\npage_step = 10", ["?start=10", "?start=20", "?start=30"]),
    ("start={page}", "first_page = 0\npage_step = 20", ["?start=0", "?start=20", "?start=40"]),
])
def test_page_numbers_are_counted_as_the_portal_counts_them(query, extra, pages):
    (source,) = parse_sources(_source(listing=PAGED.format(query=query) + extra))
    assert [source.listings[0].page_link(n) for n in (2, 3, 4)] == [f"http://x.vn/tin{p}" for p in pages]


@pytest.mark.parametrize("extra, message", [
    ("first_page = -1", "field 'discovery.listings[1].first_page': must be a whole number, 0 or more (the number "
                        "page_url's {page} takes for the listing's second page: 2 (the default) for ?page=2, 1 where "
                        "the second page is ?page=1, 10 for ?start=10), not -1"),
    ("first_page = true", "field 'discovery.listings[1].first_page': must be a whole number, 0 or more"),
    ("page_step = 0", "field 'discovery.listings[1].page_step': must be a whole number, 1 or more (how much {page} "
                      "grows from one page to the next: 1 (the default), 10 for ?start=10, 20, 30), not 0"),
    ("page_step = '10'", "field 'discovery.listings[1].page_step': must be a whole number, 1 or more"),
])
def test_bad_page_numbering_is_named(extra, message):
    assert message in _refusal(_source(listing=PAGED.format(query="page={page}") + extra))


def test_page_numbering_without_page_url_is_refused():
    text = _refusal(_source(listing='[[source.discovery.listings]]\nurl = "http://x.vn/tin"\nnext = "a.next"\n'
                                    'first_page = 1'))
    assert "field 'discovery.listings[1].first_page': is for page_url (" in text and "this listing has none" in text


def test_the_second_page_by_its_number_must_not_look_like_an_article():
    listing = ('[[source.discovery.listings]]\nurl = "http://x.vn/tin"\npage_url = "http://x.vn/tin/{page}"\n'
               'first_page = 1')
    text = _refusal(_source(pattern=r"'^http://x\.vn/tin/1$'", listing=listing))
    assert "matches discovery.listings[1].page_url 'http://x.vn/tin/1'" in text


def test_an_unknown_placeholder_in_page_url_is_refused():
    text = _refusal(_source(listing=PAGED.format(query="page={page}&size={size}")))
    assert ("field 'discovery.listings[1].page_url': 'http://x.vn/tin?page={page}&size={size}' has the placeholder "
            "{size}, which would be sent as written: page_url takes only {page}") in text


@pytest.mark.parametrize("domain", ["::1", "[::1]"])
def test_an_ip_address_is_an_allowed_domain(domain):
    (source,) = parse_sources(_source(home="http://[::1]:8000/", domains=f'["{domain}"]', pattern=r"'/a/\d+$'"))
    assert source.allows("http://[::1]:8000/a/1")
