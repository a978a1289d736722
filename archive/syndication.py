"""Syndicated copies and near-duplicates, by MinHash over word shingles (datasketch).

Portals republish each other's stories with a new headline and a word changed here and there;
CMSs serve the same article again as a print or AMP page. Each article's MinHash signature is
kept with its locality-sensitive-hashing band keys in SQLite, so candidates are found by an
indexed lookup however large the archive grows, then confirmed by the estimated Jaccard
similarity of the two signatures.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash
from sqlite_utils import Database

from archive.vietnamese import fold

NUM_PERM = 64
BANDS, ROWS = 16, 4  # 16 x 4 = 64: pairs above ~0.5 Jaccard become candidates
SHINGLE = 5
# Named, so stored signatures stay comparable when the library's default changes.
SCHEME = "affine32"
SYNDICATED = 0.6  # another source's copy, retitled and lightly edited
SAME_ARTICLE = 0.9  # the same source serving one article at two URLs
_WORD = re.compile(r"\w+")


def signature(text: str) -> MinHash | None:
    words = _WORD.findall(fold(text or ""))
    if len(words) < SHINGLE * 4:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    minhash.update_batch(" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1))
    return minhash


def _bands(minhash: MinHash) -> list[str]:
    values = minhash.hashvalues
    return [
        hashlib.blake2b(values[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).hexdigest()
        for b in range(BANDS)
    ]


def _load(blob: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(blob, dtype=np.uint64))


def similar(db: Database, minhash: MinHash, *, exclude: int | None = None) -> list[tuple[int, str, float]]:
    """Archived articles whose text resembles ``minhash``: (article id, source id, Jaccard)."""
    bands = _bands(minhash)
    rows = db.execute(
        f"""select distinct m.article_id, a.source_id, m.signature from lsh_bands b
            join article_minhash m on m.article_id = b.article_id
            join articles a on a.id = m.article_id
            where ({" or ".join("(b.band = ? and b.bucket = ?)" for _ in bands)})""",
        [v for i, bucket in enumerate(bands) for v in (i, bucket)],
    ).fetchall()
    out = []
    for article_id, source_id, blob in rows:
        if article_id != exclude:
            out.append((article_id, source_id, minhash.jaccard(_load(blob))))
    return out


def same_article(db: Database, text: str, source_id: str) -> int | None:
    """An archived article of the same source that this text is a variant of (print, AMP)."""
    minhash = signature(text)
    if minhash is None:
        return None
    for article_id, other_source, score in similar(db, minhash):
        if other_source == source_id and score >= SAME_ARTICLE:
            return article_id
    return None


def index_article(db: Database, article_id: int, source_id: str, text: str) -> None:
    """Store the article's signature and join it to the cluster of its syndicated copies."""
    db.execute("delete from lsh_bands where article_id = ?", [article_id])
    db.execute("delete from article_minhash where article_id = ?", [article_id])
    minhash = signature(text)
    if minhash is None:
        return
    db.execute(
        "insert into article_minhash (article_id, signature) values (?, ?)",
        [article_id, minhash.hashvalues.astype(np.uint64).tobytes()],
    )
    db.conn.executemany(
        "insert into lsh_bands (band, bucket, article_id) values (?, ?, ?)",
        [(i, bucket, article_id) for i, bucket in enumerate(_bands(minhash))],
    )
    copies = [other for other, other_source, score in similar(db, minhash, exclude=article_id)
              if other_source != source_id and score >= SYNDICATED]
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
