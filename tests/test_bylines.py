import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.bylines import clean_authors

ARTICLES = Path(__file__).resolve().parents[1] / "archive" / "samplesite" / "articles"

BYLINES = [
    ("Báo Điện tử Chính phủ - Nguyễn Văn A", ["Nguyễn Văn A"]),
    ("Cổng TTĐT tỉnh Nghệ An - Lê Thu", ["Lê Thu"]),
    ("Cổng TTĐT tỉnh Quảng Ninh - Vũ Thị Hạnh", ["Vũ Thị Hạnh"]),
    ("Tạp chí TT&TT - Phạm Quang Vinh", ["Phạm Quang Vinh"]),
    ("Hoàng Anh - Thu Hà", ["Hoàng Anh", "Thu Hà"]),
    ("Đức Tùng – Mai Lan", ["Đức Tùng", "Mai Lan"]),
    ("Minh Hà", ["Minh Hà"]),
    ("Giang Tiểu San", ["Giang Tiểu San"]),
    ("PV", ["PV"]),
    ("NK", ["NK"]),
    ("Theo Tạp chí TT&TT", []),
    ("Nguyễn Văn A, Trần Thị B", ["Nguyễn Văn A", "Trần Thị B"]),
    ("Minh Hà và Thu Trang", ["Minh Hà", "Thu Trang"]),
    ("Quang Hiếu & Thanh Bình", ["Quang Hiếu", "Thanh Bình"]),
    ("(Theo baochinhphu.vn)", []),
    ("Minh Hà (Theo baochinhphu.vn)", ["Minh Hà"]),
    ("Tác giả: Minh Hà", ["Minh Hà"]),
    ("Bài và ảnh: Quang Huy", ["Quang Huy"]),
    ("Ảnh: Lê Minh", []),
    ("Minh Hà - Ảnh: Lê Minh", ["Minh Hà"]),
    ("Bài: Thu Hà - Ảnh: Lê Minh, Hoàng Nam", ["Thu Hà"]),
    ("H'Linh Niê", ["H'Linh Niê"]),
    ("Thu Hà/TTXVN", ["Thu Hà"]),
    ("PV - TTXVN", ["PV"]),
    ("Minh Hà (tổng hợp)", ["Minh Hà"]),
    ("Theo Sở Thông tin và Truyền thông Hà Nội", []),
    ("UBND tỉnh Nghệ An", []),
    ("Sở Văn hóa, Thể thao và Du lịch - Lê Hương", ["Lê Hương"]),
    ("Nguồn: Cổng Thông tin điện tử Chính phủ", []),
    ("Văn phòng Bộ", []),
    ("Thu   Hà ", ["Thu Hà"]),
    ("Minh Hà - Minh Hà", ["Minh Hà"]),
    ("Lan Phương.", ["Lan Phương"]),
    ("", []),
    (None, []),
    # Given names that lose to an organisation word only once their accents are dropped.
    ("Bảo Anh", ["Bảo Anh"]),
    ("Hằng Nga", ["Hằng Nga"]),
    ("Cúc Phương", ["Cúc Phương"]),
    ("Đại Dương", ["Đại Dương"]),
    ("Bảo Châu - Hằng Nga", ["Bảo Châu", "Hằng Nga"]),
    ("Nguyễn Thị Hằng - Báo Lào Cai", ["Nguyễn Thị Hằng"]),
    ("Hãng tin AFP - Bảo Ngọc", ["Bảo Ngọc"]),
    ("Cục Báo chí", []),
    ("BÁO NHÂN DÂN - Trung Kiên", ["Trung Kiên"]),
    ("Uỷ ban nhân dân huyện Mường Khương", []),
    # "Trang" is a given name; a site is "Trang tin", "Trang thông tin điện tử" ...
    ("Trang Anh", ["Trang Anh"]),
    ("Trang thông tin điện tử Sở Y tế - Khánh Linh", ["Khánh Linh"]),
    # Writing labels, with their colon and as trafilatura passes them on, without it.
    ("Tin, ảnh: Đỗ Hương", ["Đỗ Hương"]),
    ("Tin và ảnh: Đỗ Hương", ["Đỗ Hương"]),
    ("Tin; Ảnh Đỗ Hương", ["Đỗ Hương"]),
    ("Tin và ảnh Đỗ Hương", ["Đỗ Hương"]),
    ("Phóng viên: Lương Quốc Bảo", ["Lương Quốc Bảo"]),
    ("Phóng viên Lương Quốc Bảo", ["Lương Quốc Bảo"]),
    ("Nhà báo: Vi Thị Mai", ["Vi Thị Mai"]),
    ("Nội dung: Hà Phương; Ảnh: Tạ Hải", ["Hà Phương"]),
    ("Nội dung Hà Phương; Ảnh Tạ Hải", ["Hà Phương"]),
    ("Tác giả Lò Văn Dũng", ["Lò Văn Dũng"]),
    ("Tác giả: Lò Văn Dũng - Trung tâm Truyền thông tỉnh", ["Lò Văn Dũng"]),
    ("Bài Hà Phương", ["Hà Phương"]),
    ("Ảnh Tạ Hải", []),
    ("Tuấn Anh", ["Tuấn Anh"]),  # "Ảnh" drops a photo credit; "Anh" is a name
    ("Thông tin: Tạ Hải", []),
    # Staff roles after a name, datelines and press agencies are not people.
    ("Đinh Tuấn - BTV", ["Đinh Tuấn"]),
    ("Đinh Tuấn, CTV", ["Đinh Tuấn"]),
    ("BTV", ["BTV"]),
    ("Hà Phương - Hà Nội", ["Hà Phương"]),
    ("Hà Phương - TP.HCM", ["Hà Phương"]),
    ("Thu Ha - Ha Noi", ["Thu Ha"]),
    ("Bảo Ngọc/VOV.VN", ["Bảo Ngọc"]),
    ("Bảo Ngọc; VOV VN", ["Bảo Ngọc"]),
    # A team is no one person; a role alone ("PV") is the only credit there is.
    ("Nhóm PV", []),
    ("Nhóm phóng viên Ban Thời sự", []),
    ("Thu Hà - Nhóm PV", ["Thu Hà"]),
    ("Nhom PV", []),
    # The acronym of the outlet or agency a writer works for, after the name.
    ("Thùy Linh/VGP", ["Thùy Linh"]),
    ("VGP/Thùy Linh", ["Thùy Linh"]),
    ("Minh Hà/VOV", ["Minh Hà"]),
    ("Thu Hà/baochinhphu.vn", ["Thu Hà"]),
    ("Lê Minh - VTC News", ["Lê Minh"]),
    ("Nguyễn Hoàng/QĐND", ["Nguyễn Hoàng"]),
    ("Thu Hà - Vnexpress", ["Thu Hà"]),
    # A line citing a document names no one: its number's code is no initials.
    ("Theo Quyết định số 93/QĐ-STTTT", []),
    ("Kế hoạch 174/KH-UBND", []),
    ("Thu Hà (Theo Công văn 1234/BTTTT-CBÍ)", ["Thu Hà"]),
    # Without any accent the two readings are one: the organisation wins.
    ("Bao Dien tu Chinh phu - Nguyen Van A", ["Nguyen Van A"]),
    ("Cuc Bao chi", []),
]


