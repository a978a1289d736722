"""govarchive verify: a read-only fixity check that names what is damaged, missing or altered."""

import gzip
import json
import shutil
import sqlite3
import zlib

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db
from archive.ingest import keep_version_texts
from archive.verify import Interrupted, verify
from archive.warc import RecordPointer, RecordUnreadable, WarcFileWriter, default_warc_dir, read_record, reference_for
from tests.test_read_only import read_only  # noqa: F401 (a fixture)

OLD, NEW = "http://127.0.0.1:9/tin-cu.html", "http://127.0.0.1:9/tin-moi.html"


def _redirected_fetch(db_path, prefix, hops, final):
    """A fetch reached through ``hops`` ((url, status, location) each), its capture ``final``'s:
    its row, pointing at records written to a WARC file of its own. Returns the fetch id."""
    writer = WarcFileWriter(default_warc_dir(db_path), prefix=prefix)
    common = dict(method="GET", request_headers=[], request_body=b"")
    written = [writer.write_exchange(url=url, status=status, reason="", body=b"",
                                     response_headers=[("Location", location)] if location else [], **common)
               for url, status, location in hops]
    record = writer.write_exchange(url=final, status=200, reason="OK", response_headers=[("Content-Type", "text/html")],
                                   body="<p>Tin</p>".encode(), **common)
    writer.close()
    file = reference_for(writer.directory / record.file, db_path)
    conn = sqlite3.connect(db_path)
    with conn:
        cursor = conn.execute(
            "insert into fetches (crawl_id, source_id, url, response_url, kind, status, fetched_at, warc_file, "
            "warc_offset, warc_length, warc_hops) select max(id), source_id, ?, ?, 'listing', 200, "
            "'2026-01-05T02:00:00+00:00', ?, ?, ?, ? from crawls where source_id = 'sample-news'",
            [hops[0][0], final, file, record.offset, record.length,
             json.dumps([{"file": file, "offset": w.offset, "length": w.length} for w in written])])
    conn.close()
    return cursor.lastrowid


@pytest.fixture(scope="module")
def base(crawled_archive, tmp_path_factory):
    """A copy of the crawled archive with a capture reached through a redirect, and an earlier
    version that keeps its own text (as a version does once its article has changed)."""
    folder = tmp_path_factory.mktemp("verify") / "archive"
    folder.mkdir()
    db_path = folder / "archive.db"
    shutil.copy(crawled_archive / "archive.db", db_path)
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(db_path))
    _redirected_fetch(db_path, "redirects", [(OLD, 301, NEW)], NEW)
    db = open_db(db_path, create=False)
    with db.atomic():
        keep_version_texts(db, 1)
    db.close()
    return folder


@pytest.fixture
def copy(base, tmp_path):
    shutil.copytree(base, tmp_path / "archive")
    return tmp_path / "archive" / "archive.db"


def run(db_path, *args):
    return CliRunner().invoke(cli, ["verify", "--db", str(db_path), *map(str, args)])


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def change(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(sql, params)
    conn.close()


def article_capture(db_path, nth=0, source="sample-news"):
    """The nth article of ``source`` with its fetch's URL and WARC pointer."""
    return rows(db_path, "select a.id as article_id, f.id as fetch_id, f.url, f.warc_file, f.warc_offset, "
                         "f.warc_length from articles a join fetches f on f.id = a.fetch_id where a.source_id = ? "
                         "order by a.id limit 1 offset ?", [source, nth])[0]


def flip(path, at):
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0xFF]))


def problems(result):
    return [line for line in result.stdout.splitlines() if not line.startswith("Checked ")]


def test_a_sound_archive_verifies_with_what_it_checked(copy):
    captures = rows(copy, "select count(*) as n from fetches where warc_file is not null")[0]["n"]
    articles = rows(copy, "select count(*) as n from articles")[0]["n"]
    versions = rows(copy, "select count(*) as n from article_versions")[0]["n"]
    files = len(list(default_warc_dir(copy).iterdir()))
    result = run(copy)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Checked {captures} captures (and 1 redirect before them) in {files} WARC files, {articles} article texts "
        f"and {versions} version texts: no problems found."]
    # Away from a terminal, a progress line every tenth of the way.
    assert result.stderr.splitlines()[-1].endswith(f"of {captures + 1 + articles + versions} captures and texts (100%)")


