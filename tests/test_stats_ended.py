"""govarchive stats says how each crawl ended: why it failed, that --max-pages cut it short,
which crawl it resumed."""

import json

import pytest
from click.testing import CliRunner

from archive import ingest
from archive.cli import cli
from archive.db import open_db
from archive.sources import parse_sources
from archive.stats import REASON_NAMED_WITH

SOURCE = (
    '[[source]]\nid = "baochinhphu"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\n'
    'allowed_domains = ["s.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
    '[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
)


def _crawl(db, source, *, pages, reason, max_pages=None, resumed_from=None):
    crawl = ingest.start_crawl(db, source, max_pages=max_pages, resumed_from=resumed_from)
    for n in range(pages):
        ingest.record_fetch(db, crawl_id=crawl, source_id=source.id, url=f"https://s.vn/{crawl}/{n}", kind="article",
                            status=200)
    ingest.finish_crawl(db, crawl, finish_reason=reason, stats={})
    return crawl


@pytest.fixture
def archive(tmp_path):
    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    crawls = {
        "cut": _crawl(db, source, pages=3, reason="max_pages", max_pages=3),
        "storage": _crawl(db, source, pages=2, reason="storage_failed"),
        "whole": _crawl(db, source, pages=4, reason="finished", max_pages=10),
    }
    crawls["resume"] = _crawl(db, source, pages=2, reason="finished", max_pages=3, resumed_from=crawls["cut"])
    crawls["other"] = _crawl(db, source, pages=1, reason="cancelled")
    db.close()
    return tmp_path / "archive.db", crawls


