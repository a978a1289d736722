import json
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.docrefs import TYPE_NAMES, DocRef, attribute, find_doc_refs, unique_refs
from archive.vietnamese import VN_TZ

ARTICLES = Path(__file__).resolve().parents[1] / "archive" / "samplesite" / "articles"
SEEN = datetime(2021, 4, 8, 16, 20, tzinfo=VN_TZ)  # when the seed-000 article was published

# (sentence, reference, ref, number, year, type_code, type_name, issuer, issued)
FOUND = [
    ("Sở khen thưởng các đơn vị theo kế hoạch số 174/KH-UBND ngày 9/8/2019 của thành phố.", None,
     "174/KH-UBND", "174", 2019, "KH", "Kế hoạch", "UBND", "2019-08-09"),
    ("Giấy khen được trao theo quyết định số 93/QĐ-STTTT ngày 2/4 của Sở.", SEEN,
     "93/QĐ-STTTT", "93", 2021, "QĐ", "Quyết định", "STTTT", "2021-04-02"),
    ("Văn phòng thành phố vừa gửi văn bản số 7790/VP-TTĐT tới các sở, ngành.", None,
     "7790/VP-TTĐT", "7790", None, None, "Công văn", "VP-TTĐT", None),
    ("Nghị định số 13/2023/NĐ-CP ngày 17/4/2023 bảo vệ dữ liệu cá nhân của người dân.", None,
     "13/2023/NĐ-CP", "13", 2023, "NĐ", "Nghị định", "CP", "2023-04-17"),
    ("Thủ tướng vừa ký Chỉ thị số 06/CT-TTg về truyền thông chính sách.", None,
     "06/CT-TTg", "06", None, "CT", "Chỉ thị", "TTg", None),
    ("Cổng thông tin cấp tỉnh phải đáp ứng Thông tư 22/2023/TT-BTTTT từ năm sau.", None,
     "22/2023/TT-BTTTT", "22", 2023, "TT", "Thông tư", "BTTTT", None),
    ("Hội nghị quán triệt Nghị quyết 57-NQ/TW trong toàn hệ thống Mặt trận.", None,
     "57-NQ/TW", "57", None, "NQ", "Nghị quyết", "TW", None),
    ("Nghị quyết số 57-NQ/TW ngày 22/12/2024 mở ra dư địa mới cho báo chí.", None,
     "57-NQ/TW", "57", 2024, "NQ", "Nghị quyết", "TW", "2024-12-22"),
    ("UBND tỉnh có Công văn số 4512/UBND-KGVX gửi các huyện, thị xã.", None,
     "4512/UBND-KGVX", "4512", None, None, "Công văn", "UBND-KGVX", None),
    ("Chủ tịch tỉnh ký Quyết định số 1021/QĐ-UBND công bố người phát ngôn.", None,
     "1021/QĐ-UBND", "1021", None, "QĐ", "Quyết định", "UBND", None),
    ("Bộ tiêu chí ban hành kèm Quyết định số 358/QĐ-UBND-HC của tỉnh.", None,
     "358/QĐ-UBND-HC", "358", None, "QĐ", "Quyết định", "UBND-HC", None),
    ("Thông tư 01/2024/TT-BTTTT có hiệu lực từ tháng 3.", None,
     "01/2024/TT-BTTTT", "01", 2024, "TT", "Thông tư", "BTTTT", None),
    ("Luật số 72/2025/QH15 đã được thông qua tại kỳ họp.", None,
     "72/2025/QH15", "72", 2025, None, "Luật", "QH15", None),
    ("Biên bản ghi nhầm thành 174/kh-ubnd ở trang hai.", None,
     "174/KH-UBND", "174", None, "KH", "Kế hoạch", "UBND", None),
    ("Trích yếu Quyết định 93/QD-STTTT gõ thiếu dấu.", None,
     "93/QĐ-STTTT", "93", None, "QĐ", "Quyết định", "STTTT", None),
    ("Đơn vị thực hiện Kế hoạch số 174 / KH-UBND ngày 09/08/2019 đầy đủ.", None,
     "174/KH-UBND", "174", 2019, "KH", "Kế hoạch", "UBND", "2019-08-09"),
    ("Mức phạt theo Nghị định số 15/2020/NĐ-CP ngày 3/2/2020 của Chính phủ.", None,
     "15/2020/NĐ-CP", "15", 2020, "NĐ", "Nghị định", "CP", "2020-02-03"),
    ("Quyết định số 749/QĐ-TTg ngày 3/6/2020 phê duyệt chương trình chuyển đổi số.", None,
     "749/QĐ-TTg", "749", 2020, "QĐ", "Quyết định", "TTg", "2020-06-03"),
    ("Theo Quyết định số 2187/QĐ-BTTTT, 36 tập thể được khen.", None,
     "2187/QĐ-BTTTT", "2187", None, "QĐ", "Quyết định", "BTTTT", None),
    ("Tỉnh ban hành Kế hoạch số 215/KH-UBND ngày 12/6/2023 về truyền thông số.", None,
     "215/KH-UBND", "215", 2023, "KH", "Kế hoạch", "UBND", "2023-06-12"),
    ("Đài truyền thanh được thay theo Quyết định số 135/QĐ-TTg của Thủ tướng.", None,
     "135/QĐ-TTg", "135", None, "QĐ", "Quyết định", "TTg", None),
    ("Họp báo định kỳ theo Nghị định số 09/2017/NĐ-CP về phát ngôn.", None,
     "09/2017/NĐ-CP", "09", 2017, "NĐ", "Nghị định", "CP", None),
    ("Sở trình Tờ trình số 45/TTr-UBND về dự thảo nghị quyết.", None,
     "45/TTr-UBND", "45", None, "TTr", "Tờ trình", "UBND", None),
    ("Thông báo số 112/TB-VPCP nêu kết luận của Phó Thủ tướng.", None,
     "112/TB-VPCP", "112", None, "TB", "Thông báo", "VPCP", None),
    ("Báo cáo số 305/BC-STTTT ngày 15/12/2022 tổng hợp kết quả.", None,
     "305/BC-STTTT", "305", 2022, "BC", "Báo cáo", "STTTT", "2022-12-15"),
    ("Thực hiện Hướng dẫn số 09-HD/BTGTW về tuyên truyền.", None,
     "09-HD/BTGTW", "09", None, "HD", "Hướng dẫn", "BTGTW", None),
    ("Bộ Chính trị ban hành Kết luận 01-KL/TW tiếp tục học tập và làm theo.", None,
     "01-KL/TW", "01", None, "KL", "Kết luận", "TW", None),
    ("Thông tư liên tịch số 12/2015/TTLT-BTP-BNV hướng dẫn chức năng của sở.", None,
     "12/2015/TTLT-BTP-BNV", "12", 2015, "TTLT", "Thông tư liên tịch", "BTP-BNV", None),
    ("Cán bộ thực hiện Quy định số 08-QĐi/TW về trách nhiệm nêu gương.", None,
     "08-QĐi/TW", "08", None, "QĐi", "Quy định", "TW", None),
    ("Nghị định 64-CP năm 1993 về giao đất nông nghiệp.", None,
     "64-CP", "64", None, None, "Nghị định", "CP", None),
    ("Thủ tướng gửi Công điện số 05/CĐ-TTg về ứng phó bão.", None,
     "05/CĐ-TTg", "05", None, "CĐ", "Công điện", "TTg", None),
    ("Số: 1234/BTTTT-CBC\nV/v cung cấp thông tin cho báo chí", None,
     "1234/BTTTT-CBC", "1234", None, None, "Công văn", "BTTTT-CBC", None),
    ("Tỉnh ủy có Chương trình số 10-CTr/TU về chuyển đổi số.", None,
     "10-CTr/TU", "10", None, "CTr", "Chương trình", "TU", None),
    ("Triển khai Quyết định số 06/QĐ-TTg ngày 6 tháng 1 năm 2022 của Thủ tướng.", None,
     "06/QĐ-TTg", "06", 2022, "QĐ", "Quyết định", "TTg", "2022-01-06"),
    ("Thực hiện Nghị quyết 36-NQ/TƯ của Bộ Chính trị.", None,
     "36-NQ/TW", "36", None, "NQ", "Nghị quyết", "TW", None),
    ("Phê duyệt Đề án số 12/ĐA-UBND về thông tin cơ sở.", None,
     "12/ĐA-UBND", "12", None, "ĐA", "Đề án", "UBND", None),
    ("Pháp lệnh số 02/2022/UBTVQH15 về xử lý vi phạm.", None,
     "02/2022/UBTVQH15", "02", 2022, None, "Pháp lệnh", "UBTVQH15", None),
    ("Đơn vị làm theo Kế hoạch 174/KH-UBND, ngày 9/8/2019, của thành phố.", None,
     "174/KH-UBND", "174", 2019, "KH", "Kế hoạch", "UBND", "2019-08-09"),
    ("Tỉnh yêu cầu thực hiện nghiêm (Công văn 4512/UBND-KGVX).", None,
     "4512/UBND-KGVX", "4512", None, None, "Công văn", "UBND-KGVX", None),
    # The reference's own year dates "ngày 17/4"; with no reference and none of its own, a
    # year-less day is left undated.
    ("Nghị định số 13/2023/NĐ-CP ngày 17/4 được ban hành.", None,
     "13/2023/NĐ-CP", "13", 2023, "NĐ", "Nghị định", "CP", "2023-04-17"),
    ("Sở ban hành Quyết định số 93/QĐ-STTTT ngày 2/4 khen thưởng.", None,
     "93/QĐ-STTTT", "93", None, "QĐ", "Quyết định", "STTTT", None),
    # Spelling variants give the usual reference: dashes, the Ð of converted text, dots.
    ("Bảo vệ dữ liệu cá nhân theo Nghị định 13/2023/NĐ–CP của Chính phủ.", None,
     "13/2023/NĐ-CP", "13", 2023, "NĐ", "Nghị định", "CP", None),
    ("Toàn tỉnh học tập Nghị quyết số 57–NQ/TW về khoa học, công nghệ.", None,
     "57-NQ/TW", "57", None, "NQ", "Nghị quyết", "TW", None),
    # Spaced around the hyphen, as the other shapes may be.
    ("Nghị quyết số 57 - NQ/TW ngày 22/12/2024 của Bộ Chính trị.", None,
     "57-NQ/TW", "57", 2024, "NQ", "Nghị quyết", "TW", "2024-12-22"),
    ("Quán triệt Chỉ thị 05- CT/TW của Bộ Chính trị.", None,
     "05-CT/TW", "05", None, "CT", "Chỉ thị", "TW", None),
    # A consolidated text's code names its type; it is no letter.
    ("Văn bản hợp nhất số 01/VBHN-BTTTT ngày 2/3/2021 của Bộ.", None,
     "01/VBHN-BTTTT", "01", 2021, "VBHN", "Văn bản hợp nhất", "BTTTT", "2021-03-02"),
    ("Bộ trưởng ký Quyết định số 2501/QĐ‑BTTTT công bố thủ tục.", None,
     "2501/QĐ-BTTTT", "2501", None, "QĐ", "Quyết định", "BTTTT", None),
    ("Chính phủ ban hành Nghị định 147/2024/NÐ-CP về quản lý dịch vụ Internet.", None,
     "147/2024/NĐ-CP", "147", 2024, "NĐ", "Nghị định", "CP", None),
    ("Tỉnh kiện toàn ban chỉ đạo theo Quyết định 1.234/QĐ-UBND ngày 5/3/2024.", None,
     "1234/QĐ-UBND", "1234", 2024, "QĐ", "Quyết định", "UBND", "2024-03-05"),
    ("Nghị định 64–CP năm 1993 về giao đất.", None,
     "64-CP", "64", None, None, "Nghị định", "CP", None),
    # A licence's code, and a law cited by its title before the number.
    ("Doanh nghiệp hoạt động theo Giấy phép số 318/GP-BTTTT do Bộ cấp.", None,
     "318/GP-BTTTT", "318", None, "GP", "Giấy phép", "BTTTT", None),
    ("Hợp đồng điện tử tuân thủ Luật Giao dịch điện tử số 20/2023/QH15 từ 1/7/2024.", None,
     "20/2023/QH15", "20", 2023, None, "Luật", "QH15", None),
    ("Việc lập hồ sơ theo Luật Phòng, chống tham nhũng số 36/2018/QH14.", None,
     "36/2018/QH14", "36", 2018, None, "Luật", "QH14", None),
    ("Sửa đổi Luật Ban hành văn bản quy phạm pháp luật số 64/2025/QH15 đã thông qua.", None,
     "64/2025/QH15", "64", 2025, None, "Luật", "QH15", None),
    # A title holds no other kind of document: the number is the letter's.
    ("Vướng mắc về Luật Đất đai được nêu tại Công văn số 812/UBND-NC.", None,
     "812/UBND-NC", "812", None, None, "Công văn", "UBND-NC", None),
    # The code names the type when the word before disagrees.
    ("Quyết định số 12/KH-UBND là cách viết nhầm.", None,
     "12/KH-UBND", "12", None, "KH", "Kế hoạch", "UBND", None),
]

