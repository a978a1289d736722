"""The crawl runs the project's own crawler, whatever lies in the folder it is started in."""

import sqlite3


def test_a_crawler_py_in_the_working_folder_is_not_run(run_cli, sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    for name in ("crawler.py", "concurrent.py"):
        (tmp_path / name).write_text("import sys\nprint('FOLDER FILE RAN', file=sys.stderr)\nsys.exit(0)\n")
    crawl = run_cli("crawl", "sample-portal", "--db", "archive.db", "--max-pages", "3")
    assert "FOLDER FILE RAN" not in crawl.stderr + crawl.stdout
    assert crawl.returncode == 0, crawl.stderr
    assert "sample-portal" in crawl.stdout


def test_the_scheduler_runs_the_project_s_crawl_whatever_lies_in_its_folder(run_cli, sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    (tmp_path / "archive.py").write_text("import sys\nprint('FOLDER FILE RAN', file=sys.stderr)\nsys.exit(0)\n")
    run = run_cli("schedule", "--once", "--max-pages", "2", "--db", "archive.db")
    assert "FOLDER FILE RAN" not in run.stderr + run.stdout
    assert run.returncode == 0, run.stderr
    conn = sqlite3.connect(tmp_path / "archive.db")
    try:
        assert conn.execute("select count(*) from crawls").fetchone()[0] == len(sample_site.sites)
    finally:
        conn.close()