def test_a_byte_flipped_inside_a_record_is_named_with_its_article(copy):
    a = article_capture(copy)
    path = copy.parent / a["warc_file"]
    flip(path, a["warc_offset"] + 20)  # in its deflated bytes, past the gzip header
    result = run(copy)
    assert result.exit_code == 1
    (line,) = problems(result)
    assert line.startswith(f"article {a['article_id']}, fetch {a['fetch_id']} ({a['url']}): {path}: record at "
                           f"{a['warc_offset']} is damaged: ")
    assert "1 problem: damaged records: 1." in result.stdout


def test_a_record_made_anew_with_other_bytes_fails_its_digests(copy):
    a = article_capture(copy)
    path = copy.parent / a["warc_file"]
    with open(path, "rb") as f:
        f.seek(a["warc_offset"])
        warc = zlib.decompressobj(wbits=31).decompress(f.read(a["warc_length"]))
    # A sound gzip member (its CRC checks) of bytes the digests were not taken of.
    block = warc.index(b"\r\n\r\n") + 4  # the HTTP exchange, which WARC-Block-Digest is of
    assert warc[block:block + 9] == b"HTTP/1.1 "
    altered = gzip.compress(warc[:block] + b"HTTP/1.0 " + warc[block + 9:])
    size = path.stat().st_size
    with open(path, "ab") as f:
        f.write(altered)
    change(copy, "update fetches set warc_offset = ?, warc_length = ? where id = ?",
           [size, len(altered), a["fetch_id"]])
    result = run(copy)
    assert result.exit_code == 1
    (line,) = problems(result)
    assert f"{path}: record at {size} is damaged: its " in line
    assert "its bytes are not those it was written with" in line


def test_a_warc_file_cut_short_is_named_once_with_the_captures_past_its_end(copy):
    a = article_capture(copy)
    path = copy.parent / a["warc_file"]
    end = path.stat().st_size // 2
    with open(path, "r+b") as f:
        f.truncate(end)
    past = rows(copy, "select min(warc_offset) as first, count(*) as n from fetches where warc_file = ? "
                      "and warc_offset + warc_length > ?", [a["warc_file"], end])[0]
    texts = rows(copy, "select count(*) as n from articles a join fetches f on f.id = a.fetch_id "
                       "where f.warc_file = ? and f.warc_offset + f.warc_length > ?", [a["warc_file"], end])[0]["n"]
    assert past["n"] > 1 and texts
    result = run(copy)
    assert result.exit_code == 1
    assert problems(result) == [
        f"WARC file {path} is cut short: it ends at byte {end:,}, and {past['n']} captures lie past its end "
        f"(from offset {past['first']:,} on), the current texts of {texts} articles"]


def test_a_warc_file_gone_is_named_once_with_the_count_of_its_captures(copy):
    a = article_capture(copy)
    path = copy.parent / a["warc_file"]
    path.unlink()
    held = rows(copy, "select count(*) as n from fetches where warc_file = ?", [a["warc_file"]])[0]["n"]
    texts = rows(copy, "select count(*) as n from articles a join fetches f on f.id = a.fetch_id "
                       "where f.warc_file = ?", [a["warc_file"]])[0]["n"]
    result = run(copy)
    assert result.exit_code == 1
    assert problems(result) == [
        f"WARC file {path} is missing: {held} captures were in it, the current texts of {texts} articles"]
    assert "1 problem: WARC files missing: 1." in result.stdout