NOT_FOUND = [
    "Ngày 8/4, Zalo nhận giấy khen của Sở.",
    "Kế hoạch được ký ngày 9/8/2019.",
    "Sự kiện diễn ra lúc 9h45 ngày 28/6/2024 tại Hà Nội.",
    "Con số này chiếm 1/2 tổng số đơn vị.",
    "Đã có 3/4 số hộ cài ứng dụng.",
    "Đội nhà thắng 3-0 trên sân khách.",
    "Trận đấu kết thúc với tỷ số 2/1.",
    "Đường dây nóng trực 24/7.",
    "Kênh gửi tin khoảng 1-2 lần/ngày.",
    "Giai đoạn 2019-2020 đã khép lại.",
    "Giai đoạn 2019 - 2020 đã khép lại.",
    "Hội nghị bắt đầu lúc 14:30.",
    "Xem tại https://moha.gov.vn/tin-tuc/abc-123/def và moha.gov.vn/12/KH-UBND.",
    "Tệp nằm ở /var/www/html/12/KH-UBND/index.php.",
    "Gọi 024.3825.3536 hoặc 0912 345 678 hoặc 1900-1234.",
    "Ứng dụng bản 2.1.3 và v2.1/RC-1 đã phát hành.",
    "Hệ thống gửi 2.153 tin, tương ứng 330/2.153 bản tin.",
    "Hội nghị giao ban Quý I/2021.",
    "Dịch COVID-19 và Covid-19/2021 vẫn diễn biến phức tạp.",
    "Phân loại F0/F1 theo hướng dẫn.",
    "Xe dừng ở km 12/QL1A.",
    "Mẫu máy A-12/B đã ngừng sản xuất.",
    "Tốc độ 60 km/h, mật độ 5/km-ngày.",
    "Đề án 06 của Chính phủ và Kế hoạch số 174 được nhắc lại.",
    "Tuyến xe số 12-A chạy qua trung tâm.",
    "Cập nhật bản iOS 17/iPadOS-beta trước khi dùng.",
    "Gửi thư tới hotro@hanoi.gov.vn hoặc hotline 18001234.",
    "Mùa giải 2024/25 sắp bắt đầu.",
    "Nhà số 12/3A đường Lê Lợi.",
    "Giai đoạn 2021–2025 có 1.250 hồ sơ, tỷ lệ 1.200/1.250.",
    "Tổng đài 1900–1234 hoặc 024.3825.3536 và biển số 29A–123.45.",
    "Mã số thuế 0101234567–001 của đơn vị.",
    "Xe dừng ở km 12/QL1A và km 1.234/QL14.",
    "Đội đạt điểm 57 - NQ, xếp thứ hai.",
    "Tỷ lệ 57 - nq/tw theo cách ghi tắt.",
    "Giai đoạn 2021 - 2025 có 57 - XYZ/AB mục.",
]


