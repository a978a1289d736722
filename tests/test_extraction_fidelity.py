"""Extraction keeps the whole article: the lines a proofreader found lost or misread, each on a
small page shaped as portals set them."""

import pytest

from archive.extract import extract

URL = "https://sovhtt.example.gov.vn/tin-tuc/bai-viet-2024.html"
HEADLINE = "Huyện biểu dương các tập thể, cá nhân tiêu biểu trong phong trào xây dựng nông thôn mới"
OPENING = (
    "Sáng 12/6, Ủy ban nhân dân huyện tổ chức hội nghị tổng kết phong trào xây dựng nông thôn mới giai "
    "đoạn 2021-2025 và biểu dương những người có nhiều đóng góp cho quê hương."
)
# Paragraphs enough for trafilatura to read the page as an article of some length.
MORE = tuple(
    f"Tại hội nghị, đại biểu xã thứ {n} chia sẻ kinh nghiệm vận động nhân dân hiến đất mở rộng đường "
    "giao thông nông thôn, làm mới nhà văn hóa thôn và duy trì vệ sinh môi trường mỗi cuối tuần."
    for n in range(1, 6)
)
NAMES = ("Phạm Văn Toàn", "Đỗ Thị Hương", "Vũ Minh Khoa")


def run(body: str, head: str = "") -> dict:
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Biểu dương</title>'
        f"{head}</head><body><h1>{HEADLINE}</h1>"
        '<div class="date">Thứ Tư, 12/06/2024 16:20 (GMT+7)</div>'
        f"{body}</body></html>"
    )
    return extract(page.encode(), URL, {"Content-Type": "text/html; charset=utf-8"})


