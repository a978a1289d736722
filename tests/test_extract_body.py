"""What of an article's body the extractor keeps: short lines with dates, lists, and the lines
portals set around the text (credits, follow-us boxes, related boxes) that are not the article."""

from archive.extract import _is_date_line, extract

LEAD = (
    "Sở Thông tin và Truyền thông đề nghị các sở, ngành và ủy ban nhân dân cấp huyện thông báo rộng "
    "rãi tới cán bộ, công chức và người dân về buổi phát trực tuyến hội nghị sơ kết chuyển đổi số."
)
CLOSE = (
    "Các đơn vị chủ động theo dõi thông tin chỉ đạo, điều hành của ủy ban nhân dân tỉnh trên cổng "
    "thông tin điện tử và các kênh mạng xã hội chính thức, báo cáo kết quả trước ngày làm việc cuối tháng."
)
HEADLINE = "Phát trực tuyến hội nghị sơ kết chuyển đổi số sáu tháng đầu năm"


def run(body: str, head: str = "", title: str = HEADLINE) -> dict:
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{title}</title>{head}</head><body>{body}</body></html>"
    )
    return extract(page.encode("utf-8"), "https://sotttt.example.gov.vn/tin-tuc/bai-101.html",
                   {"Content-Type": "text/html; charset=utf-8"})


def test_short_lines_with_dates_inside_the_body_are_kept():
    record = run(
        f'<article><h1>{HEADLINE}</h1><div class="post-date">Thứ Năm, 27/06/2024 | 08:15</div>'
        f'<div class="article-body"><p>{LEAD}</p><p>Lịch phát như sau:</p>'
        "<p>Thời gian: 9h45 ngày 28/6/2024.</p><p>Hạn đăng ký: 30/6/2024.</p>"
        "<p>Từ 1/7/2024 đến 31/12/2024</p>"
        "<table><tr><th>Cấp</th><th>Số điểm cầu</th><th>Thời điểm</th></tr>"
        "<tr><td>Huyện</td><td>21</td><td>Tháng 7/2024</td></tr>"
        "<tr><td>Xã</td><td>460</td><td>Tháng 9/2024</td></tr></table>"
        f"<p>{CLOSE}</p></div></article>"
    )
    lines = record["text"].split("\n")
    for line in ("Thời gian: 9h45 ngày 28/6/2024.", "Hạn đăng ký: 30/6/2024.", "Từ 1/7/2024 đến 31/12/2024"):
        assert line in lines
    assert "| Huyện | 21 | Tháng 7/2024 |" in lines
    assert "| Xã | 460 | Tháng 9/2024 |" in lines
    assert "27/06/2024" not in record["text"]
    assert record["published"] == "2024-06-27T08:15:00+07:00"


def test_a_list_item_with_a_date_closing_the_body_is_kept():
    record = run(
        f'<article><h1>{HEADLINE}</h1><div class="article-body"><p>{LEAD}</p><p>{CLOSE}</p>'
        "<p>Các mốc thời gian:</p><ul><li>Đợt 1: 15/8/2024</li><li>Đợt 2: 30/8/2024</li></ul></div></article>"
    )
    assert record["text"].endswith("- Đợt 1: 15/8/2024\n- Đợt 2: 30/8/2024")


def test_a_date_stamp_is_told_from_prose_with_a_date():
    for stamp in ("Thứ Hai, 08/04/2021 14:30 (GMT+7)", "Ngày đăng 14/05/2025 | 14:30 | Lượt xem: 4780",
                  "Cập nhật: 05/07/2024", "Đăng lúc 08:15 ngày 27/06/2024", "10/07/2024 08:00 - TTXVN",
                  "Nguồn: Báo Nghệ An | 12/07/2024", "Xuất bản: 09:12 07/07/2024 GMT+7"):
        assert _is_date_line(stamp), stamp
    for prose in ("Ngày 28/6/2024, hội nghị diễn ra.", "Hạn chót: 30/6/2024.", "Từ 1/7/2024 đến 31/12/2024",
                  "| Huyện | 21 | Tháng 7/2024 |", "- Đợt 2: 30/8/2024",
                  # A labelled time of the article's, not the page's date stamp.
                  "Hạn nộp hồ sơ: 17h00 ngày 30/8/2024", "Thời gian: 8h00 ngày 15/8/2024",
                  "Địa điểm: 20/8/2024", "Hạn chót 30/8/2024", "Đợt 2: 30/8/2024"):
        assert not _is_date_line(prose), prose


