import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.vietnamese import VN_TZ, FoundDate, date_limit, find_dates, fold, fold_aligned, nfc, page_dates, parse_datetime

REF = datetime(2025, 1, 15, 12, 0, tzinfo=VN_TZ)


def vn(*args):
    return datetime(*args, tzinfo=VN_TZ)


def described(found):
    """A found date as the table states it: full ISO when a time was given, else the day."""
    return found.value.isoformat() if found.has_time else found.value.date().isoformat()


# (text, expected: ISO with time, or the bare day when the text gives none, kind)
DATED = [
    ("08/04/2021", "2021-04-08", None),
    ("8/4/2021", "2021-04-08", None),
    ("08-04-2021", "2021-04-08", None),
    ("08.04.2021", "2021-04-08", None),
    ("2021-04-08", "2021-04-08", None),
    ("2021-04-08T14:30:00+07:00", "2021-04-08T14:30:00+07:00", None),
    ("2021-04-08 14:30", "2021-04-08T14:30:00+07:00", None),
    ("2021-04-08T07:30:00Z", "2021-04-08T14:30:00+07:00", None),
    ("2021-04-07T23:30:00.000Z", "2021-04-08T06:30:00+07:00", None),
    ("2021-04-08T14:30:00+0700", "2021-04-08T14:30:00+07:00", None),
    ("Thứ Hai, 08/04/2021 14:30 (GMT+7)", "2021-04-08T14:30:00+07:00", None),
    ("Thứ hai, 8/4/2021, 14:30 GMT+7", "2021-04-08T14:30:00+07:00", None),
    ("Chủ nhật, 07/04/2024 - 09:15", "2024-04-07T09:15:00+07:00", None),
    ("T2, 08/04/2021", "2021-04-08", None),
    ("10:01 29/03/2023", "2023-03-29T10:01:00+07:00", None),
    ("NK 10:01 29/03/2023", "2023-03-29T10:01:00+07:00", None),
    ("14h30 ngày 8/4/2021", "2021-04-08T14:30:00+07:00", None),
    ("14 giờ 30 ngày 08/4/2021", "2021-04-08T14:30:00+07:00", None),
    ("14 giờ 30 phút, ngày 08/4/2021", "2021-04-08T14:30:00+07:00", None),
    ("sẽ diễn ra vào hồi 9h45 ngày 28/6/2024 qua", "2024-06-28T09:45:00+07:00", None),
    ("2h chiều ngày 8/4/2021", "2021-04-08T14:00:00+07:00", None),
    ("Ngày đăng 05/07/2024 | 08:32", "2024-07-05T08:32:00+07:00", "published"),
    ("Ngày đăng: 05/07/2024 08:32", "2024-07-05T08:32:00+07:00", "published"),
    ("Ngày cập nhật: 06/07/2024 10:00", "2024-07-06T10:00:00+07:00", "updated"),
    ("Đăng lúc: 08:32 05/07/2024", "2024-07-05T08:32:00+07:00", "published"),
    ("ngày 5 tháng 8 năm 2024", "2024-08-05", None),
    ("Ngày 05 tháng 08 năm 2024", "2024-08-05", None),
    ("Hà Nội, ngày 05 tháng 7 năm 2024", "2024-07-05", None),
    ("Cập nhật: 08:32 ngày 5 tháng 7 năm 2024", "2024-07-05T08:32:00+07:00", "updated"),
    ("Cập nhật lúc 08:32, 05/07/2024", "2024-07-05T08:32:00+07:00", "updated"),
    ("cập nhật lúc 14h30 ngày 8/4/2021", "2021-04-08T14:30:00+07:00", "updated"),
    ("Xuất bản: 05/07/2024 08:32", "2024-07-05T08:32:00+07:00", "published"),
    ("Thời gian đăng: 05/07/2024", "2024-07-05", "published"),
    ("Sửa đổi: 08/04/2021", "2021-04-08", "updated"),
    ("Updated: 2021-04-08T14:30:00+07:00", "2021-04-08T14:30:00+07:00", "updated"),
    ("Published: 2021-04-08 14:30", "2021-04-08T14:30:00+07:00", "published"),
    ("Cap nhat: 08/04/2021 14:30", "2021-04-08T14:30:00+07:00", "updated"),
    ("Ngay dang: 05/07/2024", "2024-07-05", "published"),
    ("tháng 8/2021", "2021-08-01", None),
    ("Giữa tháng 7/2024, Ủy ban", "2024-07-01", None),
    ("Tháng 8 năm 2021", "2021-08-01", None),
    ("05/07/2024 | 08:32 | Lượt xem: 144", "2024-07-05T08:32:00+07:00", None),
    ("08/04/2021 14:30 (GMT+7)", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 14:30 GMT+07:00", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 14:30 UTC+7", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 16:30 (GMT+9)", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 lúc 14:30:15", "2021-04-08T14:30:15+07:00", None),
    ("02:30 PM 08/04/2021", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 2:30 CH", "2021-04-08T14:30:00+07:00", None),
    ("08/04/2021 9:15 SA", "2021-04-08T09:15:00+07:00", None),
    ("08/04/2021 12:05 SA", "2021-04-08T00:05:00+07:00", None),
    ("Thu Hai, 08/04/2021 14:30", "2021-04-08T14:30:00+07:00", None),
    ("Thứ 2, 08/04/2021", "2021-04-08", None),
    ("Thứ Bảy, 06/07/2024 08:00", "2024-07-06T08:00:00+07:00", None),
    ("Thu bay, 06/07/2024", "2024-07-06", None),
    ("CN, 07/07/2024", "2024-07-07", None),
    ("29/02/2024", "2024-02-29", None),
    ("… ban hành ngày 9/8/2019 của UBND …", "2019-08-09", None),
    ("thực hiện Kế hoạch số 174/KH-UBND ngày 9/8/2019 của UBND TP. Hà Nội", "2019-08-09", None),
    ("Nghị định 13/2023/NĐ-CP ngày 17/4/2023 của Chính phủ", "2023-04-17", None),
    (unicodedata.normalize("NFD", "Ngày cập nhật: 06/07/2024 10:00"), "2024-07-06T10:00:00+07:00", "updated"),
    # Two-digit years, read only beside a time of day (a bare "17/05/24" is too often a number).
    ("17/05/24 08:30", "2024-05-17T08:30:00+07:00", None),
    ("08:30 17/05/24", "2024-05-17T08:30:00+07:00", None),
    ("Cập nhật: 18/05/24 - 14:00", "2024-05-18T14:00:00+07:00", "updated"),
    # The lunar day in brackets between the date and its time.
    ("Thứ Sáu, 23/02/2024 (14/01 năm Giáp Thìn) 16:45", "2024-02-23T16:45:00+07:00", None),
    ("Thứ Bảy, 24/02/2024 (15/1 ÂL) 07:10", "2024-02-24T07:10:00+07:00", None),
    ("2024/05/17 08:30", "2024-05-17T08:30:00+07:00", None),
    ("2024/5/17", "2024-05-17", None),
    ("Ngày đăng: 2024/05/17 08:30", "2024-05-17T08:30:00+07:00", "published"),
    # The long form with its year after a comma or a space, without "năm".
    ("14 tháng 3, 2024 | 08:15", "2024-03-14T08:15:00+07:00", None),
    ("Thứ năm, 14 tháng 3, 2024 08:15", "2024-03-14T08:15:00+07:00", None),
    ("14 Tháng 3 2024", "2024-03-14", None),
    ("Cập nhật: 15 tháng 3, 2024 - 09:00", "2024-03-15T09:00:00+07:00", "updated"),
    # The forms CMSs write into meta tags: e-mail and HTTP dates, and American English.
    ("Thu, 14 Mar 2024 08:15:00 +0700", "2024-03-14T08:15:00+07:00", None),
    ("Mon, 27 May 2024 03:00:00 GMT", "2024-05-27T10:00:00+07:00", None),
    ("14 March 2024", "2024-03-14", None),
    ("08/04/2021 14:30 +0700", "2021-04-08T14:30:00+07:00", None),
    ("3/14/2024 8:15:00 AM", "2024-03-14T08:15:00+07:00", None),
    ("3/14/2024 8:15:00 PM", "2024-03-14T20:15:00+07:00", None),
]

# Year-less forms take their year from the reference: (text, reference, expected)
YEARLESS = [
    ("Chiều 8/4", vn(2021, 4, 9), "2021-04-08"),
    ("Chiều ngày 8/4, Sở", vn(2021, 4, 9), "2021-04-08"),
    ("Sáng 12/3", vn(2021, 4, 9), "2021-03-12"),
    ("Tối 20/11", vn(2021, 4, 9), "2020-11-20"),
    ("Hôm 4/12", vn(2024, 12, 10), "2024-12-04"),
    ("Ngày 8/4", vn(2021, 4, 8, 9, 0), "2021-04-08"),
    ("Ngày 8-4, Sở", vn(2021, 4, 9), "2021-04-08"),
    ("Ngày 24/7", vn(2021, 8, 1), "2021-07-24"),
    ("8/4", vn(2021, 5, 1), "2021-04-08"),
    ("8/4", vn(2021, 4, 7), "2020-04-08"),
    ("29/2", vn(2025, 3, 1), "2024-02-29"),
    ("Chiều 8/4, lúc 14h30", vn(2021, 4, 9), "2021-04-08T14:30:00+07:00"),
]

# Not dates: (text, reference)
UNDATED = [
    ("uống 1-2 lần/ngày", REF),
    ("mỗi ngày 1-2 lần", REF),
    ("giai đoạn 2019-2020", REF),
    ("giai đoạn 2019 - 2020", REF),
    ("hỗ trợ 24/7", REF),
    ("hỗ trợ 24/7", None),
    ("tỷ số 3/0", None),
    ("tỷ số 3/0", REF),
    ("Chiều 8/4", None),
    ("8/4", None),
    ("Kế hoạch số 174/KH-UBND", REF),
    ("Nghị định 13/2023/NĐ-CP", REF),
    ("Quyết định số 93/QĐ-STTTT", REF),
    ("Thông tư 01/2024/TT-BTTTT", REF),
    ("văn bản số 7790/VP-TTĐT", REF),
    ("Hotline: 0912.345.678", REF),
    ("ĐT: (024) 3825 6789", REF),
    ("Điện thoại: 0243.08.04.2021", REF),
    ("phiên bản 2.153", REF),
    ("iOS 17.4.1", REF),
    ("điểm trung bình 7,5/10", REF),
    ("https://baochinhphu.vn/tin-08-04-2021.htm", REF),
    ("xem tại hanoi.gov.vn/2021-04-08/bai-viet.htm", REF),
    ("www.mic.gov.vn/8/4/2021", REF),
    ("31/02/2021", REF),
    ("2021-02-30", REF),
    ("08/04/2030", REF),
    ("đến tháng 12/2030", REF),
    ("08/04/1989", REF),
    ("tháng 13/2021", REF),
    ("Quý I/2021", REF),
    ("9 tháng cuối năm 2021", REF),
    ("trong 9 tháng, 2024 hồ sơ", REF),
    ("14 tháng 3, 20245", REF),
    ("Có 14 máy 2024 đã hỏng", REF),
    ("Giải 14 Marathon 2024", REF),
    # Month first only beside an AM or PM time; day first it is no date at all.
    ("3/14/2024", REF),
    ("3/14/2024 08:15", REF),
    ("lúc 14:30", REF),
    ("Tin 24h", REF),
    ("17/05/24", REF),
    ("hồ sơ số 12/05/24 đã trả", REF),
    ("2024/13/01", REF),
]


def test_vn_tz_prints_as_plus_seven():
    assert vn(2021, 4, 8, 14, 30).isoformat() == "2021-04-08T14:30:00+07:00"


@pytest.mark.parametrize("text,expected,kind", DATED)
def test_dated(text, expected, kind):
    found = find_dates(text, reference=REF)
    assert len(found) == 1, found
    assert described(found[0]) == expected
    assert found[0].kind == kind
    assert found[0].value.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize("text,reference,expected", YEARLESS)
def test_yearless(text, reference, expected):
    [found] = find_dates(text, reference=reference)
    assert described(found) == expected
    assert found.kind is None


@pytest.mark.parametrize("text,reference", UNDATED)
def test_undated(text, reference):
    assert find_dates(text, reference=reference) == []


def test_date_only_is_midnight_without_time():
    [found] = find_dates("Ngày 8/4", reference=vn(2021, 4, 9))
    assert found == FoundDate(vn(2021, 4, 8), False, None, "Ngày 8/4")


def test_text_is_the_matched_span():
    text = "… ban hành ngày 9/8/2019 của UBND, Thứ Hai, 08/04/2021 14:30 (GMT+7) |"
    texts = [f.text for f in find_dates(text)]
    assert texts == ["ngày 9/8/2019", "Thứ Hai, 08/04/2021 14:30 (GMT+7)"]


def test_dates_in_order_of_appearance():
    text = (
        "Chiều 8/4, thực hiện kế hoạch số 174/KH-UBND ngày 9/8/2019"
        " và quyết định số 93/QĐ-STTTT ngày 2/4"
    )
    found = find_dates(text, reference=vn(2021, 4, 9))
    assert [described(f) for f in found] == ["2021-04-08", "2019-08-09", "2021-04-02"]


def test_each_time_belongs_to_one_date():
    found = find_dates("05/07/2024 | 08:32 | 06/07/2024", reference=REF)
    assert [described(f) for f in found] == ["2024-07-05T08:32:00+07:00", "2024-07-06"]


def test_reference_may_be_naive_or_in_another_zone():
    utc = datetime(2021, 4, 8, 20, 0, tzinfo=timezone.utc)  # already 9 April in Hà Nội
    assert described(find_dates("Ngày 9/4", reference=utc)[0]) == "2021-04-09"
    assert described(find_dates("Ngày 9/4", reference=datetime(2021, 4, 9))[0]) == "2021-04-09"


def test_a_day_of_clock_skew_is_allowed():
    assert find_dates("09/04/2021 10:00", reference=vn(2021, 4, 8, 12, 0))
    assert not find_dates("10/04/2021 10:00", reference=vn(2021, 4, 8, 12, 0))


def test_parse_datetime_takes_first_plausible():
    assert parse_datetime("31/02/2021 rồi 08/04/2021 14:30") == vn(2021, 4, 8, 14, 30)
    assert parse_datetime("Chiều 8/4", reference=vn(2021, 4, 9)) == vn(2021, 4, 8)
    assert parse_datetime("Kế hoạch số 174/KH-UBND") is None
    assert parse_datetime("") is None


def test_page_dates_labelled():
    text = "Ngày đăng: 05/07/2024 08:32 | Ngày cập nhật: 06/07/2024 10:00"
    published, updated = page_dates(text, reference=REF)
    assert published.value == vn(2024, 7, 5, 8, 32) and published.kind == "published"
    assert updated.value == vn(2024, 7, 6, 10, 0) and updated.kind == "updated"


def test_page_dates_unlabelled_counts_as_published():
    published, updated = page_dates("Cập nhật: 06/07/2024 | Thứ Sáu, 05/07/2024 08:32", reference=REF)
    assert published.value == vn(2024, 7, 5, 8, 32) and published.kind is None
    assert updated.value == vn(2024, 7, 6)


def test_page_dates_byline_with_initials():
    published, updated = page_dates("Truyền thông | NK 10:01 29/03/2023", reference=REF)
    assert published.value == vn(2023, 3, 29, 10, 1) and published.has_time
    assert updated is None


def test_a_byline_name_is_not_a_label():
    found = find_dates("Hải Đăng 05/07/2024 | Đăng: 06/07/2024", reference=REF)
    assert [f.kind for f in found] == [None, "published"]


@pytest.mark.parametrize("text, expected", [
    ("14/03/2024 08:15 | Cập nhật lúc 09:00", vn(2024, 3, 14, 9, 0)),
    ("Thứ năm, 14/03/2024 | Cập nhật: 9h30", vn(2024, 3, 14, 9, 30)),
    ("14/03/2024 08:15 (GMT+7) - Cập nhật 10:00 (GMT+7)", vn(2024, 3, 14, 10, 0)),
    # An update is never before publication: past midnight, it is the next day.
    ("14/03/2024 23:50 | Cập nhật lúc 00:10", vn(2024, 3, 15, 0, 10)),
])
def test_page_dates_update_given_as_a_time_alone(text, expected):
    published, updated = page_dates(text, reference=REF)
    assert published.value.date() == vn(2024, 3, 14).date()
    assert updated.value == expected and updated.has_time and updated.kind == "updated"
    assert updated.text in text


@pytest.mark.parametrize("text", [
    "14/03/2024 08:15 | Lúc 09:00",
    "14/03/2024 08:15 | Cập nhật 2 giờ trước",
    "14/03/2024 08:15 | Cập nhật lúc 09:00 31/02/2024",
    "14/03/2024 08:15 | Cập nhật lúc 25:00",
])
def test_page_dates_a_time_alone_is_an_update_only_when_labelled_so(text):
    published, updated = page_dates(text, reference=REF)
    assert published.value == vn(2024, 3, 14, 8, 15) and updated is None


def test_page_dates_an_update_time_alone_is_not_in_the_future():
    text = "15/01/2025 23:00 | Cập nhật lúc 22:00"
    assert page_dates(text, reference=REF)[1] is None


def test_page_dates_nothing():
    assert page_dates("Lượt xem: 144", reference=REF) == (None, None)
    assert page_dates("Cập nhật: 06/07/2024", reference=REF)[0] is None


def test_nfc():
    decomposed = unicodedata.normalize("NFD", "Hà Nội")
    assert decomposed != "Hà Nội"
    assert nfc(decomposed) == "Hà Nội"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Đổi mới Hà Nội", "doi moi ha noi"),
        (unicodedata.normalize("NFD", "Đổi mới Hà Nội"), "doi moi ha noi"),
        ("ĐẶNG THỊ ÁNH, Tin liên quan:", "dang thi anh, tin lien quan:"),
        ("Bộ Thông tin và Truyền thông", "bo thong tin va truyen thong"),
        ("Ủy ban MTTQ (Việt Nam) - 2024", "uy ban mttq (viet nam) - 2024"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


# Pieces of real date text, so generated strings reach the date paths and not only plain text.
PIECES = st.sampled_from([
    "08/04/2021", "8/4", "29/02", "31/12/9999", "2021-04-08", "T", "14:30", "14h30", "9h", "giờ", "ngày",
    "tháng", "năm", "2021", "1989", "Thứ Hai", "CN", "T2", ",", " ", "|", "-", "/", ".", ":", "(", ")",
    "GMT+7", "UTC-12", "GMT+14:59", "GMT+99", "Z", "+07:00", "-23:59", "PM", "SA", "CH", "Cập nhật:",
    "Ngày đăng", "Chiều", "Hôm", "https://a.vn/", "0", "00", "99", "12", "24/7",
])
TEXTS = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=2)), max_size=25).map("".join))
REFERENCES = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone.utc, VN_TZ, timezone(timedelta(hours=-10))]),
    ),
)


