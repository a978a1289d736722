"""An archive reached through another path (a symlink to it or to its folder) is the same archive, and
an archive is the file named, whatever characters its name has."""

import os
import sqlite3
from pathlib import Path

import pytest

from archive.locks import SourceLock


def test_a_crawl_through_a_symlink_to_the_archive_waits_for_the_crawl_holding_it(sample_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    (tmp_path / "real").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.db").symlink_to(tmp_path / "real" / "a.db")
    with SourceLock(tmp_path / "real" / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                         "--db", "other/a.db", "--quiet")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"sample-news is already being crawled (pid {os.getpid()})" in result.stderr
    with SourceLock(tmp_path / "other" / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                         "--db", "real/a.db", "--quiet")
    assert f"sample-news is already being crawled (pid {os.getpid()})" in result.stderr


def test_a_crawl_through_a_symlink_writes_its_warc_files_beside_the_archive(sample_site, tmp_path, run_cli):
    import sqlite3

    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    (tmp_path / "real").mkdir()
    (tmp_path / "other").mkdir()
    run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml", "--db", "real/a.db",
            "--quiet", check=True)
    (tmp_path / "other" / "a.db").symlink_to(tmp_path / "real" / "a.db")
    run_cli("crawl", "sample-portal", "--max-pages", "3", "--sources", "sources.toml", "--db", "other/a.db",
            "--quiet", check=True)
    assert not (tmp_path / "other" / "a-warc").exists()
    conn = sqlite3.connect(tmp_path / "real" / "a.db")
    files = {row[0] for row in conn.execute("select distinct warc_file from fetches where warc_file is not null")}
    conn.close()
    # named relative to the archive's folder, so the folder can be moved whole
    assert len(files) == 2 and all(f.startswith("a-warc/") for f in files), files
    # and read back through the link, where they are not
    exported = run_cli("export", "--format", "warc", "--db", "other/a.db", "-o", "a.warc.gz")
    assert exported.returncode == 0 and "left out" not in exported.stderr, exported.stderr
    reread = run_cli("reextract", "--db", "other/a.db")
    assert reread.returncode == 0 and "cannot be read" not in reread.stdout + reread.stderr, reread.stdout + reread.stderr


def test_a_capture_is_shown_through_a_symlink_to_the_archive(archive_copy, tmp_path):
    import asyncio

    from archive.captures import read_capture
    from archive.serve import make_datasette
    from tests.conftest import query

    (tmp_path / "link").mkdir()
    link = tmp_path / "link" / "archive.db"
    link.symlink_to(archive_copy)
    (fetch,) = query(archive_copy.parent, "select * from fetches where kind = 'article' and warc_file is not null "
                                          "order by id limit 1")
    assert read_capture(link, fetch).url == fetch["url"]

    async def capture_page():
        return await make_datasette(link).client.get(f"/-/capture/{fetch['id']}.html")

    assert asyncio.run(capture_page()).status_code == 200


def test_the_queue_folder_of_a_symlinked_archive_is_beside_the_database_itself(tmp_path):
    from archive.locks import lock_dir
    from archive.warc import default_warc_dir
    from crawler.__main__ import _fresh_queue_dir

    # the crawl's scratch queue folder, with its locks and WARC files
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "archive.db").touch()
    (tmp_path / "link.db").symlink_to(tmp_path / "real" / "archive.db")
    queues = Path(_fresh_queue_dir(str(tmp_path / "link.db"), "cham"))
    assert queues == (tmp_path / "real").resolve() / "archive-queues" / "cham"
    assert queues.parent.parent == lock_dir(tmp_path / "link.db").parent == default_warc_dir(tmp_path / "link.db").parent


@pytest.mark.parametrize("name", ["q?x.db", "h#y.db", "p%20c.db", "x%41.db"])
def test_an_archive_whose_name_is_uri_syntax_is_the_file_named(archive_copy, tmp_path, run_cli, name):
    import shutil

    from tests.conftest import query

    folder = tmp_path / "odd"
    folder.mkdir()
    shutil.copy(archive_copy, folder / name)
    # "x%41.db" once opened "xA.db", another archive
    shutil.copy(archive_copy, folder / "xA.db")
    with sqlite3.connect(folder / "xA.db") as conn:
        conn.execute("delete from articles where id > 1")
    conn.close()
    for command in (["stats", "--json"], ["search", "Zalo"]):
        expected = run_cli(*command, "--db", archive_copy, check=True).stdout
        assert run_cli(*command, "--db", folder / name, check=True).stdout == expected
    # served: the reading room and datasette's own pages
    import asyncio

    from archive.serve import make_datasette

    async def served(db):
        datasette = make_datasette(db)
        (table,) = [datasette.urls.table(name, "articles", format="json") for name in datasette.databases
                    if name != "_internal"]
        pages = [await datasette.client.get(path) for path in ("/-/results.json?q=Zalo", table + "?_shape=array")]
        return [(page.status_code, page.json()) for page in pages]

    assert asyncio.run(served(folder / name)) == asyncio.run(served(archive_copy))
    # a crawl's progress, read as it goes
    from archive.crawl import progress

    ids = [r["source_id"] for r in query(archive_copy.parent, "select distinct source_id from crawls")]
    assert progress(folder / name, 0, ids) == progress(archive_copy, 0, ids)
    # nothing made beside it by what only reads ("q?x.db" made a file "q"), but SQLite's own files
    assert all(p.name.startswith((name, "xA.db")) for p in folder.iterdir()), list(folder.iterdir())


def test_an_archive_whose_name_or_path_sqlite_cannot_open_is_said_to_be_too_long(tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "mau"\nname = "Mẫu"\nkind = "province-portal"\nhome = "http://127.0.0.1:9/"\n'
        'allowed_domains = ["127.0.0.1"]\narticle_pattern = \'/bai-\\d+\\.html$\'\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["http://127.0.0.1:9/rss"]\n', encoding="utf-8")
    name = "a" * 246 + ".db"  # a name the file system takes, but not with "-journal" after it
    result = run_cli("crawl", "--all", "--db", name)
    assert result.returncode == 1
    assert result.stderr == (f"Error: {name}: its name is too long: SQLite makes files beside it named after it, "
                             "'-journal' added, and this file system allows 255 bytes in a name\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.toml"]
    folder = tmp_path.joinpath(*["d" * 99] * 5)
    folder.mkdir(parents=True)
    result = run_cli("stats", "--db", folder / "a.db")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {folder / 'a.db'}: its path is too long for SQLite, which opens paths "
                                    "of up to 512 bytes, its '-journal' file's included (this one is "), result.stderr