def fields(ref: DocRef):
    return (ref.ref, ref.number, ref.year, ref.type_code, ref.type_name, ref.issuer, ref.issued)


@pytest.mark.parametrize(
    "text, reference, expected", [(row[0], row[1], row[2:]) for row in FOUND], ids=[row[0][:50] for row in FOUND]
)
def test_finds_the_reference(text, reference, expected):
    refs = find_doc_refs(text, reference=reference)
    assert [fields(r) for r in refs] == [expected]
    assert refs[0].text == text[refs[0].start:refs[0].end]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_finds_nothing(text):
    assert find_doc_refs(text, reference=SEEN) == []


# A page that wraps a number, or puts a <br> in it, splits it at its slash or a hyphen.
SPLIT = [
    ("Tổng kết Kế hoạch số 174/KH-\nUBND của thành phố.", "174/KH-UBND"),
    ("Tổng kết Kế hoạch số 174/\nKH-UBND của thành phố.", "174/KH-UBND"),
    ("Sở trao giấy khen theo Quyết định số 93/QĐ-\nSTTTT cho các tập thể.", "93/QĐ-STTTT"),
    ("Thủ tướng ký Chỉ thị số 06/CT- \n TTg về truyền thông.", "06/CT-TTg"),
    ("Nghị định số 13/\n2023/NĐ-CP bảo vệ dữ liệu cá nhân.", "13/2023/NĐ-CP"),
    ("Nghị định số 13/2023/\nNĐ-CP bảo vệ dữ liệu cá nhân.", "13/2023/NĐ-CP"),
    ("Hội nghị quán triệt Nghị quyết 57-\nNQ/TW của Bộ Chính trị.", "57-NQ/TW"),
]


