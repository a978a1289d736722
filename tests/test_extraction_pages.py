"""Extraction over whole pages shaped like those of Vietnamese portals: layouts that once made
the extractor lose the article, misdate it, or keep page furniture in its text."""

from archive.extract import extract

# Article paragraphs long enough for trafilatura to take them as the main text.
PARAGRAPHS = (
    "Theo báo cáo của Sở Thông tin và Truyền thông, sáu tháng đầu năm toàn tỉnh đã tiếp nhận hơn "
    "18.400 hồ sơ trực tuyến, cao hơn một phần ba so với cùng kỳ; gần như mọi hồ sơ được trả đúng hẹn.",
    "Các huyện miền núi được hỗ trợ thêm máy tính và đường truyền cho bộ phận một cửa cấp xã, để "
    "người dân ở thôn bản xa trung tâm không phải đi lại nhiều lần khi làm thủ tục hành chính.",
    "Trong quý tới, tỉnh sẽ tập huấn cho tổ công nghệ số cộng đồng ở từng thôn, hướng dẫn người cao "
    "tuổi cài đặt ứng dụng định danh điện tử và tra cứu kết quả giải quyết hồ sơ trên điện thoại.",
)
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def page(body: str, head: str = "", title: str = "Tỉnh đẩy mạnh dịch vụ công trực tuyến") -> bytes:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{title}</title>{head}</head><body>{body}</body></html>"
    ).encode("utf-8")


def run(body: str, head: str = "", url: str = "https://sotttt.example.gov.vn/tin-tuc/bai-viet-101.html",
        headers=None, **kwargs) -> dict:
    return extract(page(body, head, **kwargs), url, headers or {"Content-Type": "text/html; charset=utf-8"})


def test_a_related_box_at_the_top_of_the_article_container_takes_only_its_list():
    record = run(
        '<div class="journal-content-article"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="ngay-dang">17/05/2024 08:30</div><div class="noi-dung">'
        '<h3>Tin liên quan</h3><ul><li><a href="/a">Phát động tháng cao điểm chuyển đổi số</a></li>'
        '<li><a href="/b">Bồi dưỡng kỹ năng số cho cán bộ cấp xã</a></li></ul>'
        f"{BODY}</div></div>"
    )
    assert all(p in record["text"] for p in PARAGRAPHS)
    assert "Tin liên quan" not in record["text"]
    assert "Phát động tháng cao điểm" not in record["text"]
