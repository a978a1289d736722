"""reextract's line on the rules it used, when the sources file drops a source's extract rules."""

import json
import shutil
import sqlite3

from archive.warc import default_warc_dir
from tests.conftest import query


def test_rules_dropped_from_the_sources_file_are_said_changed_not_new(crawled_archive, tmp_path, run_cli):
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    conn = sqlite3.connect(tmp_path / "archive.db")
    with conn:
        conn.execute("update sources set extract_rules = ? where id = 'sample-portal'",
                     [json.dumps({"author": "p.sample-note"})])
    conn.close()
    # The crawl's own file, which has no [source.extract] for it: the rule is dropped.
    shutil.copy(crawled_archive / "sources.toml", tmp_path / "sources.toml")

    result = run_cli("reextract", "--source", "sample-portal", "--sources", "sources.toml", "--db", "archive.db",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        "Extract rules from sources.toml (changed for sample-portal, now stored in the archive).")
    assert query(tmp_path, "select extract_rules from sources where id = 'sample-portal'") == [
        {"extract_rules": "{}"}]
