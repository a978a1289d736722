"""Texts far longer than an article's: a hostile or broken page's <meta> value or body must cost
time and memory in proportion to its length, and read as a short one does."""

import time
import tracemalloc

import numpy as np
import pytest
from datasketch import MinHash

from archive import syndication
from archive.syndication import signature
from archive.vietnamese import find_dates, fold


def days(text: str) -> list[str]:
    return [found.value.date().isoformat() for found in find_dates(text)]


def test_a_long_run_of_digits_and_dots_is_read_in_linear_time():
    # A <meta> date of "20241.01.0…": every position of the run was tried as the start of a
    # domain and the rest of the run rescanned from it; 40,000 characters took half a minute.
    value = "2024" + "1.0" * 13_000
    started = time.perf_counter()
    assert find_dates(value) == []
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "text, expected",
    [
        # Dates inside links are slugs, wherever the link starts.
        ("Xem tại baochinhphu.vn/tin-17-05-2024.htm ngày 18/05/2024", ["2024-05-18"]),
        ("https://x.gov.vn/17/05/2024/a 18/05/2024", ["2024-05-18"]),
        ("(nguồn:chinhphu.vn/a/17-05-2024) 19/05/2024", ["2024-05-19"]),
        ("hộp thư a.b-c@x.vn/17/05/2024, 20/05/2024", ["2024-05-20"]),
        ("so_van_ban.vn/17/05/2024 21/05/2024", ["2024-05-21"]),
        ("tệp 17.05.2024.vn/a 22/05/2024", ["2024-05-22"]),
        # A domain glued to a word is still the link's, from the start of that word.
        ("trangxyz.gov.vn/2024/05/17 23/05/2024", ["2024-05-23"]),
        # Not a link without a path after the domain; a path's number is no date in any case.
        ("17.05.2024.vn 24/05/2024", ["2024-05-17", "2024-05-24"]),
        ("abc.xyz/17/05/2024 25/05/2024", ["2024-05-25"]),
        ("Cập nhật 26/05/2024 08:00 tại hanoi.gov.vn", ["2024-05-26"]),
    ],
)
def test_dates_inside_links_are_masked_as_before(text, expected):
    assert days(text) == expected


def one_batch(text: str) -> str:
    """The signature datasketch's MinHash gives, every shingle given to it at once."""
    words = syndication._WORD.findall(fold(text))
    minhash = MinHash(num_perm=syndication.NUM_PERM, seed=1, scheme=syndication.SCHEME)
    shingles = len(words) - syndication.SHINGLE + 1
    minhash.update_batch(" ".join(words[i : i + syndication.SHINGLE]).encode("utf-8") for i in range(shingles))
    return minhash.hashvalues.astype(np.uint32).tobytes().hex()


@pytest.mark.parametrize("text", [
    " ".join(["Sở Thông tin và Truyền thông tỉnh Hà Tĩnh hướng dẫn các xã lập Zalo OA"] * 3),
    "Kế hoạch 174/KH-UBND ngày 08/4/2021 của UBND thành phố Hà Nội về phát triển kênh Zalo OA và fanpage "
    "của các sở, ngành; tổng cộng 579 xã, phường, thị trấn đã có tài khoản chính thức.",
    " ".join(f"w{i * 7919 % 100_003}" for i in range(20_000)),
], ids=["repeated", "a sentence", "20,000 words"])
def test_a_signature_is_datasketchs(text):
    # Stored signatures were datasketch's before it was computed here: they must stay comparable.
    assert signature(text) == one_batch(text)


# Around the batches of 4,096 shingles the signature is computed in.
@pytest.mark.parametrize("shingles", [16, 4095, 4096, 4097, 3 * 4096 + 7])
def test_a_signature_in_batches_is_that_of_all_shingles_at_once(shingles):
    text = " ".join(f"từ{i % 997}" for i in range(shingles + syndication.SHINGLE - 1))
    assert signature(text) == one_batch(text)


def test_the_signature_of_a_long_text_keeps_its_stored_value():
    # Computed before signatures were computed in batches: stored ones must stay comparable.
    text = " ".join(f"Ủy ban số {i} đã họp" for i in range(3_000))
    assert signature(text)[:32] == "f80d010026b000005c87000046a50f00"


def test_the_signature_of_a_long_text_takes_memory_for_a_batch_not_for_every_shingle():
    # The 64 values of 8 bytes of every shingle were held at once: 400 MB for a 5 MB page.
    # Traced memory does not depend on the machine's load.
    text = " ".join(f"từ{i}" for i in range(100_000))
    syndication._permutations()
    tracemalloc.start()
    try:
        signature(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000


def test_a_title_with_a_long_run_of_spaces_is_split_in_linear_time():
    # A broken template's <title>: a run of whitespace with no separator after it was scanned
    # again from each of its spaces; 20,000 took 5 s, 50,000 half a minute.
    from archive.extract import _TITLE_PARTS

    title = "Bắc Giang triển khai Kế hoạch 174/KH-UBND" + " " * 50_000 + "x - Cổng thông tin điện tử tỉnh"
    started = time.perf_counter()
    parts = _TITLE_PARTS.split(title)
    assert time.perf_counter() - started < 5
    assert parts == ["Bắc Giang triển khai Kế hoạch 174/KH-UBND" + " " * 50_000 + "x", "Cổng thông tin điện tử tỉnh"]


@pytest.mark.parametrize("title, parts", [
    ("Tin tức - Cổng TTĐT", ["Tin tức", "Cổng TTĐT"]),
    ("Tin tức  -  Cổng TTĐT", ["Tin tức", "Cổng TTĐT"]),
    ("Tin tức | Cổng TTĐT", ["Tin tức", "Cổng TTĐT"]),
    ("Tin tức|Cổng TTĐT", ["Tin tức", "Cổng TTĐT"]),
    ("Tin tức »Cổng » TTĐT", ["Tin tức", "Cổng", "TTĐT"]),
    ("Tin tức\n\t- Cổng TTĐT", ["Tin tức", "Cổng TTĐT"]),
    ("COVID-19: Hà Nội - Cổng", ["COVID-19: Hà Nội", "Cổng"]),
    ("Chuyển đổi số : Zalo OA - Cổng", ["Chuyển đổi số", "Zalo OA", "Cổng"]),
    ("  | Cổng", ["", "Cổng"]),
])
def test_a_title_splits_into_its_parts_as_before(title, parts):
    from archive.extract import _TITLE_PARTS

    assert _TITLE_PARTS.split(title) == parts
