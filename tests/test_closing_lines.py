"""The lines under an article's last paragraph: its writer's signature, the credits for its photos
and design, and the signature of a document it quotes, which is the document's, not the writer's."""

from archive.extract import extract

PARAGRAPHS = (
    "Chiều qua, Ủy ban nhân dân huyện tổ chức hội nghị triển khai kế hoạch phổ cập kỹ năng số cho "
    "người dân, với sự tham gia của lãnh đạo 22 xã, thị trấn và các doanh nghiệp viễn thông.",
    "Theo kế hoạch, mỗi thôn sẽ có ít nhất một tổ công nghệ số cộng đồng; các tổ được tập huấn về "
    "thanh toán không dùng tiền mặt, dịch vụ công trực tuyến và cách nhận biết tin nhắn lừa đảo.",
    "Huyện đặt mục tiêu đến cuối năm có 70% người trưởng thành biết sử dụng ít nhất một dịch vụ công "
    "trực tuyến, và mọi hồ sơ một cửa cấp xã được số hóa ngay khi tiếp nhận.",
)
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def run(article: str) -> dict:
    html = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Phổ cập kỹ năng số cho '
        f'người dân</title></head><body><main><article class="detail"><h1>Phổ cập kỹ năng số cho '
        f'người dân</h1><div class="meta">14/10/2024 16:40</div>{article}</article></main></body></html>'
    )
    return extract(html.encode(), "https://huyen.example.gov.vn/tin-tuc/pho-cap-ky-nang-so-7.htm")


def test_the_signature_of_a_quoted_letter_stays_in_it_and_signs_nothing():
    record = run(
        '<p class="byline">Tác giả: Hồ Minh Khoa</p><div class="content">'
        f"<p>{PARAGRAPHS[0]} Văn phòng huyện gửi văn bản sau:</p><blockquote>"
        "<p>Kính gửi: Ủy ban nhân dân các xã, thị trấn.</p>"
        f"<p>{PARAGRAPHS[1]}</p>"
        '<p style="text-align:right"><strong>TM. ỦY BAN NHÂN DÂN<br>KT. CHỦ TỊCH<br>PHÓ CHỦ TỊCH<br>'
        "Lò Văn Thắng</strong></p></blockquote></div>"
    )
    assert record["text"].endswith("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nLò Văn Thắng")
    assert record["authors"] == ["Hồ Minh Khoa"]


def test_a_quoted_letter_signed_under_an_article_without_a_byline():
    record = run(
        f'<div class="content">{BODY}<p style="text-align:right"><strong>GIÁM ĐỐC<br>'
        "Lò Văn Thắng</strong></p></div>"
    )
    assert record["text"].endswith("GIÁM ĐỐC\nLò Văn Thắng")
    assert record["authors"] == []


def test_a_signature_and_a_photo_credit_in_one_paragraph():
    record = run(
        f'<div class="content">{BODY}<p style="text-align:right"><strong>Vi Thu Trang</strong><br>'
        "<em>Ảnh: Lường Văn Sáng</em></p></div>"
    )
    # The credit is the article's, and stays; the name above it signs the article.
    assert record["text"].endswith(f"{PARAGRAPHS[-1]}\nẢnh: Lường Văn Sáng")
    assert record["authors"] == ["Vi Thu Trang"]


def test_closing_credits_for_design_video_and_production_stay_in_the_text_and_sign_nothing():
    for credit in ("Thiết kế: Lường Văn Sáng", "Video: Lường Văn Sáng", "Đồ họa: Lường Văn Sáng",
                   "Thực hiện: Trung tâm Văn hóa - Thông tin huyện", "Thiết kế: Hoàng Anh - Thu Hà"):
        record = run(f'<div class="content">{BODY}<p style="text-align:right"><em>{credit}</em></p></div>')
        assert record["text"].endswith(f"{PARAGRAPHS[-1]}\n{credit}"), credit
        assert record["authors"] == [], credit


def test_a_last_line_that_only_begins_like_a_credit_is_text():
    for line in ("Thực hiện: Từ tháng 3/2025 đến tháng 10/2025, theo lịch do Sở Nội vụ thông báo",
                 "Clip: Người dân xếp hàng từ 5h sáng"):
        record = run(f'<div class="content">{BODY}<p>{line}</p><p><strong>Vi Thu Trang</strong></p></div>')
        assert record["text"].endswith(f"{PARAGRAPHS[-1]}\n{line}"), line


def test_a_production_credit_naming_writers_signs_the_article():
    record = run(
        f'<div class="content">{BODY}<p style="text-align:right"><strong>Thực hiện: Vi Thu Trang - '
        "Lường Văn Sáng</strong></p></div>"
    )
    assert record["text"].endswith(PARAGRAPHS[-1])
    assert record["authors"] == ["Vi Thu Trang", "Lường Văn Sáng"]


def test_a_byline_box_labelled_as_the_production_names_its_writer():
    record = run(f'<div class="tac-gia">Thực hiện: Vi Thu Trang</div><div class="content">{BODY}</div>')
    assert record["authors"] == ["Vi Thu Trang"]
