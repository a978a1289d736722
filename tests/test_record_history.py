"""A downloaded record says what the article page says of the article's history: the earlier
versions' texts, and whether the live page is gone or has moved."""

import asyncio
import csv
import io
import json

import lxml.html
import pytest

from archive.serve import make_datasette
from tests.conftest import govarchive, query
from tests.test_live_changes import PATH, site  # noqa: F401
from tests.test_variants import crawl, folder  # noqa: F401

EDITED = "Sở Thông tin và Truyền thông đã sửa lại đoạn mở đầu của bài này sau khi đăng."


def records(folder):
    result = govarchive("export", "--format", "jsonl", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def csv_rows(folder):
    result = govarchive("export", "--format", "csv", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))


def served_record(folder, article_id):
    response = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/article/{article_id}.json"))
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("change", ["gone", "moved"])
def test_an_edited_article_that_left_its_address_is_exported_with_its_history(site, folder, change):  # noqa: F811
    crawl(folder)
    first_text = query(folder, "select text from articles")[0]["text"]
    site.article["paragraphs"] = [EDITED, *site.article["paragraphs"][1:]]
    site.article["author"] = "Thu Hà"
    crawl(folder)
    if change == "gone":
        site.path = "/khong-con.htm"
    else:
        site.redirects[PATH] = "/m/ha-tinh-zalo-oa-1022040801.htm"
        site.path, site.listed = "/m/ha-tinh-zalo-oa-1022040801.htm", [PATH]
    crawl(folder)
    fetched = query(folder, "select fetched_at from fetches where url = ? order by id desc limit 1",
                    [f"{site.base}{PATH}"])[0]["fetched_at"]
    live = ({"state": "gone", "status": 404, "checked_at": fetched} if change == "gone" else
            {"state": "moved", "status": 200, "checked_at": fetched,
             "url": f"{site.base}/m/ha-tinh-zalo-oa-1022040801.htm", "temporary": False})

    (record,) = records(folder)
    assert record["versions"] == 2
    assert record["live"] == live
    # Gone, it has been so since; moved by a redirect, it never was.
    assert record["gone_periods"] == ([{"from": fetched, "to": None, "state": "gone", "status": 404}]
                                      if change == "gone" else [])
    (earlier,) = record["earlier_versions"]
    assert earlier["version"] == 1 and earlier["text"] == first_text and earlier["author"] == "Minh An"
    assert earlier["published"] == "2021-04-08T16:20:00+07:00"
    assert record["text"].startswith(EDITED) and record["author"] == "Thu Hà"
    # The text is dated by the capture it was read from, not by the first version's first_seen.
    captured = query(folder, "select fetched_at from fetches where id = ?", [record["fetch_id"]])[0]["fetched_at"]
    assert record["captured_at"] == captured and captured > earlier["captured_at"] == record["first_seen"]

    (row,) = csv_rows(folder)
    assert row["versions"] == "2" and json.loads(row["live"]) == live
    assert row["captured_at"] == captured
    assert list(row)[-5:] == ["versions", "live", "captured_at", "changed", "documents"]
    assert "earlier_versions" not in row

    assert served_record(folder, record["id"]) == record


def test_an_article_never_changed_has_one_version_and_no_live_state(site, folder):  # noqa: F811
    crawl(folder)
    crawl(folder)
    (record,) = records(folder)
    assert (record["versions"], record["live"], record["earlier_versions"], record["gone_periods"]) == (1, None, [], [])
    (row,) = csv_rows(folder)
    assert (row["versions"], row["live"]) == ("1", "")


def test_an_article_withdrawn_and_back_edited_says_when_it_was_gone(site, folder):  # noqa: F811
    crawl(folder)
    site.gone.add(PATH)
    crawl(folder)
    crawl(folder)
    site.gone.clear()
    site.article["paragraphs"] = [EDITED, *site.article["paragraphs"][1:]]
    crawl(folder)
    fetches = query(folder, "select id, status, fetched_at from fetches where url = ? order by id",
                    [f"{site.base}{PATH}"])
    assert [f["status"] for f in fetches] == [200, 410, 410, 200]
    gone, back = fetches[1], fetches[3]
    # The two crawls that found it gone are one period, ended by the answer that made version 2.
    (record,) = records(folder)
    assert (record["versions"], record["live"]) == (2, None)
    assert record["gone_periods"] == [
        {"from": gone["fetched_at"], "to": back["fetched_at"], "state": "gone", "status": 410}]
    assert served_record(folder, record["id"]) == record

    # The article's page tells it between the versions, with the capture of the answer.
    page = lxml.html.fromstring(asyncio.run(make_datasette(folder / "archive.db").client.get(
        f"/-/a/{record['id']}")).text)
    items = page.xpath('//section[@class="versions"]/ol/li')
    listed = [" ".join(li.text_content().split()) for li in items]
    assert [line.split()[0] for line in listed] == ["v1", "không", "v2"], listed
    assert listed[1].startswith("không còn trên trang gốc / gone from the site: HTTP 410 lúc / at"), listed
    assert "… trở lại lúc / back at" in listed[1], listed
    assert items[1].xpath(".//time/@datetime") == [gone["fetched_at"], back["fetched_at"]]
    assert items[1].xpath(".//a/@href") == [f"/-/capture/{gone['id']}.html"]
    assert page.xpath('//p[@id="versions-zone"]')
