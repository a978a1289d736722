"""Article data for the sample site: loading and validating the JSON files, and generating more.

Articles are data (``articles/*.json``); every file in that folder is loaded, in name order, so
several people can add articles without touching each other's files. A mistake is reported as
one line naming the file, the article and the field.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

SITES = ("portal", "magazine", "news")
ARTICLES_DIR = Path(__file__).with_name("articles")
POOLS_FILE = Path(__file__).with_name("pools.json")
VN_TZ = timezone(timedelta(hours=7))

FIELDS = (
    "key", "site", "slug", "title", "sapo", "paragraphs", "images", "author", "published", "updated",
    "category", "tags", "seed",
)
# A date line written as a CMS would, instead of the template's usual one (portal only), so the
# sample site shows every Vietnamese date form the extractor must read.
OPTIONAL_FIELDS = ("date_line",)
IMAGE_FIELDS = ("file", "caption", "after")
MIN_PARAGRAPHS = 4
SEEDS = ("000", "001", "002", "003", "004")

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_IMAGE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(?:jpe?g|png|gif|webp)$")


class ArticleError(ValueError):
    """Article data that cannot be served; the message names the file, article and field."""


def load_articles(directory: str | Path | None = None) -> list[dict]:
    """Every article in ``directory``/*.json (default: the bundled folder), validated."""
    directory = Path(directory) if directory is not None else ARTICLES_DIR
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ArticleError(f"{directory}: no *.json article files")
    articles: list[dict] = []
    origins: list[str] = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ArticleError(f"{path.name}: not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise ArticleError(f"{path.name}: must hold a JSON list of articles")
        for index, raw in enumerate(data):
            articles.append(validate_article(raw, f"{path.name}: article #{index}"))
            origins.append(path.name)
    check_unique(articles, origins)
    return articles


def validate_article(raw, where: str) -> dict:
    """A checked copy of one article; ``where`` starts every error message."""
    if not isinstance(raw, dict):
        raise ArticleError(f"{where}: must be a JSON object")
    key = raw.get("key")
    if isinstance(key, str) and _KEY.match(key):
        where = f"{where} ({key!r})"

    def fail(field: str, problem: str):
        raise ArticleError(f"{where}: field {field!r}: {problem}")

    for field in raw:
        if field not in FIELDS and field not in OPTIONAL_FIELDS:
            fail(field, "unknown field")
    if raw.get("date_line") is not None and (not _text(raw["date_line"]) or raw["site"] != "portal"):
        fail("date_line", "must be a non-empty string, on a portal article")
    for field in FIELDS:
        if field not in raw:
            fail(field, "missing")
    if not isinstance(key, str) or not _KEY.match(key):
        fail("key", "must be letters, digits, '.', '_' or '-', e.g. 'seed-000-zalo'")
    if raw["site"] not in SITES:
        fail("site", f"must be one of {', '.join(SITES)}")
    if not isinstance(raw["slug"], str) or not _SLUG.match(raw["slug"]):
        fail("slug", "must be lowercase ASCII words joined by single hyphens")
    for field in ("title", "sapo", "category"):
        if not _text(raw[field]):
            fail(field, "must be a non-empty string")
    paragraphs = raw["paragraphs"]
    if not isinstance(paragraphs, list) or not all(_text(p) for p in paragraphs):
        fail("paragraphs", "must be a list of non-empty strings")
    if len(paragraphs) < MIN_PARAGRAPHS:
        fail("paragraphs", f"needs at least {MIN_PARAGRAPHS} body paragraphs, has {len(paragraphs)}")
    images = raw["images"]
    if not isinstance(images, list):
        fail("images", "must be a list")
    for n, image in enumerate(images):
        name = f"images[{n}]"
        if not isinstance(image, dict) or set(image) != set(IMAGE_FIELDS):
            fail(name, f"must be an object with exactly {', '.join(IMAGE_FIELDS)}")
        if not isinstance(image["file"], str) or not _IMAGE_FILE.match(image["file"]):
            fail(f"{name}.file", "must be an image file name such as 'ten-anh-1617970753.jpg'")
        if not _text(image["caption"]):
            fail(f"{name}.caption", "must be a non-empty string")
        after = image["after"]
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < len(paragraphs):
            fail(f"{name}.after", f"must be a paragraph index from 0 to {len(paragraphs) - 1}")
    if raw["author"] is not None and not _text(raw["author"]):
        fail("author", "must be a non-empty string or null")
    published = _timestamp(raw["published"])
    if published is None:
        fail("published", "must be an ISO 8601 timestamp with a UTC offset, e.g. 2021-04-08T16:20:00+07:00")
    if raw["updated"] is not None:
        updated = _timestamp(raw["updated"])
        if updated is None:
            fail("updated", "must be null or an ISO 8601 timestamp with a UTC offset")
        if updated < published:
            fail("updated", "is earlier than published")
    tags = raw["tags"]
    if not isinstance(tags, list) or not all(_text(t) for t in tags):
        fail("tags", "must be a list of non-empty strings")
    if raw["seed"] is not None and raw["seed"] not in SEEDS:
        fail("seed", f"must be null or one of {', '.join(SEEDS)}")
    article = {field: raw[field] for field in FIELDS}
    article["date_line"] = raw.get("date_line")
    article["paragraphs"] = list(paragraphs)
    article["images"] = [dict(image) for image in images]
    article["tags"] = list(tags)
    return article


def check_unique(articles: list[dict], origins: list[str]) -> None:
    keys: dict[str, str] = {}
    slugs: dict[tuple[str, str], str] = {}
    for article, origin in zip(articles, origins):
        key, place = article["key"], (article["site"], article["slug"])
        if key in keys:
            raise ArticleError(f"{origin}: article {key!r}: field 'key': duplicate (also in {keys[key]})")
        if place in slugs:
            raise ArticleError(
                f"{origin}: article {key!r}: field 'slug': {place[1]!r} is already used on the "
                f"{place[0]} site by {slugs[place]}"
            )
        keys[key] = origin
        slugs[place] = f"{key!r} in {origin}"


def slugify(text: str, limit: int = 90) -> str:
    """ASCII slug of Vietnamese text, cut at a word boundary: "Đổi mới số" -> "doi-moi-so"."""
    bare = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    bare = "".join(c for c in bare if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", bare).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(VN_TZ)


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


# Generated articles span the same years as the written ones.
_FIRST_DAY = datetime(2019, 1, 1, tzinfo=VN_TZ)
_DAYS = (datetime(2025, 6, 30, tzinfo=VN_TZ) - _FIRST_DAY).days
_QUARTERS = ("I", "II", "III", "IV")


def load_pools() -> dict:
    return json.loads(POOLS_FILE.read_text(encoding="utf-8"))


def generate_articles(count: int, seed: int, taken: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """``count`` articles built from the sentence pools, the same for the same ``seed``.

    Sites rotate so each template gets a third; ``taken`` holds (site, slug) pairs already in
    use, which generated slugs avoid.
    """
    pools = load_pools()
    rng = random.Random(seed)
    used = set(taken)
    articles = []
    for index in range(count):
        site = SITES[index % len(SITES)]
        article = _generate_one(rng, pools, site, f"gen-{seed}-{index:05d}")
        slug, n = article["slug"], 2
        while (site, article["slug"]) in used:
            article["slug"] = f"{slug}-{n}"
            n += 1
        used.add((site, article["slug"]))
        articles.append(validate_article(article, f"generated article #{index}"))
    return articles


def _generate_one(rng: random.Random, pools: dict, site: str, key: str) -> dict:
    topic = rng.choice(pools["topics"])
    kind, name = rng.choice(pools["provinces"])
    tinh = f"{kind} {name}"
    agency = rng.choice(pools["agencies"])
    coquan = agency["name"].format(tinh=tinh)
    honorific, person = rng.choice(pools["people"])
    published = _FIRST_DAY + timedelta(
        days=rng.randrange(_DAYS), hours=rng.randrange(7, 22), minutes=rng.randrange(60)
    )
    slots = {
        "tinh": tinh,
        "ten": name,
        "coquan": coquan,
        "don_vi": agency["short"],
        "chucvu": rng.choice(agency["roles"]),
        "nguoi": f"{honorific} {person}",
        "Nguoi": f"{honorific.capitalize()} {person}",
        "zalo": rng.choice((f"Zalo OA “{coquan}”", f"Zalo OA “Chính quyền số {name}”")),
        "fanpage": f"Fanpage “Thông tin {name}”",
        "cong": f"Cổng thông tin điện tử {tinh}",
        "so_lon": _thousands(rng.randrange(120, 4800) * 10),
        "so_lon2": _thousands(rng.randrange(30, 900) * 10),
        "so_vua": str(rng.randrange(120, 950)),
        "so_nho": str(rng.randrange(12, 60)),
        "so_nho2": str(rng.randrange(3, 12)),
        "phan_tram": str(rng.randrange(35, 95)),
        "so_thang": str(rng.randrange(2, 7)),
        "ngay": f"{published.day}/{published.month}",
        "nam": str(published.year),
        "nam_sau": str(published.year + 1),
        "quy": f"quý {_QUARTERS[(published.month - 1) // 3]}/{published.year}",
    }

    def fill(template: str) -> str:
        return template.format_map(slots)

    def some(pool: list[str], low: int, high: int) -> str:
        return " ".join(fill(s) for s in rng.sample(pool, min(len(pool), rng.randint(low, high))))

    title = fill(rng.choice(topic["titles"]))
    paragraphs = [
        some(topic["open"], 2, 2),
        some(topic["figures"], 1, 2),
        fill(rng.choice(pools["quotes"])) + " " + fill(rng.choice(topic["open"])),
        some(pools["context"], 1, 2),
        some(topic["plans"], 1, 2),
    ]
    stamp = int(published.timestamp())
    images = [
        {"file": f"{stem}-{slugify(name)}-{stamp + 60 * n}.jpg", "caption": fill(caption), "after": after}
        for n, ((stem, caption), after) in enumerate(
            zip(rng.sample(topic["images"], rng.randint(1, 2)), (0, 2))
        )
    ]
    updated = None
    if rng.random() < 0.3:
        updated = (published + timedelta(hours=rng.randint(1, 30), minutes=rng.randrange(60))).isoformat()
    return {
        "key": key,
        "site": site,
        "slug": slugify(title),
        "title": title,
        "sapo": fill(rng.choice(topic["sapos"])),
        "paragraphs": paragraphs,
        "images": images,
        "author": rng.choice(pools["authors"][site]),
        "published": published.isoformat(),
        "updated": updated,
        "category": topic["category"],
        "tags": [fill(t) for t in topic["tags"]],
        "seed": None,
    }


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")