def test_a_zeroed_stretch_of_a_warc_file_is_named_record_by_record_in_few_words(copy):
    a = article_capture(copy, source="sample-portal")
    path = copy.parent / a["warc_file"]
    records = rows(copy, "select warc_offset as offset, warc_length as length from fetches where warc_file = ? "
                         "order by warc_offset", [a["warc_file"]])
    # Disk damage: one block zeroed, from inside a record on, over records that begin inside it.
    start = records[len(records) // 3]["offset"] + 20
    end = start + 65536
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(b"\0" * (end - start))
    hit = [r for r in records if r["offset"] < end and r["offset"] + r["length"] > start]
    result = run(copy)
    assert result.exit_code == 1
    lines = problems(result)
    # warcio's error quotes the zeroed stretch whole, escaped: 85 KB a line.
    assert len(lines) == len(hit) and max(len(line.split(f"{path}: ")[1]) for line in lines) < 200
    assert f"{path}: record at {hit[0]['offset']} is damaged: " in lines[0]
    for r, line in zip(hit[1:], lines[1:]):
        zeros = (f"its {r['length']:,} bytes are all NUL bytes" if r["offset"] + r["length"] <= end
                 else f"its first {end - r['offset']:,} bytes are NUL bytes")
        assert line.endswith(f"{path}: record at {r['offset']} is not a WARC record ({zeros})")
    assert f"damaged records: {len(hit)}." in result.stdout


def test_bytes_that_are_not_a_warc_record_are_named_by_how_they_begin(tmp_path):
    def error(stored):
        (tmp_path / "x.warc").write_bytes(stored)
        with pytest.raises(RecordUnreadable) as raised:
            read_record(tmp_path, RecordPointer("x.warc", 0, len(stored)))
        return str(raised.value).removeprefix(f"{tmp_path / 'x.warc'}: record at 0 ")

    assert error(b"GET /tin-moi.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + b"\0" * 9000) == (
        "is not a WARC record (it begins b'GET /tin-moi.html HTTP/1.1\\r\\nHost'…)")
    # Zeroed bytes before a line of five words, which warcio reads as an ARC record's header.
    assert error(b"\0" * 9000 + b" \x8b\x1f \xff 7 \x01\n" + b"\x9c" * 50) == (
        "is not a WARC record (its first 9,000 bytes are NUL bytes)")


def test_a_warc_file_zeroed_whole_is_named_once_as_damaged(copy):
    a = article_capture(copy)
    path = copy.parent / a["warc_file"]
    path.write_bytes(b"\0" * path.stat().st_size)
    first = rows(copy, "select warc_offset as offset, warc_length as length from fetches where warc_file = ? "
                       "order by warc_offset limit 1", [a["warc_file"]])[0]
    captures = rows(copy, "select count(*) as n from fetches where warc_file = ?", [a["warc_file"]])[0]["n"]
    texts = rows(copy, "select count(*) as n from articles a join fetches f on f.id = a.fetch_id "
                       "where f.warc_file = ?", [a["warc_file"]])[0]["n"]
    result = run(copy)
    assert result.exit_code == 1
    assert problems(result) == [
        f"WARC file {path} is damaged: none of the {captures} captures in it reads back, the current texts of "
        f"{texts} articles; the first: record at {first['offset']} is not a WARC record (its {first['length']:,} "
        "bytes are all NUL bytes)"]
    assert "1 problem: WARC files none of whose records read back: 1." in result.stdout
    (found,) = [json.loads(line) for line in run(copy, "--json").stdout.splitlines()]
    assert (found["kind"], found["warc_file"], found["captures"], found["texts"]) == (
        "WARC file damaged", a["warc_file"], captures, texts)


def test_pointers_swapped_between_two_fetch_rows_are_records_of_another_url(copy):
    a, b = article_capture(copy, 0), article_capture(copy, 1)
    for one, other in ((a, b), (b, a)):
        change(copy, "update fetches set warc_offset = ?, warc_length = ? where id = ?",
               [other["warc_offset"], other["warc_length"], one["fetch_id"]])
    result = run(copy)
    assert result.exit_code == 1
    # In the order of the records in their file, which is the order the pages came in.
    named = {line.split(": its WARC record")[0]: line for line in problems(result)}
    of_a = f"article {a['article_id']}, fetch {a['fetch_id']} ({a['url']})"
    assert set(named) == {of_a, f"article {b['article_id']}, fetch {b['fetch_id']} ({b['url']})"}
    assert f"is a capture of {b['url']}, not of {a['url']}" in named[of_a]
    assert "records of another URL than their fetch's: 2" in result.stdout


def test_an_article_text_edited_in_the_database_no_longer_gives_its_hash(copy):
    a = article_capture(copy, 2)
    (text,) = [r["text"] for r in rows(copy, "select text from articles where id = ?", [a["article_id"]])]
    change(copy, "update articles set text = ? where id = ?", [text.replace(" ", "  \n", 3), a["article_id"]])
    assert run(copy).exit_code == 0  # spacing is no change: the hash is of the normalised text
    change(copy, "update articles set text = text || ' Sửa.' where id = ?", [a["article_id"]])
    result = run(copy)
    assert result.exit_code == 1
    (line,) = problems(result)
    assert line.startswith(f"article {a['article_id']} ({a['url']}): its text does not give its text_hash (")
    assert line.endswith("): it was changed after it was stored")


def test_an_earlier_version_s_text_or_hash_edited_is_named_with_its_version(copy):
    own = rows(copy, "select article_id, version, text from article_versions where in_articles is null")
    assert own and own[0]["text"]
    change(copy, "update article_versions set text = text || ' Sửa.' where article_id = ?", [own[0]["article_id"]])
    # A version whose text is its article's, with a hash that is not the article's.
    shared = rows(copy, "select article_id, version from article_versions where in_articles = 1 order by id limit 1")[0]
    change(copy, "update article_versions set text_hash = 'abc' where article_id = ?", [shared["article_id"]])
    result = run(copy)
    assert result.exit_code == 1
    first, second = problems(result)
    assert first.startswith(f"article {own[0]['article_id']}, version {own[0]['version']}, fetch ")
    assert first.endswith("its text does not give its text_hash (" + first.split("text_hash (")[1])
    assert second.startswith(f"article {shared['article_id']}, version {shared['version']}, fetch ")
    assert "its text_hash (abc…) is not that of the article's text, which it is recorded as sharing" in second
    assert "version texts that do not give their text_hash: 2" in result.stdout


def test_a_damaged_redirect_before_a_capture_is_named_as_such(copy):
    (fetch,) = rows(copy, "select id, warc_hops from fetches where warc_hops is not null")
    (hop,) = json.loads(fetch["warc_hops"])
    flip(copy.parent / hop["file"], hop["offset"] + 20)
    result = run(copy)
    assert result.exit_code == 1
    (line,) = problems(result)
    assert line.startswith(f"fetch {fetch['id']} ({NEW}): redirect 1 of 1 before its capture: "
                           f"{copy.parent / hop['file']}: record at {hop['offset']} is damaged")


def test_articles_with_no_capture_behind_their_text_are_named(copy):
    a, b, c = (article_capture(copy, n) for n in range(3))
    change(copy, "update fetches set warc_file = null, warc_offset = null, warc_length = null where id = ?",
           [a["fetch_id"]])
    change(copy, "update articles set fetch_id = 999999 where id = ?", [b["article_id"]])
    change(copy, "update articles set fetch_id = null where id = ?", [c["article_id"]])
    result = run(copy)
    assert result.exit_code == 1
    assert problems(result) == [
        f"article {a['article_id']}, fetch {a['fetch_id']} ({a['url']}): its text's fetch never had a capture "
        "kept: none shows where it came from",
        f"article {b['article_id']}, fetch 999999 ({b['url']}): its text's fetch 999999 is not in the archive: "
        "no capture shows where it came from",
        f"article {c['article_id']} ({c['url']}): no fetch is recorded for its text: no capture shows where it "
        "came from"]


def test_earlier_versions_with_no_capture_behind_their_text_are_named(copy):
    (own,) = rows(copy, "select v.article_id, v.version, a.url from article_versions v join articles a "
                        "on a.id = v.article_id where v.in_articles is null")
    (other,) = rows(copy, "select id as article_id, url, fetch_id from articles where id != ? order by id limit 1",
                    [own["article_id"]])
    # Read from a fetch whose row is gone, and from one that kept no capture (not the article's).
    change(copy, "update article_versions set fetch_id = 999999 where article_id = ?", [own["article_id"]])
    change(copy, "insert into fetches (crawl_id, source_id, url, kind, status, fetched_at) select crawl_id, "
                 "source_id, url, kind, status, fetched_at from fetches where id = ?", [other["fetch_id"]])
    bare = rows(copy, "select max(id) as id from fetches")[0]["id"]
    change(copy, "update article_versions set fetch_id = ? where article_id = ?", [bare, other["article_id"]])
    result = run(copy)
    assert result.exit_code == 1
    assert sorted(problems(result)) == sorted([
        f"article {own['article_id']}, version {own['version']}, fetch 999999 ({own['url']}): its text's fetch "
        "999999 is not in the archive: no capture shows where it came from",
        f"article {other['article_id']}, version 1, fetch {bare} ({other['url']}): its text's fetch never had a "
        "capture kept: none shows where it came from"])
    assert "2 problems: texts with no capture behind them: 2." in result.stdout


def test_a_file_s_captures_and_redirects_are_counted_apart_and_none_unread_is_said_checked(copy):
    (fetch,) = rows(copy, "select warc_file from fetches where warc_hops is not null")
    captures = rows(copy, "select count(*) as n from fetches where warc_file is not null")[0]["n"]
    files = len(list(default_warc_dir(copy).iterdir()))
    path = copy.parent / fetch["warc_file"]
    path.unlink()
    result = run(copy)
    assert problems(result) == [
        f"WARC file {path} is missing: 1 capture and 1 redirect were in it, the current texts of 0 articles"]
    assert (f"Checked {captures - 1} of {captures} captures (and 0 of 1 redirect before them) in {files - 1} of "
            f"{files} WARC files, ") in result.stdout
    shutil.rmtree(default_warc_dir(copy))
    result = run(copy)
    assert (f"Checked 0 of {captures} captures (and 0 of 1 redirect before them) in 0 of {files} WARC files, "
            ) in result.stdout
    assert f"{files} problems: WARC files missing: {files}." in result.stdout


def test_source_limits_the_check_to_its_captures_and_articles(copy):
    (copy.parent / article_capture(copy, source="sample-news")["warc_file"]).unlink()
    result = run(copy, "--source", "sample-portal")
    assert result.exit_code == 0, result.output
    articles = rows(copy, "select count(*) as n from articles where source_id = 'sample-portal'")[0]["n"]
    # The session's crawled archive may have been crawled again by a test before this one.
    captures, files = rows(copy, "select count(*) as n, count(distinct warc_file) as files from fetches "
                                 "where source_id = 'sample-portal' and warc_file is not null")[0].values()
    assert f"Checked {captures} captures in {files} WARC file{'s' if files > 1 else ''}, {articles} article texts" \
        in result.stdout
    assert run(copy, "--source", "sample-news").exit_code == 1


def test_json_prints_each_problem_as_a_json_line_and_the_summary_on_stderr(copy):
    a, b = article_capture(copy, 0), article_capture(copy, 0, "sample-portal")
    (copy.parent / a["warc_file"]).unlink()
    change(copy, "update articles set text = 'Khác.' where id = ?", [b["article_id"]])
    result = run(copy, "--json")
    assert result.exit_code == 1
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["kind"], p["warc_file"], p["article_ids"]) for p in found] == [
        ("WARC file missing", a["warc_file"], []), ("text altered", None, [b["article_id"]])]
    assert found[0]["captures"] > 1 and found[0]["texts"] >= 1
    assert "2 problems: WARC files missing: 1, article texts that do not give their text_hash: 1." in result.stderr


