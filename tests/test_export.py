"""Export round-trips and re-extraction from stored captures, with no network."""

import asyncio
import csv
import gzip
import io
import os
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

import archive.extract
from archive.cli import cli
from archive.db import open_db
from archive.ingest import update_article
from archive.reextract import reextract
from archive.search import search
from archive.serve import make_datasette
from archive.warc import WarcFileWriter, default_warc_dir, reference_for
from archive.vietnamese import VN_TZ

BIN = Path(sys.executable).parent


def govarchive(*args, cwd):
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, capture_output=True, timeout=300)


def _urls(db_path, where="1", params=()):
    conn = sqlite3.connect(db_path)
    try:
        return {r[0] for r in conn.execute(f"select url from articles where {where}", params)}
    finally:
        conn.close()


def test_a_warc_exports_warcinfo_names_its_operator_when_the_contact_is_set(crawled_archive):
    def warcinfo(**env):
        result = subprocess.run([str(BIN / "govarchive"), "export", "--format", "warc", "--search", "Zalo", "--db",
                                 "archive.db"], cwd=crawled_archive, capture_output=True, timeout=300,
                                env={**os.environ, **env})
        assert result.returncode == 0, result.stderr
        return next(iter(ArchiveIterator(io.BytesIO(result.stdout)))).content_stream().read()

    assert b"operator: https://so-tttt.example.vn/lien-he\r\n" in warcinfo(
        GOVARCHIVE_CONTACT="https://so-tttt.example.vn/lien-he")
    assert b"operator:" not in warcinfo(GOVARCHIVE_CONTACT="")


