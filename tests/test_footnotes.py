"""Footnotes under an article: trafilatura dropped their list, and with it the documents cited
only there."""

from archive.extract import extract

NOTES_PAGE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Năm năm dịch vụ công
trực tuyến của huyện</title></head><body><main><article class="detail"><h1>Năm năm dịch vụ công trực
tuyến của huyện</h1><div class="meta">02/09/2024 08:00</div><div class="content">
<p>Bộ phận một cửa của huyện bắt đầu nhận hồ sơ trực tuyến từ năm 2019 theo Kế hoạch số 77/KH-UBND<sup>
<a href="#note-a" id="ref-a">[1]</a></sup>, ban đầu với 40 thủ tục về đất đai và hộ tịch.</p>
<p>Đến nay, huyện cung cấp 312 thủ tục trực tuyến toàn trình; tỷ lệ hồ sơ nộp qua mạng đạt 61% trong
sáu tháng đầu năm<sup><a href="#note-b" id="ref-b">[2]</a></sup>, cao nhất từ trước tới nay.</p>
<p>Huyện sẽ tiếp tục rút ngắn thời gian giải quyết hồ sơ và mở rộng thanh toán phí, lệ phí trực tuyến
cho mọi thủ tục có thu phí trong năm tới.</p></div>
<div class="{box}"><hr><ol>
<li id="note-a">Kế hoạch số 77/KH-UBND ngày 11/3/2019 của UBND huyện về cung cấp dịch vụ công trực tuyến. <a href="#ref-a">↩</a></li>
<li id="note-b">Số liệu theo Thông tư số 01/2023/TT-VPCP về chế độ báo cáo thống kê. <a href="#ref-b">↩</a></li>
</ol></div></article></main></body></html>"""


def test_footnotes_are_kept_as_the_last_paragraphs():
    for box in ("footnotes", "chu-thich"):
        record = extract(NOTES_PAGE.format(box=box).encode(), "https://huyen.example.gov.vn/tin-tuc/nam-nam-dvc-9.htm")
        lines = record["text"].splitlines()
        assert lines[-2:] == [
            "Kế hoạch số 77/KH-UBND ngày 11/3/2019 của UBND huyện về cung cấp dịch vụ công trực tuyến.",
            "Số liệu theo Thông tư số 01/2023/TT-VPCP về chế độ báo cáo thống kê.",
        ], box
        assert "01/2023/TT-VPCP" in [ref["ref"] for ref in record["doc_refs"]]

