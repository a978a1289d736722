import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.mentions import Mention, canonical_agency, find_mentions
from archive.vietnamese import fold

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "archive" / "samplesite" / "articles"
SEEDS = ROOT.parent / "shared" / "seeds"
AGENCIES = tomllib.loads((ROOT / "archive" / "data" / "agencies.toml").read_text("utf-8"))


def channels(text, links=()):
    return [(m.platform, m.name) for m in find_mentions(text, links) if m.kind == "channel"]


def agencies(text):
    return [m.name for m in find_mentions(text) if m.kind == "agency"]


# (sentence, the channels found, as (platform, name))
CHANNELS = [
    ("Sở gửi tin tới người dân qua kênh Zalo “Sở Thông tin Truyền thông TP Hà Nội” mỗi ngày.",
     [("Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội")]),
    ("Người dân quét mã để theo dõi tài khoản Zalo mang tên “Sở Thông tin Truyền thông TP Hà Nội”.",
     [("Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội")]),
    ("Sau ba tháng, trang Zalo “Bộ Nội vụ” đã có hơn 11.000 người quan tâm.",
     [("Zalo OA", "Bộ Nội vụ")]),
    ("Thành phố đề nghị các ngành giới thiệu Fanpage “Thủ đô Hà Nội - Việt Nam” tới người dân.",
     [("Facebook", "Thủ đô Hà Nội - Việt Nam")]),
    ("Hà Nội tăng cường tuyên truyền trên Fanpage 'Thủ đô Hà Nội - Việt Nam'",
     [("Facebook", "Thủ đô Hà Nội - Việt Nam")]),
    # A caption whose quotation is never closed ends with its line.
    ("Hình ảnh Fanpage “Thủ đô Hà Nội - Việt Nam\n\nSở phối hợp triển khai.",
     [("Facebook", "Thủ đô Hà Nội - Việt Nam")]),
    ("Trang mới mở Fanpage “Thủ đô Hà Nội - Việt Nam. Người dân theo dõi đông.",
     [("Facebook", "Thủ đô Hà Nội - Việt Nam")]),
    ("Sự kiện phát trên fanpage “Chính phủ”; fanpage “Thủ đô Hà Nội - Việt Nam”; fanpage “Hà Nội Online”.",
     [("Facebook", "Chính phủ"), ("Facebook", "Thủ đô Hà Nội - Việt Nam"), ("Facebook", "Hà Nội Online")]),
    ("Sự kiện được phát trên các fanpage “Chính phủ”, “Thủ đô Hà Nội - Việt Nam” và “Hà Nội Online”.",
     [("Facebook", "Chính phủ"), ("Facebook", "Thủ đô Hà Nội - Việt Nam"), ("Facebook", "Hà Nội Online")]),
    ("Tỉnh triển khai Zalo OA (Official Account) cho toàn bộ Mặt trận; 482 OA đã hoạt động.",
     [("Zalo OA", "Zalo OA")]),
    ("Mặt trận muốn dùng Zalo Mini App để tổ chức cuộc thi.", [("Zalo Mini App", "Zalo Mini App")]),
    ('Ra mắt Zalo Mini App "Bình Định số" cho người dân.', [("Zalo Mini App", "Bình Định số")]),
    ('Tỉnh đưa vào vận hành trang Zalo Official Account "UBND tỉnh Bắc Giang".',
     [("Zalo OA", "UBND tỉnh Bắc Giang")]),
    ("Lý lịch tư pháp được cấp qua ứng dụng VNeID.", [("VNeID", "VNeID")]),
    ('Kênh TikTok "Lào Cai Official" có hơn 420.000 người theo dõi.', [("TikTok", "Lào Cai Official")]),
    ('Kênh YouTube "Bộ Nội vụ" tăng gấp đôi người đăng ký.', [("YouTube", "Bộ Nội vụ")]),
    ("Các bộ duy trì fanpage, kênh YouTube và TikTok.",
     [("Facebook", "Facebook"), ("YouTube", "YouTube"), ("TikTok", "TikTok")]),
    ("Ưu tiên Zalo OA và fanpage Facebook đã được xác thực.", [("Zalo OA", "Zalo OA"), ("Facebook", "Facebook")]),
    ("Danh sách được công khai trên Cổng TTĐT tỉnh và Cổng Thông tin điện tử Chính phủ.",
     [("Cổng thông tin điện tử", "Cổng thông tin điện tử")]),
    ("Quy định mới với trang thông tin điện tử tổng hợp và mạng xã hội.", [("Website", "Website")]),
    ("Cảnh báo được gửi qua kênh Telegram của Sở.", [("Telegram", "Telegram")]),
    ("Cán bộ thôn lập nhóm Zalo “Tổ dân phố 5” để gửi thông báo.", [("Zalo", "Tổ dân phố 5")]),
    # "OA" is Zalo's only on a page that speaks of Zalo; elsewhere it is office automation.
    ("Phần mềm quản lý văn bản và điều hành (OA) được nâng cấp để ký số trên điện thoại.", []),
    ("Official Account của huyện đạt 9.000 người quan tâm.", []),
    ("Huyện mở thêm 12 OA cho các xã; người dân tìm trên Zalo.", [("Zalo OA", "Zalo OA"), ("Zalo", "Zalo")]),
    # "trang web" and "website" are any site: a channel only with its name.
    ("Người dân không nên bấm vào đường dẫn lạ hay khai báo trên trang web giả mạo.", []),
    ("Kết quả được đăng trên website của trường.", []),
    ("Huyện ra mắt trang web “Mù Cang Chải số” cho du khách.", [("Website", "Mù Cang Chải số")]),
    # A handle names the channel.
    ("Đài tỉnh đăng video trên kênh TikTok @baoyenbai.official mỗi tối.", [("TikTok", "@baoyenbai.official")]),
    ("Theo dõi YouTube @VTVgo hoặc gửi thư tới tiktok@yenbai.gov.vn.", [("YouTube", "@VTVgo")]),
    # A full stop after a handle ends the sentence; a dot before a letter would continue it.
    ("Mời xem thêm trên kênh TikTok @baobacgiang.", [("TikTok", "@baobacgiang")]),
    ("Video có trên kênh YouTube @baobacgiang. Ngày mai phát tiếp.", [("YouTube", "@baobacgiang")]),
    ("Kênh TikTok @bacgiang.\nTin mới mỗi ngày.", [("TikTok", "@bacgiang")]),
    # Zalo's payment wallet is no channel, however it is spaced.
    ("Thanh toán học phí qua Zalo Pay và ví MoMo.", []),
    ("Thanh toán qua ZALO  PAY hoặc zalo pay.", []),
    ("Thanh toán qua ZaloPay; hỏi đáp qua Zalo Payroll.", [("Zalo", "Zalo")]),
    ("Người dùng bấm “Quan tâm” sau khi tìm từ khóa “Bộ Nội vụ”.", []),
    # The site inviting its readers to follow its own channel: furniture, not the article's subject.
    ("Quan tâm Zalo OA của chúng tôi để nhận tin mới nhất", []),
    ("Mời bạn đọc đăng ký kênh YouTube chính thức của chúng tôi.", []),
    ("Theo dõi chúng tôi trên Facebook, Zalo và TikTok.", []),
    ("Follow us on Facebook", []),
    ("Tỉnh triển khai Zalo OA cho Mặt trận.\nQuan tâm Zalo OA của chúng tôi để nhận tin mới nhất",
     [("Zalo OA", "Zalo OA")]),
    # Without the call to follow, "our" channel is the speaker's.
    ("Bà Sinh cho biết Zalo OA của chúng tôi có 2.000 người quan tâm.", [("Zalo OA", "Zalo OA")]),
    ("Người dân quan tâm Zalo OA “Mặt trận Tổ quốc tỉnh Nghệ An” để nhận tin.",
     [("Zalo OA", "Mặt trận Tổ quốc tỉnh Nghệ An")]),
    # Image file names and slugs are not mentions.
    ("dai-dien-zalo-nhan-giay-khen-1617970753.jpg\nĐại diện đơn vị nhận giấy khen.", []),
    # A long quotation after a platform is a quotation, not a channel name.
    ("Bà nói về Zalo “Chúng tôi nhận thấy đây là kênh có rất nhiều tính năng phù hợp với mục đích "
     "tuyên truyền, vận động và tập hợp các tầng lớp nhân dân trong tỉnh”.", [("Zalo", "Zalo")]),
]

