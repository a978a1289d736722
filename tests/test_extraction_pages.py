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


def test_the_date_in_the_page_header_is_today_not_the_article_date():
    record = run(
        '<div id="top-bar"><span class="today-date">Thứ Ba, ngày 16/07/2024</span></div>'
        '<div class="content-main"><h1 class="title-news">Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="news-info"><span class="post-date">Ngày đăng: 03/07/2024 | 09:05</span> '
        '<span class="update-date">Cập nhật: 14:20 ngày 4 tháng 7 năm 2024</span></div>'
        f'<div class="news-body">{BODY}</div></div>'
    )
    assert record["published"] == "2024-07-03T09:05:00+07:00"
    assert record["updated"] == "2024-07-04T14:20:00+07:00"


def test_a_news_ticker_above_the_article_does_not_date_it():
    record = run(
        '<div class="ticker"><b>Tin mới:</b> <div class="ticker-item"><a href="/n1">Mưa lớn ở vùng núi phía Bắc</a>'
        ' <span class="time">10:05 20/05/2024</span></div></div>'
        '<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="byline"><span class="author">Hoàng Nga</span> <span class="time">14:15 16/05/2024</span></div>'
        f'<div class="body">{BODY}</div></article>'
    )
    assert record["published"] == "2024-05-16T14:15:00+07:00"


def test_an_unlabelled_date_line_beside_the_headline_beats_an_unclassed_list_before_it():
    record = run(
        '<div class="box"><div class="item"><a href="/n1">Giá xăng giảm nhẹ</a> <span class="time">09:40 20/05/2024</span></div></div>'
        '<div class="detail"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="byline"><span class="time">14:15 16/05/2024</span></div>'
        f'<div class="body">{BODY}</div></div>'
    )
    assert record["published"] == "2024-05-16T14:15:00+07:00"


def test_time_elements_of_featured_cards_before_the_article_do_not_date_it():
    record = run(
        '<section class="featured"><div class="card"><a href="/f1">Phố cổ đón lượng khách kỷ lục</a>'
        '<time datetime="2024-05-20T07:00:00+07:00">20/05/2024</time></div></section>'
        '<div class="main"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<p class="meta"><time datetime="2024-05-16T09:10:00+07:00">09:10 16/05/2024</time></p>'
        f'<div class="noidung">{BODY}</div></div>'
    )
    assert record["published"] == "2024-05-16T09:10:00+07:00"


def test_a_date_in_the_url_beats_the_dates_of_a_related_list():
    record = run(
        '<div id="content"><h2 class="entry-title">Tỉnh đẩy mạnh dịch vụ công trực tuyến</h2>'
        f'<div class="entry-content">{BODY}</div>'
        '<div class="related-posts"><h4>Tin cùng chuyên mục</h4>'
        '<div class="rp"><a href="/2024/05/12/a/">Hội nghị sơ kết công tác cải cách hành chính</a> <span class="date">12/05/2024</span></div>'
        '<div class="rp"><a href="/2024/05/10/b/">Thí điểm số hóa sổ hộ tịch</a> <span class="date">10/05/2024</span></div>'
        "</div></div>",
        url="https://stttt.example.gov.vn/2024/05/17/tinh-day-manh-dich-vu-cong/",
    )
    assert record["published"] == "2024-05-17"



def test_a_date_in_the_prose_does_not_become_the_publication_date():
    record = run(
        '<div class="main"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="noidung">'
        "<p>Sáng 15/5, tại nhà văn hóa trung tâm, UBND tỉnh khai mạc Tuần lễ dịch vụ công trực tuyến; "
        "các gian hàng hướng dẫn người dân mở cửa đến hết ngày 21/5/2024.</p>"
        f"{BODY}</div></div>",
        headers={"Content-Type": "text/html; charset=utf-8", "Date": "Mon, 27 May 2024 03:00:00 GMT"},
    )
    assert record["published"] is None


def test_a_page_dated_only_by_its_update_line_is_published_then():
    record = run(
        '<div class="main"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="ngay-cap-nhat">Cập nhật ngày: 16/05/2024 - 15:45</div>'
        f'<div class="noidung">{BODY}</div></div>'
    )
    assert (record["published"], record["updated"]) == ("2024-05-16T15:45:00+07:00", None)