def test_an_unknown_source_is_a_usage_error(copy):
    result = run(copy, "--source", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: unknown source id 'nope' in ")


def test_no_archive_there_is_said_as_other_commands_say_it(tmp_path):
    result = run(tmp_path / "nope.db")
    assert result.exit_code == 1
    assert "no such archive" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_archive_on_read_only_storage_verifies(read_only, base):  # noqa: F811
    mnt = read_only(lambda mnt: shutil.copytree(base, mnt / "archive"))
    result = run(mnt / "archive" / "archive.db")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Checked ") and "no problems found" in result.stdout


def test_the_archive_is_checked_as_it_stood_when_the_check_began(copy):
    a = article_capture(copy, 1)
    db = open_db(copy, create=False, for_reading=True)
    found = []

    def meanwhile(done, total):
        if done == 1:  # a crawl's write, committed while the check runs
            change(copy, "update articles set text = 'Khác.' where id = ?", [a["article_id"]])

    verify(db, copy, found=found.append, progress=meanwhile)
    assert found == []
    verify(db, copy, found=found.append)
    assert [p.kind for p in found] == ["text altered"]


def test_interrupted_it_says_how_far_it_got_and_exits_130(copy, monkeypatch):
    def stop(self, done, total):
        if done == 5:
            raise KeyboardInterrupt

    db = open_db(copy, create=False, for_reading=True)
    with pytest.raises(Interrupted) as raised:
        verify(db, copy, found=lambda problem: None, progress=lambda done, total: stop(None, done, total))
    # The redirect and the capture it led to are in the first file, by name.
    assert (raised.value.tally["hops"], raised.value.tally["captures"]) == (1, 3)
    monkeypatch.setattr("archive.cli._Progress.show", stop)
    result = run(copy)
    assert result.exit_code == 130
    assert result.stderr.strip() == ("interrupted after checking 3 captures (and 1 redirect before them) in 2 WARC "
                                     "files, 0 article texts and 0 version texts: no problems found; the rest was "
                                     "not checked")


def test_a_chain_of_redirects_and_retries_reads_as_one(copy):
    # A relative Location, a retry of an error answer, a Location to another host: each record is
    # of the URL the one before led to.
    _redirected_fetch(copy, "chain", [("http://127.0.0.1:9/a.html", 301, "/b.html"),
                                      ("http://127.0.0.1:9/b.html", 503, None),
                                      ("http://127.0.0.1:9/b.html", 302, "http://localhost:9/c%20d.html")],
                      "http://localhost:9/c%20d.html")
    result = run(copy)
    assert result.exit_code == 0, result.output
    assert "(and 4 redirects before them)" in result.stdout


def test_a_redirect_record_of_another_request_is_named(copy):
    # Two fetches' redirects swapped in the database: each record reads back, and is of the other
    # fetch's first URL.
    other = _redirected_fetch(copy, "other", [("http://127.0.0.1:9/cu-2.html", 301, "http://127.0.0.1:9/moi-2.html")],
                              "http://127.0.0.1:9/moi-2.html")
    (first,) = rows(copy, "select id, warc_hops from fetches where url = ?", [OLD])
    (second,) = rows(copy, "select warc_hops from fetches where id = ?", [other])
    change(copy, "update fetches set warc_hops = ? where id = ?", [second["warc_hops"], first["id"]])
    change(copy, "update fetches set warc_hops = ? where id = ?", [first["warc_hops"], other])
    result = run(copy)
    assert result.exit_code == 1
    lines = problems(result)
    assert len(lines) == 2, result.stdout
    said = next(line for line in lines if f"fetch {first['id']} " in line)
    assert ("redirect 1 of 1 before its capture: its record is a capture of http://127.0.0.1:9/cu-2.html, not of "
            f"{OLD}, the fetch's first URL") in said
    assert "records of another URL than their fetch's: 2" in result.stdout