def paragraphs(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


INTRO = "Các cá nhân được biểu dương gồm:"


def test_a_closing_list_of_names_is_text_not_a_signature():
    items = "".join(f"<li>{name}</li>" for name in NAMES)
    record = run(f'<div class="detail-content">{paragraphs(OPENING, *MORE, INTRO)}<ul>{items}</ul></div>')
    assert record["text"].endswith("\n".join(f"- {name}" for name in NAMES))
    assert record["author"] is None


def test_a_closing_table_of_names_keeps_its_rows():
    rows = "".join(f"<tr><td>{n}</td><td>{name}</td><td>Xã Tân Lập</td></tr>" for n, name in enumerate(NAMES, 1))
    record = run(
        f'<div class="detail-content">{paragraphs(OPENING, *MORE, INTRO)}'
        f"<table><tr><td>STT</td><td>Họ và tên</td><td>Đơn vị</td></tr>{rows}</table></div>"
    )
    assert record["text"].endswith("| 3 | Vũ Minh Khoa | Xã Tân Lập |")
    assert "| 2 | Đỗ Thị Hương | Xã Tân Lập |" in record["text"]
    assert record["author"] is None


def test_names_set_one_a_line_under_an_introducing_line_are_text():
    record = run(f'<div class="detail-content">{paragraphs(OPENING, *MORE, INTRO, "<br>".join(NAMES))}</div>')
    assert record["text"].endswith("\n".join((INTRO, *NAMES)))
    assert record["author"] is None


def test_a_short_article_keeps_the_list_it_ends_with():
    items = "".join(f"<li>{name}</li>" for name in NAMES)
    record = run(f'<div class="detail-content">{paragraphs(OPENING, INTRO)}<ul>{items}</ul></div>')
    assert record["text"] == "\n".join((OPENING, INTRO, *(f"- {name}" for name in NAMES)))


def test_a_short_article_keeps_names_set_one_a_line():
    record = run(f'<div class="detail-content">{paragraphs(OPENING, INTRO, "<br>".join(NAMES))}</div>')
    assert record["text"] == "\n".join((OPENING, INTRO, *NAMES))


@pytest.mark.parametrize(
    "before", [(), ("Thông tin chi tiết xem tại cổng thông tin huyện:",)],
    ids=["after the text", "one name after a line ending in a colon"],
)
def test_a_closing_signature_is_still_the_author(before):
    record = run(f'<div class="detail-content">{paragraphs(OPENING, *MORE, *before)}<p>Minh Châu</p></div>')
    assert record["author"] == "Minh Châu"
    assert not record["text"].endswith("Minh Châu")


def test_a_comment_form_under_its_heading_is_not_text():
    record = run(
        f'<div class="detail-content">{paragraphs(OPENING, *MORE)}<h3>Gửi ý kiến</h3>'
        '<form><input name="ten" placeholder="Họ tên"><textarea name="noi-dung">Nội dung góp ý</textarea>'
        "<button>Gửi đi</button></form>"
        '<ul class="ds"><li><b>Ngô Bảo</b>: Xã tôi cũng đang làm đường liên thôn như thế.</li></ul></div>'
    )
    assert record["text"].endswith(MORE[-1])


def test_a_caption_opening_with_the_photo_word_is_still_no_text():
    caption = "Ảnh: Lãnh đạo huyện trao giấy khen cho các cá nhân tiêu biểu."
    record = run(f'<div class="detail-content">{paragraphs(OPENING, caption, *MORE)}</div>')
    assert "Lãnh đạo huyện trao" not in record["text"]


def test_the_source_a_quotation_names_is_not_glued_to_its_last_word():
    quote = "Nông thôn mới là nơi người dân được sống an toàn, đủ đầy và gắn bó với quê hương mình."
    record = run(
        f'<div class="detail-content">{paragraphs(OPENING, *MORE)}'
        f"<blockquote>{quote}<cite>Chủ tịch UBND huyện</cite></blockquote></div>"
    )
    assert "mình.Chủ tịch" not in record["text"]
    assert f"{quote}\nChủ tịch UBND huyện" in record["text"]


def test_a_source_named_within_a_quotation_stays_in_its_sentence():
    record = run(
        f'<div class="detail-content">{paragraphs(OPENING, *MORE)}'
        "<blockquote>Như <cite>Luật Tổ chức chính quyền địa phương</cite> quy định, huyện chịu trách nhiệm "
        "trước nhân dân về kết quả xây dựng nông thôn mới.</blockquote></div>"
    )
    assert "Như Luật Tổ chức chính quyền địa phương quy định, huyện" in record["text"]


NOTED = (
    "Huyện được công nhận đạt chuẩn nông thôn mới theo Quyết định số 1520/QĐ-TTg của Thủ tướng",
    "Tổng vốn huy động cho chương trình trong 5 năm đạt hơn 1.200 tỷ đồng",
)
NOTES = (
    "Quyết định số 1520/QĐ-TTg ngày 20/11/2023 của Thủ tướng Chính phủ.",
    "Báo cáo tổng kết của Văn phòng điều phối nông thôn mới huyện năm 2024.",
)


def test_footnotes_set_as_paragraphs_with_ids_are_kept():
    marked = "".join(
        f'<p>{text}<sup><a href="#gc{n}" id="tro{n}">[{n}]</a></sup>.</p>' for n, text in enumerate(NOTED, 1)
    )
    notes = "".join(f'<p id="gc{n}"><a href="#tro{n}">[{n}]</a> {note}</p>' for n, note in enumerate(NOTES, 1))
    record = run(f'<div class="ArticleContent">{paragraphs(OPENING)}{marked}<div class="chu-thich">{notes}</div></div>')
    assert record["text"].splitlines()[-2:] == [f"[{n}] {note}" for n, note in enumerate(NOTES, 1)]
    assert "1520/QĐ-TTg" in [ref["ref"] for ref in record["doc_refs"]]


def test_footnotes_in_word_s_form_are_kept():
    marked = "".join(
        f'<p>{text}<a href="#_ftn{n}" name="_ftnref{n}"><sup>[{n}]</sup></a>.</p>' for n, text in enumerate(NOTED, 1)
    )
    notes = "".join(
        f'<div id="ftn{n}"><p><a href="#_ftnref{n}" name="_ftn{n}"><sup>[{n}]</sup></a> {note}</p></div>'
        for n, note in enumerate(NOTES, 1)
    )
    record = run(
        f'<div class="ArticleContent">{paragraphs(OPENING)}{marked}'
        f'<div><br clear="all"><hr align="left" size="1" width="33%">{notes}</div></div>'
    )
    assert record["text"].splitlines()[-2:] == [f"[{n}] {note}" for n, note in enumerate(NOTES, 1)]
    assert f"{NOTED[0]}[1]." in record["text"]


def test_a_paragraph_a_marker_points_to_keeps_the_words_of_its_other_links():
    # A marker pointing at a table's note, which links to the top of the page: only a link back
    # to the marker goes, not the words of the note's other links.
    record = run(
        f'<div class="ArticleContent">{paragraphs(OPENING, *MORE)}'
        '<p>Kết quả từng xã xem ở bảng 1<a href="#bang1"><sup>(*)</sup></a>.</p>'
        '<p id="bang1">Bảng 1 tổng hợp số km đường giao thông nông thôn mỗi xã làm mới, '
        '<a href="/bang-1.pdf">tải về</a> hoặc <a href="#dau-trang">xem lại đầu trang</a>.</p></div>'
    )
    assert "tải về hoặc xem lại đầu trang." in record["text"]
