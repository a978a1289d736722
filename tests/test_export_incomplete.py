"""An export that leaves captures out never takes the name of FILE: the last complete export
stays there, and the incomplete one is kept beside it as FILE.incomplete."""

import io
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import default_warc_dir
from tests.conftest import govarchive


def _responses(warc: bytes) -> int:
    return sum(r.rec_type == "response" for r in ArchiveIterator(io.BytesIO(warc)))


def _captures_in(path: Path, fmt: str) -> int:
    if fmt == "zip":
        with zipfile.ZipFile(path) as bundle:
            return _responses(bundle.read("captures.warc.gz"))
    return _responses(path.read_bytes())


@pytest.mark.parametrize("fmt", ["warc", "zip"])
def test_an_export_without_its_captures_leaves_the_earlier_file_as_it_was(archive_copy, tmp_path, fmt):
    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / f"nightly.{fmt}"
    first = govarchive("export", "--format", fmt, "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert first.returncode == 0, first.stderr
    good = out.read_bytes()
    assert _captures_in(out, fmt) > 0
    # The disk of WARC files is not mounted tonight.
    warc_dir = default_warc_dir(archive_copy)
    warc_dir.rename(warc_dir.with_name("unmounted"))

    result = govarchive("export", "--format", fmt, "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert out.read_bytes() == good
    aside = exports / f"nightly.{fmt}.incomplete"
    assert sorted(p.name for p in exports.iterdir()) == [out.name, aside.name]
    assert _captures_in(aside, fmt) == 0
    last = result.stderr.splitlines()[-1]
    assert (f" as {fmt} to {aside}, not {out}: it is left as it was, as only an export with every capture takes its "
            "name; ") in last, last
    assert last.endswith(" captures could not be included (named above)."), last


def test_an_incomplete_export_to_a_new_file_does_not_take_its_name(archive_copy, tmp_path):
    warc_dir = default_warc_dir(archive_copy)
    warc_dir.rename(warc_dir.with_name("unmounted"))
    out = tmp_path / "new.warc.gz"
    result = govarchive("export", "--format", "warc", "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name != "copy"] == ["new.warc.gz.incomplete"]
    assert (f"to {out}.incomplete, not {out}: it is not created, as only an export with every capture takes "
            "its name; ") in result.stderr.splitlines()[-1]


def test_an_earlier_incomplete_export_is_replaced_by_the_next(archive_copy, tmp_path):
    warc_dir = default_warc_dir(archive_copy)
    warc_dir.rename(warc_dir.with_name("unmounted"))
    out = tmp_path / "all.warc.gz"
    aside = tmp_path / "all.warc.gz.incomplete"
    aside.write_bytes(b"an earlier incomplete export")
    result = govarchive("export", "--format", "warc", "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert aside.read_bytes() != b"an earlier incomplete export" and not out.exists()


def test_a_complete_export_removes_the_incomplete_one_it_makes_obsolete(archive_copy, tmp_path):
    warc_dir = default_warc_dir(archive_copy)
    warc_dir.rename(warc_dir.with_name("unmounted"))
    out = tmp_path / "all.warc.gz"
    assert govarchive("export", "--format", "warc", "-o", out, "--db", archive_copy.name,
                      cwd=archive_copy.parent).returncode == 1
    # The disk is back: the next export is whole, and the incomplete one beside it is no more.
    warc_dir.with_name("unmounted").rename(warc_dir)
    result = govarchive("export", "--format", "warc", "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "copy") == ["all.warc.gz"]
    assert _captures_in(out, "warc") > 0
    assert result.stderr.splitlines()[-1] == (
        f"Removed {out}.incomplete, an earlier incomplete export: {out} is complete.")