@pytest.mark.parametrize("text, expected", SPLIT)
def test_a_number_split_by_a_line_break(text, expected):
    [ref] = find_doc_refs(text)
    assert ref.ref == expected
    assert ref.text == text[ref.start:ref.end] and "\n" in ref.text


# A line that ends at a slash or a hyphen is not continued by the prose of the next one.
@pytest.mark.parametrize("text", [
    "Hạng mục số 5/\nNăm nay tỉnh tiếp tục triển khai.",
    "Hạng mục số 5/\nnâng-cấp hệ thống.",
    "Văn bản số 12/2020/\nNăm nay tỉnh tiếp tục triển khai.",
    "Quyết định số 93/QĐ-\nsở đã trao khen.",
    "Tỷ lệ đạt 3/\nUBND tỉnh đánh giá cao.",
])
def test_a_line_break_does_not_join_prose(text):
    assert find_doc_refs(text) == []


def test_text_runs_from_type_word_to_issue_date():
    text = "Chiều 8/4, thực hiện theo kế hoạch số 174/KH-UBND ngày 9/8/2019 thành phố Hà Nội"
    [ref] = find_doc_refs(text)
    assert ref.text == "kế hoạch số 174/KH-UBND ngày 9/8/2019"


def test_a_date_not_right_after_is_not_the_issue_date():
    [ref] = find_doc_refs("Quyết định số 1021/QĐ-UBND có hiệu lực kể từ ngày 15/3/2023.")
    assert ref.issued is None and ref.text == "Quyết định số 1021/QĐ-UBND"


