"""The article page tells a live page that moved for good (301, 308) from one that a temporary
redirect (302, 303, 307) sends elsewhere for the moment: the fetches table keeps only the
response's status, the redirects' own are read from their WARC records."""

import asyncio
import sqlite3

import pytest

from archive.serve import make_datasette
from tests.test_variants import Site, _crawled_without_print_pages, crawl, folder  # noqa: F401 (a fixture)

MOVED = "The live page has moved to"
FOR_NOW = "The live page now leads, for the moment, to"
UNKNOWN = "The live page now leads to</span>"


class RedirectingSite(Site):
    """The test_variants site, its redirects answered with ``status``."""

    status = 301

    def answer(self, path):
        status, headers, body = super().answer(path)
        return (self.status if path in self.redirects else status), headers, body


@pytest.fixture
def site():
    return RedirectingSite()


def live_state(folder, article_id) -> str:
    page = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/a/{article_id}")).text
    live = page[page.index('<p class="live-state">'):]
    return live[:live.index("</p>")]


@pytest.mark.parametrize("status, said", [(302, FOR_NOW), (307, FOR_NOW), (308, MOVED)])
def test_a_temporary_redirect_is_not_said_to_be_a_move(site, folder, status, said):
    nghe_an = _crawled_without_print_pages(site, folder)["nghe-an-nguoi-phat-ngon"]
    site.status = status
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/nghe-an.htm"] = "/m/nghe-an-2023.htm"
    crawl(folder)
    live = live_state(folder, nghe_an["id"])
    assert said in live and f'href="{site.base}/m/nghe-an-2023.htm"' in live
    for other in {MOVED, FOR_NOW, UNKNOWN} - {said}:
        assert other not in live
    if said == FOR_NOW:
        assert "Trang gốc hiện tạm thời dẫn đến" in live and "a temporary redirect" in live


def test_a_redirect_the_archive_has_no_record_of_is_not_said_to_be_a_move(site, folder):
    nghe_an = _crawled_without_print_pages(site, folder)["nghe-an-nguoi-phat-ngon"]
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/nghe-an.htm"] = "/m/nghe-an-2023.htm"
    crawl(folder)
    assert MOVED in live_state(folder, nghe_an["id"])
    # As in an archive from before redirects were recorded.
    conn = sqlite3.connect(folder / "archive.db")
    conn.execute("update fetches set warc_hops = null")
    conn.commit()
    conn.close()
    live = live_state(folder, nghe_an["id"])
    assert UNKNOWN in live and "Trang gốc nay dẫn đến" in live and MOVED not in live
