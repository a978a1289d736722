"""The README's way to back up an archive while a crawl writes to it: the database copied by
SQLite's backup, then the WARC folder copied after it. Every capture the copy names reads back
from the copied folder, and the copy serves and exports as an archive of its own."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.captures import read_capture
from tests.conftest import query, wait_for_fetches


def test_a_backup_taken_during_a_crawl_has_every_capture_it_names(sample_site, tmp_path, run_cli):
    live, backup = tmp_path / "live", tmp_path / "backup"
    live.mkdir()
    backup.mkdir()
    # Spaced requests keep the crawl going well past the copy, however loaded the machine: at full
    # speed it could fetch its last page before the copy was taken, and then nothing shows that
    # the copy stands apart from the archive it was taken from.
    (live / "sources.toml").write_text(sample_site.sources_toml().replace("delay = 0.0", "delay = 0.2"),
                                       encoding="utf-8")
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "sources.toml",
         "--db", "archive.db", "--quiet"],
        cwd=live, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_fetches(live / "archive.db", 30, crawl)
        # sqlite3 archive.db ".backup /backup/archive.db", then rsync -a archive-warc/ /backup/archive-warc/
        source = sqlite3.connect(live / "archive.db", timeout=30)
        copy = sqlite3.connect(backup / "archive.db")
        source.backup(copy)
        copy.close()
        source.close()
        shutil.copytree(live / "archive-warc", backup / "archive-warc")
        taken_while_crawling = crawl.poll() is None
    finally:
        out, err = crawl.communicate(timeout=600)
    assert crawl.returncode == 0, out + err
    assert taken_while_crawling
    captured = query(backup, "select * from fetches where warc_file is not null")
    assert len(captured) >= 20  # fetches robots.txt forbade, or that got no answer, keep no capture
    for fetch in captured:
        assert not Path(fetch["warc_file"]).is_absolute()
        assert read_capture(backup / "archive.db", fetch).status == fetch["status"]
    # The live archive went on past the copy, which stands on its own.
    assert len(query(live, "select id from fetches")) > len(query(backup, "select id from fetches"))
    shutil.rmtree(live)
    exported = run_cli("export", "--format", "warc", "--db", backup / "archive.db", "-o", backup / "all.warc.gz")
    assert exported.returncode == 0, exported.stderr
