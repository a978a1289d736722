"""A photo story tells its news in the captions: with the captions gone, as they go from an
ordinary article's text, nothing but a line or two was left."""

import pytest

from archive.extract import extract

CAPTIONS = (
    "Ngay từ sáng sớm, đoàn viên thanh niên xã Mường Chiềng đã có mặt tại chợ phiên để hướng dẫn bà "
    "con bán hàng cài đặt ứng dụng thanh toán bằng mã QR.",
    "Mỗi gian hàng được in sẵn một tấm mã QR khổ lớn; người mua chỉ cần quét mã bằng điện thoại là trả "
    "được tiền, không phải tìm tiền lẻ.",
    "Ông Hà Văn Sinh, 72 tuổi, bán mật ong rừng, lần đầu nhận tiền qua tài khoản ngân hàng và được tổ "
    "công nghệ số kiểm tra giúp số dư.",
    "Kết thúc buổi chợ, đã có 86 hộ kinh doanh mở tài khoản và dùng mã QR, gần gấp đôi kế hoạch xã đặt ra.",
)
HEAD = (
    '<h1>[Ảnh] Phiên chợ không dùng tiền mặt ở vùng cao</h1><div class="meta">21/09/2024 | 15:10</div>'
    '<p class="sapo">Ghi nhận tại chợ phiên xã Mường Chiềng.</p>'
)
SIGNED = '<p style="text-align:right"><strong>Ảnh và bài: Lò Thị Hoa</strong></p>'
SHAPES = {
    "figure": "".join(
        f'<figure class="image"><img src="/anh/{i}.jpg" alt=""><figcaption>{c} <em>Ảnh: Lò Thị Hoa</em>'
        "</figcaption></figure>" for i, c in enumerate(CAPTIONS)
    ),
    "centred paragraph": "".join(
        f'<p><img src="/anh/{i}.jpg"></p><p style="text-align:center"><em>{c} <em>(Ảnh: Lò Thị Hoa)</em>'
        "</em></p>" for i, c in enumerate(CAPTIONS)
    ),
    "table": "".join(
        f'<table class="image center"><tbody><tr><td><img src="/anh/{i}.jpg"></td></tr><tr>'
        f'<td class="image_desc"><p>{c}</p></td></tr></tbody></table>' for i, c in enumerate(CAPTIONS)
    ),
}


def run(article: str) -> dict:
    html = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>[Ảnh] Phiên chợ không dùng '
        f'tiền mặt ở vùng cao</title></head><body><main><article class="detail photo-story">{article}'
        "</article></main></body></html>"
    )
    return extract(html.encode(), "https://xa.example.gov.vn/tin-tuc/phien-cho-khong-tien-mat-44.htm")


@pytest.mark.parametrize("shape", SHAPES)
def test_the_captions_of_a_photo_story_are_its_text(shape):
    record = run(HEAD + SHAPES[shape] + SIGNED)
    lines = record["text"].splitlines()
    assert lines[-len(CAPTIONS):] == list(CAPTIONS)
    assert record["authors"] == ["Lò Thị Hoa"]
    assert "Ảnh:" not in record["text"]
    assert record["published"] == "2024-09-21T15:10:00+07:00"


def test_an_article_with_a_captioned_photo_keeps_its_caption_out():
    paragraphs = "".join(f"<p>{c} {c}</p>" for c in CAPTIONS)
    record = run(
        HEAD + f'<figure><img src="/anh/1.jpg"><figcaption>{CAPTIONS[0]}</figcaption></figure>{paragraphs}{SIGNED}'
    )
    assert record["text"].count(CAPTIONS[0]) == 2


def test_a_caption_inside_a_caption_box_is_read_once():
    boxed = "".join(
        f'<div class="caption-box"><figure><img src="/anh/{i}.jpg"><figcaption class="caption">{c}</figcaption>'
        "</figure></div>" for i, c in enumerate(CAPTIONS)
    )
    record = run(HEAD + boxed + SIGNED)
    assert record["text"].splitlines()[-len(CAPTIONS):] == list(CAPTIONS)


@pytest.mark.parametrize("control", ["\x08", "\x01", "\x1b", "\ufffe"])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_control_character_in_a_caption_costs_the_character_not_the_article(shape, control):
    # lxml refuses it in the paragraph a caption is made into: the extraction ended in ValueError.
    marked = SHAPES[shape].replace("đoàn viên", f"đoàn{control} viên", 1)
    record = run(HEAD + marked + SIGNED)
    assert record["text"].splitlines()[-len(CAPTIONS):] == list(CAPTIONS)