def _portal_page(body_class: str) -> dict:
    return run(
        '<div id="header"><a href="/">Cổng thông tin điện tử tỉnh</a></div>'
        '<div id="menu"><ul><li><a href="/">Trang chủ</a></li><li><a href="/tin-tuc">Tin tức - Sự kiện</a></li>'
        '<li><a href="/van-ban">Văn bản chỉ đạo điều hành</a></li></ul></div>'
        f'<div class="detail"><h1 class="detail-title">{HEADLINE}</h1><div class="{body_class}">'
        f"<p>{LEAD}</p><p>Các nội dung chính gồm:</p><ul><li>Lập hồ sơ sức khỏe điện tử cho người dân;</li>"
        "<li>Cấp phiếu lý lịch tư pháp qua ứng dụng định danh;</li></ul>"
        f'<p>{CLOSE}</p><ul class="links"><li><a href="/a">Tỉnh ra mắt ứng dụng phản ánh hiện trường</a></li>'
        '<li><a href="/b">Sơ kết chuyển đổi số quý II</a></li></ul></div></div>'
        '<div id="footer">Cơ quan chủ quản: Ủy ban nhân dân tỉnh</div>'
    )


def test_a_bulleted_list_in_a_body_container_named_as_vietnamese_portals_do_is_kept():
    for body_class in ("noi-dung", "detail-content", "fck_detail", "news-content", "contentdetail",
                       "detail__content", "post-body"):
        text = _portal_page(body_class)["text"]
        assert "- Lập hồ sơ sức khỏe điện tử cho người dân;\n- Cấp phiếu lý lịch tư pháp qua ứng dụng định danh;" in text, body_class
        assert text.startswith(LEAD), body_class
        # The menus and a list of links to other articles are not the article.
        for furniture in ("Trang chủ", "Tin tức - Sự kiện", "Tỉnh ra mắt ứng dụng", "Cơ quan chủ quản"):
            assert furniture not in text, (body_class, furniture)


def test_todays_date_in_a_div_page_header_does_not_date_the_article():
    # The article shows only when it was updated: that is when it was published, at the latest.
    for headline in (f"<h1>{HEADLINE}</h1>", f'<h2 class="title-detail">{HEADLINE}</h2>'):
        record = run(
            '<div id="header"><img src="/logo.png" alt="Cổng GTĐT"><div class="ngay-thang">Thứ Bảy, 06/07/2024</div></div>'
            f'<div class="content-detail">{headline}<div class="date-detail">Cập nhật: 05/07/2024</div>'
            f'<div class="noi-dung"><p>{LEAD}</p><p>{CLOSE}</p></div></div>'
        )
        assert (record["published"], record["updated"]) == ("2024-07-05", None), headline


def test_a_published_date_the_page_marks_stands_when_its_update_is_earlier():
    # A post scheduled after its last edit (WordPress writes both times so): its publication is
    # the marked one, and an "update" before it is none.
    for head, info in (
        ('<meta property="article:published_time" content="2024-07-10T08:00:00+07:00">'
         '<meta property="article:modified_time" content="2024-07-09T17:00:00+07:00">', ""),
        ("", '<div class="post-info">Đăng lúc: 10/07/2024 08:00 | Cập nhật: 09/07/2024 17:00</div>'),
        ('<meta property="article:published_time" content="2024-07-10T08:00:00+07:00">',
         '<div class="post-info"><span class="updated">Cập nhật: 17:00 09/07/2024</span></div>'),
    ):
        record = run(f"<article><h1>{HEADLINE}</h1>{info}<p>{LEAD}</p><p>{CLOSE}</p></article>", head=head)
        assert (record["published"], record["updated"]) == ("2024-07-10T08:00:00+07:00", None), (head, info)


def test_todays_date_in_a_div_page_header_is_not_the_published_date():
    record = run(
        '<div class="header-top"><div class="ngay-thang">Thứ Bảy, 06/07/2024</div></div>'
        f'<div class="content-detail"><div class="post-date">Ngày đăng: 05/07/2024</div>'
        f'<div class="noi-dung"><p>{LEAD}</p><p>{CLOSE}</p></div></div>'
    )
    assert record["published"] == "2024-07-05"


def test_a_closing_source_credit_is_no_text_and_the_signature_above_it_is_the_author():
    for credit in ("Theo baochinhphu.vn", "Nguồn: chinhphu.vn", "(Theo TTXVN)", "Theo Kinh tế &amp; Đời sống",
                   "Theo Tạp chí Thông tin và Truyền thông"):
        record = run(
            f'<article><h1>{HEADLINE}</h1><p>{LEAD}</p><p>{CLOSE}</p>'
            f"<p><strong>Minh Anh - Thu Hà</strong></p><p><em>{credit}</em></p></article>"
        )
        assert record["text"] == f"{LEAD}\n{CLOSE}", credit
        assert record["authors"] == ["Minh Anh", "Thu Hà"], credit