def test_every_occurrence_in_order_and_the_first_of_each():
    text = (
        "Tổng kết Kế hoạch số 174/KH-UBND, Sở ra Quyết định số 93/QĐ-STTTT về việc khen các tập "
        "thể thực hiện Kế hoạch số 174/KH-UBND ngày 09/08/2019 của UBND TP. Hà Nội."
    )
    refs = find_doc_refs(text, reference=SEEN)
    assert [r.ref for r in refs] == ["174/KH-UBND", "93/QĐ-STTTT", "174/KH-UBND"]
    assert [r.start for r in refs] == sorted(r.start for r in refs)
    # The issuer named at the later citation is the earlier one's: one plan, one issuer.
    first = unique_refs(attribute(refs))
    assert [r.ref for r in first] == ["174/KH-UBND", "93/QĐ-STTTT"]
    assert first[0].issued is None
    assert first[0].issuing_body == "Ủy ban nhân dân thành phố Hà Nội" and first[1].issuing_body is None


def test_decomposed_text_keeps_offsets_into_the_input():
    text = unicodedata.normalize("NFD", "Theo Kế hoạch số 174/KH-UBND ngày 9/8/2019, Sở đã làm.")
    [ref] = find_doc_refs(text)
    assert ref.ref == "174/KH-UBND" and ref.issued == "2019-08-09"
    assert ref.text == text[ref.start:ref.end]
    assert unicodedata.normalize("NFC", ref.text) == "Kế hoạch số 174/KH-UBND ngày 9/8/2019"


def test_type_names_cover_the_common_codes():
    assert {code: TYPE_NAMES[code] for code in ("KH", "NĐ", "QĐ", "CT", "TT", "NQ", "TTr")} == {
        "KH": "Kế hoạch", "NĐ": "Nghị định", "QĐ": "Quyết định", "CT": "Chỉ thị",
        "TT": "Thông tư", "NQ": "Nghị quyết", "TTr": "Tờ trình",
    }


_SLOPPY = st.text(alphabet=st.sampled_from(list("0123456789/-. ,:ngàyKHQĐUBNDTTgkhqđsố\n\u0301")), max_size=80)


@given(st.one_of(st.text(max_size=200), _SLOPPY), st.none() | st.datetimes(timezones=st.just(VN_TZ)))
def test_never_raises_and_offsets_hold(text, reference):
    refs = find_doc_refs(text, reference=reference)
    for ref in refs:
        assert ref.text == text[ref.start:ref.end]
        assert ref.start < ref.end
    assert all(a.end <= b.start for a, b in zip(refs, refs[1:]))