def test_jsonl_export_all(crawled_archive):
    result = govarchive("export", "--format", "jsonl", "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert {r["url"] for r in rows} == _urls(crawled_archive / "archive.db")
    assert all(isinstance(r["tags"], list) for r in rows)
    assert b"Exported" in result.stderr


KNOWLEDGE_LISTS = ("authors", "refs", "agencies", "channels")


def _knowledge(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in conn.execute(
            "select id, authors, refs, agencies, channels, cluster_id, published_month from articles")}
    finally:
        conn.close()


def _readme_fields(readme):
    """The field names the zip README lists under "Fields"."""
    section = readme.split("Fields\n------\n", 1)[1].split("\n\n", 1)[0]
    return [name for line in section.splitlines() if not line.startswith(" ")
            for name in re.match(r"[a-z_]+(?:, [a-z_]+)*", line).group().split(", ")]


def test_every_export_carries_what_the_archive_understood(crawled_archive, tmp_path):
    stored = _knowledge(crawled_archive / "archive.db")
    # The sample site's articles name documents, agencies and channels, and some are syndicated.
    assert all(any(json.loads(r[key]) for r in stored.values()) for key in KNOWLEDGE_LISTS)
    assert any(r["cluster_id"] for r in stored.values())
    result = govarchive("export", "--format", "jsonl", "--db", "archive.db", cwd=crawled_archive)
    for row in map(json.loads, result.stdout.decode().splitlines()):
        for key in KNOWLEDGE_LISTS:
            assert row[key] == json.loads(stored[row["id"]][key])
        assert (row["cluster_id"], row["published_month"]) == (stored[row["id"]]["cluster_id"],
                                                               stored[row["id"]]["published_month"])
    result = govarchive("export", "--format", "csv", "--db", "archive.db", cwd=crawled_archive)
    assert result.stdout.startswith(b"\xef\xbb\xbf")  # for Excel
    for row in csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"))):
        # A list is its JSON text, as the zip README says.
        for key in KNOWLEDGE_LISTS:
            assert json.loads(row[key]) == json.loads(stored[int(row["id"])][key])
        assert row["cluster_id"] == str(stored[int(row["id"])]["cluster_id"] or "")
    out = tmp_path / "all.zip"
    govarchive("export", "--format", "zip", "-o", out, "--db", "archive.db", cwd=crawled_archive)
    with zipfile.ZipFile(out) as bundle:
        first = json.loads(bundle.read("articles.jsonl").decode().splitlines()[0])
        readme = bundle.read("README.txt").decode()
    # The README names every field of a record, in the records' order, and nothing else.
    assert _readme_fields(readme) == list(first)
    assert "a list as its JSON text" in readme


def test_csv_export_with_filters(crawled_archive):
    result = govarchive(
        "export", "--format", "csv", "--source", "sample-news", "--since", "2021-01-01",
        "--until", "2024-12-31", "--db", "archive.db", cwd=crawled_archive,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"))))
    expected = _urls(
        crawled_archive / "archive.db",
        "source_id = 'sample-news' and published >= '2021-01-01' and published < '2025-01-01'",
    )
    assert expected and {r["url"] for r in rows} == expected


def test_warc_export_holds_exactly_the_selection(crawled_archive, tmp_path):
    out = tmp_path / "zalo.warc.gz"
    result = govarchive("export", "--format", "warc", "--search", "Zalo", "-o", out, "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    assert subprocess.run([str(BIN / "warcio"), "check", str(out)], capture_output=True).returncode == 0
    with open(out, "rb") as f:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(f)]
    assert records[0][0] == "warcinfo"
    with open(out, "rb") as f:
        info = next(iter(ArchiveIterator(f)))
        assert info.rec_headers.get_header("WARC-Filename") == "zalo.warc.gz"
        assert b'description: govarchive export of source=all search="Zalo"\r\n' in info.content_stream().read()
    result = govarchive("export", "--format", "warc", "--source", "sample-news", "--since", "2021-01-01",
                        "--until", "2024-12-31", "--search", 'Zalo "Hà Nội"', "--db", "archive.db", cwd=crawled_archive)
    info = next(iter(ArchiveIterator(io.BytesIO(result.stdout))))
    assert info.rec_headers.get_header("WARC-Filename") is None
    assert ('description: govarchive export of source=sample-news since=2021-01-01 until=2024-12-31 '
            'search="Zalo \\"Hà Nội\\""\r\n').encode() in info.content_stream().read()
    responses = {uri for kind, uri in records if kind == "response"}
    db = open_db(crawled_archive / "archive.db", create=False)
    assert responses == {r["url"] for r in search(db, "Zalo", limit=1000)}


def test_zip_export_bundles_jsonl_csv_warc_and_readme(crawled_archive, tmp_path):
    out = tmp_path / "all.zip"
    started = datetime.now(timezone.utc).replace(microsecond=0)
    result = govarchive("export", "--format", "zip", "-o", out, "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as bundle:
        assert set(bundle.namelist()) == {"articles.jsonl", "articles.csv", "captures.warc.gz", "SHA256SUMS", "README.txt"}
        # Every other file's SHA-256, as sha256sum writes and checks them in the unpacked folder.
        bundle.extractall(tmp_path / "unpacked")
        listed = (tmp_path / "unpacked" / "SHA256SUMS").read_text().splitlines()
        assert sorted(line.split("  ")[1] for line in listed) == sorted(set(bundle.namelist()) - {"SHA256SUMS"})
        checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "unpacked", capture_output=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        (tmp_path / "unpacked" / "articles.csv").write_bytes(bundle.read("articles.csv") + b"\n")
        assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=tmp_path / "unpacked",
                              capture_output=True).stdout == b"articles.csv: FAILED\n"
        rows = [json.loads(l) for l in bundle.read("articles.jsonl").decode().splitlines()]
        # The CSV as --format csv writes it, byte-order mark and all.
        assert bundle.read("articles.csv") == govarchive("export", "--format", "csv", "--db", "archive.db",
                                                          cwd=crawled_archive).stdout
        warc = bundle.read("captures.warc.gz")
        readme = bundle.read("README.txt").decode()
        assert "text_hash" in readme
        assert all(f"\n{name} " in readme for name in bundle.namelist() if name != "README.txt")
        # What was selected, and when.
        assert "\nselection            source=all\n" in readme
        exported = re.search(r"\nexported             (\S+) \(UTC\)\n", readme).group(1)
        assert started <= datetime.fromisoformat(exported) <= datetime.now(timezone.utc)
        # Dated when exported, in Vietnam time, not 1980-01-01 (zipfile's default for a member
        # written as a stream).
        # (the day it began or the day it ended, for an export that ran across midnight).
        days = {started.astimezone(VN_TZ).timetuple()[:3], datetime.now(VN_TZ).timetuple()[:3]}
        assert {info.date_time[:3] for info in bundle.infolist()} <= days
    uris = {
        r.rec_headers.get_header("WARC-Target-URI")
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response"
    }
    assert uris == {r["url"] for r in rows} == _urls(crawled_archive / "archive.db")


def test_export_errors(crawled_archive):
    result = govarchive("export", "--format", "zip", "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 2 and b"needs -o FILE" in result.stderr
    result = govarchive("export", "--since", "8/4/2021", "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 2 and b"--since" in result.stderr
    result = govarchive("export", "--search", '"unbalanced AND', "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 0 and b"warning: nothing matched the selection" in result.stderr
    assert b"Traceback" not in result.stderr


def test_until_before_since_is_refused_before_anything_is_written(crawled_archive, tmp_path):
    out = tmp_path / "kept.jsonl"
    out.write_text("an earlier export\n")
    result = govarchive("export", "--since", "2024-05-01", "--until", "2024-01-01", "-o", out, "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().splitlines()[-1] == (
        "Error: Invalid value for '--until': 2024-01-01 is before --since 2024-05-01")
    assert out.read_text() == "an earlier export\n"
    # One day is a selection.
    published = sqlite3.connect(crawled_archive / "archive.db").execute(
        "select substr(published, 1, 10) from articles where published is not null limit 1").fetchone()[0]
    result = govarchive("export", "--since", published, "--until", published, "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 0 and result.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "warc", "zip"])
def test_a_selection_matching_nothing_writes_nothing_and_says_so(crawled_archive, tmp_path, fmt):
    out = tmp_path / "kept"
    out.write_text("an earlier export\n")
    result = govarchive("export", "--format", fmt, "--since", "2099-01-01", "-o", out, "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode().splitlines() == [
        "warning: nothing matched the selection (source=all since=2099-01-01); nothing was written"]
    assert out.read_text() == "an earlier export\n"
    assert not (tmp_path / "new").exists()
    result = govarchive("export", "--format", fmt, "--search", "zzqqxx", "-o", tmp_path / "new",
                        "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 0 and not (tmp_path / "new").exists()
    if fmt != "zip":
        result = govarchive("export", "--format", fmt, "--search", "zzqqxx", "--db", "archive.db",
                            cwd=crawled_archive)
        assert result.returncode == 0 and result.stdout == b""


def test_the_dates_are_vietnam_days_of_the_published_date_and_leave_undated_articles_out(archive_copy):
    db = open_db(archive_copy)
    undated, late = db.execute("select id from articles order by id limit 2").fetchall()
    with db.atomic():
        db["articles"].update(undated[0], {"published": None})
        # Late on 31 December in Hà Nội is already the new year in UTC+8, still the old one in UTC.
        db["articles"].update(late[0], {"published": "2023-12-31T23:30:00+07:00"})
    db.close()

    def ids(*args):
        result = govarchive("export", *args, "--db", archive_copy.name, cwd=archive_copy.parent)
        assert result.returncode == 0, result.stderr
        return {json.loads(line)["id"] for line in result.stdout.decode().splitlines()}

    everything = ids()
    assert undated[0] in everything
    assert undated[0] not in ids("--since", "1900-01-01") | ids("--until", "2999-12-31")
    assert late[0] in ids("--since", "2023-12-31", "--until", "2023-12-31")
    assert late[0] not in ids("--since", "2024-01-01") | ids("--until", "2023-12-30")
    help_text = " ".join(CliRunner().invoke(cli, ["export", "--help"]).output.split())
    assert "a Vietnam calendar day" in help_text and "articles with no published date are left out" in help_text


def _full_disk(fmt, archive, tmp_path):
    """Each way an export meets a full disk: a file on it, stdout on it, and a file that grows
    past what it may (RLIMIT_FSIZE: the write fails as on a full disk, the file is real)."""
    import resource
    import signal

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    command = [str(BIN / "govarchive"), "export", "--format", fmt, "--db", archive.name]
    if fmt != "zip":  # a zip is refused a device before it writes (test_export_targets)
        yield "/dev/full", subprocess.run([*command, "-o", "/dev/full"], cwd=archive.parent, capture_output=True)
        with open("/dev/full", "wb") as full:
            yield "stdout", subprocess.run(command, cwd=archive.parent, stdout=full, stderr=subprocess.PIPE)
    out = tmp_path / f"partial.{fmt}"
    yield out, subprocess.run([*command, "-o", out], cwd=archive.parent, capture_output=True,
                              preexec_fn=small_files)
    assert not out.exists() and not list(tmp_path.glob(f"{out.name}.*"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "warc", "zip"])
def test_a_full_disk_is_one_line_and_no_partial_file_is_left(archive_copy, tmp_path, fmt):
    for name, result in _full_disk(fmt, archive_copy, tmp_path):
        reason = "File too large" if isinstance(name, Path) else "No space left on device"
        assert result.returncode == 1, (name, result.stderr)
        assert result.stderr.decode().splitlines() == [f"Error: cannot write {name}: {reason}"], name
    assert Path("/dev/full").exists()


@pytest.fixture
def archive_copy(crawled_archive, tmp_path):
    """A private copy of the crawled archive: the sample site plays no part from here on."""
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    return tmp_path / "archive.db"


def test_reextract_after_rule_change_needs_no_network(archive_copy, monkeypatch):
    db = open_db(archive_copy)
    before = {r["id"]: r for r in db["articles"].rows}
    # what an older, worse extractor left behind
    with db.atomic():
        for article_id in before:
            update_article(db, article_id, {"text": "zzcorruptzz", "title": "zzcorruptzz", "extractor_version": "old"})
    assert search(db, "zzcorruptzz", limit=1000)
    monkeypatch.setattr(archive.extract, "EXTRACTOR_VERSION", "govarchive-test-2")
    # no network: any attempt to open a socket fails the test
    import socket

    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: pytest.fail("reextract used the network"))
    counts = reextract(db, archive_copy)
    assert counts["updated"] == len(before) and counts["missing"] == 0
    after = {r["id"]: r for r in db["articles"].rows}
    for article_id, row in after.items():
        assert row["extractor_version"] == "govarchive-test-2"
        assert row["text"] == before[article_id]["text"]
        assert row["title"] == before[article_id]["title"]
        assert row["last_seen"] == before[article_id]["last_seen"]
    assert not search(db, "zzcorruptzz", limit=10)
    assert search(db, "Zalo", limit=10)
    # A version keeps the reading it had; re-extraction corrects the article row only.
    kept = {r[0] for r in db.execute("select text from article_history")}
    assert kept == {"zzcorruptzz"}
    assert db.execute("select count(*) from article_versions where in_articles = 1").fetchone()[0] == 0


def test_reextract_with_nothing_changed_writes_nothing(archive_copy):
    db = open_db(archive_copy)

    def state():
        return [db.execute(f"select * from {table} order by 1, 2").fetchall()
                for table in ("articles", "article_versions", "doc_refs", "mentions", "article_minhash")]

    before = state()
    assert reextract(db, archive_copy) == {"unchanged": len(before[0])}
    # Not even rewritten alike: the versions keep their texts in the articles row, and the
    # references and mentions keep their ids.
    assert state() == before


def test_reextract_cli(archive_copy):
    result = govarchive("reextract", "--source", "sample-portal", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 0, result.stderr
    assert b"0 without a capture" in result.stdout


def test_a_capture_that_cannot_be_decoded_is_reported_not_extracted(archive_copy):
    db = open_db(archive_copy)
    article = db.execute("select a.id, a.fetch_id, a.title, coalesce(f.response_url, f.url) from articles a "
                         "join fetches f on f.id = a.fetch_id order by a.id limit 1").fetchone()
    # A server that answered in a content coding nobody can undo ("compress" has no decoder).
    writer = WarcFileWriter(default_warc_dir(archive_copy), prefix="odd")
    pointer = writer.write_exchange(
        url=article[3], method="GET", request_headers=[], request_body=b"", status=200,
        reason="OK", response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "compress")],
        body=b"\x1f\x9d\x90 compressed long ago",
    )
    writer.close()
    with db.atomic():
        db["fetches"].update(article[1], {
            "warc_file": reference_for(default_warc_dir(archive_copy) / pointer.file, archive_copy),
            "warc_offset": pointer.offset, "warc_length": pointer.length,
        })
    total = db.execute("select count(*) from articles").fetchone()[0]
    db.close()

    result = govarchive("reextract", "--db", archive_copy.name, cwd=archive_copy.parent)
    # Done, but not all of it: the exit status says so to a script.
    assert result.returncode == 1, result.stderr
    assert f"{total - 1} unchanged, 0 without a capture, 1 with a capture that cannot be read".encode() in result.stdout
    assert f"article {article[0]} kept as it is".encode() in result.stderr and b"'compress'" in result.stderr
    assert open_db(archive_copy).execute("select title from articles where id = ?", [article[0]]).fetchone()[0] == article[2]

    ds = make_datasette(archive_copy)
    page = asyncio.run(ds.client.get(f"/-/capture/{article[1]}.html"))
    assert page.status_code == 500 and "&#39;compress&#39;" in page.text and f"/-/capture/{article[1]}.warc.gz" in page.text
    record = asyncio.run(ds.client.get(f"/-/capture/{article[1]}.warc.gz"))
    assert record.status_code == 200 and b"compressed long ago" in gzip.decompress(record.content)


def test_a_warc_export_goes_on_past_captures_it_cannot_include_and_names_them(archive_copy, tmp_path):
    db = open_db(archive_copy)
    damaged, truncated, gone, *rest = db.execute(
        "select a.id, a.url, f.id, f.warc_file, f.warc_offset, f.warc_length "
        "from articles a join fetches f on f.id = a.fetch_id order by a.id"
    ).fetchall()
    warc_dir = default_warc_dir(archive_copy)

    def repoint(article, data, name):
        # The article's own record, copied whole or in part into a file of its own.
        (warc_dir / name).write_bytes(data)
        with db.atomic():
            db["fetches"].update(article[2], {
                "warc_file": reference_for(warc_dir / name, archive_copy), "warc_offset": 0,
            })

    def record(article):
        with open(archive_copy.parent / article[3], "rb") as f:
            f.seek(article[4])
            return bytearray(f.read(article[5]))

    flipped = record(damaged)
    flipped[len(flipped) // 2] ^= 0xFF
    repoint(damaged, bytes(flipped), "damaged.warc.gz")
    repoint(truncated, bytes(record(truncated)[:500]), "cut.warc.gz")
    repoint(gone, b"", "gone.warc.gz")
    (warc_dir / "gone.warc.gz").unlink()
    db.close()

    out = tmp_path / "all.warc.gz"
    result = govarchive("export", "--format", "warc", "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    # Done, but not all there: the exit status says so to a script.
    assert result.returncode == 1, result.stderr
    stderr = result.stderr.decode()
    assert f"warning: article {damaged[0]} ({damaged[1]}): capture left out:" in stderr and "is damaged" in stderr
    assert f"warning: article {truncated[0]} ({truncated[1]}): capture left out:" in stderr and "is truncated" in stderr
    # A file gone is named once for all its captures, here one.
    assert f"article {gone[0]} " not in stderr
    assert (f"warning: 1 capture left out; WARC files gone or unreadable: {warc_dir.name}/gone.warc.gz (missing); "
            "--format zip lists it in its missing-captures.tsv") in stderr
    # The count is of the articles whose capture is in the file: the three left out are not.
    assert (f"Exported {len(rest)} articles as warc to {out}.incomplete, not {out}: it is not created, as only an "
            "export with every capture takes its name; 3 captures could not be included (named above).") in stderr
    out = out.with_name(out.name + ".incomplete")
    assert subprocess.run([str(BIN / "warcio"), "check", str(out)], capture_output=True).returncode == 0
    with open(out, "rb") as f:
        uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f) if r.rec_type == "response"}
    assert uris == {row[1] for row in rest}

    # A zip says in itself what it lacks.
    bundle_path = tmp_path / "all.zip"
    result = govarchive("export", "--format", "zip", "-o", bundle_path, "--db", archive_copy.name,
                        cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    with zipfile.ZipFile(bundle_path.with_name(bundle_path.name + ".incomplete")) as bundle:
        missing = bundle.read("missing-captures.tsv").decode().splitlines()
        readme = bundle.read("README.txt").decode()
    assert missing[0] == "article_id\turl\treason"
    assert [line.split("\t")[:2] for line in missing[1:]] == [
        [str(article[0]), article[1]] for article in (damaged, truncated, gone)]
    assert "is damaged" in missing[1] and "is truncated" in missing[2] and "gone.warc.gz is missing" in missing[3]
    assert "missing-captures.tsv the captures that could not go into captures.warc.gz (3)" in readme

    ds = make_datasette(archive_copy)
    for article, reason in ((damaged, "is damaged"), (truncated, "is truncated")):
        page = asyncio.run(ds.client.get(f"/-/capture/{article[2]}.html"))
        assert page.status_code == 500 and reason in page.text, page.text
    # A damaged record is still downloadable as stored, for whatever can be recovered from it;
    # one cut short by the end of its file is not all there.
    page = asyncio.run(ds.client.get(f"/-/capture/{truncated[2]}.warc.gz"))
    assert page.status_code == 500 and "is truncated" in page.text, page.text
    fetch = open_db(archive_copy).execute("select warc_file, warc_offset, warc_length from fetches where id = ?",
                                          [damaged[2]]).fetchone()
    with open(archive_copy.parent / fetch[0], "rb") as f:
        f.seek(fetch[1])
        assert asyncio.run(ds.client.get(f"/-/capture/{damaged[2]}.warc.gz")).content == f.read(fetch[2])


def _fingerprints(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_refuses_to_write_over_the_archive(archive_copy, tmp_path):
    folder = archive_copy.parent
    warc_dir = default_warc_dir(archive_copy)
    # One crawl's WARC files moved to a folder of their own, as `crawl --warc-dir` leaves them.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = open_db(archive_copy)
    (warc_file,) = db.execute("select warc_file from fetches where warc_file is not null").fetchone()
    (warc_dir / Path(warc_file).name).rename(elsewhere / Path(warc_file).name)
    with db.atomic():
        db.execute("update fetches set warc_file = ? where warc_file = ?",
                   [reference_for(elsewhere / Path(warc_file).name, archive_copy), warc_file])
    db.close()
    (folder / "link.db").symlink_to(archive_copy.name)
    one_warc = next(warc_dir.iterdir())
    before = _fingerprints(folder)
    for output in (archive_copy.name, f"./{archive_copy.name}", f"../{folder.name}/{archive_copy.name}",
                   "link.db", f"{archive_copy.name}-wal", f"{archive_copy.name}-shm",
                   f"{warc_dir.name}/{one_warc.name}", f"{warc_dir.name}/new.jsonl", f"elsewhere/{Path(warc_file).name}",
                   "elsewhere/new.warc.gz"):
        for fmt in ("jsonl", "warc"):
            result = govarchive("export", "--format", fmt, "--db", archive_copy.name, "-o", output, cwd=folder)
            stderr = result.stderr.decode()
            assert result.returncode == 2, (output, stderr)
            assert "Traceback" not in stderr
            assert stderr.splitlines()[-1].startswith(f"Error: Invalid value for '-o' / '--output': {output} is "), stderr
    assert _fingerprints(folder) == before
    assert not (warc_dir / "new.jsonl").exists() and not (elsewhere / "new.warc.gz").exists()
    # The database is refused through another name for it as well.
    result = govarchive("export", "--db", "link.db", "-o", archive_copy.name, cwd=folder)
    assert result.returncode == 2 and f"{archive_copy.name} is the archive's own file".encode() in result.stderr


def test_export_to_a_file_that_cannot_be_opened_is_a_one_line_error(crawled_archive, tmp_path):
    for output in (tmp_path / "nodir" / "out.jsonl", "/proc/out.jsonl"):
        result = govarchive("export", "--db", "archive.db", "-o", output, cwd=crawled_archive)
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr
        assert "Traceback" not in stderr
        assert stderr.splitlines()[-1] == (
            f"Error: Invalid value for '-o' / '--output': cannot write {output}: No such file or directory"
        )


def test_an_output_ending_in_a_slash_is_refused_and_a_name_near_the_limit_is_written(crawled_archive, tmp_path):
    folder = f"{tmp_path}/newdir/"
    result = govarchive("export", "--db", "archive.db", "--format", "csv", "-o", folder, cwd=crawled_archive)
    assert result.returncode == 2 and not (tmp_path / "newdir").exists()
    assert result.stderr.decode().splitlines()[-1] == (
        f"Error: Invalid value for '-o' / '--output': cannot write {folder}: names a folder, not a file")
    # 250 bytes: a legal name, with no room for the temporary name's suffix beside it.
    long = tmp_path / ("a" * 246 + ".csv")
    result = govarchive("export", "--db", "archive.db", "--format", "csv", "-o", long, cwd=crawled_archive)
    assert result.returncode == 0, result.stderr.decode()
    assert long.read_bytes().startswith(b"\xef\xbb\xbf") and [p.name for p in tmp_path.iterdir()] == [long.name]


def test_export_help_says_zip_needs_a_file():
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert "not for --format zip" in " ".join(result.output.split())


@pytest.mark.parametrize("source", ["nope", ""])
@pytest.mark.parametrize("command", ["export", "reextract", "stats"])
def test_an_unknown_source_is_refused_naming_it(crawled_archive, command, source):
    result = govarchive(command, "--source", source, "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().splitlines() == [
        f"Error: unknown source id {source!r} in archive.db (known: sample-magazine, sample-news, sample-portal)"
    ]
    assert result.stdout == b""


def test_an_empty_source_selects_nothing_not_every_source(archive_copy):
    # The CLI refuses it (above); a caller of the library that passes one gets no article.
    from archive.export import Selection, iter_articles, selects_any

    db = open_db(archive_copy)
    assert not selects_any(db, Selection(source="")) and not list(iter_articles(db, Selection(source="")))
    assert str(Selection(source="")) == "source="


def test_a_source_no_longer_in_the_sources_file_can_still_be_exported(archive_copy):
    # Export reads no sources file: what the archive holds is what can be selected.
    (archive_copy.parent / "sources.toml").write_text("", encoding="utf-8")
    result = govarchive("export", "--source", "sample-news", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(_urls(archive_copy, "source_id = 'sample-news'"))


@pytest.fixture
def large_archive(tmp_path):
    """An archive of some 450 articles: Ctrl-C after the first tenth of a re-extraction must land
    well before the end, however slowly the test's own process gets the cores."""
    from archive.samplesite import SampleSite
    from tests.conftest import crawl_into

    with SampleSite(extra_articles=400) as site:
        (tmp_path / "sources.toml").write_text(site.sources_toml(), encoding="utf-8")
        result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / "archive.db"


def test_an_interrupted_reextract_says_what_it_did_and_continues_from_where_it_stopped(large_archive):
    import signal

    archive_copy = large_archive

    db = open_db(archive_copy)
    ids = [r[0] for r in db.execute("select id from articles order by id")]
    with db.atomic():
        for article_id in ids:
            update_article(db, article_id, {"text": "zzcorruptzz", "extractor_version": "old"})
    db.close()

    def corrupt():
        return [r[0] for r in sqlite3.connect(archive_copy).execute(
            "select id from articles where text = 'zzcorruptzz' order by id")]

    run = subprocess.Popen([str(BIN / "govarchive"), "reextract", "--db", archive_copy.name], cwd=archive_copy.parent,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Away from a terminal it says how far it is; the first tenth done, Ctrl-C.
    first = run.stderr.readline()
    assert re.fullmatch(rf"Re-extracting: \d+ of {len(ids)} articles \(\d+%\)\n", first), first
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert stdout == "" and "Traceback" not in stderr and "Aborted" not in stderr
    last = stderr.splitlines()[-1]
    said = re.fullmatch(r"interrupted: (\d+) updated, 0 unchanged, 0 without a capture before the interruption; "
                        r"run the same command with --from-id (\d+) to continue", last)
    assert said, stderr
    updated, next_id = int(said[1]), int(said[2])
    # What it said it did is what it did: the articles before next_id (and next_id itself when
    # Ctrl-C came as it finished it: going on from it again costs one article).
    before = [i for i in ids if i < next_id]
    assert [i for i in corrupt() if i != next_id] == [i for i in ids if i > next_id]
    assert 0 < len(before) <= updated <= len(before) + 1 < len(ids)

    result = govarchive("reextract", "--from-id", next_id, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 0, result.stderr
    again = re.match(r"(\d+) updated, (\d+) unchanged, 0 without a capture\.", result.stdout.decode())
    assert int(again[1]) + int(again[2]) == len(ids) - len(before) and int(again[2]) <= 1
    assert corrupt() == []


def test_reextract_warns_of_a_rule_that_leaves_articles_without_text(archive_copy):
    db = open_db(archive_copy)
    # A body selector that picks an element with no text: what a site redesign does to a rule.
    with db.atomic():
        db["sources"].update("sample-news", {"extract_rules": json.dumps({"body": "meta"})})
    emptied = [r[0] for r in db.execute("select id from articles where source_id = 'sample-news' order by id")]
    total = db.execute("select count(*) from articles").fetchone()[0]
    db.close()
    result = govarchive("reextract", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 0, result.stderr
    stderr = result.stderr.decode().splitlines()
    assert stderr[-2:] == [
        f"warning: {len(emptied)} articles have no text after re-extraction, though they had before "
        f"(e.g. ids {', '.join(map(str, emptied[:3]))}): check the extract rules of sample-news",
        f"warning: sample-news: extract.body 'meta' matched only elements without text on {len(emptied)} of the "
        f"{len(emptied)} articles re-read: those have no text",
    ]
    progress = stderr[:-2]
    assert 1 < len(progress) <= 10 and progress[-1] == f"Re-extracting: {total} of {total} articles (100%)"


@pytest.mark.parametrize("output", [(), ("-o", "/dev/stdout")])
def test_a_reader_that_stops_early_gets_no_error_message(crawled_archive, output):
    # ``export | head``: the export stops where the reader did, quietly, with the status a
    # shell gives a writer whose pipe closed.
    process = subprocess.Popen([str(BIN / "govarchive"), "export", "--format", "warc", "--db", "archive.db",
                                *output], cwd=crawled_archive, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(1000)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert stderr == "", stderr