@given(TEXTS, REFERENCES)
def test_find_dates_values_are_plausible(text, reference):
    found = find_dates(text, reference=reference)
    upper = date_limit(reference)
    for item in found:
        assert item.value.utcoffset() == timedelta(hours=7)
        assert item.value.isoformat().endswith("+07:00")
        assert datetime(1990, 1, 1, tzinfo=VN_TZ) <= item.value <= upper
        assert item.kind in (None, "published", "updated")
        assert item.text and item.text in nfc(text)
        assert item.has_time or item.value.time() == datetime.min.time()
    assert page_dates(text, reference=reference) is not None
    assert parse_datetime(text, reference=reference) == (found[0].value if found else None)


@given(st.text())
def test_fold_is_idempotent_and_bare(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(unicodedata.combining(c) for c in folded)
    assert "đ" not in folded and "Đ" not in folded
    assert fold(unicodedata.normalize("NFD", text)) == folded


def test_fold_aligned_folds_each_character_in_its_place():
    # Every character of the Basic Multilingual Plane folded as it would be alone: one out for
    # each in, so the search's marks stand on the words the folded text matched.
    text = "".join(chr(cp) for cp in range(0x20, 0x10000) if not 0xD800 <= cp < 0xE000)
    folded = fold_aligned(text)
    assert len(folded) == len(text)
    assert folded == "".join(fold_aligned(char) for char in text)
    assert fold_aligned("Ủy ban nhân dân TỈNH ĐẮK LẮK İstanbul") == "uy ban nhan dan tinh dak lak istanbul"
    # str.lower writes a word-final Σ as ς; alone, Σ is σ.
    assert fold_aligned("ΟΔΟΣ ΣΑΣ") == "οδοσ σασ"
