"""An article's language is its text's: a portal's English template does not make a Vietnamese
article English."""

from archive.extract import extract

VIETNAMESE = [
    "Sở Thông tin và Truyền thông tỉnh Hòa Bình vừa tổ chức hội nghị tập huấn về an toàn thông tin "
    "cho cán bộ, công chức cấp xã trên địa bàn tỉnh.",
    "Tại hội nghị, các đại biểu được hướng dẫn cách nhận diện tin nhắn lừa đảo và cách báo cáo sự cố "
    "qua kênh Zalo OA của Sở.",
]
ENGLISH = [
    "The provincial Department of Information and Communications in Hòa Bình held a training course on "
    "information security for commune officials this week.",
    "Officials from Đà Bắc and Lạc Sơn districts learned how to spot fraudulent messages and report them "
    "through the department's official channel.",
]


def page(lang: str, title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1><div class=\"content\">{body}</div></article></body></html>").encode()


def language(lang, title, paragraphs):
    return extract(page(lang, title, paragraphs), "http://127.0.0.1/tin/1.htm")["language"]


def test_vietnamese_text_under_an_english_template_is_vietnamese():
    assert language("en", "Tập huấn an toàn thông tin cho cán bộ cấp xã", VIETNAMESE) == "vi"
    assert language("en-US", "Tập huấn an toàn thông tin cho cán bộ cấp xã", VIETNAMESE) == "vi"


def test_english_text_naming_vietnamese_places_stays_english():
    assert language("en", "Information security training for commune officials", ENGLISH) == "en"


def test_a_declared_vietnamese_page_stays_as_declared():
    assert language("vi-VN", "Tập huấn an toàn thông tin cho cán bộ cấp xã", VIETNAMESE) == "vi-VN"
