"""reextract reads each source's [source.extract] rules from the sources file, as a crawl does."""

import json
import shutil
import sqlite3

import pytest

from archive.extract import extract
from archive.sources import parse_sources
from archive.warc import default_warc_dir
from tests.conftest import ROOT, query

# Reads only the sample site's disclaimer: every article of the source reads differently.
RULES = {"body": "p.sample-note"}


@pytest.fixture
def folder(crawled_archive, tmp_path):
    """A private copy of the crawled archive, without its sources file."""
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    return tmp_path


def sources_text(crawled_archive, rules=None, drop=()):
    """The crawl's sources file, with ``rules`` ({source id: selectors}) added and the sources
    in ``drop`` left out."""
    header, *blocks = (crawled_archive / "sources.toml").read_text(encoding="utf-8").split("[[source]]\n")
    kept = []
    for block in blocks:
        source_id = block.split('id = "', 1)[1].split('"', 1)[0]
        if source_id in drop:
            continue
        extra = (rules or {}).get(source_id)
        if extra:
            block = block.rstrip("\n") + "\n\n[source.extract]\n" + "".join(f'{k} = "{v}"\n' for k, v in extra.items())
        kept.append(block.rstrip("\n") + "\n\n")
    text = header + "".join("[[source]]\n" + b for b in kept)
    parsed = {s.id: s.extract for s in parse_sources(text)}
    assert all(parsed[i] == r for i, r in (rules or {}).items())
    return text


def stored_rules(folder):
    return {r["id"]: json.loads(r["extract_rules"]) for r in query(folder, "select id, extract_rules from sources")}


def version_by(rules):
    """The extractor_version a crawl by ``rules`` gives its articles."""
    page = (ROOT / "tests" / "golden" / "seed-000.html").read_bytes()
    return extract(page, "http://127.0.0.1/x.htm", {}, rules)["extractor_version"]


def articles(folder, source_id):
    return query(folder, "select id, url, text, extractor_version from articles where source_id = ? order by id",
                 [source_id])


def test_edited_rules_in_the_sources_file_are_stored_and_applied(folder, crawled_archive, run_cli):
    before = articles(folder, "sample-news")
    others = query(folder, "select id, text, extractor_version from articles where source_id != 'sample-news'")
    (folder / "sources.toml").write_text(sources_text(crawled_archive, {"sample-news": RULES}), encoding="utf-8")

    result = run_cli("reextract", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{len(before)} updated, {len(others)} unchanged, 0 without a capture."
    assert lines[1] == "Extract rules from sources.toml (changed for sample-news, now stored in the archive)."
    # Not named on the command line, the file is said to have been used, and how not to.
    assert ("note: the extract rules for sample-news in sources.toml differ from those stored in the archive; "
            "re-extracting by the file's, which replace them (pass --stored-rules to keep the stored ones)"
            in result.stderr.splitlines())

    assert stored_rules(folder) == {"sample-news": RULES, "sample-portal": {}, "sample-magazine": {}}
    # Read as a crawl by these rules reads them: the version names the rules.
    after = articles(folder, "sample-news")
    assert {a["extractor_version"] for a in after} == {version_by(RULES)}
    assert all(a["text"] != b["text"] for a, b in zip(after, before))
    assert query(folder, "select id, text, extractor_version from articles where source_id != 'sample-news'") == others

    again = run_cli("reextract", "--db", "archive.db", cwd=folder)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"0 updated, {len(before) + len(others)} unchanged, 0 without a capture.",
        "Extract rules from sources.toml (as stored in the archive).",
    ]
    assert "note:" not in again.stderr


def test_only_the_selected_sources_rules_are_taken(folder, crawled_archive, run_cli):
    rules = {"sample-news": RULES, "sample-portal": {"author": "p.sample-note"}}
    (folder / "other.toml").write_text(sources_text(crawled_archive, rules), encoding="utf-8")
    result = run_cli("reextract", "--source", "sample-portal", "--sources", "other.toml", "--db", "archive.db",
                     cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        "Extract rules from other.toml (changed for sample-portal, now stored in the archive).")
    # Named on the command line, the file is what the user asked for: no note.
    assert "note:" not in result.stderr
    assert stored_rules(folder) == {"sample-news": {}, "sample-portal": rules["sample-portal"], "sample-magazine": {}}


def test_a_source_the_file_does_not_list_keeps_its_stored_rules(folder, crawled_archive, run_cli):
    conn = sqlite3.connect(folder / "archive.db")
    with conn:
        conn.execute("update sources set extract_rules = ? where id = 'sample-news'", [json.dumps(RULES)])
    conn.close()
    total = len(query(folder, "select id from articles"))
    (folder / "sources.toml").write_text(sources_text(crawled_archive, drop=["sample-news"]), encoding="utf-8")
    result = run_cli("reextract", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    news = articles(folder, "sample-news")
    assert result.stdout.splitlines() == [
        f"{len(news)} updated, {total - len(news)} unchanged, 0 without a capture.",
        "Extract rules from sources.toml (as stored in the archive); stored in the archive for sample-news, "
        "which sources.toml does not list.",
    ]
    assert stored_rules(folder)["sample-news"] == RULES
    assert {a["extractor_version"] for a in news} == {version_by(RULES)}


def test_without_a_sources_file_the_stored_rules_are_used_and_it_says_so(folder, run_cli):
    result = run_cli("reextract", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "Extract rules stored in the archive (there is no sources.toml)."


def test_stored_rules_can_be_chosen_over_the_files(folder, crawled_archive, run_cli):
    (folder / "sources.toml").write_text(sources_text(crawled_archive, {"sample-news": RULES}), encoding="utf-8")
    result = run_cli("reextract", "--stored-rules", "--db", "archive.db", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("0 updated, ")
    assert result.stdout.splitlines()[1] == "Extract rules stored in the archive (--stored-rules)."
    assert stored_rules(folder)["sample-news"] == {}


@pytest.mark.parametrize("args, message", [
    (["--sources", "nope.toml"], "Error: nope.toml: file not found"),
    (["--sources", "sources.toml", "--stored-rules"], "Error: give --sources or --stored-rules, not both"),
])
def test_a_sources_file_named_but_not_usable_is_an_error(folder, crawled_archive, run_cli, args, message):
    (folder / "sources.toml").write_text(sources_text(crawled_archive), encoding="utf-8")
    result = run_cli("reextract", *args, "--db", "archive.db", cwd=folder)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.splitlines()[-1] == message
    assert result.stdout == ""


def test_a_broken_sources_file_is_an_error_even_when_not_named(folder, run_cli):
    (folder / "sources.toml").write_text("[[source]]\nid = 'x'\n", encoding="utf-8")
    result = run_cli("reextract", "--db", "archive.db", cwd=folder)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.splitlines() == [
        "Error: sources.toml: source 'x': field 'name': missing (the source starts at line 1)"]