def test_a_closing_line_opening_with_theo_that_is_not_a_credit_is_kept():
    record = run(f"<article><h1>{HEADLINE}</h1><p>{LEAD}</p><p>{CLOSE}</p><p>Theo kế hoạch</p></article>")
    assert record["text"].endswith("\nTheo kế hoạch")


def test_related_boxes_under_the_common_headings_are_no_text():
    for heading in ("Bài viết cùng chuyên mục", "Tin cùng chuyên mục", "Tin khác", "Tin đã đưa", "Đọc thêm", "Bài liên quan", "Tin tức liên quan", "Các tin khác"):
        record = run(
            f'<article><h1>{HEADLINE}</h1><div class="content-news"><p>{LEAD}</p>'
            f'<div class="box-news"><h3>{heading}</h3>'
            '<p><a href="/x1">Tỉnh ra mắt ứng dụng phản ánh hiện trường trên điện thoại</a></p>'
            '<p><a href="/x2">Sơ kết chuyển đổi số quý II ở các huyện miền núi</a></p></div>'
            f"<p>{CLOSE}</p></div></article>"
        )
        assert record["text"] == f"{LEAD}\n{CLOSE}", heading


def test_the_sites_own_follow_us_box_is_no_text_but_an_article_sentence_about_a_channel_is():
    about = ("Người dân có thể quan tâm Zalo OA “Mặt trận Tổ quốc tỉnh Nghệ An” hoặc theo dõi fanpage "
             "“Mặt trận Nghệ An” để nhận tin.")
    record = run(
        f'<div class="wrapper"><h1>{HEADLINE}</h1><div class="content-news"><p>{LEAD}</p><p>{about}</p>'
        f"<p>{CLOSE}</p></div>"
        '<div class="zalo-follow"><p>Quan tâm Zalo OA của chúng tôi để nhận tin mới nhất</p>'
        '<a href="https://zalo.me/4318234712345678">Quan tâm</a></div></div>'
    )
    assert record["text"] == f"{LEAD}\n{about}\n{CLOSE}"


def test_a_headline_in_a_titled_h2_beats_an_og_title_that_names_the_portal():
    record = run(
        '<div id="header"><img src="/logo.png" alt="Cổng GTĐT"></div>'
        '<div class="sidebar"><h2 class="title">Văn bản mới ban hành về quản lý tài khoản mạng xã hội</h2></div>'
        f'<div class="content-detail"><h2 class="title-detail">{HEADLINE}</h2>'
        f'<div class="date-detail">Cập nhật: 05/07/2024</div><div class="noi-dung"><p>{LEAD}</p><p>{CLOSE}</p></div>'
        '<div class="tin-khac"><ul><li><h2 class="title"><a href="/x1">Hà Nội ra mắt ứng dụng phản ánh hiện trường</a></h2></li></ul></div></div>',
        head='<meta property="og:title" content="Cổng Giao tiếp điện tử thành phố Hà Nội">',
        title="Cổng Giao tiếp điện tử thành phố Hà Nội",
    )
    assert record["title"] == HEADLINE
    assert record["text"] == f"{LEAD}\n{CLOSE}"


def test_a_source_credit_in_a_byline_box_is_not_the_author():
    record = run(
        f'<article><h1>{HEADLINE}</h1><div class="noi-dung"><p>{LEAD}</p><p>{CLOSE}</p>'
        '<p class="tac-gia" style="text-align:right"><b>Theo hanoi.gov.vn</b></p></div></article>'
    )
    assert record["author"] is None
    assert record["text"] == f"{LEAD}\n{CLOSE}"


def test_a_short_article_about_an_agencys_channel_keeps_its_text():
    # The line names another body's channel, not the site's own ("của chúng tôi"): it is the article.
    for call in ("Đăng ký theo dõi fanpage “Sở Y tế tỉnh” để nhận tin mới về lịch tiêm chủng.",
                 "Theo dõi kênh Zalo chính thức của Bệnh viện tỉnh để nhận tin cảnh báo dịch bệnh."):
        record = run(
            f'<div class="khung"><h1>{HEADLINE}</h1><div class="noi-dung"><p>{call}</p>'
            "<p>Phụ huynh quét mã QR dán ở trạm y tế.</p></div></div>"
        )
        assert record["text"] == f"{call}\nPhụ huynh quét mã QR dán ở trạm y tế.", call


def test_the_sites_own_follow_us_line_in_a_short_body_goes_alone():
    record = run(
        f'<div class="khung"><h1>{HEADLINE}</h1><div class="noi-dung"><p>Trạm y tế xã tiêm vắc xin sởi từ thứ Hai.</p>'
        "<p>Theo dõi Zalo OA của chúng tôi để nhận tin mới nhất</p></div></div>"
    )
    assert record["text"] == "Trạm y tế xã tiêm vắc xin sởi từ thứ Hai."