def test_json_ld_dates_in_the_cms_display_form_are_read_day_first_in_hanoi_time():
    def published(value: str, head: str = "") -> str | None:
        ld = f'<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "{value}"}}</script>'
        record = run(
            f'<div class="main"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="noidung">{BODY}</div></div>',
            head=ld + head,
            headers={"Content-Type": "text/html; charset=utf-8", "Date": "Mon, 18 Nov 2024 03:00:00 GMT"},
        )
        return record["published"]

    assert published("14/11/2024 09:30") == "2024-11-14T09:30:00+07:00"
    assert published("05/11/2024") == "2024-11-05"
    # One it cannot read is left out: the meta tag's date stands.
    meta = '<meta property="article:published_time" content="2024-11-13T08:00:00+07:00">'
    assert published("Nov 14, 2024 9:30 AM", meta) == "2024-11-13T08:00:00+07:00"
    # Fractions of a second are dropped: every stored time is to the second.
    assert published("2024-11-14T02:30:00.123Z") == "2024-11-14T09:30:00+07:00"


def test_a_portal_name_in_og_title_gives_way_to_the_headline_and_takes_its_description_along():
    record = run(
        '<div class="main"><h1 class="title">Lạng Sơn ký kết hợp tác chuyển đổi số với doanh nghiệp viễn thông</h1>'
        f'<div class="noidung">{BODY}</div></div>',
        head='<meta name="description" content="Cổng thông tin điện tử tỉnh Lạng Sơn - Tin tức, sự kiện, '
        'chỉ đạo điều hành của tỉnh">'
        '<meta property="og:title" content="Cổng thông tin điện tử tỉnh Lạng Sơn">'
        '<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">',
        title="Cổng thông tin điện tử tỉnh Lạng Sơn",
    )
    assert record["title"] == "Lạng Sơn ký kết hợp tác chuyển đổi số với doanh nghiệp viễn thông"
    assert record["description"] is None
    assert not record["text"].startswith("Lạng Sơn ký kết")


def test_og_title_naming_the_site_part_of_the_page_title_gives_way_to_the_headline():
    record = run(
        f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="body">{BODY}</div></article>',
        head='<meta property="og:title" content="Sở Tư pháp tỉnh Yên Bái">'
        '<meta name="description" content="Người dân làm thủ tục hộ tịch qua mạng tăng mạnh trong sáu tháng đầu năm.">',
        title="Tỉnh đẩy mạnh dịch vụ công trực tuyến | Sở Tư pháp tỉnh Yên Bái",
    )
    assert record["title"] == "Tỉnh đẩy mạnh dịch vụ công trực tuyến"
    assert record["description"] == "Người dân làm thủ tục hộ tịch qua mạng tăng mạnh trong sáu tháng đầu năm."


def test_a_sapo_outside_the_body_is_the_description_when_the_page_has_none():
    sapo = ("Bộ Thông tin và Truyền thông vừa ký Quyết định số 1045/QĐ-BTTTT ban hành bộ tiêu chí "
            "đánh giá mức độ chuyển đổi số của các xã, áp dụng từ tháng 7/2024.")
    record = run(
        f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><p class="sapo">{sapo}</p>'
        f'<div class="article-body">{BODY}</div></article>',
        head='<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">',
    )
    assert record["description"] == sapo
    assert "1045/QĐ-BTTTT" in [ref["ref"] for ref in record["doc_refs"]]


def test_reader_comments_under_a_plain_heading_are_not_article_text():
    record = run(
        f'<div class="wrapper"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="fck">{BODY}</div>'
        '<div class="box"><h3>Ý kiến bạn đọc</h3>'
        '<div class="item"><b>Lê Văn Tâm</b> - 17/05/2024 10:20<p>Xã tôi ở xa trung tâm huyện, mong tỉnh sớm '
        "đưa thêm cán bộ xuống hướng dẫn bà con cách nộp hồ sơ qua điện thoại, nhất là người lớn tuổi.</p></div>"
        '<div class="item"><b>Phạm Thu</b> - 17/05/2024 11:02<p>Tuần trước tôi đăng ký khai sinh cho cháu qua mạng, '
        "hai ngày đã có kết quả gửi về tận nhà, thủ tục nhanh gọn hơn trước rất nhiều.</p></div></div></div>",
        head='<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">',
    )
    assert "Ý kiến bạn đọc" not in record["text"]
    assert "Xã tôi ở xa" not in record["text"] and "Tuần trước tôi" not in record["text"]
    assert PARAGRAPHS[-1] in record["text"]


