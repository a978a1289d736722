"""A short article's page furniture is no part of its text: a crawl that finds only the view
counter changed keeps one version of the article, however short its body."""

import asyncio
import html

import pytest

from archive.samplesite import SampleSite
from archive.serve import make_datasette
from tests.conftest import crawl_into, query

# A portal article whose counter sits in its date line, and a news article whose counter sits
# alone under the headline: both cut to the sapo and one paragraph.
SHORT = ("portal-lao-cai-tiktok-quang-ba-2025", "news-dak-lak-hop-bao-dinh-ky-2022")


@pytest.fixture
def site():
    with SampleSite() as running:
        yield running


def crawl(folder):
    result = crawl_into(folder, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_view_counter_that_changes_makes_no_version_of_a_short_article(site, tmp_path):
    (tmp_path / "sources.toml").write_text(
        "\n".join(site.sites[name].source_toml() for name in ("portal", "news")), encoding="utf-8")
    articles = {a["key"]: a for a in site.articles if a["key"] in SHORT}
    for key, article in articles.items():
        site.edit_article(key, paragraphs=article["paragraphs"][:1])
    crawl(tmp_path)
    for views in (11_111, 22_222):
        for key in SHORT:
            site.edit_article(key, views=views)
        crawl(tmp_path)
    ds = make_datasette(tmp_path / "archive.db")
    for key, article in articles.items():
        versions = query(
            tmp_path,
            "select a.id, v.version, v.text from article_history v join articles a on a.id = v.article_id "
            "where a.url = ? order by v.version", [site.article_url(key)],
        )
        assert [v["version"] for v in versions] == [1], key
        text = versions[0]["text"]
        assert "Lượt xem" not in text, key
        # The sapo opens the text, as on a long article: the article page shows it once.
        assert text.split("\n") == [article["sapo"], article["paragraphs"][0]], key
        page = asyncio.run(ds.client.get(f"/-/a/{versions[0]['id']}"))
        assert page.status_code == 200
        assert html.unescape(page.text).count(article["sapo"]) == 1, key