# (sentence, the agencies found, canonical)
AGENCIES_FOUND = [
    ("Zalo nhận giấy khen của Sở Thông tin và Truyền thông Hà Nội.", ["Sở Thông tin và Truyền thông Hà Nội"]),
    ("Sở TT&TT Hà Nội trao giấy khen; Sở Thông tin và Truyền thông Hà Nội ghi nhận đóng góp.",
     ["Sở Thông tin và Truyền thông Hà Nội"]),
    ("Sở Thông tin Truyền thông TP Hà Nội sử dụng tài khoản để tuyên truyền.",
     ["Sở Thông tin và Truyền thông Hà Nội"]),
    ("Sở TTTT Lạng Sơn và STTTT Lạng Sơn là cách viết tắt quen thuộc.", ["Sở Thông tin và Truyền thông Lạng Sơn"]),
    ("Thứ trưởng Bộ Nội vụ phát biểu tại lễ ra mắt.", ["Bộ Nội vụ"]),
    ("Bộ TT&TT và Bộ Thông tin và Truyền thông là một.", ["Bộ Thông tin và Truyền thông"]),
    ("Đại diện Bộ Khoa học và Công nghệ và Sở KH&CN Hải Dương tham dự.",
     ["Bộ Khoa học và Công nghệ", "Sở Khoa học và Công nghệ Hải Dương"]),
    ("Văn phòng Chính phủ phối hợp tổ chức hội nghị.", ["Văn phòng Chính phủ"]),
    ("Thủ tướng Chính phủ ký chỉ thị; Chính phủ giao nhiệm vụ.", ["Thủ tướng Chính phủ", "Chính phủ"]),
    ("Xây dựng Chính phủ điện tử, chính phủ số là ưu tiên.", []),
    ("Kế hoạch của UBND TP. Hà Nội và của Ủy ban nhân dân thành phố Hà Nội là một.",
     ["Ủy ban nhân dân thành phố Hà Nội"]),
    ("Uỷ ban nhân dân thành phố Hà Nội và UBND Hà Nội.", ["Ủy ban nhân dân thành phố Hà Nội"]),
    ("Chủ tịch UBND tỉnh Nghệ An ký quyết định.", ["Ủy ban nhân dân tỉnh Nghệ An"]),
    ("Văn phòng UBND TP Hà Nội ban hành văn bản.", ["Văn phòng Ủy ban nhân dân thành phố Hà Nội"]),
    ("Bí thư Thành ủy Hà Nội dự hội nghị.", ["Thành ủy Hà Nội"]),
    ("Ủy ban MTTQ Việt Nam tỉnh Nghệ An triển khai Zalo OA; Uỷ ban MTTQ Việt Nam tỉnh Nghệ An đi đầu.",
     ["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An"]),
    ("Đại hội MTTQ Việt Nam tỉnh Nghệ An lần thứ XV.", ["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An"]),
    ("Giám đốc Công an TP.HCM khen thưởng.", ["Công an Thành phố Hồ Chí Minh"]),
    ("Zalo được UBND tỉnh Bắc Giang khen tặng.", ["Ủy ban nhân dân tỉnh Bắc Giang"]),
    ("Dự án được Quốc hội thông qua.", ["Quốc hội"]),
    # Names are capitalised: "cán bộ công an" is no ministry, "toàn bộ nội vụ" none either.
    ("Cán bộ công an và toàn bộ nội vụ của xã.", []),
    ("Đại diện Cục Báo chí cho biết.", ["Cục Báo chí"]),
    # Built by rule for places not listed as agencies.
    ("UBND tỉnh Hà Tĩnh có công văn gửi UBND huyện Cẩm Xuyên và UBND thị xã Kỳ Anh.",
     ["Ủy ban nhân dân tỉnh Hà Tĩnh", "Ủy ban nhân dân huyện Cẩm Xuyên", "Ủy ban nhân dân thị xã Kỳ Anh"]),
    ("Phó Chủ tịch UBND huyện Phù Cát Nguyễn Văn A phát biểu.", ["Ủy ban nhân dân huyện Phù Cát"]),
    ("UBND quận 12 tiếp nhận phản ánh.", ["Ủy ban nhân dân quận 12"]),
    ("UBND TP Vinh tổ chức họp báo.", ["Ủy ban nhân dân thành phố Vinh"]),
    ("Sở Thông tin và Truyền thông Bắc Giang và Sở TT&TT tỉnh Bắc Giang là một.",
     ["Sở Thông tin và Truyền thông Bắc Giang"]),
    ("Sở Thông tin và Truyền thông thành phố Đà Nẵng thông tin.", ["Sở Thông tin và Truyền thông Đà Nẵng"]),
    ("Ủy ban MTTQ Việt Nam tỉnh Thanh Hóa tổ chức hội nghị.", ["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Thanh Hóa"]),
    ("Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh mở tài khoản.",
     ["Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh"]),
    ("UBND TP.HCM chỉ đạo các quận.", ["Ủy ban nhân dân Thành phố Hồ Chí Minh"]),
    # Generic words are no agency.
    ("Các sở, ban, ngành, UBND quận, huyện, thị xã được yêu cầu quán triệt.", []),
    ("Theo chỉ đạo của Thành ủy, UBND Thành phố và Sở.", []),
    ("UBND cấp xã tiếp nhận phản ánh; cán bộ công an gọi điện.", []),
    # A body with a branch in every province is, without its place, none of them.
    ("Giám đốc Sở Thông tin và Truyền thông cho biết hệ thống đã chạy ổn định.", []),
    ("Văn bản do STTTT và Sở Y tế phối hợp soạn.", []),
    ("Các đơn vị gửi tin cho Trung tâm Thông tin điện tử thành phố.", []),
    ("Theo báo cáo của UBND tỉnh. Các sở phải thực hiện.", []),
    # A <br> inside a paragraph puts a line break in a name; a blank line or a full stop ends it.
    ("UBND\ntỉnh Bắc Giang ban hành kế hoạch.", ["Ủy ban nhân dân tỉnh Bắc Giang"]),
    ("Sở Thông tin và Truyền thông\nBắc Giang chủ trì.", ["Sở Thông tin và Truyền thông Bắc Giang"]),
    ("Sở Thông tin và\nTruyền thông Bắc Giang phối hợp.", ["Sở Thông tin và Truyền thông Bắc Giang"]),
    ("UBND huyện\nPhù Cát họp.", ["Ủy ban nhân dân huyện Phù Cát"]),
    ("Báo cáo gửi UBND\n\nTỉnh Bắc Giang có 10 huyện.", []),
    ("Theo báo cáo của UBND tỉnh.\nBắc Giang là tỉnh miền núi.", []),
    ("UBND TP Vinh\nNgày 5/3 họp.", ["Ủy ban nhân dân thành phố Vinh"]),
    ("Xây dựng Chính phủ\nđiện tử là ưu tiên.", []),
    # A document number is not a mention of its issuer.
    ("Quyết định số 93/QĐ-STTTT và Thông tư 22/2023/TT-BTTTT.", []),
    # The ministries and ministerial-level agencies, by full name and by the press's abbreviations.
    ("Bộ Y tế phối hợp với Bộ NN&PTNT và Bộ LĐ-TB&XH.",
     ["Bộ Y tế", "Bộ Nông nghiệp và Phát triển nông thôn", "Bộ Lao động - Thương binh và Xã hội"]),
    ("Bộ KH&ĐT, Bộ Tài chính, Bộ GTVT và Bộ Giáo dục và Đào tạo họp; Bộ GD&ĐT chủ trì.",
     ["Bộ Kế hoạch và Đầu tư", "Bộ Tài chính", "Bộ Giao thông vận tải", "Bộ Giáo dục và Đào tạo"]),
    ("Bộ Lao động, Thương binh và Xã hội và Bộ LĐTB&XH là một; Bộ TN&MT, Bộ Công thương, Bộ Xây dựng.",
     ["Bộ Lao động - Thương binh và Xã hội", "Bộ Tài nguyên và Môi trường", "Bộ Công Thương", "Bộ Xây dựng"]),
    ("Bộ Quốc phòng, Bộ Ngoại giao và Bộ Tư pháp ký kết.", ["Bộ Quốc phòng", "Bộ Ngoại giao", "Bộ Tư pháp"]),
    ("Tổng Thanh tra Chính phủ, Thống đốc NHNN và Bộ trưởng, Chủ nhiệm Ủy ban Dân tộc dự họp.",
     ["Thanh tra Chính phủ", "Ngân hàng Nhà nước Việt Nam", "Ủy ban Dân tộc"]),
    # Since 2025 the merged ministries' new names, apart from the old ones.
    ("Bộ Nông nghiệp và Môi trường tiếp nhận nhiệm vụ của Bộ TN&MT; Bộ Dân tộc và Tôn giáo ra mắt.",
     ["Bộ Nông nghiệp và Môi trường", "Bộ Tài nguyên và Môi trường", "Bộ Dân tộc và Tôn giáo"]),
    ("Sở GD&ĐT Hà Nội, Sở LĐ-TB&XH tỉnh Nghệ An và Sở NN&MT TP.HCM phối hợp.",
     ["Sở Giáo dục và Đào tạo Hà Nội", "Sở Lao động - Thương binh và Xã hội Nghệ An",
      "Sở Nông nghiệp và Môi trường Thành phố Hồ Chí Minh"]),
    ("Toàn bộ y tế cơ sở và bộ tài chính của xã.", []),
    # A channel's quoted name is what it is called, not a mention of the agency in it...
    ('Sự kiện được phát trực tiếp trên fanpage "Thông tin Chính phủ".', []),
    ("Người dân theo dõi trang Zalo “Bộ Y tế” và các fanpage “Chính phủ”, “Bộ Tư pháp”.", []),
    ("Video đăng trên kênh YouTube “Bộ Công an” và Zalo OA “UBND tỉnh Bắc Giang”.", []),
    # ... but the agency named outside it, or in a quotation that names no channel, is one.
    ("Bộ Y tế mở trang Zalo “Bộ Y tế”; fanpage “Thông tin Chính phủ” đưa tin Chính phủ họp.",
     ["Bộ Y tế", "Chính phủ"]),
    ("Người dân tìm từ khóa “Bộ Y tế” trên ứng dụng.", ["Bộ Y tế"]),
]

