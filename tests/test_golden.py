"""Golden extraction tests: one stored page and its expected record per seed-modelled article."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archive.extract import extract
from tests.test_extract_purity import extract_on

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def test_all_five_seeds_have_golden_files():
    assert CASES == [f"seed-00{i}" for i in range(5)]


def _load(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    body = (GOLDEN / f"{name}.html").read_bytes()
    return expected, body


@pytest.fixture(params=CASES)
def case(request):
    expected, body = _load(request.param)
    return expected, extract(body, expected["url"], expected["headers"])


def test_facts_are_recovered(case):
    expected, record = case
    facts = expected["facts"]
    assert record["title"] == facts["title"]
    assert record["published"] == facts["published"]
    assert record["published"].endswith("+07:00")
    assert record["author"] and (facts["author"] in record["author"] or record["author"] in facts["author"])
    assert facts["first_paragraph"] in record["text"]
    assert facts["last_paragraph"] in record["text"]


def test_boilerplate_is_absent(case):
    expected, record = case
    for phrase in expected["absent"]:
        assert phrase not in record["text"], phrase


def test_record_matches_reviewed_snapshot(case):
    expected, record = case
    assert {k: record[k] for k in expected["snapshot"]} == expected["snapshot"]


# Days before each page was published and long after: a record that reads the clock differs.
CLOCKS = (datetime(2001, 1, 1, tzinfo=timezone.utc), datetime(2099, 1, 1, tzinfo=timezone.utc))
# A time after every page was published, for reading them as a crawl does (the pages were stored
# without their response's Date header).
CAPTURED = "2025-01-02T03:04:05.000+00:00"


@pytest.mark.parametrize("name", CASES)
def test_extraction_is_deterministic(name):
    """The same record every time, on any day: `govarchive reextract` must find no change the
    capture does not have."""
    expected, body = _load(name)
    args = (body, expected["url"], expected["headers"])
    first = extract(*args)
    assert extract(*args) == first
    assert [extract_on(clock, *args) for clock in CLOCKS] == [first, first]
    crawled = extract(*args, captured_at=CAPTURED)
    assert [extract_on(clock, *args, captured_at=CAPTURED) for clock in CLOCKS] == [crawled, crawled]