# On its own line: on the same line, text after it may continue it ("93/QĐ-STTTT - HN").
@given(st.text(max_size=60), st.text(max_size=60))
def test_found_whatever_surrounds_it(before, after):
    refs = find_doc_refs(f"{before}\nQuyết định số 93/QĐ-STTTT\n{after}")
    assert "93/QĐ-STTTT" in [r.ref for r in refs]


def load_articles():
    return [a for path in sorted(ARTICLES.glob("*.json")) for a in json.loads(path.read_text("utf-8"))]


def article_text(article):
    captions = [image["caption"] for image in article.get("images", [])]
    return "\n".join([article["title"], article["sapo"], *article["paragraphs"], *captions])


def test_sample_articles():
    articles = load_articles()
    found = {}
    for article in articles:
        refs = find_doc_refs(article_text(article), reference=datetime.fromisoformat(article["published"]))
        for ref in refs:
            assert ref.ref and ref.number and ref.text
        found[article.get("seed")] = {r.ref: r for r in unique_refs(refs)}
    for seed in ("000", "002"):
        assert {"174/KH-UBND", "93/QĐ-STTTT"} <= found[seed].keys()
        assert found[seed]["93/QĐ-STTTT"].issued == "2021-04-02"


# The issuing body named beside a reference: (sentence, reference, issuing body, issue date).
ISSUED_BY = [
    # After the number and its date, in each spelling of one committee.
    ("Các xã triển khai Kế hoạch số 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk trong tháng Bảy.",
     "174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", "2025-06-20"),
    ("Các xã triển khai Kế hoạch số 174/KH-UBND của Ủy ban nhân dân tỉnh Đắk Lắk.",
     "174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", None),
    ("Các xã triển khai Kế hoạch 174/KH-UBND cua UBND tinh Dak Lak.",
     "174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", None),
    # A date after the issuer is the issue date too.
    ("Quận bám sát Kế hoạch 174/KH-UBND của Ủy ban nhân dân Thành phố Hà Nội ngày 3/7/2025.",
     "174/KH-UBND", "Ủy ban nhân dân thành phố Hà Nội", "2025-07-03"),
    ("Quận bám sát Kế hoạch 174/KH-UBND (ngày 3/7/2025) của UBND TP. Hà Nội.",
     "174/KH-UBND", "Ủy ban nhân dân thành phố Hà Nội", "2025-07-03"),
    # Before it, as the body issuing it.
    ("UBND tỉnh Đắk Lắk vừa ban hành Kế hoạch 174/KH-UBND về chuyển đổi số.",
     "174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", None),
    ("Sở TT&TT Bắc Giang có Công văn số 2150/STTTT-BCVT gửi các huyện.",
     "2150/STTTT-BCVT", "Sở Thông tin và Truyền thông Bắc Giang", None),
    # The chairman's decisions carry the committee's numbering; "do" is "by".
    ("Danh sách kèm theo Quyết định 1021/QĐ-UBND của Chủ tịch UBND tỉnh Bình Định.",
     "1021/QĐ-UBND", "Ủy ban nhân dân tỉnh Bình Định", None),
    ("Nghị định 13/2023/NĐ-CP do Chính phủ ban hành đã có hiệu lực.", "13/2023/NĐ-CP", "Chính phủ", None),
    # No issuer named, or one that names no one body: unknown, not guessed.
    ("Các xã triển khai Kế hoạch số 174/KH-UBND ngày 20/6/2025.", "174/KH-UBND", None, "2025-06-20"),
    ("Thực hiện Kế hoạch 174/KH-UBND của UBND tỉnh về chuyển đổi số.", "174/KH-UBND", None, None),
    ("Văn bản 174/KH-UBND nêu rõ của UBND tỉnh Đắk Lắk là đầu mối.", "174/KH-UBND", None, None),
    ("UBND tỉnh Đắk Lắk đề nghị các sở rà soát Kế hoạch 174/KH-UBND.", "174/KH-UBND", None, None),
]


@pytest.mark.parametrize("sentence, ref, body, issued", ISSUED_BY, ids=[s[:48] for s, *_ in ISSUED_BY])
def test_reads_the_issuing_body_named_beside_a_reference(sentence, ref, body, issued):
    [found] = find_doc_refs(sentence)
    assert (found.ref, found.issuing_body, found.issued) == (ref, body, issued)
    assert found.text == sentence[found.start:found.end]


