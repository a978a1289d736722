"""Syndicated copies and near-duplicates, by MinHash over word shingles (datasketch's).

Portals republish each other's stories with a new headline and a word changed here and there;
CMSs serve the same article again as a print or AMP page. The signature is computed during
extraction (a pure function of the text, so it runs in the extraction workers); the archive
keeps it with its locality-sensitive-hashing band keys in SQLite, so candidates are found by an
indexed lookup however large the archive grows, then confirmed by comparing signatures.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from sqlite_utils import Database

from archive.vietnamese import fold

NUM_PERM = 64
BANDS, ROWS = 16, 4  # 16 x 4 = 64: pairs above ~0.5 Jaccard become candidates
SHINGLE = 5
# The datasketch scheme whose values signature() computes: stored signatures stay comparable
# only while it does.
SCHEME = "affine32"
SYNDICATED = 0.6  # another source's copy, retitled and lightly edited
SAME_ARTICLE = 0.9  # the same source serving one article at two URLs
_WORD = re.compile(r"\w+")
_BATCH = 4096
CANDIDATES_PER_BAND = 128


# datasketch's affine32 MinHash, computed here with numpy: the values are datasketch's own (its
# MinHash is the reference in the tests), but importing datasketch loads scipy for its LSH
# classes, which the archive does not use: 0.4 s of CPU in every crawl's extraction workers'
# fork server, a third of its start-up.
_SEED = 1
_EMPTY = np.uint32(0xFFFFFFFF)
# MurmurHash3's 32-bit finalizer, which mixes each shingle's hash before the permutations.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of every signature's NUM_PERM permutations h -> a*h + b (mod 2^32), drawn as
    datasketch draws them for seed 1 (drawing them costs more than hashing a short article)."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _hashes(shingles: list[bytes]) -> np.ndarray:
    """The first four bytes of each shingle's SHA-1, little-endian, mixed."""
    h = np.frombuffer(b"".join(hashlib.sha1(s).digest()[:4] for s in shingles), dtype="<u4").astype(np.uint32)
    s1, m1, s2, m2, s3 = _FMIX
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s3)


