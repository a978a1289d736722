"""The options of ``govarchive export`` at their edges: the last day there is, output names the
file system refuses, a date that does not exist, an empty output name, an unknown source."""

import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def govarchive(*args, cwd):
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _ids(result):
    assert result.returncode == 0, result.stderr
    return {json.loads(line)["id"] for line in result.stdout.splitlines()}


def test_until_the_last_day_there_is_selects_every_dated_article(crawled_archive):
    dated = {r[0] for r in sqlite3.connect(crawled_archive / "archive.db").execute(
        "select id from articles where published is not null")}
    for args in (["--until", "9999-12-31"], ["--since", "0001-01-01", "--until", "9999-12-31"]):
        result = govarchive("export", *args, "--db", "archive.db", cwd=crawled_archive)
        assert "Traceback" not in result.stderr
        assert _ids(result) == dated


def test_a_name_too_long_for_the_file_system_is_a_one_line_error(crawled_archive, tmp_path):
    for output in (tmp_path / ("a" * 250 + ".jsonl"), tmp_path / ("x" * 300) / "a.jsonl"):
        result = govarchive("export", "--db", "archive.db", "-o", output, cwd=crawled_archive)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines()[-1] == (
            f"Error: Invalid value for '-o' / '--output': cannot write {output}: File name too long")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_name_is_a_usage_error(crawled_archive):
    result = govarchive("export", "--db", "archive.db", "-o", "", cwd=crawled_archive)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '-o' / '--output': is empty: give a file name, or - for stdout")
    assert result.stdout == ""


@pytest.mark.parametrize("day, message", [
    ("2024-02-30", "2024-02-30 is not a date (day is out of range for month)"),
    ("2024-13-01", "2024-13-01 is not a date (month must be in 1..12)"),
    ("8/4/2021", "'8/4/2021' is not a day written YYYY-MM-DD"),
])
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_day_that_does_not_exist_is_named_as_one(crawled_archive, option, day, message):
    result = govarchive("export", "--db", "archive.db", option, day, cwd=crawled_archive)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '{option}': {message}"


def test_a_day_may_be_typed_without_its_leading_zeros(crawled_archive):
    assert _ids(govarchive("export", "--db", "archive.db", "--since", "2000-1-1", cwd=crawled_archive)) == _ids(
        govarchive("export", "--db", "archive.db", "--since", "2000-01-01", cwd=crawled_archive))


@pytest.mark.parametrize("command", [["export"], ["search", "Zalo"], ["reextract"], ["stats"]])
def test_an_unknown_source_is_refused_alike_by_every_command(crawled_archive, command):
    result = govarchive(*command, "--source", "nope", "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "Error: unknown source id 'nope' in archive.db (known: sample-magazine, sample-news, sample-portal)"]
    assert result.stdout == ""


def test_the_zip_readme_says_how_many_articles_and_what_the_query_could_not_honour(crawled_archive, tmp_path):
    out = tmp_path / "zalo.zip"
    result = govarchive("export", "--db", "archive.db", "--format", "zip", "--search", '"Zalo OA', "-o", out,
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    (note,) = [line[len("note: "):] for line in result.stderr.splitlines() if line.startswith("note: ")]
    with zipfile.ZipFile(out) as bundle:
        count = len(bundle.read("articles.jsonl").splitlines())
        readme = bundle.read("README.txt").decode()
    assert count > 0
    head = readme.split("\n\n", 1)[1].split("\n\n", 1)[0]
    assert f"\narticles             {count}\n" in head
    assert " ".join(head.split("\nnote ", 1)[1].split("\narticles ", 1)[0].split()) == note
    # Each line's text in one column, the notes' wrapped lines too.
    assert {len(re.match(r"\S+ +", line).group()) if line[0] != " " else len(line) - len(line.lstrip())
            for line in head.splitlines()} == {21}