@pytest.mark.parametrize("raw, expected", BYLINES)
def test_clean_authors(raw, expected):
    assert clean_authors(raw) == expected


def test_site_name_is_an_organisation():
    assert clean_authors("Trọng Nghĩa - Tiêu Dùng Plus", site_names=["Tiêu dùng Plus"]) == ["Trọng Nghĩa"]
    assert clean_authors("Tiêu Dùng Plus") == ["Tiêu Dùng Plus"]
    assert clean_authors("Tiêu Dùng Plus", site_names=["tieu dung plus"]) == []


def test_names_are_nfc():
    [name] = clean_authors(unicodedata.normalize("NFD", "Nguyễn Thị Thu Hà"))
    assert name == "Nguyễn Thị Thu Hà" and unicodedata.is_normalized("NFC", name)


@given(st.none() | st.text(max_size=120), st.lists(st.text(max_size=20), max_size=3))
def test_never_raises(raw, sites):
    for name in clean_authors(raw, site_names=sites):
        assert name and name == " ".join(name.split()) and unicodedata.is_normalized("NFC", name)


def test_sample_bylines():
    authors = {
        a["author"]: clean_authors(a["author"])
        for path in sorted(ARTICLES.glob("*.json"))
        for a in json.loads(path.read_text("utf-8"))
    }
    assert all(authors.values()), [raw for raw, names in authors.items() if not names]
    for raw, names in authors.items():
        assert all(name in raw for name in names)
    assert authors.get("Báo Điện tử Mẫu - Trọng Nghĩa", ["Trọng Nghĩa"]) == ["Trọng Nghĩa"]
