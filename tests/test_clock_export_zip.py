"""The files in an export's zip are dated in Vietnam time, as the reading room shows times,
whatever zone the machine that exported it keeps: a zip's times name no zone of their own."""

import re
import time
import zipfile
from datetime import datetime, timedelta

import pytest

from archive.db import open_db
from archive.export import Selection, export
from archive.vietnamese import VN_TZ


@pytest.fixture
def new_york(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_zips_files_are_dated_when_exported_in_vietnam_time(tmp_path, new_york):
    path = tmp_path / "archive.db"
    db = open_db(path)
    out = tmp_path / "all.zip"
    with open(out, "wb") as file:
        export(db, path, "zip", file, Selection())
    db.close()
    with zipfile.ZipFile(out) as bundle:
        readme = bundle.read("README.txt").decode()
        dated = {info.date_time for info in bundle.infolist()}
    exported = datetime.fromisoformat(re.search(r"\nexported +(\S+) \(UTC\)\n", readme).group(1))
    (when,) = dated  # one moment for every file: when the export began
    # A zip keeps times to two seconds.
    assert timedelta(0) <= exported.astimezone(VN_TZ).replace(tzinfo=None) - datetime(*when) < timedelta(seconds=2)
