"""A sources-file error names the lines to look at and shows the value refused, escaped."""

import pytest

from archive.sources import SourcesError, parse_sources
from tests.test_sources import GOOD, PATTERN

# GOOD's [[source]] header is its line 2; a second copy of it starts at line 21.
TWO = GOOD + GOOD.replace("demo-portal", "other-portal")


def error(text):
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_bad_value_is_shown_with_the_line_of_its_field_and_of_its_source():
    text = TWO.replace("delay = 2", 'delay = "fast"', 1)
    assert error(text) == (
        "x.toml: source 'demo-portal': field 'politeness.delay': must be a number of seconds between 0 and 600, "
        "not 'fast' (line 18; the source starts at line 2)"
    )
    second = TWO.replace("delay = 2", "delay = 900").replace("delay = 900", "delay = 2", 1)
    assert error(second) == (
        "x.toml: source 'other-portal': field 'politeness.delay': must be a number of seconds between 0 and 600, "
        "not 900 (line 37; the source starts at line 21)"
    )


def test_an_invisible_character_is_shown_escaped():
    text = TWO.replace('id = "other-portal"', 'id = "other-portal\\u200b"')
    assert error(text) == (
        "x.toml: source #2: field 'id': must be 1 to 64 lowercase letters, digits and hyphens, e.g. 'baochinhphu', "
        'not "other-portal\\u200b" (line 22; the source starts at line 21)'
    )


def test_a_duplicate_id_names_both_entries_and_their_lines():
    assert error(GOOD + GOOD) == (
        "x.toml: source 'demo-portal': field 'id': duplicate id: source #1 (line 2) and source #2 (line 21) "
        "both have it"
    )


@pytest.mark.parametrize("old, new, message", [
    ('kind = "province-portal"', 'kind = "blog"', "field 'kind': must be one of national-portal, ministry-portal, "
     "province-portal, press, not 'blog' (line 5; the source starts at line 2)"),
    ('name = "Cổng thông tin"', 'name = 7', "field 'name': must be a non-empty string, not 7 (line 4;"),
    ('allowed_domains = ["hanoi.gov.vn"]', 'allowed_domains = "hanoi.gov.vn"',
     "field 'allowed_domains': must be a non-empty list of host names, not 'hanoi.gov.vn' (line 7;"),
    ("concurrency = 2", "concurrency = 2.5", "field 'politeness.concurrency': must be a whole number from 1 to 64, "
     "not 2.5 (line 19;"),
    ('next = "a.next"', 'next = 3', "field 'discovery.listings[1].next': must be a CSS selector string, not 3 "
     "(line 15;"),
    # A missing field has no line but its source's.
    ('name = "Cổng thông tin"\n', "", "field 'name': missing (the source starts at line 2)"),
])
def test_each_refused_value_is_shown(old, new, message):
    assert old in GOOD
    assert message in error(GOOD.replace(old, new, 1))


def test_a_field_not_written_on_a_line_of_its_own_is_placed_at_what_holds_it():
    table = "[source.politeness]\ndelay = 2\nconcurrency = 2\n"
    assert table in GOOD
    text = GOOD.replace(table, "").replace('schedule = "0 */6 * * *"\n', 'schedule = "0 */6 * * *"\npoliteness = { delay = -1 }\n')
    assert error(text).endswith("field 'politeness.delay': must be a number of seconds between 0 and 600, not -1 "
                                "(line 10; the source starts at line 2)")


def test_a_header_inside_a_multiline_string_names_no_line_rather_than_a_wrong_one():
    # A regular expression may run over lines; this one's comment has a line that reads as a header.
    pattern = "article_pattern = '''^https://hanoi\\.gov\\.vn/tin-tuc/\\d+$(?#\n[[source]]\n)'''"
    text = GOOD.replace(PATTERN, pattern).replace("delay = 2", "delay = -1")
    message = error(text)
    assert message.startswith("x.toml: source 'demo-portal': field 'politeness.delay': ")
    assert "line" not in message