def signature(text: str) -> str | None:
    """The MinHash signature of ``text`` (hex of 32-bit values, so records stay JSON); None
    for short texts."""
    words = _WORD.findall(fold(text or ""))
    if len(words) < SHINGLE * 4:
        return None
    a, b = _permutations()
    minimum = np.full(NUM_PERM, _EMPTY, dtype=np.uint32)
    shingles = len(words) - SHINGLE + 1
    # In batches: a batch holds NUM_PERM values for each of its shingles, which for the 800,000
    # words of a 5 MB page at once came to 400 MB. The signature is a minimum, which batches keep.
    for first in range(0, shingles, _BATCH):
        batch = [" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(first, min(first + _BATCH, shingles))]
        permuted = _hashes(batch).reshape(-1, 1) * a + b
        minimum = np.minimum(minimum, permuted.min(axis=0))
    return minimum.tobytes().hex()


def values(sig: str | bytes) -> np.ndarray:
    """A signature's values; signatures written before m008 hold them as 64-bit numbers."""
    raw = bytes.fromhex(sig) if isinstance(sig, str) else sig
    return np.frombuffer(raw, dtype=np.uint64 if len(raw) == NUM_PERM * 8 else np.uint32).astype(np.uint64)


def bands(sig_values: np.ndarray) -> list[int]:
    """The LSH bucket of each band: a signed 64-bit hash of its rows, an SQLite integer."""
    rows = sig_values.astype(np.uint32)
    return [
        int.from_bytes(hashlib.blake2b(rows[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest(),
                       "little", signed=True)
        for b in range(BANDS)
    ]


def similar(db: Database, sig: str, *, exclude: int | None = None) -> list[tuple[int, str, float]]:
    """Archived articles whose text resembles ``sig``: (article id, source id, estimated Jaccard);
    of those sharing a band's bucket, the CANDIDATES_PER_BAND most recently archived."""
    mine = values(sig)
    pairs = [v for i, bucket in enumerate(bands(mine)) for v in (i, bucket)]
    # One primary-key lookup per band: SQLite scans the whole table for a row-value IN list.
    # Each band gives its most recently archived articles only: a source's templated notices (a
    # weekly schedule over years) share every bucket, and comparing each new one with all the
    # others made storing it slower with every one archived (86 ms at 25,000). A print or AMP
    # variant comes with its article, a portal's copy within days, so the recent ones suffice.
    lookups = " union ".join(
        [f"select * from (select article_id from lsh_bands where band = ? and bucket = ? "
         f"order by article_id desc limit {CANDIDATES_PER_BAND})"] * BANDS
    )
    rows = db.execute(
        f"""select m.article_id, a.source_id, m.signature from article_minhash m
            join articles a on a.id = m.article_id
            where m.article_id in ({lookups})""",
        pairs,
    ).fetchall()
    if not rows:
        return []
    ids, sources, blobs = zip(*rows)
    # All candidates compared in one array operation: a story that dozens of portals republish
    # has dozens of candidates, and comparing them one by one took a third of this function.
    # Since m008 every stored signature is NUM_PERM 32-bit values.
    stored = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), NUM_PERM)
    equal = np.count_nonzero(stored == mine, axis=1).tolist()
    return [
        (article_id, source_id, same / NUM_PERM)
        for article_id, source_id, same in zip(ids, sources, equal)
        if article_id != exclude
    ]


def same_article(
    db: Database, candidates, source_id: str, title: str | None, published: str | None, url: str | None = None,
) -> int | None:
    """The article of the same source that this text is a variant of (print, AMP), if any.

    Near-identical text alone is not enough: agencies publish templated notices (a monthly
    schedule, a call for comments) whose bodies differ by a date or a name, and each is an
    article of its own, often under the same headline on the same day. A variant also carries
    the article's headline, is not dated differently, and its URL names the same page (see
    ``same_page``); when in doubt the page is kept, as a duplicate costs less than a lost article.
    """
    ids = [article_id for article_id, other_source, score in candidates
           if other_source == source_id and score >= SAME_ARTICLE]
    # The day asked in SQL: a template's notices are each other's candidates, on other days.
    same_day = "1" if not published else "published is null or published = '' or substr(published, 1, 10) = ?"
    for article_id, (other_title, other_url) in candidate_rows(
            db, ids, "title, url", same_day, [published[:10]] if published else []):
        if same_headline(title, other_title) and (url is None or same_page(url, other_url)):
            return article_id
    return None


def candidate_rows(db: Database, ids: list[int], columns: str, where: str = "1", params=()) -> list:
    """(id, (columns...)) of the articles ``ids`` that ``where`` holds for, in the order of ``ids``.
    One statement however many there are: a source's templated notices (a weekly schedule, a
    call for comments) are each other's candidates, so a query per candidate made storing the
    next one slower with every one archived."""
    if not ids:
        return []
    found = {
        row[0]: row[1:]
        for row in db.execute(
            f"select id, {columns} from articles where id in (select value from json_each(?)) and ({where})",
            [json.dumps(ids), *params],
        )
    }
    return [(i, found[i]) for i in ids if i in found]


# Numbers in a URL that name an article (its id), not a year or a month of a dated path.
_ID = re.compile(r"\d{3,}")
_YEAR = re.compile(r"(19|20)\d\d")
_INDEX = re.compile(r"/index\.[a-z]+$")


def same_page(a: str, b: str) -> bool:
    """Whether two URLs of one source may name one article: the same path (another query,
    host or scheme: a print parameter, a session id), the same last segment (``/amp/slug.htm``),
    or the same article id among their numbers (``/print/107`` and ``/bai-bay-107.htm``).

    Never when a query parameter both carry holds a different number: on portals that name
    every article by its query (``/Pages/tin-tuc.aspx?ItemID=130``) the path is the same for all.
    """
    if _numbers_differ(a, b):
        return False
    path_a, path_b = (_INDEX.sub("/", urlsplit(u).path).rstrip("/") for u in (a, b))
    if path_a == path_b:
        return True
    if path_a.rsplit("/", 1)[-1] == path_b.rsplit("/", 1)[-1]:
        return True
    ids_a, ids_b = ({n for n in _ID.findall(p) if not _YEAR.fullmatch(n)} for p in (path_a, path_b))
    return bool(ids_a & ids_b)


def _numbers_differ(a: str, b: str) -> bool:
    """Whether a query parameter of both URLs (its name in any case, as IIS reads it) holds a
    number in each, and not the same one."""
    numbers_a, numbers_b = (
        {name.casefold(): value for name, value in parse_qsl(urlsplit(u).query) if value.isascii() and value.isdigit()} for u in (a, b)
    )
    return any(int(numbers_a[name]) != int(numbers_b[name]) for name in numbers_a.keys() & numbers_b.keys())


def resemblance(a: str | bytes, b: str | bytes) -> float:
    """Estimated Jaccard resemblance of two signatures."""
    return float(np.count_nonzero(values(a) == values(b))) / NUM_PERM


def same_headline(a: str | None, b: str | None) -> bool:
    return bool(_headline(a)) and _headline(a) == _headline(b)


def _headline(title: str | None) -> str:
    return " ".join((title or "").split()).casefold()


def index_article(db: Database, article_id: int, source_id: str, sig: str | None, candidates=None) -> None:
    """Store the article's signature and join it to the cluster of its syndicated copies."""
    old = db.execute("select signature from article_minhash where article_id = ?", [article_id]).fetchone()
    if old is not None:
        # The band keys are found again from the old signature: lsh_bands has no article_id index.
        db.conn.executemany(
            "delete from lsh_bands where band = ? and bucket = ? and article_id = ?",
            [(i, bucket, article_id) for i, bucket in enumerate(bands(values(old[0])))],
        )
        db.execute("delete from article_minhash where article_id = ?", [article_id])
    if sig is None:
        return
    if candidates is None:
        candidates = similar(db, sig, exclude=article_id)
    sig_values = values(sig)
    db.execute("insert into article_minhash (article_id, signature) values (?, ?)",
               [article_id, sig_values.astype(np.uint32).tobytes()])
    db.conn.executemany(
        "insert into lsh_bands (band, bucket, article_id) values (?, ?, ?)",
        [(i, bucket, article_id) for i, bucket in enumerate(bands(sig_values))],
    )
    copies = [other for other, other_source, score in candidates
              if other != article_id and other_source != source_id and score >= SYNDICATED]
    if not copies:
        return
    ids = [article_id, *copies]
    marks = ", ".join("?" * len(ids))
    clusters = [r[0] for r in db.execute(f"select coalesce(cluster_id, id) from articles where id in ({marks})", ids)]
    cluster = min(clusters)
    db.execute(
        f"update articles set cluster_id = ? where id in ({marks}) or cluster_id in ({', '.join('?' * len(clusters))})",
        [cluster, *ids, *clusters],
    )