def test_one_number_from_two_issuers_is_two_documents():
    text = ("UBND tỉnh Đắk Lắk ban hành Kế hoạch 174/KH-UBND ngày 20/6/2025. Cùng tháng, Hà Nội có "
            "Kế hoạch 174/KH-UBND ngày 3/7/2025 của UBND thành phố Hà Nội. Kế hoạch 174/KH-UBND đặt mục tiêu cao.")
    refs = attribute(find_doc_refs(text))
    # Two issuers named for one number: the bare citation could be either, and says neither.
    assert [(r.issuing_body, r.issued) for r in unique_refs(refs)] == [
        ("Ủy ban nhân dân tỉnh Đắk Lắk", "2025-06-20"), ("Ủy ban nhân dân thành phố Hà Nội", "2025-07-03"),
        (None, None)]


def test_extraction_keeps_each_issuer_s_document_with_its_own_date():
    from archive.extract import extract

    body = ("<html><head><title>Hai kế hoạch cùng số</title></head><body><article><h1>Hai kế hoạch cùng số</h1>"
            "<p>Ngày 1/8/2025, UBND tỉnh Đắk Lắk ban hành Kế hoạch 174/KH-UBND về chuyển đổi số cho các xã.</p>"
            "<p>Kế hoạch số 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk đặt mục tiêu phủ sóng toàn bộ thôn buôn.</p>"
            "<p>Ở phía bắc, Kế hoạch 174/KH-UBND ngày 3/7/2025 của UBND TP Hà Nội lại bàn về cây xanh đô thị, "
            "một việc hoàn toàn khác với kế hoạch của tỉnh Tây Nguyên.</p></article></body></html>").encode()
    record = extract(body, "https://example.gov.vn/tin/hai-ke-hoach", {"Content-Type": "text/html; charset=utf-8"})
    assert [(r["ref"], r["issuing_body"], r["issued"]) for r in record["doc_refs"]] == [
        ("174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", "2025-06-20"),
        ("174/KH-UBND", "Ủy ban nhân dân thành phố Hà Nội", "2025-07-03"),
    ]


def test_a_date_after_the_issuer_and_a_comma_is_the_news_s_not_the_document_s():
    # The usual lede: the clause after the comma says what happened on 8 April.
    published = datetime(2025, 4, 9, 10, 0, tzinfo=VN_TZ)
    [found] = find_doc_refs("Thực hiện Kế hoạch số 174/KH-UBND của UBND tỉnh Đắk Lắk, ngày 8/4, Sở TT&TT tổ "
                            "chức hội nghị tập huấn.", reference=published)
    assert (found.issuing_body, found.issued, found.year) == ("Ủy ban nhân dân tỉnh Đắk Lắk", None, None)
    [found] = find_doc_refs("Các xã làm theo Kế hoạch số 174/KH-UBND của UBND tỉnh Đắk Lắk ngày 8/4.",
                            reference=published)
    assert found.issued == "2025-04-08"


