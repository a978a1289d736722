"""Two sources that reach the same articles split them between their ids: a warning names them."""

from archive.sources import overlaps, parse_sources
from tests.test_sources import GOOD, PATTERN


def test_a_copy_under_another_id_is_warned_about():
    sources = parse_sources(GOOD + GOOD.replace('id = "demo-portal"', 'id = "demo-copy"'))
    assert overlaps(sources) == [
        "sources 'demo-portal' and 'demo-copy' have the same home 'https://hanoi.gov.vn/' and the same "
        "article_pattern '^https://hanoi\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.htm$' and the same sitemap "
        "'https://hanoi.gov.vn/sitemap.xml' (and 1 more discovery URL), and their allowed_domains overlap: each "
        "article both reach is stored under whichever crawls it first"
    ]


def test_the_same_home_written_otherwise_is_the_same():
    other = (GOOD.replace('id = "demo-portal"', 'id = "demo-section"')
             .replace('home = "https://hanoi.gov.vn/"', 'home = "http://HANOI.gov.vn:80/"')
             .replace(PATTERN, "article_pattern = '^http://hanoi\\.gov\\.vn/su-kien/\\d+$'"))
    (line,) = overlaps(parse_sources(GOOD + other))
    assert line.startswith("sources 'demo-portal' and 'demo-section' have the same home 'https://hanoi.gov.vn/' and "
                           "the same sitemap 'https://hanoi.gov.vn/sitemap.xml' (and 1 more discovery URL), and "
                           "their allowed_domains overlap: ")


# A pattern that names no host: one written on a host its source does not allow is refused.
HOSTLESS = "article_pattern = '/tin-tuc/[a-z0-9-]+-\\d+\\.htm$'"


def test_the_same_pattern_on_a_subdomain_is_warned_about():
    other = (GOOD.replace('id = "demo-portal"', 'id = "demo-www"')
             .replace("https://hanoi.gov.vn/", "https://www.hanoi.gov.vn/")
             .replace('allowed_domains = ["hanoi.gov.vn"]', 'allowed_domains = ["www.hanoi.gov.vn"]'))
    (line,) = overlaps(parse_sources(GOOD.replace(PATTERN, HOSTLESS) + other.replace(PATTERN, HOSTLESS)))
    assert line.startswith("sources 'demo-portal' and 'demo-www' have the same article_pattern ")


def test_distinct_sites_are_not_warned_about():
    other = GOOD.replace("demo-portal", "other-portal").replace("hanoi", "hue")
    assert overlaps(parse_sources(GOOD + other)) == []
    # The same pattern text on domains that do not overlap reaches other articles.
    assert overlaps(parse_sources(GOOD.replace(PATTERN, HOSTLESS) + other.replace(
        PATTERN.replace("hanoi", "hue"), HOSTLESS))) == []


def test_the_sources_command_warns_and_still_finds_the_file_valid(tmp_path, run_cli):
    (tmp_path / "s.toml").write_text(GOOD + GOOD.replace('id = "demo-portal"', 'id = "demo-copy"'), encoding="utf-8")
    result = run_cli("sources", "--sources", "s.toml")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: sources 'demo-portal' and 'demo-copy' have the same home"), result.stderr
    assert "file is valid" in result.stdout
