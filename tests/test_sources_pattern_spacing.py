"""Whitespace around article_pattern is refused as around a URL: the URLs it is matched against
have none, and such a pattern would match nothing, found only when a crawl ends empty."""

import pytest

from archive.sources import SourcesError, parse_sources
from tests.test_sources import GOOD

PATTERN = "article_pattern = '^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$'"
WRITTEN = "^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$"


def _refusal(text: str) -> str:
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    return str(info.value)


# The pattern is shown as the file holds it, backslashes single (a TOML literal string), or with
# its tab or newline escaped as a TOML basic string escapes them (and so its backslashes).
@pytest.mark.parametrize("written, shown", [
    (f"'{WRITTEN} '", f"'{WRITTEN} '"),
    (f"' {WRITTEN}'", f"' {WRITTEN}'"),
    (f"'{WRITTEN}\t'", '"' + WRITTEN.replace("\\", "\\\\") + '\\t"'),
    (f'"""{WRITTEN}\n"""'.replace("\\", "\\\\"), '"' + WRITTEN.replace("\\", "\\\\") + '\\n"'),
])
def test_whitespace_around_the_pattern_is_refused_as_around_a_url(written, shown):
    assert PATTERN in GOOD
    assert _refusal(GOOD.replace(PATTERN, f"article_pattern = {written}")) == (
        f"x.toml: source 'demo-portal': field 'article_pattern': {shown} has whitespace around it, which no URL "
        "it is matched against has (line 8; the source starts at line 2)"
    )


def test_a_verbose_pattern_may_be_written_over_lines():
    pattern = "'''(?x)\n  ^https://hanoi\\.gov\\.vn/tin-tuc/\n  [a-z0-9-]+-\\d+\\.htm$\n'''"
    (source,) = parse_sources(GOOD.replace(PATTERN, f"article_pattern = {pattern}"))
    assert source.is_article("https://hanoi.gov.vn/tin-tuc/ha-noi-ra-mat-123.htm")