def test_other_news_with_dates_and_see_also_lines_are_not_article_text():
    record = run(
        '<div class="col-main"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        '<div class="date-time">17/5/2024 - 08:30 (GMT+7)</div><div class="content-detail">'
        f"<p>{PARAGRAPHS[0]}</p>"
        '<p><strong>&gt;&gt; Xem thêm:</strong> <a href="/x1">Tỉnh đứng thứ 7 cả nước về chỉ số chuyển đổi số</a></p>'
        f"<p>{PARAGRAPHS[1]}</p><p>{PARAGRAPHS[2]}</p>"
        '<p style="text-align:right"><strong>Theo Báo Yên Bái</strong></p></div>'
        '<div class="other-news"><div class="title">Các tin khác</div>'
        '<p><a href="/o1">Công bố chỉ số cải cách hành chính năm 2023</a> (14/05/2024)</p>'
        '<p><a href="/o2">Thí điểm phường số ở thành phố</a> (13/05/2024)</p></div></div>'
    )
    text = record["text"]
    for phrase in ("Xem thêm", "chỉ số chuyển đổi số", "Các tin khác", "cải cách hành chính năm 2023",
                   "Thí điểm phường số", "Theo Báo Yên Bái"):
        assert phrase not in text, phrase
    assert text.endswith(PARAGRAPHS[2])


def test_photo_captions_of_common_cms_shapes_are_not_article_text():
    record = run(
        '<article class="detail"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="detail-content">'
        f"<p>{PARAGRAPHS[0]}</p>"
        '<div class="VCSortableInPreviewMode" type="Photo"><div><img src="https://cdn.example.vn/a.jpg" alt=""></div>'
        '<div class="PhotoCMS_Caption"><p>Cán bộ một cửa hướng dẫn người dân nộp hồ sơ. Ảnh: Minh Khôi</p></div></div>'
        f"<p>{PARAGRAPHS[1]}</p>"
        '<table class="image center"><tbody><tr><td><img src="/img/b.jpg"></td></tr>'
        '<tr><td class="image_desc">Quầy tiếp nhận hồ sơ tại trung tâm hành chính công tỉnh.</td></tr></tbody></table>'
        f"<p>{PARAGRAPHS[2]}</p>"
        '<p style="text-align:center"><img src="/img/c.jpg"></p>'
        '<p style="text-align:center"><em>Lãnh đạo tỉnh thăm bộ phận một cửa huyện</em></p>'
        '<p style="text-align:center"><em>Người dân tra cứu hồ sơ trên điện thoại (Ảnh minh họa)</em></p>'
        "</div></article>",
        head='<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">',
    )
    text = record["text"]
    for phrase in ("Cán bộ một cửa hướng dẫn", "Quầy tiếp nhận hồ sơ", "Lãnh đạo tỉnh thăm", "(Ảnh minh họa)"):
        assert phrase not in text, phrase
    assert all(p in text for p in PARAGRAPHS)


def test_a_closing_name_slash_outlet_signature_is_not_article_text():
    record = run(
        f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="article-content">{BODY}'
        '<p style="text-align:right"><b>Minh Châu/VOV.VN</b></p></div></article>',
        head='<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">',
    )
    assert "VOV.VN" not in record["text"]
    assert record["text"].endswith(PARAGRAPHS[2])


def test_a_byline_box_after_the_body_names_the_author():
    record = run(
        '<div class="tin-chitiet"><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        f'<div class="ngay-dang">Ngày đăng: 17/05/2024</div><div class="noi-dung">{BODY}</div>'
        '<div class="tac-gia">Tác giả: Lò Văn Dũng - Trung tâm Truyền thông tỉnh</div></div>'
    )
    assert record["authors"] == ["Lò Văn Dũng"]


def test_a_visible_byline_beats_a_meta_author_that_names_the_organisation():
    record = run(
        f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><p class="author">Minh Anh</p>{BODY}</article>',
        head='<meta name="author" content="Báo Điện tử Chính phủ">',
    )
    assert record["authors"] == ["Minh Anh"]


def test_a_signature_under_the_text_beats_a_meta_author_that_names_the_organisation():
    record = run(
        f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>{BODY}<p><strong>Ngọc Trâm</strong></p></article>',
        head='<meta name="author" content="Sở TT&amp;TT tỉnh Bình Định">',
    )
    assert record["authors"] == ["Ngọc Trâm"]
    assert "Ngọc Trâm" not in record["text"]


