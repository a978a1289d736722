"""An export past a WARC file that is gone: the file is named once, not each of its captures."""

import sqlite3
import zipfile

import pytest

from tests.conftest import govarchive


@pytest.mark.parametrize("fmt", ["warc", "zip"])
def test_a_warc_file_gone_is_named_once_with_the_count_of_its_captures(archive_copy, tmp_path, fmt):
    conn = sqlite3.connect(archive_copy)
    (warc_file,) = conn.execute(
        "select f.warc_file from articles a join fetches f on f.id = a.fetch_id order by a.id limit 1").fetchone()
    affected = {r[0] for r in conn.execute(
        "select a.id from articles a join fetches f on f.id = a.fetch_id where f.warc_file = ?", [warc_file])}
    conn.close()
    assert len(affected) > 1
    (archive_copy.parent / warc_file).rename(tmp_path / "moved.warc.gz")
    out = tmp_path / f"all.{fmt}"
    result = govarchive("export", "--format", fmt, "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    listed = ("the zip's missing-captures.tsv lists them" if fmt == "zip"
              else "--format zip lists them in its missing-captures.tsv")
    assert result.stderr.splitlines()[:-2] == [
        f"warning: {len(affected)} captures left out; WARC files gone or unreadable: {warc_file} (missing); {listed}"]
    assert result.stderr.splitlines()[-2].startswith("Changes through ")
    assert result.stderr.splitlines()[-1].endswith(f"; {len(affected)} captures could not be included (named above).")
    if fmt == "zip":
        with zipfile.ZipFile(out.with_name(out.name + ".incomplete")) as bundle:
            missing = bundle.read("missing-captures.tsv").decode().splitlines()[1:]
        assert {int(line.split("\t")[0]) for line in missing} == affected
        assert all(line.endswith(f"WARC file {warc_file} is missing") for line in missing)
