"""An upgrade that adds what only re-extraction fills in for the articles already archived
(m005: document references, mentions, clean authors) says to run 'govarchive reextract'."""

from sqlite_utils import Database

from tests.test_upgrade_old_archives import FIRST_RELEASE, make_old_archive


def _upgrade_warnings(run_cli, path):
    result = run_cli("stats", "--db", path, check=True)
    return [line for line in result.stderr.splitlines() if line.startswith(str(path))]


def test_an_upgrade_past_m005_says_reextract_fills_in_what_it_adds(crawled_archive, tmp_path, run_cli):
    path = make_old_archive(crawled_archive, tmp_path, "m005_knowledge")
    upgrading, reextract = _upgrade_warnings(run_cli, path)
    assert upgrading.startswith(f"{path}: upgrading the archive (m005_knowledge, ")
    assert reextract == (f"{path}: upgraded; the articles archived before have no document references, mentions, "
                         f"clean author names and syndicated copies until 'govarchive reextract --db {path}' reads "
                         "them again from their captures")
    run_cli("reextract", "--db", path, check=True)
    assert Database(path).execute("select count(*) from mentions").fetchone()[0] > 0


def test_an_upgrade_that_leaves_nothing_to_reextract_does_not_mention_it(crawled_archive, tmp_path, run_cli):
    path = make_old_archive(crawled_archive, tmp_path, FIRST_RELEASE)
    [upgrading] = _upgrade_warnings(run_cli, path)
    assert "reextract" not in upgrading
