"""Values a fuzzing pass found that passed validation, or broke it with a traceback, and failed only
when the crawl used them: each is refused as one line naming the source, the field, the value and
its line."""

import pytest

from archive.sources import SourcesError, parse_sources

TEXT = """[[source]]
id = "x"
name = "X"
kind = "press"
home = "https://x.vn/"
allowed_domains = ["x.vn"]
article_pattern = '^https://x\\.vn/a-\\d+\\.htm$'
schedule = "5 * * * *"
[source.discovery]
feeds = ["https://x.vn/rss"]
[[source.discovery.listings]]
url = "https://x.vn/tin"
next = "a.next"
links = "ul.news"
[source.extract]
body = "div.content"
"""


def error(text) -> str:
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("old, fieldname, line", [
    ('body = "div.content"', "extract.body", 16),
    ('next = "a.next"', "discovery.listings[1].next", 13),
    ('links = "ul.news"', "discovery.listings[1].links", 14),
])
@pytest.mark.parametrize("selector, prefix", [
    ("html|div", "html"),
    # lxml fails on these only on a page with a div holding a p, or a p: no small page shows them all.
    ("div p[ns|id]", "ns"),
    ("p:not(ns|q)", "ns"),
])
def test_a_namespace_prefix_in_a_selector_is_refused(old, fieldname, line, selector, prefix):
    assert old in TEXT
    key = old.split(" = ")[0]
    assert error(TEXT.replace(old, f"{key} = '{selector}'")) == (
        f"x.toml: source 'x': field {fieldname!r}: bad CSS selector '{selector}': the namespace prefix {prefix}| "
        f"names nothing on an HTML page, which has no namespaces: leave it out (line {line}; the source starts at line 1)"
    )


def test_a_selector_lxml_cannot_compile_is_refused():
    # \1 escapes a control character into the id, which an XPath expression cannot hold.
    assert error(TEXT.replace('body = "div.content"', "body = '#\\1'")) == (
        "x.toml: source 'x': field 'extract.body': bad CSS selector '#\\1': lxml cannot run it (All strings must be "
        "XML compatible: Unicode or ASCII, no NULL bytes or control characters) (line 16; the source starts at line 1)"
    )


@pytest.mark.parametrize("selector", ["*|div", "|div", '[lang|="vi"]', "[*|id]", "div.content > p, article"])
def test_a_selector_without_a_namespace_prefix_is_accepted(selector):
    (source,) = parse_sources(TEXT.replace('body = "div.content"', f"body = '{selector}'"))
    assert source.extract["body"] == selector


@pytest.mark.parametrize("old, new, fieldname, line", [
    ('home = "https://x.vn/"', 'home = "https://x.vn:99999/"', "home", 5),
    ('feeds = ["https://x.vn/rss"]', 'feeds = ["https://x.vn:abc/rss"]', "discovery.feeds", 10),
    ('feeds = ["https://x.vn/rss"]', 'sitemaps = ["https://x.vn:0/s.xml"]', "discovery.sitemaps", 10),
    ('url = "https://x.vn/tin"', 'url = "https://x.vn:-80/tin"', "discovery.listings[1].url", 12),
])
def test_a_port_no_request_can_be_sent_to_is_refused(old, new, fieldname, line):
    assert old in TEXT
    url = new.split('"')[1]
    port = url.split(":")[2].split("/")[0]
    assert error(TEXT.replace(old, new)) == (
        f"x.toml: source 'x': field {fieldname!r}: '{url}' has the port '{port}', not a number from 1 to 65535 "
        f"(line {line}; the source starts at line 1)"
    )


def test_a_page_url_with_a_port_out_of_range_is_refused_as_its_second_page():
    text = TEXT.replace('next = "a.next"', 'page_url = "https://x.vn:99999/tin?p={page}"')
    assert error(text) == (
        "x.toml: source 'x': field 'discovery.listings[1].page_url': 'https://x.vn:99999/tin?p=2' has the port "
        "'99999', not a number from 1 to 65535 (line 13; the source starts at line 1)"
    )