def _stats(db_path, *args):
    result = CliRunner().invoke(cli, ["stats", "--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_table_says_how_each_crawl_ended_within_100_columns(archive):
    db_path, crawls = archive
    lines = _stats(db_path).splitlines()
    # The longest status with a source id as long as most.
    assert all(len(line) <= 100 for line in lines), "\n".join(lines)
    status_at = lines[0].index("status")
    status = {int(line.split()[0]): line[status_at:].split("  ")[0].strip() for line in lines[1:]}
    assert status == {
        crawls["cut"]: "ok (max pages)",
        crawls["storage"]: "failed (storage)",
        crawls["whole"]: "ok",
        crawls["resume"]: f"ok (resumes #{crawls['cut']})",
        crawls["other"]: "failed (cancelled)",
    }, "\n".join(lines)
    assert lines[0].split()[:4] == ["id", "source", "started", "(UTC+7)"]
    day, minute = lines[1].split()[2:4]
    assert len(day) == len("2024-01-31") and len(minute) == len("08:30")


def test_a_resume_cut_short_by_max_pages_says_both():
    from archive.stats import ended as _ended

    run = {"status": "ok", "finish_reason": "finished", "reached_max_pages": True, "resumed_from": 7}
    assert _ended(run) == "ok (max pages, resumes #7)"
    # An interrupted or failed crawl is not said to be cut short: its end says why it stopped.
    assert _ended({**run, "status": "interrupted", "finish_reason": "shutdown"}) == "interrupted (resumes #7)"


def test_json_has_the_finish_reason_the_crawl_resumed_and_its_page_limit(archive):
    db_path, crawls = archive
    runs = {run["id"]: run for run in map(json.loads, _stats(db_path, "--json").splitlines())}
    ended = {id_: (run["finish_reason"], run["resumed_from"], run["max_pages"], run["reached_max_pages"])
             for id_, run in runs.items()}
    assert ended == {
        crawls["cut"]: ("max_pages", None, 3, True),
        crawls["storage"]: ("storage_failed", None, None, False),
        crawls["whole"]: ("finished", None, 10, False),
        crawls["resume"]: ("finished", crawls["cut"], 3, False),
        crawls["other"]: ("cancelled", None, None, False),
    }
    # The status is the crawl's own, as before: the reason is a field of its own.
    assert runs[crawls["storage"]]["status"] == "failed"


def test_a_crawl_that_fetched_all_it_could_within_its_limit_was_not_cut_short(tmp_path):
    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    full = _crawl(db, source, pages=3, reason="finished", max_pages=3)
    killed = ingest.start_crawl(db, source, max_pages=3)  # killed: no reason recorded
    for n in range(3):
        ingest.record_fetch(db, crawl_id=killed, source_id=source.id, url=f"https://s.vn/k/{n}", kind="article",
                            status=200)
    db.close()
    runs = {run["id"]: run for run in map(json.loads, _stats(tmp_path / "archive.db", "--json").splitlines())}
    # The crawler names max_pages when it left pages waiting; a killed crawl is judged by its pages.
    assert (runs[full]["reached_max_pages"], runs[killed]["reached_max_pages"]) == (False, True)


def test_a_crawl_recorded_before_the_crawler_named_max_pages_is_judged_by_its_pages(archive):
    db_path, crawls = archive
    db = open_db(db_path)
    # The archive was upgraded after its crawls: an earlier release's crawler recorded them.
    db.execute("update _sqlite_migrations set applied_at = '2999-01-01 00:00:00+00:00' where name = ?",
               [REASON_NAMED_WITH])
    db.execute("update crawls set finish_reason = 'finished' where id = ?", [crawls["cut"]])
    db.conn.commit()
    db.close()
    runs = {run["id"]: run for run in map(json.loads, _stats(db_path, "--json").splitlines())}
    assert (runs[crawls["cut"]]["reached_max_pages"], runs[crawls["whole"]]["reached_max_pages"]) == (True, False)


def test_the_home_page_says_how_a_sources_last_crawl_ended_as_stats_does(tmp_path):
    import asyncio

    import lxml.html

    from archive.serve import make_datasette

    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    cut = _crawl(db, source, pages=3, reason="max_pages", max_pages=3)
    _crawl(db, source, pages=2, reason="finished", max_pages=3, resumed_from=cut)
    db.close()
    home = lxml.html.fromstring(asyncio.run(make_datasette(tmp_path / "archive.db").client.get("/")).text)
    (badge,) = home.xpath("//table[@class='sources']//span[contains(@class, 'status')]")
    assert badge.text_content() == "hoàn tất (tiếp nối lượt #1) / ok (resumes #1)"
    # The source's kind is said in both languages too, not as sources.toml's key.
    (kind,) = home.xpath("//table[@class='sources']//td[1]/span[@class='muted']")
    assert kind.text_content() == "báo chí / press · baochinhphu"
    assert "ok (resumes #1)" in _stats(tmp_path / "archive.db")
    db = open_db(tmp_path / "archive.db")
    _crawl(db, source, pages=3, reason="max_pages", max_pages=3)
    db.close()
    home = lxml.html.fromstring(asyncio.run(make_datasette(tmp_path / "archive.db").client.get("/")).text)
    (badge,) = home.xpath("//table[@class='sources']//span[contains(@class, 'status')]")
    assert badge.text_content() == "hoàn tất (đạt giới hạn trang) / ok (max pages)" and "status-ok" in badge.get("class")
    assert badge.xpath("string(span[@lang='en'])") == " / ok (max pages)"


@pytest.mark.parametrize("status", ["ok", "running", "interrupted", "failed", "unreachable", "empty", "articles failed"])
def test_every_crawl_status_has_its_vietnamese_words(status):
    import jinja2
    import lxml.html

    from archive.serve import HERE

    rr = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates")).get_template("_reading.html").module
    badge = lxml.html.fromstring(str(rr.status_badge(status, f"{status} (storage)")))
    vietnamese = badge.xpath("string(span[@lang='vi'])")
    assert vietnamese.endswith(" (lỗi lưu trữ)") and status not in vietnamese
    assert badge.xpath("string(span[@lang='en'])") == f" / {status} (storage)"


def test_a_crawl_whose_articles_read_much_worse_than_the_last_is_told_of_only_then(tmp_path):
    from archive.stats import health_drop

    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    shares = iter([(10, 1.0, 1.0, 1.0), (3, 0.0, 0.0, 0.0), (10, 0.6, 1.0, 0.9), (10, 0.0, 0.9, 0.9), (10, 0.0, 0.0, 0.0)])
    crawls = []
    for articles, title, date, words in shares:
        crawl = _crawl(db, source, pages=1, reason="finished")
        db["crawls"].update(crawl, {"health_articles": articles, "share_title": title, "share_date": date,
                                    "share_50_words": words})
        crawls.append(crawl)
    said = [health_drop(db, crawl) for crawl in crawls]
    db.close()
    # None before it; three articles say nothing; a title share down by 0.4 is within what articles vary by.
    assert said[:3] == [None, None, None]
    assert said[3].startswith(f"its 10 articles read much worse than crawl {crawls[2]}'s: 0% have a title (60% then): ")
    # The last crawl that saw enough articles is the one compared with, whatever it read like.
    assert said[4].startswith(f"its 10 articles read much worse than crawl {crawls[3]}'s: 0% a date (90% then), "
                              "0% 50 words or more (90% then): ")