SAPO = ("Sáu tháng đầu năm, toàn tỉnh tiếp nhận hơn 18.400 hồ sơ trực tuyến, tăng hơn một phần ba so với "
        "cùng kỳ, gần như mọi hồ sơ được trả đúng hẹn.")


def _portal_article(views: int, sapo: bool = True) -> dict:
    lead = f'<div class="news-sapo"><p><strong>{SAPO}</strong></p></div>' if sapo else ""
    return run(
        '<main class="container"><div class="news-detail"><h1 class="title-detail">Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
        f'<div class="post-date">Ngày đăng 14/05/2025 | 14:30  | Lượt xem: {views}</div>'
        '<div class="tool-bar"><span class="font-size">Cỡ chữ: <a href="#">A-</a><a href="#">A+</a></span></div>'
        f'{lead}<div class="news-content" id="news-content"><p style="text-align: justify;">{PARAGRAPHS[1]}</p>'
        '<p style="text-align: right;"><strong>Đức Tùng</strong></p></div></div></main>'
    )


def test_the_date_line_and_view_counter_of_a_short_article_are_not_its_text():
    # A sapo and one paragraph, or one paragraph alone: too little prose for trafilatura to leave
    # out the divs of the article's container, the date line with its counter among them.
    for sapo, lines in ((True, [SAPO, PARAGRAPHS[1]]), (False, [PARAGRAPHS[1]])):
        record = _portal_article(4780, sapo=sapo)
        assert record["text"].split("\n") == lines
        assert record["published"] == "2025-05-14T14:30:00+07:00"
        assert record["authors"] == ["Đức Tùng"]
        # Only the counter changed: the same reading, so no new version.
        assert _portal_article(4781, sapo=sapo)["text_hash"] == record["text_hash"]


def test_a_short_articles_section_headline_and_lone_view_counter_are_not_its_text():
    def article(views: str) -> dict:
        return run(
            '<main class="wrap"><div class="detail"><div class="detail-top">\n'
            '<a class="detail-cate" href="/dia-phuong">Địa phương</a>\n'
            '<div class="detail-time">Thứ Sáu, 30/09/2022 18:40 (GMT+7)</div></div>'
            '<h1 class="detail-title">Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>'
            f'<div class="detail-utility"><span>Lượt xem: {views}</span></div>'
            f'<div class="detail-sapo"><b>{SAPO}</b></div>'
            f'<div class="detail-content"><p>{PARAGRAPHS[1]}</p></div>'
            '<div class="detail-author"><b>Hoàng Nga</b></div></div></main>',
            # The section is known from the page's metadata: its link above the headline is no text.
            head='<meta property="article:section" content="Địa phương">',
        )

    record = article("3.412")
    assert record["text"].split("\n") == [SAPO, PARAGRAPHS[1]]
    assert record["authors"] == ["Hoàng Nga"]
    assert article("3.413")["text_hash"] == record["text_hash"]


PUBLISHED_NAMES = (
    ("name", "DC.date"), ("name", "dc.date.created"), ("name", "citation_publication_date"),
    ("name", "article.published"), ("name", "sailthru.date"), ("name", "parsely-pub-date"),
    ("name", "publish-date"), ("property", "og:article:published_time"), ("name", "created"),
    ("property", "article:published"), ("name", "published_time"), ("name", "dcterms.date"),
    ("name", "DCTERMS.issued"),
)


def test_a_utc_time_in_any_common_publication_meta_dates_the_article_in_vietnam():
    # 17:30 UTC on 29 February is 00:30 on 1 March in Vietnam: read by htmldate alone, these tags
    # gave the UTC calendar day, "2024-02-29", and the article was filed a day and a month early.
    for attribute, name in PUBLISHED_NAMES:
        record = run(f"<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1>{BODY}</article>",
                     head=f'<meta {attribute}="{name}" content="2024-02-29T17:30:00Z">')
        assert record["published"] == "2024-03-01T00:30:00+07:00", name


def test_a_last_modified_meta_is_not_read_as_the_article_s_dates():
    # A CMS or server stamps it on pages for their own reasons: read as an update time earlier than
    # the visible date, it took the article's publication date.
    record = run(f'<article><h1>Tỉnh đẩy mạnh dịch vụ công trực tuyến</h1><div class="date">15/06/2024 10:20</div>'
                 f"{BODY}</article>", head='<meta name="last-modified" content="2009-03-01">')
    assert record["published"] == "2024-06-15T10:20:00+07:00"
