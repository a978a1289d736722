"""Names and URLs in sources.toml: what would break a table or a request is refused, and names
are stored NFC like all the archive's text."""

import unicodedata

import pytest

from archive.sources import SourcesError, parse_sources
from tests.test_sources import GOOD

NAME = 'name = "Cổng thông tin"'


# Shown as a TOML basic string, escapes and all, as the file holds it.
@pytest.mark.parametrize("name, shown", [
    ("Cổng\\nthông tin", '"Cổng\\nthông tin"'),
    ("Cổng\\tthông tin", '"Cổng\\tthông tin"'),
    ("Cổng\\u2028thông tin", '"Cổng\\u2028thông tin"'),
])
def test_a_name_with_a_control_character_is_refused(name, shown):
    with pytest.raises(SourcesError) as info:
        parse_sources(GOOD.replace(NAME, f'name = "{name}"'), "x.toml")
    assert str(info.value) == (
        f"x.toml: source 'demo-portal': field 'name': must be one line of text without control characters, "
        f"not {shown} (line 4; the source starts at line 2)"
    )


def test_a_decomposed_name_is_stored_composed():
    decomposed = unicodedata.normalize("NFD", "Cổng thông tin")
    assert decomposed != "Cổng thông tin"
    (source,) = parse_sources(GOOD.replace(NAME, f'name = "{decomposed}"'))
    assert source.name == "Cổng thông tin"


@pytest.mark.parametrize("old, new, fieldname, line", [
    ('home = "https://hanoi.gov.vn/"', 'home = " https://hanoi.gov.vn/"', "home", 6),
    ('home = "https://hanoi.gov.vn/"', 'home = "https://hanoi.gov.vn/\\n"', "home", 6),
    ('sitemaps = ["https://hanoi.gov.vn/sitemap.xml"]', 'sitemaps = ["https://hanoi.gov.vn/sitemap.xml "]',
     "discovery.sitemaps", 12),
    ('url = "https://hanoi.gov.vn/tin-tuc"', 'url = "https://hanoi.gov.vn/tin\\t-tuc"', "discovery.listings[1].url", 14),
])
def test_a_url_with_whitespace_around_it_or_a_control_character_is_refused(old, new, fieldname, line):
    assert old in GOOD
    with pytest.raises(SourcesError) as info:
        parse_sources(GOOD.replace(old, new), "x.toml")
    # The URL as the file holds it: quoted as a TOML basic string when it has an escape.
    written = new.split('"')[1]
    shown = f'"{written}"' if "\\" in written else f"'{written}'"
    assert str(info.value) == (
        f"x.toml: source 'demo-portal': field {fieldname!r}: {shown} has whitespace around it or a control "
        f"character in it (line {line}; the source starts at line 2)"
    )
