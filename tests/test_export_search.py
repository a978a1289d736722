"""``govarchive export --search``: what it says of the words typed together."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive import ingest
from archive.db import open_db
from archive.sources import parse_sources
from conftest import store_page

BIN = Path(sys.executable).parent

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]

# "Hà Nam" folds to "ha nam", as do "hạ" and "năm": only "together" has the words together.
ARTICLES = {
    "apart-2023": ("2023-05-01", "Hà Nội tổng kết năm", "Thành phố Hà Nội tổng kết một năm làm việc."),
    "together": ("2024-03-01", "Hà Nam ra mắt Zalo OA", "Tỉnh Hà Nam đưa Zalo OA vào phục vụ người dân."),
    "apart-2024": ("2024-06-01", "Năm hạ tầng số", "Một năm đầu tư hạ tầng số."),
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("export-search") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for key, (published, title, text) in ARTICLES.items():
            record = {"url": f"https://t.vn/{key}", "title": title, "text": text, "published": published,
                      "text_hash": key}
            store_page(db, record, source_id="t", seen_at=published, crawl_id=crawl)
    db.close()
    return path


def export(db_path, *args):
    """The keys of the articles exported, and what was said before the closing "Exported" line
    but where the export stands in the archive's changes."""
    result = subprocess.run([str(BIN / "govarchive"), "export", "--db", db_path, *args], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    keys = [json.loads(line)["url"].rsplit("/", 1)[1] for line in result.stdout.splitlines()]
    return keys, [line for line in result.stderr.splitlines()[:-1] if not line.startswith("Changes through ")]


@pytest.mark.parametrize("args, together, selected, note", [
    ([], 1, 3, "note: 1 of the 3 matches has the words together (accents aside); --search '\"Hà Nam\"' for only "
               "that one"),
    (["--since", "2024-01-01"], 1, 2, "note: 1 of the 2 matches has the words together (accents aside); --search "
                                      "'\"Hà Nam\"' for only that one"),
    # None to point to: a search for the words together would find nothing.
    (["--until", "2023-12-31"], 0, 1, "note: the one match does not have the words together (accents aside): it has "
                                      "them apart"),
])
def test_export_says_how_many_of_what_it_selects_have_the_words_together(db_path, args, together, selected, note):
    exported, notes = export(db_path, "--search", "Hà Nam", *args)
    assert len(exported) == selected
    assert notes == [note]
    assert export(db_path, "--search", '"Hà Nam"', *args)[0] == ["together"][:together]


def test_no_note_when_every_match_has_the_words_together_or_one_word_was_typed(db_path):
    assert export(db_path, "--search", "Zalo OA") == (["together"], [])
    assert export(db_path, "--search", "năm")[1] == []
