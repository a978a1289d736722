"""A pattern that matches any page of a paged listing is refused, not only one matching its second:
`-\\d{2,}` matches trang-10, and the crawler pages on until a page lists no article."""

import pytest

from archive.sources import SourcesError, parse_sources
from tests.test_sources import GOOD

PATTERN = "article_pattern = '^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$'"


def _refusal(text: str) -> str:
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    return str(info.value)


def _paged(pattern: str, page_url: str, numbering: str = "") -> str:
    text = GOOD.replace(PATTERN, f"article_pattern = '{pattern}'")
    return text.replace('next = "a.next"', f'page_url = "{page_url}"\n{numbering}')


@pytest.mark.parametrize("pattern, page_url, numbering, page", [
    # Article ids have two digits or more: the listing's tenth page has two too.
    (r"^https://hanoi\.gov\.vn/tin-tuc/[a-z0-9-]+-\d{2,}\.htm$", "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm", "",
     "https://hanoi.gov.vn/tin-tuc/trang-10.htm"),
    (r"^https://hanoi\.gov\.vn/tin-tuc/[a-z-]+-\d{4,}\.htm$", "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm", "",
     "https://hanoi.gov.vn/tin-tuc/trang-1000.htm"),
    (r"^https://hanoi\.gov\.vn/tin-tuc/[a-z-]+-[5-9]\.htm$", "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm", "",
     "https://hanoi.gov.vn/tin-tuc/trang-5.htm"),
    # By offset, ten to a page: the first with three digits is ?start=100.
    (r"^https://hanoi\.gov\.vn/tin-tuc\?start=\d{3}$", "https://hanoi.gov.vn/tin-tuc?start={page}",
     "first_page = 10\npage_step = 10", "https://hanoi.gov.vn/tin-tuc?start=100"),
])
def test_a_pattern_that_matches_a_later_page_of_a_listing_is_refused(pattern, page_url, numbering, page):
    assert _refusal(_paged(pattern, page_url, numbering)).startswith(
        f"x.toml: source 'demo-portal': field 'article_pattern': matches discovery.listings[1].page_url {page!r}, "
        "which would be stored as an article"
    )


def test_a_pattern_that_matches_no_page_of_a_listing_is_accepted():
    (source,) = parse_sources(_paged(r"^https://hanoi\.gov\.vn/tin-tuc/[a-z-]+-\d+-\d+\.htm$",
                                     "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm"))
    assert source.listings[0].page_url == "https://hanoi.gov.vn/tin-tuc/trang-{page}.htm"