CANONICAL = [
    ("Sở TT&TT Hà Nội", "Sở Thông tin và Truyền thông Hà Nội"),
    ("sở tt&tt hà nội", "Sở Thông tin và Truyền thông Hà Nội"),
    ("So Thong tin va Truyen thong Ha Noi", "Sở Thông tin và Truyền thông Hà Nội"),
    ("STTTT", None),
    ("STTTT Lào Cai", "Sở Thông tin và Truyền thông Lào Cai"),
    ("Bộ TT&TT", "Bộ Thông tin và Truyền thông"),
    ("UBND TP Hà Nội", "Ủy ban nhân dân thành phố Hà Nội"),
    ("Uỷ ban nhân dân thành phố Hà Nội", "Ủy ban nhân dân thành phố Hà Nội"),
    ("ubnd tinh bac giang", "Ủy ban nhân dân tỉnh Bắc Giang"),
    ("UBND tỉnh Đắk Lắk", "Ủy ban nhân dân tỉnh Đắk Lắk"),
    ("UBND tỉnh Đăk Lăk", "Ủy ban nhân dân tỉnh Đắk Lắk"),
    ("Công an TP.HCM", "Công an Thành phố Hồ Chí Minh"),
    ("Công an Thành phố Hồ Chí Minh", "Công an Thành phố Hồ Chí Minh"),
    ("MTTQ Nghệ An", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An"),
    ("Sở Y tế TP.HCM", "Sở Y tế Thành phố Hồ Chí Minh"),
    ("Thành ủy Hà Nội", "Thành ủy Hà Nội"),
    (" Bộ Nội vụ. ", "Bộ Nội vụ"),
    ("UBND", None),
    ("Sở", None),
    ("Công an", None),
    ("Thành ủy", None),
    ("UBND tỉnh", None),
    ("Chính phủ điện tử", None),
    ("Sở Y tế huyện Phù Cát", None),
    ("Zalo", None),
    ("", None),
    ("Bộ NN&PTNT", "Bộ Nông nghiệp và Phát triển nông thôn"),
    ("bộ nn&ptnt", "Bộ Nông nghiệp và Phát triển nông thôn"),
    ("Bộ LĐ-TB&XH", "Bộ Lao động - Thương binh và Xã hội"),
    ("Bộ LĐTBXH", "Bộ Lao động - Thương binh và Xã hội"),
    ("Bộ KH&ĐT", "Bộ Kế hoạch và Đầu tư"),
    ("Bộ TNMT", "Bộ Tài nguyên và Môi trường"),
    ("Bộ GD&ĐT", "Bộ Giáo dục và Đào tạo"),
    ("Bo Y te", "Bộ Y tế"),
    ("Bộ NN&MT", "Bộ Nông nghiệp và Môi trường"),
    ("NHNN", "Ngân hàng Nhà nước Việt Nam"),
    ("Sở GD&ĐT TP.HCM", "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"),
    ("Sở KH&ĐT", None),
]


@pytest.mark.parametrize("text, expected", CHANNELS, ids=[row[0][:50] for row in CHANNELS])
def test_channels(text, expected):
    assert channels(text) == expected


@pytest.mark.parametrize("text, expected", AGENCIES_FOUND, ids=[row[0][:50] for row in AGENCIES_FOUND])
def test_agencies(text, expected):
    assert agencies(text) == expected


@pytest.mark.parametrize("name, expected", CANONICAL)
def test_canonical_agency(name, expected):
    assert canonical_agency(name) == expected


def test_mention_keeps_what_was_written():
    [channel, agency] = find_mentions("Sở TT&TT Hà Nội mở tài khoản Zalo mang tên “Sở Thông tin Truyền thông TP Hà Nội”.")[::-1]
    assert agency == Mention("agency", None, "Sở Thông tin và Truyền thông Hà Nội", "Sở TT&TT Hà Nội")
    assert channel == Mention(
        "channel", "Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội",
        "tài khoản Zalo mang tên “Sở Thông tin Truyền thông TP Hà Nội”",
    )


def test_links_from_hrefs_and_text():
    found = find_mentions(
        "Theo dõi fanpage tại https://www.facebook.com/thudohanoi, hoặc youtu.be/abc123.",
        links=[
            "https://zalo.me/1234567890", "https://oa.zalo.me/home", "https://chinhphu.vn/",
            "https://www.tiktok.com/@laocaiofficial", "https://t.me/sotttt", "https://fb.me/x",
            "https://www.facebook.com/thudohanoi", "not a url", "http://[broken",
        ],
    )
    assert [(m.kind, m.platform, m.name) for m in found] == [
        ("channel", "Facebook", "Facebook"),
        ("link", "Facebook", "https://www.facebook.com/thudohanoi"),
        ("link", "YouTube", "youtu.be/abc123"),
        ("link", "Zalo", "https://zalo.me/1234567890"),
        ("link", "Zalo OA", "https://oa.zalo.me/home"),
        ("link", "TikTok", "https://www.tiktok.com/@laocaiofficial"),
        ("link", "Telegram", "https://t.me/sotttt"),
        ("link", "Facebook", "https://fb.me/x"),
    ]


def test_unique_in_order_of_first_appearance():
    found = find_mentions(
        "Zalo và ZALO; Sở TT&TT Hà Nội; fanpage “Hà Nội Online”; Sở Thông tin và Truyền thông Hà Nội; "
        "Fanpage “Hà Nội online”; zalo."
    )
    assert [(m.kind, m.name) for m in found] == [
        ("channel", "Zalo"),
        ("agency", "Sở Thông tin và Truyền thông Hà Nội"),
        ("channel", "Hà Nội Online"),
    ]


def test_agency_list():
    assert len(AGENCIES["provinces"]) + len(AGENCIES["cities"]) == 64  # the 63, and Huế since 2025
    names = [table["name"] for table in AGENCIES["agency"]]
    assert len(names) == len(set(names))
    for table in AGENCIES["agency"]:
        assert set(table) <= {"name", "aliases", "kind", "local", "standalone", "not_before"}
        assert table.get("local") in (None, "place", "level")
        if table.get("standalone", True) and not table.get("local"):
            for spelling in (table["name"], *table.get("aliases", ())):
                assert canonical_agency(spelling) == table["name"], spelling


# Hypothesis' deadline would time the first call, which builds the agency tables: 0.15 s on an
# idle machine, over a second on a loaded one.
NO_DEADLINE = settings(deadline=None)


@given(st.text(max_size=300), st.lists(st.text(max_size=40), max_size=3))
@NO_DEADLINE
def test_never_raises(text, links):
    for mention in find_mentions(text, links):
        assert mention.kind in ("channel", "agency", "link") and mention.name
    canonical_agency(text)


@given(st.text(max_size=60), st.text(max_size=60))
@NO_DEADLINE
def test_found_whatever_surrounds_it(before, after):
    found = find_mentions(f"{before}\ntrang Zalo “Bộ Nội vụ” của Sở TT&TT Hà Nội\n{after}")
    assert {("channel", "Zalo OA", "Bộ Nội vụ"), ("agency", None, "Sở Thông tin và Truyền thông Hà Nội")} <= {
        (m.kind, m.platform, m.name) for m in found
    }


@given(st.text(alphabet=st.sampled_from(list("ZaloOAfnpgeSởTT&UBNDtỉnhHàNội “”\"'‘’.\n-")), max_size=120))
@NO_DEADLINE
def test_never_raises_on_near_misses(text):
    find_mentions(text)


def load_articles():
    return [a for path in sorted(ARTICLES.glob("*.json")) for a in json.loads(path.read_text("utf-8"))]


def article_text(article):
    captions = [image["caption"] for image in article.get("images", [])]
    return "\n".join([article["title"], article["sapo"], *article["paragraphs"], *captions])


def test_sample_articles():
    found = {}
    for article in load_articles():
        mentions = find_mentions(article_text(article))
        assert len({(m.kind, m.platform, fold(m.name)) for m in mentions}) == len(mentions)
        found[article.get("seed")] = {(m.kind, m.platform, m.name) for m in mentions}
    assert {
        ("channel", "Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội"),
        ("agency", None, "Sở Thông tin và Truyền thông Hà Nội"),
        ("agency", None, "Ủy ban nhân dân thành phố Hà Nội"),
    } <= found["000"]
    assert ("channel", "Zalo OA", "Bộ Nội vụ") in found["001"]
    assert {
        ("channel", "Facebook", name) for name in ("Thủ đô Hà Nội - Việt Nam", "Chính phủ", "Hà Nội Online")
    } <= found["003"]
    assert {
        ("channel", "Zalo OA", "Zalo OA"), ("channel", "Zalo Mini App", "Zalo Mini App"),
        ("agency", None, "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An"),
        ("agency", None, "Ủy ban nhân dân tỉnh Bắc Giang"),
        ("agency", None, "Công an Thành phố Hồ Chí Minh"),
    } <= found["004"]


SEED_FACTS = {
    "000": {("channel", "Zalo OA", "Sở Thông tin Truyền thông TP Hà Nội"),
            ("agency", None, "Sở Thông tin và Truyền thông Hà Nội"), ("agency", None, "Thành ủy Hà Nội")},
    "001": {("channel", "Zalo OA", "Bộ Nội vụ"), ("agency", None, "Bộ Nội vụ")},
    "002": {("agency", None, "Sở Thông tin và Truyền thông Hà Nội"),
            ("agency", None, "Ủy ban nhân dân thành phố Hà Nội")},
    "003": {("channel", "Facebook", "Thủ đô Hà Nội - Việt Nam"), ("channel", "Facebook", "Chính phủ"),
            ("channel", "Facebook", "Hà Nội Online"), ("channel", "VNeID", "VNeID"),
            ("agency", None, "Văn phòng Ủy ban nhân dân thành phố Hà Nội")},
    "004": {("channel", "Zalo OA", "Zalo OA"), ("channel", "Zalo Mini App", "Zalo Mini App"),
            ("agency", None, "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Nghệ An"),
            ("agency", None, "Công an Thành phố Hồ Chí Minh"), ("agency", None, "Ủy ban nhân dân tỉnh Bắc Giang")},
}


@pytest.mark.parametrize("seed", sorted(SEED_FACTS))
def test_seed_documents(seed):
    paths = sorted(SEEDS.glob(f"{seed}_*.txt"))
    if not paths:
        pytest.skip("seed documents not available")
    mentions = find_mentions(paths[0].read_text("utf-8"))
    assert SEED_FACTS[seed] <= {(m.kind, m.platform, m.name) for m in mentions}
    # The captions' unclosed quotation does not make a second Fanpage.
    assert len([m for m in mentions if m.platform == "Facebook" and "Thủ đô" in m.name]) <= 1