# Seen before the date the text gives: that date cannot be the issue date, but the issuer after it
# is still the one the text names. (sentence, issuing body)
REFUSED_DATE = [
    ("Thực hiện Kế hoạch 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk về chuyển đổi số.",
     "Ủy ban nhân dân tỉnh Đắk Lắk"),
    ("Thực hiện Kế hoạch 174/KH-UBND, ngày 20 tháng 6 năm 2025 của UBND tỉnh Đắk Lắk về chuyển đổi số.",
     "Ủy ban nhân dân tỉnh Đắk Lắk"),
    # A day the calendar lacks, and one before any the archive reads.
    ("Thực hiện Kế hoạch 174/KH-UBND ngày 31/4/2025 của UBND tỉnh Gia Lai.", "Ủy ban nhân dân tỉnh Gia Lai"),
    ("Theo Quyết định 12/QĐ-UBND ngày 5/3/1989 của UBND tỉnh Đắk Lắk.", "Ủy ban nhân dân tỉnh Đắk Lắk"),
]
BEFORE_THE_DATE = datetime(2025, 6, 11, 8, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize("sentence, body", REFUSED_DATE, ids=[s[:60] for s, _ in REFUSED_DATE])
def test_a_date_refused_as_the_issue_date_leaves_the_issuer_after_it(sentence, body):
    [found] = find_doc_refs(sentence, reference=BEFORE_THE_DATE)
    assert (found.issuing_body, found.issued) == (body, None)
    assert found.text == sentence[found.start:found.end] and found.text.endswith("-UBND")


def test_a_citation_whose_date_is_refused_keeps_its_own_issuer():
    text = ("Kế hoạch 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk và Kế hoạch 174/KH-UBND ngày 15/5/2025 "
            "của UBND tỉnh Gia Lai cùng số.")
    refs = unique_refs(attribute(find_doc_refs(text, reference=BEFORE_THE_DATE)))
    assert [(r.issuing_body, r.issued) for r in refs] == [
        ("Ủy ban nhân dân tỉnh Đắk Lắk", None), ("Ủy ban nhân dân tỉnh Gia Lai", "2025-05-15")]


# A citation whose own words give what is not read is not given the issuer the text names for
# the number elsewhere: (sentence, its issuer once attributed). The other citation is Gia Lai's.
OWN_WORDS = [
    # A date refused as the issue date, a day the calendar lacks: another plan, perhaps.
    ("Kế hoạch 174/KH-UBND ngày 20/6/2025 được triển khai.", None),
    ("Kế hoạch 174/KH-UBND ngày 31/4/2025 được triển khai.", None),
    # An issuer not known, or naming no one place.
    ("Kế hoạch 174/KH-UBND của Ban Chỉ đạo 35 được triển khai.", None),
    ("Kế hoạch 174/KH-UBND của UBND tỉnh được triển khai.", None),
    # Issued on another day than Gia Lai's plan of that number.
    ("Kế hoạch 174/KH-UBND ngày 2/6/2025 được triển khai.", None),
    # Issued on the day of Gia Lai's plan, or with nothing more said: Gia Lai's.
    ("Kế hoạch 174/KH-UBND ngày 15/5/2025 được triển khai.", "Ủy ban nhân dân tỉnh Gia Lai"),
    ("Kế hoạch 174/KH-UBND được triển khai; ngày càng nhiều xã tham gia.", "Ủy ban nhân dân tỉnh Gia Lai"),
    ("Kế hoạch 174/KH-UBND ngày càng được triển khai rộng.", "Ủy ban nhân dân tỉnh Gia Lai"),
]


@pytest.mark.parametrize("sentence, body", OWN_WORDS, ids=[s[:48] for s, _ in OWN_WORDS])
def test_a_citation_whose_own_words_are_not_read_takes_no_other_issuer(sentence, body):
    text = sentence + " Kế hoạch 174/KH-UBND ngày 15/5/2025 của UBND tỉnh Gia Lai đặt mục tiêu cao."
    first, other = attribute(find_doc_refs(text, reference=BEFORE_THE_DATE))
    assert first.issuing_body == body
    assert (other.issuing_body, other.issued) == ("Ủy ban nhân dân tỉnh Gia Lai", "2025-05-15")


def test_extraction_keeps_the_issuer_after_a_date_the_page_predates():
    from archive.extract import extract

    body = ("<html><head><title>Hai kế hoạch cùng số</title>"
            '<meta property="article:published_time" content="2025-06-11T08:00:00+07:00"></head>'
            "<body><article><h1>Hai kế hoạch cùng số</h1>"
            "<p>Kế hoạch 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk đặt mục tiêu phủ sóng toàn bộ thôn buôn "
            "trong năm nay, với sự tham gia của các doanh nghiệp viễn thông trên địa bàn tỉnh.</p>"
            "<p>Kế hoạch 174/KH-UBND ngày 15/5/2025 của UBND tỉnh Gia Lai lại bàn về cây xanh đô thị, "
            "một việc hoàn toàn khác với kế hoạch của tỉnh Tây Nguyên láng giềng.</p></article></body></html>").encode()
    record = extract(body, "https://example.gov.vn/tin/hai-ke-hoach", {"Content-Type": "text/html; charset=utf-8"})
    assert record["published"].startswith("2025-06-11")
    assert [(r["ref"], r["issuing_body"], r["issued"]) for r in record["doc_refs"]] == [
        ("174/KH-UBND", "Ủy ban nhân dân tỉnh Đắk Lắk", None),
        ("174/KH-UBND", "Ủy ban nhân dân tỉnh Gia Lai", "2025-05-15"),
    ]
