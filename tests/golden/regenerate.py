"""Regenerate the golden extraction files: ``python tests/golden/regenerate.py``.

For each seed-modelled sample article this stores the page exactly as the sample site serves
it (``<key>.html``) and, in ``<key>.json``, the facts the extractor must recover (taken from
the article's own data, not from the extractor) plus a snapshot of the whole current record.
Review the diff of the JSON files by eye before committing: that review is the point.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1]))

from archive.extract import extract  # noqa: E402
from archive.samplesite import SampleSite  # noqa: E402

# Page furniture that must never reach the article text.
BOILERPLATE = [
    "Bài liên quan", "Tin cùng chuyên mục", "Đừng bỏ lỡ", "POWERED BY", "Ảnh:", ".jpg",
    "Lượt xem", "sample site",
]
SNAPSHOT_FIELDS = (
    "title", "author", "authors", "published", "updated", "description", "language", "text", "doc_refs", "mentions",
)


def main():
    with SampleSite() as site:
        for article in site.articles:
            if not article.get("seed"):
                continue
            url = site.article_url(article["key"])
            body = site.page_bytes(url)
            headers = {"Content-Type": "text/html; charset=utf-8"}
            record = extract(body, url, headers)
            name = f"seed-{article['seed']}"
            (HERE / f"{name}.html").write_bytes(body)
            expected = {
                "url": url,
                "headers": headers,
                "facts": {
                    "title": article["title"],
                    "author": article["author"],
                    "published": article["published"],
                    "first_paragraph": article["paragraphs"][0],
                    "last_paragraph": article["paragraphs"][-1],
                },
                "absent": BOILERPLATE + [c["caption"] for c in article.get("images", [])],
                "snapshot": {k: record[k] for k in SNAPSHOT_FIELDS},
            }
            (HERE / f"{name}.json").write_text(
                json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            print(f"wrote {name}.html / {name}.json")


if __name__ == "__main__":
    main()
