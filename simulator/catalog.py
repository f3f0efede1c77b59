"""The distributor catalog feed (DESIGN.md, "Contract: catalog input") with planted fraud.

Daily drops go to ``landing/catalog/date=YYYY-MM-DD/part-NNNNN.(parquet|csv)``, UTF-8, all
columns strings: track_id, title, album_id, label_id, label_name, distributor, genre,
content_type, uploaded_at (ISO 8601; its UTC date is the partition day) and isrc (an extra
column the pipeline must carry through).

What is planted (seed 002), and how it is made robust for the default ``CatalogRules``:

* fraud networks: a master library of unique titles; member ``i`` takes the window
  ``[pos_i, pos_i + w)`` and renders each title its own way (reordered words,
  punctuation, case: same fingerprint). Chains step ``pos`` by ~w/12 (adjacent Jaccard
  ~0.85, two apart ~0.71: linked only through the middle); cliques step by ~w/30.
  Scripts: Latin, Arabic, Chinese, Korean, Cyrillic. Each title sits in 2 albums (first
  12 always, then 60%), so >= 12 reused fingerprints and reuse ratio ~0.75. A network's
  uploads of one day fall in one hour (synchronized bursts).
* bad-actor labels: 15-40 titles, each in 3+ albums.
* near-miss groups: a core of 28m titles plus 5m-8m own titles per label: pairwise
  Jaccard 0.63-0.74, every label flagged, no edge.
* legitimate look-alikes (never eligible or never flagged): classical, karaoke and
  sound-effect labels (exempt genres), major distributors, podcasts, compilations (fewer
  than 10 reused titles); hot generic titles ("Intro", "Rain Sounds"...) on filler labels.
* bad rows (share ``bad_row_rate``) only ever on filler rows, so the planted networks are
  exact whatever is quarantined: empty/missing title, missing label_id, unparseable
  timestamp, duplicate track_id (an identical copy later in the same day), mojibake.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from resources.catalog_contract import (
    DEFAULT_MAJOR_DISTRIBUTORS,
    DEFAULT_RULES,
    fingerprint,
    jaccard,
)
from simulator import catalog_text as tx

COLUMNS = ["track_id", "title", "album_id", "label_id", "label_name", "distributor", "genre", "content_type",
           "uploaded_at", "isrc"]
PART_ROWS = 100_000
MIN_ROWS = 4_000
SMALL_DISTRIBUTORS = ["TuneHub", "SongRoute", "IndieWave Digital", "Amplify Distro", "Beatstream", "OpenAir Music"]
FRAUD_GENRES = ["Ambient", "sleep", "Meditation", "new age", "Lo-Fi", "relaxation"]
BAD_KINDS = ("empty_title", "missing_title", "missing_label", "bad_timestamp", "duplicate_track_id", "mojibake")
BAD_TIMESTAMPS = ["", "N/A", "2024-13-45T10:00:00Z", "yesterday", "2024-02-30T10:00:00Z", "31/12/2024 25:61"]


@dataclass
class CatalogTruth:
    """What was planted: label roles, networks and the bad rows."""

    labels: list[dict] = field(default_factory=list)  # label_id, role, kind, network_id, group_id, script
    bad_rows: list[dict] = field(default_factory=list)  # track_id, kind, date, key, row
    hot_titles: list[str] = field(default_factory=list)

    @property
    def networks(self) -> dict[str, str]:
        """label_id -> network_id (smallest label id of its network)."""
        return {r["label_id"]: r["network_id"] for r in self.labels if r["network_id"]}


@dataclass
class _Row:
    title: str | None
    album_id: str
    label_id: str | None
    label_name: str
    distributor: str | None
    genre: str | None
    content_type: str | None
    day: int
    second: int  # seconds into the day (UTC)
    filler: bool = False


class _Builder:
    def __init__(self, seed: int, days: int, tracks_per_day: int):
        self.r = random.Random(f"catalog:{seed}")
        self.days, self.tpd = days, tracks_per_day
        self.total = days * tracks_per_day
        self.rows: list[_Row] = []
        self.truth = CatalogTruth(hot_titles=list(tx.HOT_TITLES))
        self._labels: set[int] = set()
        self._albums = 0
        self.used_fps: set[str] = set()

    def label(self) -> str:
        while True:
            n = self.r.randrange(1, 10_000_000)
            if n not in self._labels:
                self._labels.add(n)
                return f"L{n:07d}"

    def albums(self, n: int) -> list[str]:
        out = [f"A{self._albums + i:08d}" for i in range(n)]
        self._albums += n
        return out

    def add(self, title, album, label, name, dist, genre, ctype="music", day=None, second=None, filler=False):
        r = self.r
        self.rows.append(_Row(title, album, label, name, dist, genre, ctype,
                              r.randrange(self.days) if day is None else day,
                              r.randrange(86400) if second is None else second, filler))

    def role(self, label_id, role, kind, network_id=None, group_id=None, script=None):
        self.truth.labels.append({"label_id": label_id, "role": role, "kind": kind, "network_id": network_id,
                                  "group_id": group_id, "script": script})

    # ---- fraud -------------------------------------------------------------------------
    def networks(self) -> None:
        r = self.r
        n = max(6, min(30, 6 + self.total // 200_000))
        budget = 0.25 * self.total / n
        scripts = ["latin", "arabic", "chinese", "korean", "cyrillic"]
        for i in range(n):
            script = scripts[i] if i < len(scripts) else r.choice(["latin"] * 3 + scripts)
            shape = "chain" if i == 0 else r.choice(["chain", "mixed", "clique"])
            kmax = int(max(3, min(60, budget // (1.6 * 30))))
            k = r.randint(3 if shape != "clique" else 2, max(3, kmax))
            w = int(max(30, min(4425, budget / (1.6 * k))))
            if script != "latin":
                w = min(w, 400)
            step = max(1, round(w / 12))
            small = max(0, round(w / 30))
            if shape == "chain":
                pos = [j * step for j in range(k)]
            elif shape == "clique":
                pos = [r.randint(0, small) for _ in range(k)]
            else:
                core = max(2, k // 2)
                pos = [r.randint(0, small) for _ in range(core)]
                pos += [max(pos) + j * step for j in range(1, k - core + 1)]
            library = tx.unique_titles(r, script, w + max(pos), self.used_fps)
            sets = [frozenset(fingerprint(" ".join(t)) for t in library[p : p + w]) for p in pos]
            _check_connected(sets)
            members = [self.label() for _ in range(k)]
            network_id = min(members)
            hours = [r.randrange(24) for _ in range(self.days)]
            genre = r.choice(FRAUD_GENRES)
            dist = r.choice(SMALL_DISTRIBUTORS)
            for m, (label_id, p) in enumerate(zip(members, pos, strict=True)):
                name = f"{r.choice(['Deep', 'Pure', 'Calm', 'Sleepy', 'Zen', 'Soft'])} {r.choice(['Sleep', 'Rain', 'Waves', 'Dreams', 'Mind'])} {r.choice(['Records', 'Sounds', 'Music', 'Collective', 'Studio'])} {m + 1}"
                self.role(label_id, "fraud", "network", network_id=network_id, script=script)
                albums = self.albums(max(3, round(w / 12)))
                style_seed = r.randrange(1 << 30)
                for t_idx, words in enumerate(library[p : p + w]):
                    title = tx.checked_render(words, script, random.Random(style_seed * 100_003 + t_idx))
                    copies = 2 if t_idx < 12 or r.random() < 0.6 else 1
                    for album in r.sample(albums, copies):
                        day = r.randrange(self.days)
                        self.add(title, album, label_id, name, dist, genre, day=day,
                                 second=hours[day] * 3600 + r.randrange(3600))

    def bad_actors(self) -> None:
        r = self.r
        n = max(2, min(200, self.total // 3000))
        budget = 0.05 * self.total / n
        for _ in range(n):
            label_id = self.label()
            self.role(label_id, "fraud", "bad_actor", script="latin")
            titles = tx.unique_titles(r, "latin", r.randint(15, 40), self.used_fps)
            reps = int(max(3, min(300, budget // len(titles))))
            albums = self.albums(max(reps + 2, 10))
            name = f"{r.choice(tx.LATIN).title()} {r.choice(['Hits', 'Tunes', 'Audio'])}"
            genre = r.choice(FRAUD_GENRES)
            for words in titles:
                title = " ".join(words).title()
                for album in r.sample(albums, r.randint(3, reps)):
                    self.add(title, album, label_id, name, r.choice(SMALL_DISTRIBUTORS), genre)

    def near_misses(self) -> None:
        r = self.r
        for g in range(max(1, min(6, self.total // 20_000))):
            m = max(1, min(20, self.total // 200_000))
            k = r.randint(3, 5)
            core = tx.unique_titles(r, "latin", 28 * m, self.used_fps)
            members, sets = [], []
            for _ in range(k):
                own = tx.unique_titles(r, "latin", r.randint(5 * m, 8 * m), self.used_fps)
                label_id = self.label()
                members.append(label_id)
                titles = core + own
                sets.append(frozenset(fingerprint(" ".join(t)) for t in titles))
                albums = self.albums(r.randint(3, 6))
                name = f"{r.choice(tx.LATIN).title()} {r.choice(['Sounds', 'Records'])}"
                for words in titles:
                    for album in r.sample(albums, 2):
                        self.add(tx.checked_render(words, "latin", r), album, label_id, name,
                                 r.choice(SMALL_DISTRIBUTORS), "ambient")
            for a in range(k):
                for b in range(a + 1, k):
                    j = jaccard(sets[a], sets[b])
                    assert 0.6 <= j <= 0.78, j
            for label_id in members:
                self.role(label_id, "fraud", "near_miss", group_id=f"nearmiss-{g}", script="latin")

    # ---- legitimate look-alikes ----------------------------------------------------------
    def lookalikes(self) -> None:
        r = self.r
        scale = max(2, round(self.total * 0.025 / 50))

        def lib(kind, titles, genre, dist=None, ctype="music", copies=(2, 3)):
            label_id = self.label()
            self.role(label_id, "legit", kind)
            albums = self.albums(6)
            name = f"{r.choice(tx.LATIN).title()} {kind.replace('_', ' ').title()}"
            d = dist or r.choice(SMALL_DISTRIBUTORS)
            for t in titles:
                for album in r.sample(albums, r.randint(*copies)):
                    self.add(t, album, label_id, name, d, genre, ctype)

        for _ in range(scale):
            lib("classical", r.sample(tx.COMPOSITIONS, 18), r.choice(["Classical", "classical", "CLASSICAL"]))
            lib("karaoke", [f"{h} (Karaoke Version)" for h in r.sample(tx.HITS, 20)], r.choice(["Karaoke", "karaoke"]))
            lib("sound_effects", [f"{s} {n}" for s in r.sample(tx.SFX, 10) for n in (1, 2)],
                r.choice(["Sound Effects", "sound effects"]))
            lib("major_distributor", [f"{h} (Remastered)" for h in r.sample(tx.HITS, 20)], "pop",
                dist=r.choice(DEFAULT_MAJOR_DISTRIBUTORS).title())
            topic = r.choice(tx.PODCAST_TOPICS)
            lib("podcast", [f"{topic} Episode {n}" for n in range(1, 21)], None, ctype="podcast")
            # compilation: many albums of hits, fewer than 10 titles twice -> never flagged
            label_id = self.label()
            self.role(label_id, "legit", "compilation")
            hits = r.sample(tx.HITS, 60)
            twice = set(r.sample(hits, r.randint(3, 8)))
            albums = self.albums(6)
            dist = r.choice(SMALL_DISTRIBUTORS)
            for h in hits:
                for album in r.sample(albums, 2 if h in twice else 1):
                    self.add(h, album, label_id, "Now That's Music", dist, "pop")

    # ---- filler and bad rows -------------------------------------------------------------
    def filler(self) -> None:
        r = self.r
        per_day = [0] * self.days
        for row in self.rows:
            per_day[row.day] += 1
        slots = [d for d in range(self.days) for _ in range(max(0, self.tpd - per_day[d]))]
        r.shuffle(slots)
        while slots:
            label_id = self.label()
            name = f"{r.choice(tx.FILLER_WORDS).title()} {r.choice(['Records', 'Music', 'Label', 'Sounds'])}"
            dist = r.choice(SMALL_DISTRIBUTORS + [None])
            genre = r.choice(["pop", "rock", "hip hop", "electronic", "indie", None])
            albums = self.albums(r.randint(1, 3))
            hot_used = False
            titles = []
            for _ in range(r.randint(2, 12)):
                u = r.random()
                if u < 0.08 and not hot_used:
                    hot_used = True
                    titles.append(r.choice(tx.HOT_TITLES))
                elif u < 0.13:
                    titles.append(r.choice(tx.ACCENTED))
                else:
                    titles.append(tx.filler_title(r))
            titles = list(dict.fromkeys(titles))
            album_of = [r.choice(albums) for _ in titles]
            if len(albums) > 1 and r.random() < 0.2:  # a single that is also on the album
                titles.append(titles[0])
                album_of.append(next(a for a in albums if a != album_of[0]))
            for title, album in zip(titles, album_of, strict=True):
                if not slots:
                    break
                ctype = r.choice(["music"] * 18 + [None, ""])
                self.add(title, album, label_id, name, dist, genre, ctype, day=slots.pop(), filler=True)


def _check_connected(sets: list[frozenset[str]]) -> None:
    n = len(sets)
    adj = {i: [j for j in range(n) if j != i and jaccard(sets[i], sets[j]) >= DEFAULT_RULES.similarity_threshold] for i in range(n)}
    seen, todo = {0}, [0]
    while todo:
        for j in adj[todo.pop()]:
            if j not in seen:
                seen.add(j)
                todo.append(j)
    if len(seen) != n:
        raise AssertionError(f"planted network is not connected at Jaccard {DEFAULT_RULES.similarity_threshold}")


def _iso(day: dt.date, second: int, r: random.Random) -> str:
    t = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=second)
    u = r.random()
    if u < 0.1:
        return t.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    if u < 0.15:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randrange(1000):03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_of(fmt: str, day_index: int) -> str:
    if fmt == "mixed":
        return "parquet" if day_index % 2 == 0 else "csv"
    return fmt


@lru_cache(maxsize=8)
def _build(seed: int, days: int, tracks_per_day: int, start_date: dt.date, bad_row_rate: float, fmt: str
           ) -> tuple[dict[str, list[dict]], CatalogTruth]:
    """Files (key -> rows as dicts, in file order) and the truth."""
    if days < 1 or tracks_per_day < 1 or days * tracks_per_day < MIN_ROWS:
        raise ValueError(f"need days >= 1 and days * tracks_per_day >= {MIN_ROWS:,} (room for the planted "
                         f"fraud beside legitimate rows), got {days} x {tracks_per_day}")
    if fmt not in ("parquet", "csv", "mixed"):
        raise ValueError(f"format must be parquet, csv or mixed, got {fmt!r}")
    if not 0 <= bad_row_rate <= 0.2:
        raise ValueError(f"bad_row_rate must be in [0, 0.2], got {bad_row_rate}")
    b = _Builder(seed, days, tracks_per_day)
    b.networks()
    b.bad_actors()
    b.near_misses()
    b.lookalikes()
    b.filler()
    r = b.r
    # bad rows, on filler rows only
    filler_idx = [i for i, row in enumerate(b.rows) if row.filler]
    n_bad = min(len(filler_idx) // 2, round(bad_row_rate * b.total))
    bad = dict(zip(r.sample(filler_idx, n_bad), [BAD_KINDS[i % len(BAD_KINDS)] for i in range(n_bad)], strict=True))
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(b.rows):
        by_day[row.day].append(i)
    files: dict[str, list[dict]] = {}
    next_track = 0
    for d in range(days):
        date = start_date + dt.timedelta(days=d)
        idx = by_day[d]
        r.shuffle(idx)
        recs, dups = [], []
        for i in idx:
            row = b.rows[i]
            next_track += 1
            rec = {"track_id": f"T{next_track:010d}", "title": row.title, "album_id": row.album_id,
                   "label_id": row.label_id, "label_name": row.label_name, "distributor": row.distributor,
                   "genre": row.genre, "content_type": row.content_type,
                   "uploaded_at": _iso(date, row.second, r), "isrc": f"QZ{seed % 100:02d}{next_track:08d}"[:12]}
            kind = bad.get(i)
            if kind == "empty_title":
                rec["title"] = ""
            elif kind == "missing_title":
                rec["title"] = None
            elif kind == "missing_label":
                rec["label_id"] = None
            elif kind == "bad_timestamp":
                rec["uploaded_at"] = r.choice(BAD_TIMESTAMPS)
            elif kind == "mojibake":
                rec["title"] = r.choice(tx.ACCENTED).encode("utf-8").decode("latin-1")
            elif kind == "duplicate_track_id":
                dups.append(dict(rec))
                kind = None
            recs.append((rec, kind))
        recs.extend((rec, "duplicate_track_id") for rec in dups)
        ext = _fmt_of(fmt, d)
        for p in range(max(1, math.ceil(len(recs) / PART_ROWS))):
            key = f"landing/catalog/date={date.isoformat()}/part-{p:05d}.{ext}"
            chunk = recs[p * PART_ROWS : (p + 1) * PART_ROWS]
            files[key] = [rec for rec, _ in chunk]
            for row_no, (rec, kind) in enumerate(chunk):
                if kind:
                    b.truth.bad_rows.append({"track_id": rec["track_id"], "kind": kind, "date": date.isoformat(),
                                             "key": key, "row": row_no})
    return files, b.truth


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def catalog_files(seed: int, days: int, tracks_per_day: int, start_date: str | dt.date = "2024-01-01",
                  fmt: str = "mixed", bad_row_rate: float = 0.01) -> dict[str, list[dict]]:
    """Object key -> rows (dicts with ``COLUMNS``) in file order."""
    return _build(seed, days, tracks_per_day, _as_date(start_date), bad_row_rate, fmt)[0]


def catalog_truth(seed: int, days: int, tracks_per_day: int, start_date: str | dt.date = "2024-01-01",
                  fmt: str = "mixed", bad_row_rate: float = 0.01) -> CatalogTruth:
    """What ``write_catalog`` with the same arguments plants."""
    return _build(seed, days, tracks_per_day, _as_date(start_date), bad_row_rate, fmt)[1]


def generate_catalog(seed: int = 2, days: int = 3, tracks_per_day: int = 2000, start_date: str | dt.date = "2024-01-01",
                     fmt: str = "mixed", bad_row_rate: float = 0.01) -> pd.DataFrame:
    """All rows of all days (bad rows included) as one DataFrame of strings, in file order."""
    files = catalog_files(seed, days, tracks_per_day, start_date, fmt, bad_row_rate)
    return pd.DataFrame([rec for rows in files.values() for rec in rows], columns=COLUMNS)


def encode(rows: list[dict], ext: str) -> bytes:
    """The bytes of one landing file (all columns strings; CSV writes None as empty)."""
    if ext == "csv":
        buf = io.StringIO()
        pd.DataFrame(rows, columns=COLUMNS).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue().encode("utf-8")
    table = pa.Table.from_pydict({c: [rec[c] for rec in rows] for c in COLUMNS},
                                 schema=pa.schema([(c, pa.string()) for c in COLUMNS]))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def write_catalog(store, *, seed: int, days: int, tracks_per_day: int, start_date: str | dt.date = "2024-01-01",
                  fmt: str = "mixed", bad_row_rate: float = 0.01) -> dict:
    """Write the drops through an ``ObjectStore``; returns a summary."""
    files = catalog_files(seed, days, tracks_per_day, start_date, fmt, bad_row_rate)
    truth = catalog_truth(seed, days, tracks_per_day, start_date, fmt, bad_row_rate)
    for key, rows in files.items():
        store.put_bytes(key, encode(rows, key.rsplit(".", 1)[1]))
    roles = defaultdict(int)
    for lab in truth.labels:
        roles[lab["kind"]] += 1
    return {"store": store.describe(), "files": list(files), "rows": sum(len(v) for v in files.values()),
            "bad_rows": len(truth.bad_rows), "networks": len(set(truth.networks.values())),
            "network_labels": len(truth.networks), "labels_by_kind": dict(roles)}


def store_for(uri: str):
    """A LocalObjectStore for a directory, an S3ObjectStore for ``s3://bucket/prefix``."""
    import os

    from resources.object_store import LocalObjectStore, S3ObjectStore

    if uri.startswith("s3://"):
        bucket, _, prefix = uri[5:].partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {uri!r}: use s3://bucket/prefix")
        store = S3ObjectStore(bucket=bucket, prefix=prefix, endpoint_url=os.environ.get("OFFBEAT_S3_ENDPOINT_URL"))
        store.ensure_bucket()
        return store
    if "://" in uri:
        raise ValueError(f"unsupported URI {uri!r}: use a directory or s3://bucket/prefix")
    return LocalObjectStore(root=uri)


def main_catalog(args) -> int:
    import json
    import sys

    try:
        summary = write_catalog(store_for(args.out), seed=args.seed, days=args.days,
                                tracks_per_day=args.tracks_per_day, start_date=args.start_date,
                                fmt=args.format, bad_row_rate=args.bad_row_rate)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    summary["files"] = len(summary["files"])
    print(json.dumps(summary, indent=2))
    return 0