NOTICE = (
    "Ban Tiếp công dân tỉnh thông báo lịch tiếp công dân định kỳ của lãnh đạo tỉnh trong tháng Tám.",
    "Công dân mang theo căn cước khi đến trụ sở.",
)


def test_a_short_notice_with_a_lone_link_line_keeps_its_text():
    # "Xem thêm" opens the attachment or the rest of the notice; the other lines link a section or
    # the comments: none heads a box, and the body around it is the notice.
    for line in ('<a href="/van-ban/lich-tiep-cong-dan.pdf">Xem thêm</a>', '<a href="/tin/lich-thang-8">Đọc thêm</a>',
                 '<a href="/chuyen-muc/thong-bao">Tin khác</a>', '<a href="#binh-luan">Bình luận (2)</a>'):
        record = run(
            f'<div class="khung"><h1>{HEADLINE}</h1><div class="noi-dung"><p>{NOTICE[0]}</p>'
            f"<p>{NOTICE[1]}</p><p>{line}</p></div></div>"
        )
        assert record["text"] == "\n".join(NOTICE), line


def test_a_related_box_in_a_short_body_goes_without_the_body():
    record = run(
        f'<div class="khung"><h1>{HEADLINE}</h1><div class="noi-dung"><p>{NOTICE[0]}</p><p>{NOTICE[1]}</p>'
        '<h3>Tin liên quan</h3><ul><li><a href="/x1">Lịch tiếp công dân tháng Bảy của lãnh đạo tỉnh</a></li>'
        '<li><a href="/x2">Tỉnh tổ chức đối thoại với nông dân về đất đai</a></li></ul></div></div>'
    )
    assert record["text"] == "\n".join(NOTICE)


def test_a_labelled_deadline_closing_a_notice_is_kept():
    deadline = "Hạn nộp hồ sơ: 17h00 ngày 30/8/2024"
    record = run(
        f'<article><h1>{HEADLINE}</h1><div class="post-date">10/07/2024 08:00</div>'
        f'<div class="noi-dung"><p>{LEAD}</p><p>{CLOSE}</p><p>{deadline}</p></div></article>'
    )
    assert record["text"] == f"{LEAD}\n{CLOSE}\n{deadline}"


def test_a_stamp_set_below_the_sapo_is_no_text_but_a_schedule_s_days_are():
    for stamp in ("Thứ Hai, 08/07/2024 14:30 (GMT+7)", "PV · 09:40 08/07/2024 · 16 bình luận",
                  "Cập nhật lúc 10:15 ngày 08/07/2024"):
        record = run(f'<article><h1>{HEADLINE}</h1><p class="sapo">{LEAD}</p><p>{stamp}</p>'
                     f"<p>{CLOSE}</p><p>{LEAD}</p></article>")
        assert stamp not in record["text"] and CLOSE in record["text"], (stamp, record["text"])
    schedule = run(
        f'<article><h1>Lịch công tác tuần 29 của lãnh đạo Sở</h1><div class="noi-dung"><p>{LEAD}</p>'
        "<p>Thứ Hai, 15/07/2024</p><p>08:00: Giám đốc Sở họp giao ban đầu tuần với các phòng chuyên môn.</p>"
        "<p>Thứ Ba, 16/07/2024</p><p>14:00: Phó Giám đốc Sở làm việc với Trung tâm Công nghệ thông tin.</p>"
        f"<p>{CLOSE}</p></div></article>"
    )
    assert "Thứ Hai, 15/07/2024\n" in schedule["text"] and "Thứ Ba, 16/07/2024\n" in schedule["text"]


def test_a_team_signing_the_article_is_no_text():
    record = run(f"<article><h1>{HEADLINE}</h1><p>{LEAD}</p><p>{CLOSE}</p><p><strong>Nhóm PV</strong></p></article>")
    assert record["text"].endswith(CLOSE) and record["authors"] == []


def test_a_source_credit_in_any_box_marked_for_the_author_is_not_the_author():
    for box in ('<div class="author">Theo hanoi.gov.vn</div>', '<p class="byline">Nguồn: TTXVN</p>',
                '<span class="news-author">Theo Báo Quảng Trị</span>'):
        record = run(f"<article><h1>{HEADLINE}</h1><p>{LEAD}</p><p>{CLOSE}</p>{box}</article>")
        assert record["author"] is None and record["authors"] == [], (box, record["author"])
    signed = run(f'<article><h1>{HEADLINE}</h1><p>{LEAD}</p><p>{CLOSE}</p><div class="author">Minh Anh</div></article>')
    assert signed["authors"] == ["Minh Anh"]
