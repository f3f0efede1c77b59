"""Random catalogs for the catalog tests (plain Python; Spark-free).

A catalog mixes label behaviours: re-packagers (the same titles re-uploaded across albums
with reordered words, changed case and punctuation), honest labels, labels hiding in an
exempt genre, major-distributor releases, podcasts, allowlisted labels and short titles.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

SCHEMA = (
    "track_id string, title string, album_id string, label_id string, label_name string, "
    "distributor string, genre string, content_type string, uploaded_at timestamp"
)
COLUMNS = (
    "track_id",
    "title",
    "album_id",
    "label_id",
    "label_name",
    "distributor",
    "genre",
    "content_type",
    "uploaded_at",
)

WORDS = "rain gentle sleep ocean waves calm deep forest night dream piano soft white noise lullaby".split()
GENRES = [
    "Ambient",
    "ambient",
    "Sleep",
    "Classical",
    " classical",
    "KARAOKE",
    "sound effects",
    "Pop",
    None,
]
DISTRIBUTORS = [
    "Indie Dist",
    "DistroKid",
    "Universal Music Group",
    "SONY MUSIC ENTERTAINMENT ",
    None,
]
CONTENT = ["music", "music", "music", None, "", "MUSIC", "podcast", "Audiobook"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _title(rnd: random.Random, words: list[str]) -> str:
    w = words[:]
    rnd.shuffle(w)
    w = [rnd.choice([str.lower, str.upper, str.title])(x) for x in w]
    sep = rnd.choice([" ", ", ", " - ", " (", "!! "])
    return sep.join(w) + rnd.choice(["", ")", "!", " "])


def generate_catalog(rnd: random.Random, n_labels: int = 30) -> list[dict]:
    tracks = []
    for li in range(n_labels):
        label = f"lab{li:02d}" if rnd.random() < 0.9 else f"LAB{li:02d}"
        kind = rnd.choice(["repack", "repack", "honest", "exempt", "mixed"])
        genre_pool = ["Classical", "karaoke "] if kind == "exempt" else GENRES
        library = [rnd.sample(WORDS, rnd.randint(1, 4)) for _ in range(rnd.randint(3, 14))]
        n_albums = rnd.randint(1, 4)
        for ai in range(n_albums):
            album = f"{label}-al{ai}" if rnd.random() < 0.95 else None
            titles = (
                library
                if kind in ("repack", "exempt")
                else rnd.sample(library, max(1, len(library) // 2))
            )
            if kind == "honest":
                titles = [
                    rnd.sample(WORDS, rnd.randint(1, 4)) + [f"x{li}{ai}{k}"]
                    for k in range(len(titles))
                ]
            for words in titles:
                tracks.append(
                    {
                        "track_id": f"t{len(tracks)}",
                        "title": _title(rnd, words),
                        "album_id": album,
                        "label_id": label,
                        "label_name": f"Label {li}",
                        "distributor": rnd.choice(DISTRIBUTORS)
                        if rnd.random() < 0.2
                        else "Indie Dist",
                        "genre": rnd.choice(genre_pool) if kind != "mixed" else rnd.choice(GENRES),
                        "content_type": rnd.choice(CONTENT) if rnd.random() < 0.3 else "music",
                        "uploaded_at": T0 + timedelta(minutes=rnd.randint(0, 60 * 24 * 5)),
                    }
                )
    return tracks


def to_df(spark, tracks: list[dict]):
    return spark.createDataFrame([tuple(t.get(c) for c in COLUMNS) for t in tracks], SCHEMA)
