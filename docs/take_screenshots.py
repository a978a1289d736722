"""Take the README's screenshots, docs/screenshots/search.png and article.png, of the demo archive.

The pictures show what a reader gets from ``govarchive demo``: the script builds that archive in a
temporary folder, serves it, and photographs the top of two pages in Debian's chromium (the browser
the browser tests drive). Run it with ``make screenshots``.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
GOVARCHIVE = Path(sys.executable).with_name("govarchive")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
SERVING = re.compile(r"^Serving .* at (http://127\.0\.0\.1:\d+)/", re.MULTILINE)
SEARCH = "zalo"
# The article shown: one citing this plan, so that its document references and the channels it
# names are on the page beside its text.
ARTICLE_REF = "174/KH-UBND"


def build_demo(folder):
    db = folder / "demo.db"
    # The crawl's log is long and shown only if the crawl fails.
    done = subprocess.run([str(GOVARCHIVE), "demo", "--db", str(db), "--no-serve"], cwd=folder,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit("govarchive demo failed:\n" + done.stdout.decode(errors="replace"))
    return db


@contextmanager
def serving(db, folder, timeout=30):
    """The archive served on a free port: yields its base URL, and stops the server after."""
    # A password in the environment would put every page behind a login.
    env = {k: v for k, v in os.environ.items() if k != "GOVARCHIVE_PASSWORD"}
    log = folder / "serve.log"
    # The log goes to a file: a pipe nobody reads once the address is known would fill and stall it.
    with log.open("wb") as out:
        process = subprocess.Popen([str(GOVARCHIVE), "serve", "--db", str(db), "--port", "0"],
                                   cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield wait_for_address(process, log, timeout)
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_address(process, log, timeout):
    deadline = time.monotonic() + timeout
    while not (found := SERVING.search(log.read_text(encoding="utf-8", errors="replace"))):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("govarchive serve did not start:\n" + log.read_text(encoding="utf-8", errors="replace"))
        time.sleep(0.1)
    return found.group(1)


def article_id(db):
    """The article citing ARTICLE_REF that names the most channels."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    row = conn.execute(
        "select d.article_id from doc_refs d join mentions m on m.article_id = d.article_id and m.kind = 'channel' "
        "where d.ref = ? group by d.article_id order by count(distinct m.name) desc, d.article_id limit 1",
        [ARTICLE_REF]).fetchone()
    conn.close()
    if row is None:
        raise SystemExit(f"the demo archive has no article citing {ARTICLE_REF} that names a channel")
    return row[0]


def photograph(page, url, ready, name):
    page.goto(url)
    page.locator(ready).first.wait_for()
    # The top of the page, where the reader's eye goes.
    page.screenshot(path=str(OUT / name), full_page=False)


def main():
    folder = Path(tempfile.mkdtemp(prefix="govarchive-screenshots-"))
    try:
        db = build_demo(folder)
        article = article_id(db)
        OUT.mkdir(parents=True, exist_ok=True)
        with serving(db, folder) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            photograph(page, f"{base}/-/search?q={SEARCH}", "svg.chart rect.bar", "search.png")
            photograph(page, f"{base}/-/a/{article}", "article h1", "article.png")
            browser.close()
    finally:
        shutil.rmtree(folder)
    print(f"wrote {OUT / 'search.png'} and {OUT / 'article.png'}")


if __name__ == "__main__":
    main()
