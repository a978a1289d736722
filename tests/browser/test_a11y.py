"""The reading room's pages as a keyboard and a screen reader meet them, in a real browser:
what takes the focus is on screen, and headings and landmarks lead to what the page holds.

The archive and the browser are test_pages' own (its fixtures, imported), served again here.
"""

import sqlite3

import pytest

from test_datasette import add_capture
from test_pages import browser, reading_archive, server  # noqa: F401  (fixtures)

# The capture view's banner holds at most 45% of the screen: on a landscape phone, or a small
# one held upright, its links scroll within it under its sticky foot.
SMALL_SCREENS = [(568, 320), (320, 256)]

# Whether the focused element is what shows at the centre of each of its lines, rather than
# something drawn over it or the frame below a banner it is scrolled out of.
FOCUSED_SHOWN = """() => {
  const e = document.activeElement;
  const at = [...e.getClientRects()].map(r => document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2));
  return {text: e.innerText.slice(0, 40), shown: at.every(a => a !== null && e.contains(a)),
          at: at.map(a => a === null ? null : a.tagName + '.' + a.className)};
}"""


@pytest.fixture(scope="module")
def redirected_capture(reading_archive):  # noqa: F811
    """A capture of an archived article, asked for at another address and answered with a 410:
    the banner at its longest, with a link in every paragraph that has one."""
    directory, _, article, _ = reading_archive
    fetch_id = add_capture(directory, article, b"<!DOCTYPE html><p>N\xe1\xbb\x99i dung</p>", "text/html; charset=utf-8")
    conn = sqlite3.connect(directory / "archive.db")
    with conn:
        conn.execute("update fetches set requested_url = ?, status = 410 where id = ?",
                     [article + "?utm_source=zalo&utm_medium=social", fetch_id])
    conn.close()
    return fetch_id


@pytest.mark.parametrize("width,height", SMALL_SCREENS)
def test_each_link_of_the_capture_banner_is_on_screen_when_it_takes_the_focus(
        server, browser, redirected_capture, width, height):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/-/capture/{redirected_capture}.html")
    links = page.locator("#govarchive-banner a").count()
    assert links == 5  # the two addresses, the reading room, the content file, the WARC record
    seen = []
    for _ in range(links):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED_SHOWN))
    assert all(focus["shown"] for focus in seen), seen
    context.close()
