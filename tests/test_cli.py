"""The govarchive command: documented, and clear one-line errors instead of tracebacks."""

import codecs
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.conftest import wait_for_fetches

COMMANDS = sorted(cli.commands)


def test_core_commands_exist():
    assert {"crawl", "serve", "search", "sources", "extract", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"govarchive {name}" in result.output
    assert cli.commands[name].help.strip()


def _one_line_error(result, code):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_search_missing_db(run_cli):
    line = _one_line_error(run_cli("search", "Zalo", "--db", "nope.db"), 1)
    assert "nope.db" in line and "no such archive" in line


def test_search_non_archive_db(run_cli, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    line = _one_line_error(run_cli("search", "Zalo", "--db", "notes.txt"), 1)
    assert "not a SQLite database" in line
    sqlite3.connect(tmp_path / "other.db").execute("create table t (x)")
    line = _one_line_error(run_cli("search", "Zalo", "--db", "other.db"), 1)
    assert "not a govarchive archive" in line


def test_serve_missing_db(run_cli):
    line = _one_line_error(run_cli("serve", "--db", "nope.db"), 1)
    assert "no such archive" in line


def test_bad_sources_file(run_cli, tmp_path):
    (tmp_path / "s.toml").write_text(
        '[[source]]\nid = "x"\nname = "X"\nkind = "blog"\nhome = "https://x.vn/"\n'
        'allowed_domains = ["x.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["https://x.vn/rss"]\n'
    )
    line = _one_line_error(run_cli("sources", "--sources", "s.toml"), 2)
    assert "source 'x': field 'kind'" in line
    line = _one_line_error(run_cli("crawl", "--all", "--sources", "s.toml", "--db", "a.db"), 2)
    assert "field 'kind'" in line
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("command", [["crawl", "--all"], ["schedule", "--once"], ["demo", "--no-serve"]])
def test_a_bad_environment_variable_is_a_usage_error(sample_site, run_cli, tmp_path, monkeypatch, command):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    monkeypatch.setenv("GOVARCHIVE_EXTRACT_WORKERS", "abc")
    line = _one_line_error(run_cli(*command), 2)
    assert line.startswith("Error: environment variable GOVARCHIVE_EXTRACT_WORKERS is 'abc': it must be ")
    # Refused before anything was done: no archive begun, no demo archive replaced.
    assert [p.name for p in tmp_path.iterdir()] == ["sources.toml"]


def test_crawl_unknown_source(run_cli):
    from tests.conftest import ROOT

    line = _one_line_error(run_cli("crawl", "no-such-source", "--sources", ROOT / "sources.toml"), 2)
    assert "unknown source id 'no-such-source'" in line


def test_crawl_needs_sources_or_all(run_cli):
    result = run_cli("crawl")
    assert result.returncode == 2
    assert "--all" in result.stderr


def test_sources_lists_project_file(run_cli):
    from tests.conftest import ROOT

    result = run_cli("sources", "--sources", ROOT / "sources.toml", check=True)
    assert "sources, file is valid" in result.stdout
    assert "baochinhphu" in result.stdout


def test_extract_missing_file(run_cli):
    result = run_cli("extract", "missing.html")
    assert result.returncode == 2
    assert "missing.html" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_line_does_not_load_the_extractor_until_it_extracts():
    """Reading commands (search, export, stats, serve) and the crawler's own process start
    without trafilatura (~15 MB and a second of start-up): only extraction needs it. Nothing
    loads datasketch (the tests' reference for signatures) or the scipy it loads."""
    import subprocess
    import sys

    code = ("import sys, archive.cli, archive.ingest, archive.export, archive.crawl, "
            "crawler.pipelines, crawler.spiders.source; "
            "print(sorted(m for m in ('trafilatura', 'datasketch', 'scipy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _summary_sources(stdout):
    return [line.split()[0] for line in stdout.splitlines()[1:]]


def test_a_source_named_twice_is_crawled_once(sample_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = run_cli("crawl", "sample-news", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                     "--db", "a.db", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "already being crawled" not in result.stderr
    assert _summary_sources(result.stdout) == ["sample-news"]


def test_the_summary_says_a_crawl_was_cut_short_by_max_pages(sample_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml", "--db", "a.db",
                     "--quiet")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert row.split()[:4] == ["sample-news", "ok", "(max", "pages)"], result.stdout
    # The columns still line up under their headings.
    assert len(header) == len(row) and header.index("pages") > row.index("pages)"), result.stdout
    # A crawl that reached its end is plain ok.
    result = run_cli("crawl", "sample-portal", "--sources", "sources.toml", "--db", "a.db", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:2] == ["sample-portal", "ok"], result.stdout
    assert "max pages" not in result.stdout


def test_a_source_another_crawl_holds_fails_the_crawl(sample_site, tmp_path, run_cli):
    from archive.locks import SourceLock

    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    with SourceLock(tmp_path / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-portal", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                         "--db", "a.db", "--quiet")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert _summary_sources(result.stdout) == ["sample-portal", "sample-news"]
    assert f"sample-news: not started: sample-news is already being crawled (pid {os.getpid()})" in result.stderr
    assert "Could not crawl" not in result.stderr  # the line above says it, once


def test_a_crawl_of_a_source_another_crawl_holds_is_not_started(sample_site, tmp_path, run_cli):
    from archive.locks import SourceLock

    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    with SourceLock(tmp_path / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml", "--db", "a.db",
                         "--quiet")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout.splitlines()[1].split() == ["sample-news", "not", "started", "0", "0", "0", "0", "0"]
    assert (f"sample-news: not started: sample-news is already being crawled (pid {os.getpid()})"
            in result.stderr.splitlines()), result.stderr
    assert "Could not crawl" not in result.stderr


def test_crawl_refuses_a_database_that_is_not_an_archive(sample_site, run_cli, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("create table notes (x)")
    conn.commit()
    conn.close()
    before = (tmp_path / "other.db").read_bytes()
    for command in (["crawl", "--all"], ["schedule", "--once"]):
        line = _one_line_error(run_cli(*command, "--sources", "sources.toml", "--db", "other.db"), 1)
        assert line == "Error: other.db: a SQLite database, but not a govarchive archive"
    assert (tmp_path / "other.db").read_bytes() == before
    # An empty file is as good as none: the crawl makes it the archive.
    (tmp_path / "empty.db").touch()
    result = run_cli("crawl", "sample-news", "--max-pages", "2", "--sources", "sources.toml", "--db", "empty.db",
                     "--quiet")
    assert result.returncode == 0, result.stderr


RSS = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Tin</title>'
       '<item><title>Tin</title><link>https://s.vn/a.htm</link></item></channel></rss>').encode()
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


@pytest.mark.parametrize("name, content, problem", [
    ("empty.html", b"", "is empty"),
    ("noise.bin", bytes(range(256)) * 8, "is binary data, not an HTML page"),
    ("pixel.png", PNG, "looks like a PNG image, not an HTML page"),
    ("page.html.gz", None, "is gzip-compressed: gunzip it first"),
    ("blank.html", b"<html><body><script>var x;</script></body></html>", None),
    # Read as a page, a feed gave an "article" of its item titles, and a PDF no article text.
    ("feed.xml", RSS, "looks like an RSS feed, not an HTML page"),
    ("atom.xml", b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c -->\n<feed xmlns="http://www.w3.org/2005/Atom">'
                 b"<entry><title>Tin</title></entry></feed>", "looks like an Atom feed, not an HTML page"),
    # A feed saved in UTF-32 was read as UTF-16, found no element and was extracted as a page.
    ("feed32le.xml", RSS.decode().encode("utf-32"), "looks like an RSS feed, not an HTML page"),
    ("feed32be.xml", codecs.BOM_UTF32_BE + RSS.decode().encode("utf-32-be"),
     "looks like an RSS feed, not an HTML page"),
    ("feed16be.xml", codecs.BOM_UTF16_BE + RSS.decode().encode("utf-16-be"),
     "looks like an RSS feed, not an HTML page"),
    ("sitemap.xml", b'<?xml version="1.0"?><urlset><url><loc>https://s.vn/a</loc></url></urlset>',
     "looks like a sitemap, not an HTML page"),
    ("doc.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"BT (Tin tuc) Tj ET\n" * 50,
     "looks like a PDF document, not an HTML page"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"x" * 100, "looks like a JPEG image, not an HTML page"),
    ("record.json", '{"title": "Tin", "text": "- Tin"}'.encode(), "looks like JSON data, not an HTML page"),
    # XHTML is a page, XML prolog and all.
    ("blank.xhtml", b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html><body></body></html>', None),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_extract_refuses_what_is_not_an_article_page(run_cli, tmp_path, name, content, problem, as_json):
    import gzip

    from tests.conftest import ROOT

    if content is None:
        content = gzip.compress((ROOT / "tests" / "golden" / "seed-000.html").read_bytes())
    (tmp_path / name).write_bytes(content)
    result = run_cli("extract", name, *(["--json"] if as_json else []))
    expected = f"Error: {name} {problem}" if problem else f"Error: no article text found in {name}"
    assert _one_line_error(result, 1) == expected
    assert result.stdout == ""


def test_extract_of_empty_stdin_and_of_a_page(run_cli):
    from tests.conftest import ROOT

    assert _one_line_error(run_cli("extract", "-", input=""), 1) == "Error: stdin is empty"
    result = run_cli("extract", ROOT / "tests" / "golden" / "seed-000.html", "--json", check=True)
    assert json.loads(result.stdout)["word_count"] > 50


def test_extract_reads_a_date_without_its_year_against_when_the_page_was_saved(run_cli, tmp_path):
    paragraph = ("<p>Ủy ban nhân dân thành phố tổ chức hội nghị triển khai kế hoạch chuyển đổi số, với đại "
                 "diện các sở, ban, ngành và quận, huyện trên địa bàn thành phố.</p>")
    (tmp_path / "p.html").write_text(
        f"<html><body><h1>Hội nghị chuyển đổi số</h1><div class=date>Chiều 8/4</div><article>{paragraph * 3}"
        "</article></body></html>", encoding="utf-8")
    saved = run_cli("extract", "p.html", "--captured-at", "2024-04-09", "--json", check=True)
    assert json.loads(saved.stdout)["published"].startswith("2024-04-08")
    # Saved now unless told otherwise: a day of this year or the last, never none.
    now = json.loads(run_cli("extract", "p.html", "--json", check=True).stdout)["published"]
    assert now[5:10] == "04-08" and int(now[:4]) >= 2025
    refused = run_cli("extract", "p.html", "--captured-at", "8 April")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "Invalid value for '--captured-at': '8 April' is not a date or time" in refused.stderr
    for edge in ("9999-12-31", "0001-01-01T00:00+08:00"):
        refused = run_cli("extract", "p.html", "--captured-at", edge)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert f"'{edge}' is not a time a page was saved at: its year must be 1900 to 9000" in refused.stderr


# The sources file of a crawl by hand, and of one the scheduler started: its own copy.
@pytest.mark.parametrize("sources, options, resume", [
    ("s.toml", [], "'govarchive crawl sample-news --resume --db a.db --sources s.toml'"),
    ("govarchive-schedule-1-sample-news-x.toml", [],
     "'govarchive crawl sample-news --resume --db a.db', with the sources file of 'govarchive schedule',"),
    # the resume writes its captures where the crawl's first part did
    ("s.toml", ["--warc-dir", "w", "--warc-max-mb", "5"],
     "'govarchive crawl sample-news --resume --db a.db --warc-dir w --warc-max-mb 5 --sources s.toml'"),
])
def test_an_interrupted_crawl_says_so_and_how_to_resume(sample_site, tmp_path, sources, options, resume):
    # Slow enough that Ctrl-C lands mid-crawl.
    (tmp_path / sources).write_text(sample_site.sources_toml().replace("delay = 0.0", "delay = 0.5"),
                                    encoding="utf-8")
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "sample-news", "--sources", sources,
         "--db", "a.db", "--quiet", *options],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    wait_for_fetches(tmp_path / "a.db", 3, crawl, timeout=60)
    os.killpg(crawl.pid, signal.SIGINT)
    stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 130, (stdout, stderr)  # as a shell reports Ctrl-C
    assert "interrupted" in stdout.splitlines()[1]
    (line,) = [l for l in stderr.splitlines() if l.endswith(f"sample-news: interrupted; {resume} continues it where "
                                                            "it stopped")]
    if sources.startswith("govarchive-schedule-"):
        # A line of the scheduler's log, said by the crawl as its scheduler (pid 1 here) is gone
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} WARNING sample-news: ", line), line
    else:
        assert line.startswith("sample-news: ")
    assert "skipped:" not in stderr
    # Nothing failed that the fetches table could explain.
    assert "See the fetches table" not in stderr


def test_crawls_interrupted_together_are_resumed_by_one_command(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(sample_site.sources_toml().replace("delay = 0.0", "delay = 0.5"),
                                     encoding="utf-8")
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "s.toml",
         "--db", "a.db", "--quiet"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    wait_for_fetches(tmp_path / "a.db", 6, crawl, timeout=60)
    os.killpg(crawl.pid, signal.SIGINT)
    stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 130, (stdout, stderr)
    ids = ["sample-portal", "sample-magazine", "sample-news"]
    assert [line.split()[1] for line in stdout.splitlines()[1:4]] == ["interrupted"] * 3, stdout
    command = shlex.join(["govarchive", "crawl", *ids, "--resume", "--db", "a.db", "--sources", "s.toml"])
    assert stderr.splitlines().count(
        f"{', '.join(ids)}: interrupted; '{command}' continues them where they stopped") == 1, stderr
    assert "continues it" not in stderr


def test_crawling_other_sites_without_a_contact_page_is_warned_about():
    from archive.sources import parse_sources
    from crawler.__main__ import anonymous_crawl_warning

    def source(sid, home):
        domain = home.split("/")[2].split(":")[0]
        return parse_sources(
            f'[[source]]\nid = "{sid}"\nname = "{sid}"\nkind = "press"\nhome = "{home}"\nallowed_domains = ["{domain}"]\n'
            f'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["{home}rss"]\n'
        )[0]

    local = source("mau", "http://127.0.0.1:8000/")
    portal = source("hanoi", "https://hanoi.gov.vn/")
    warning = anonymous_crawl_warning([local, portal], {})
    assert warning and "GOVARCHIVE_CONTACT" in warning and "hanoi.gov.vn" in warning
    assert "127.0.0.1" not in warning
    assert anonymous_crawl_warning([local], {}) is None
    assert anonymous_crawl_warning([portal], {"GOVARCHIVE_CONTACT": "https://example.org/lien-he"}) is None


RULED_PAGE = """<html lang="vi"><head><meta charset="utf-8"><title>Trang tin phường</title>
<meta property="article:published_time" content="2020-01-01T00:00:00+07:00"></head><body>
<div class="top"><span class="ngay">Thứ Hai, 08/04/2021 14:30</span> <em class="tacgia">Lê Văn Nam</em></div>
<div class="noidung"><p>Chiều 8/4, UBND phường tổ chức hội nghị triển khai kênh Zalo OA của phường để người dân gửi
phản ánh về trật tự đô thị, vệ sinh môi trường và thủ tục hành chính, thay cho hộp thư góp ý trước đây.</p>
<p>Theo lãnh đạo phường, trong tháng đầu vận hành, kênh đã tiếp nhận hơn 300 phản ánh, phần lớn được trả lời
trong vòng 48 giờ; các phản ánh phức tạp được chuyển đến phòng chuyên môn của quận.</p></div></body></html>"""

RULED_SOURCES = """[[source]]
id = "phuong"
name = "Phường"
kind = "province-portal"
home = "https://phuong.gov.vn/"
allowed_domains = ["phuong.gov.vn"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["https://phuong.gov.vn/rss"]
[source.extract]
body = "{body}"
author = "em.tacgia"
date = "span.ngay"
"""


def test_extract_applies_a_sources_rules(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(RULED_PAGE, encoding="utf-8")
    (tmp_path / "rules.toml").write_text(RULED_SOURCES.format(body="div.noidung"), encoding="utf-8")
    generic = json.loads(run_cli("extract", "page.html", "--json", check=True).stdout)
    assert generic["published"] == "2020-01-01T00:00:00+07:00"
    result = run_cli("extract", "page.html", "--source", "phuong", "--sources", "rules.toml", "--json", check=True)
    ruled = json.loads(result.stdout)
    assert ruled["published"] == "2021-04-08T14:30:00+07:00" and ruled["author"] == "Lê Văn Nam"
    assert ruled["extractor_version"].startswith(generic["extractor_version"] + "+rules-")
    assert result.stderr == ""
    # The default sources file, as other commands read it.
    (tmp_path / "sources.toml").write_text(RULED_SOURCES.format(body="div.noidung"), encoding="utf-8")
    result = run_cli("extract", "page.html", "--source", "phuong", check=True)
    assert "author:     Lê Văn Nam" in result.stdout.splitlines()


def test_extract_names_each_selector_of_a_source_that_matches_nothing(run_cli, tmp_path):
    # A typo in each selector, as a user trying rules on a saved page makes them.
    (tmp_path / "sources.toml").write_text(
        RULED_SOURCES.format(body="div.noidungg").replace("em.tacgia", "em.tac-gia").replace("span.ngay", ".ngay2"),
        encoding="utf-8")
    (tmp_path / "page.html").write_text(RULED_PAGE, encoding="utf-8")
    result = run_cli("extract", "page.html", "--source", "phuong", check=True)
    # Each selector is named; that the rules then change nothing goes without saying.
    assert result.stderr.splitlines() == [
        f"warning: extract.{key} {selector!r} matched nothing on this page: the generic extractor read the {part} "
        "there" for key, selector, part in [("body", "div.noidungg", "text"), ("author", "em.tac-gia", "author"),
                                            ("date", ".ngay2", "date")]
    ]


@pytest.mark.parametrize("args, code, message", [
    (["--source", "nope"], 2, "Error: unknown source id 'nope' (known: phuong)"),
    (["--source", "phuong", "--sources", "missing.toml"], 2, "Error: missing.toml: file not found"),
])
def test_extract_with_a_source_it_cannot_find_is_an_error(run_cli, tmp_path, args, code, message):
    (tmp_path / "page.html").write_text(RULED_PAGE, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(RULED_SOURCES.format(body="div.noidung"), encoding="utf-8")
    assert _one_line_error(run_cli("extract", "page.html", *args), code) == message


def test_extract_sources_without_source_is_a_usage_error(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(RULED_PAGE, encoding="utf-8")
    result = run_cli("extract", "page.html", "--sources", "sources.toml")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "Error: --sources is read only with --source ID"


def _govarchive(*args, **kwargs):
    return subprocess.Popen([str(Path(sys.executable).with_name("govarchive")), *map(str, args)], **kwargs)


@pytest.mark.parametrize("command", [["stats", "--db", "a.db"], ["search", "Zalo", "--db", "a.db"],
                                     ["sources", "--json"]])
def test_a_reader_that_stops_reading_ends_every_command_quietly(tmp_path, command):
    from archive.db import open_db
    from tests.conftest import ROOT

    open_db(tmp_path / "a.db").close()
    (tmp_path / "sources.toml").write_bytes((ROOT / "sources.toml").read_bytes())
    assert _into_a_closed_pipe(command, tmp_path) == (141, "")  # as a shell reports SIGPIPE


@pytest.mark.parametrize("options", [["--help"], ["-h"], ["--version"], ["crawl", "--help"]])
def test_a_reader_that_stops_reading_ends_help_and_version_quietly(tmp_path, options):
    # The group's own options print while its arguments are parsed, before any command runs.
    assert _into_a_closed_pipe(options, tmp_path) == (141, "")


def _into_a_closed_pipe(args, cwd) -> tuple[int, str]:
    """The exit status and stderr of govarchive ``args`` writing to ``| head -1`` that has read
    its line: the pipe is closed before the command writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        process = _govarchive(*args, cwd=cwd, stdout=write_end, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)
    stderr = process.communicate(timeout=120)[1]
    return process.returncode, stderr


def test_ctrl_c_ends_every_command_with_status_130(tmp_path):
    # A command that waits for its stdin, stopped as it waits.
    process = _govarchive("extract", "-", cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _reading_its_stdin(process.pid):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert stderr.strip() == "interrupted" and stdout == ""


def _reading_its_stdin(pid: int) -> bool:
    # A child's output is read from a pipe too (an import that runs a program): only the
    # process waiting on a pipe with no child is waiting for its stdin.
    proc = Path(f"/proc/{pid}")
    return (proc / "wchan").read_text().endswith("pipe_read") and not (proc / f"task/{pid}/children").read_text()


@pytest.mark.parametrize("name", ["search", "stats", "sources"])
def test_a_json_option_that_prints_lines_says_so(name):
    (option,) = [p for p in cli.commands[name].params if p.name == "as_json"]
    assert "JSON lines" in option.help