def test_a_port_in_range_or_left_empty_is_accepted():
    text = TEXT.replace('feeds = ["https://x.vn/rss"]', 'feeds = ["https://x.vn:8443/rss", "https://x.vn:/rss2"]')
    (source,) = parse_sources(text)
    assert source.feeds == ("https://x.vn:8443/rss", "https://x.vn:/rss2")


@pytest.mark.parametrize("old, new, fieldname, shown, line", [
    ('home = "https://x.vn/"', 'home = "https://x[.vn/"', "home", "https://x[.vn/", 5),
    ('feeds = ["https://x.vn/rss"]', 'feeds = ["https://x].vn/rss"]', "discovery.feeds", "https://x].vn/rss", 10),
    ('feeds = ["https://x.vn/rss"]', 'sitemaps = ["https://[x.vn/s.xml"]', "discovery.sitemaps",
     "https://[x.vn/s.xml", 10),
    ('url = "https://x.vn/tin"', 'url = "https://[::1/tin"', "discovery.listings[1].url", "https://[::1/tin", 12),
    ('next = "a.next"', 'page_url = "https://x[.vn/tin?p={page}"', "discovery.listings[1].page_url",
     "https://x[.vn/tin?p=2", 13),
])
def test_a_bracket_in_a_host_that_encloses_no_ipv6_address_is_refused(old, new, fieldname, shown, line):
    assert old in TEXT
    assert error(TEXT.replace(old, new)) == (
        f"x.toml: source 'x': field {fieldname!r}: '{shown}' is not a URL: a [ or ] in its host must enclose an "
        f"IPv6 address, as in 'http://[::1]/' (line {line}; the source starts at line 1)"
    )


def test_a_host_with_a_character_that_normalizes_to_a_slash_is_refused():
    # U+FF0F FULLWIDTH SOLIDUS: NFKC makes it the / that would end the host.
    text = TEXT.replace('url = "https://x.vn/tin"', 'url = "https://x\uff0f.vn/tin"')
    assert error(text) == (
        "x.toml: source 'x': field 'discovery.listings[1].url': 'https://x\uff0f.vn/tin' is not a URL: netloc "
        "'x\uff0f.vn' contains invalid characters under NFKC normalization (line 12; the source starts at line 1)"
    )


def test_a_bracket_in_a_path_or_query_is_accepted():
    text = TEXT.replace('feeds = ["https://x.vn/rss"]', 'feeds = ["https://x.vn/rss[1]?a=[2]"]')
    (source,) = parse_sources(text)
    assert source.feeds == ("https://x.vn/rss[1]?a=[2]",)


@pytest.mark.parametrize("pattern, why", [
    (r"^https://x\.vn/a{99999999999}$", "the repetition number is too large"),
    (r"^https://x\.vn/a-\d{1,4294967295}$", "the repetition number is too large"),
    (r"^https://x\.vn/[\U99999999]$", "Python int too large to convert to C int"),
])
def test_a_pattern_re_cannot_compile_for_a_number_too_large_is_refused(pattern, why):
    text = TEXT.replace(r"'^https://x\.vn/a-\d+\.htm$'", f"'{pattern}'")
    assert error(text) == (
        f"x.toml: source 'x': field 'article_pattern': bad regular expression '{pattern}': {why} "
        "(line 7; the source starts at line 1)"
    )


def test_a_pattern_nested_too_deeply_to_compile_is_refused():
    pattern = r"^https://x\.vn/" + "(" * 2000 + r"a-\d+" + ")" * 2000 + r"\.htm$"
    message = error(TEXT.replace(r"'^https://x\.vn/a-\d+\.htm$'", f"'{pattern}'"))
    assert message.startswith("x.toml: source 'x': field 'article_pattern': bad regular expression '^https://x\\.vn/((")
    assert message.endswith("...: its groups are nested too deeply for Python's re to read it "
                            "(line 7; the source starts at line 1)")
