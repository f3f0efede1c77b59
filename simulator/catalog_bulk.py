"""A vectorised bulk catalog generator, for the catalog-fraud benchmark at 10M tracks.

``simulator.catalog`` writes realistic daily drops with bad rows and builds rows one by one:
right for the pipeline tests, too slow for 10M tracks. This generator builds the *raw zone*
catalog (DESIGN.md "Contract: catalog input", validated: no bad rows) with numpy/pyarrow,
for the benchmark and its small-scale test. Per 100 tracks there is about one label:

* flagged populations (under the default ``CatalogRules``): fraud networks (3-12 fronts of
  one master library, chains and cliques, Jaccard ~0.85-0.95 between neighbours), near-miss
  groups (shared core plus own titles: pairwise Jaccard 0.6-0.78, flagged, no edge), bad
  actors (15-40 own titles each in 2-3 albums) and a few labels made only of generic titles.
  Each network / group / bad actor also carries 2-8 HOT generic titles ("Rain Sounds",
  "White Noise", ...; Zipf-weighted over 24), so each generic fingerprint is held by
  thousands of flagged labels at 10M tracks (``hot_fanout`` in the metadata).
* not flagged: exempt-genre re-users (classical, karaoke, sound effects), major-distributor
  and podcast labels (same reuse, excluded), compilations (< 10 reused titles) and ordinary
  labels (unique titles, some single-word ones like "Intro", some generic titles).

A generated title is three words from three disjoint word lists, so distinct title ids
have distinct fingerprints; each track renders its title its own way (word order, case,
punctuation: same fingerprint). Rows are sorted by ``uploaded_at`` (daily drops) and
written as Parquet parts. Deterministic for a given (tracks, seed).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from resources.catalog_contract import DEFAULT_EXEMPT_GENRES, DEFAULT_MAJOR_DISTRIBUTORS

VERSION = 1  # bump when the generated data changes (cache key)

HOT_TITLES = [
    "Rain Sounds", "White Noise", "Ocean Waves", "Deep Sleep", "Gentle Rain", "Brown Noise",
    "Pink Noise", "Sleep Music", "Calm Piano", "Forest Birds", "Thunder Storm", "Meditation Music",
    "Relaxing Music", "Baby Sleep", "Study Music", "Lofi Beats", "Spa Music", "Yoga Flow",
    "Fireplace Sounds", "Night Rain", "Soft Piano", "Peaceful Ambience", "Calm Waters", "Ambient Drone",
]
SHORT_TITLES = ["Intro", "Interlude", "Outro", "Skit", "Reprise"]
LITERALS = HOT_TITLES + SHORT_TITLES  # literal title index; generated titles use ids instead
SMALL_DISTRIBUTORS = ["TuneHub", "SongRoute", "IndieWave Digital", "Amplify Distro", "Beatstream"]
MAJORS = [d.title() for d in DEFAULT_MAJOR_DISTRIBUTORS]  # "Universal Music Group", ...
FRAUD_GENRES = ["Ambient", "sleep", "Meditation", "new age", "Lo-Fi", "relaxation"]
LEGIT_GENRES = ["Pop", "rock", "Hip-Hop", "Jazz", "electronic", "Folk", "R&B", "Country", None]
# The contract's exempt genres in mixed case ("Classical", "karaoke", "Sound Effects").
EXEMPT = [g.title() if i % 2 == 0 else g for i, g in enumerate(DEFAULT_EXEMPT_GENRES)]
ACCENTED = ["café", "señor", "über", "déjà", "canção", "noël", "mañana", "würz", "niño", "fiançé"]
SYLLABLES = "ka lo mi ra ne su ti vo be da fe gu ha ji ko lu ma no pe ri sa to va ze".split()
WORDS_PER_LIST = 320  # 320**3 = 32.7M distinct generated titles


def _word_lists() -> tuple[list[str], list[str], list[str]]:
    """Three disjoint lists of distinct (after NFKC + casefold) single-token words."""
    words: list[str] = list(ACCENTED)
    for a in SYLLABLES:
        for b in SYLLABLES:
            for c in ("n", "r", "l", "s"):
                words.append(a + b + c)
    rng = np.random.default_rng(12345)
    words = [words[i] for i in rng.permutation(len(words))]
    seen, out = set(), []
    for w in words:
        key = unicodedata.normalize("NFKC", w).casefold()
        if key not in seen:
            seen.add(key)
            out.append(w)
    n = WORDS_PER_LIST
    assert len(out) >= 3 * n
    return out[:n], out[n : 2 * n], out[2 * n : 3 * n]


def cache_dir(root: Path, tracks: int, seed: int, days: int = 366) -> Path:
    """Where ``ensure`` keeps the data set of these parameters (keyed by them and VERSION)."""
    params = [VERSION, tracks, seed] + ([] if days == 366 else [days])
    key = hashlib.sha1(json.dumps(params).encode()).hexdigest()[:10]
    return Path(root) / f"catalog_{tracks}_{seed}_{key}"


class _Plan:
    """Title instances: one row per (label, title) with the number of album copies."""

    def __init__(self) -> None:
        self.label: list[np.ndarray] = []
        self.lit: list[np.ndarray] = []  # literal index or -1
        self.tid: list[np.ndarray] = []  # generated title id or -1
        self.copies: list[np.ndarray] = []
        self.next_id = 0

    def ids(self, n: int) -> np.ndarray:
        out = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return out

    def add(self, label, lit, tid, copies) -> None:
        n = len(tid) if tid is not None else len(lit)
        self.label.append(np.broadcast_to(np.asarray(label, dtype=np.int64), (n,)).copy())
        self.lit.append(np.full(n, -1, np.int64) if lit is None else np.asarray(lit, np.int64))
        self.tid.append(np.full(n, -1, np.int64) if tid is None else np.asarray(tid, np.int64))
        self.copies.append(np.broadcast_to(np.asarray(copies, dtype=np.int64), (n,)).copy())

    def arrays(self):
        return tuple(np.concatenate(x) for x in (self.label, self.lit, self.tid, self.copies))


def generate(tracks: int = 10_000_000, seed: int = 7, days: int = 366) -> tuple[pa.Table, dict]:
    """The catalog table (contract columns) and metadata (label roles, planted counts);
    uploads spread over ``days`` days from 2024-01-01."""
    rng = np.random.default_rng(seed)
    n_labels = max(200, tracks // 100)
    hot_p = 1.0 / np.arange(1, len(HOT_TITLES) + 1) ** 0.7
    hot_p /= hot_p.sum()
    plan = _Plan()
    role = np.full(n_labels, "legit", dtype=object)
    group = np.full(n_labels, -1, dtype=np.int64)  # network / near-miss group index
    cursor = 0

    def take(n: int) -> np.ndarray:
        nonlocal cursor
        out = np.arange(cursor, min(cursor + n, n_labels))
        cursor += len(out)
        return out

    def hot_choice() -> np.ndarray:
        return rng.choice(len(HOT_TITLES), size=rng.integers(2, 9), replace=False, p=hot_p)

    def reused(label, tid, lo=2, hi=3):
        plan.add(label, None, tid, rng.integers(lo, hi + 1, size=len(tid)))

    # Fraud networks: ~6% of labels, fronts of one master library each.
    g = 0
    while cursor < 0.06 * n_labels:
        k = int(rng.integers(3, 13))
        members = take(k)
        if len(members) < 2:
            break
        w = int(rng.integers(25, 81))
        step = max(1, round(w / (12 if rng.random() < 0.5 else 30)))
        library = plan.ids(w + step * (len(members) - 1))
        hot = hot_choice()
        for i, lab in enumerate(members):
            reused(lab, library[i * step : i * step + w])
            plan.add(lab, hot, None, 2)
            role[lab], group[lab] = "network", g
        g += 1
    n_networks = g
    # Near-miss groups: ~3% of labels; core 56 titles, 10-16 own titles each.
    while cursor < 0.09 * n_labels:
        members = take(int(rng.integers(4, 9)))
        core = plan.ids(56)
        hot = hot_choice()
        for lab in members:
            reused(lab, core, 2, 2)
            reused(lab, plan.ids(int(rng.integers(10, 17))), 2, 2)
            plan.add(lab, hot, None, 2)
            role[lab], group[lab] = "near_miss", g
        g += 1
    # Bad actors: ~8% of labels, own titles in 2-3 albums plus generic ones and a few singles.
    for lab in take(int(0.08 * n_labels)):
        reused(lab, plan.ids(int(rng.integers(15, 41))))
        plan.add(lab, None, plan.ids(int(rng.integers(0, 6))), 1)
        plan.add(lab, hot_choice(), None, 2)
        role[lab] = "bad_actor"
    # Labels made only of generic titles (their prefix holds hot fingerprints).
    for lab in take(max(2, n_labels // 2000)):
        plan.add(lab, rng.choice(len(HOT_TITLES), size=int(rng.integers(12, 21)), replace=False), None, 2)
        role[lab] = "all_generic"
    # Re-users excluded by the rules: exempt genres, major distributors, podcasts.
    for name, share in (("exempt", 0.02), ("major", 0.02), ("podcast", 0.01)):
        for lab in take(int(share * n_labels)):
            reused(lab, plan.ids(int(rng.integers(15, 41))))
            plan.add(lab, hot_choice(), None, 2)
            role[lab] = name
    # Compilations: 3-8 reused titles among unique ones (not flagged).
    for lab in take(int(0.05 * n_labels)):
        reused(lab, plan.ids(int(rng.integers(3, 9))), 2, 2)
        plan.add(lab, None, plan.ids(int(rng.integers(20, 80))), 1)
        role[lab] = "compilation"
    # Ordinary labels fill the rest of the track budget with unique titles.
    label, lit, tid, copies = plan.arrays()
    legit = np.arange(cursor, n_labels)
    left = max(len(legit), tracks - int(copies.sum()))
    weights = rng.lognormal(0.0, 0.8, size=len(legit))
    per_label = 1 + rng.multinomial(left - len(legit), weights / weights.sum())
    lab_col = np.repeat(legit, per_label)
    n_legit = len(lab_col)
    u = rng.random(n_legit)
    leg_lit = np.where(u < 0.04, len(HOT_TITLES) + rng.integers(0, len(SHORT_TITLES), n_legit), -1)
    leg_lit = np.where(u > 0.985, rng.choice(len(HOT_TITLES), size=n_legit, p=hot_p), leg_lit)
    leg_tid = np.where(leg_lit < 0, plan.ids(n_legit), -1)
    label = np.concatenate([label, lab_col])
    lit = np.concatenate([lit, leg_lit])
    tid = np.concatenate([tid, leg_tid])
    copies = np.concatenate([copies, np.ones(n_legit, np.int64)])
    assert plan.next_id < WORDS_PER_LIST**3

    # Expand instances to tracks; copy j of an instance goes to album (rank + j) % albums.
    inst = np.arange(len(label))
    order = np.argsort(label, kind="stable")
    rank = np.empty(len(label), np.int64)
    starts = np.searchsorted(label[order], np.arange(n_labels))
    rank[order] = inst - starts[label[order]]
    n_inst = np.bincount(label, minlength=n_labels)
    albums_of = np.maximum(3, n_inst // 12)
    t_inst = np.repeat(inst, copies)
    j = np.arange(len(t_inst)) - np.repeat(np.cumsum(copies) - copies, copies)
    t_label = label[t_inst]
    t_album = (rank[t_inst] + j) % albums_of[t_label]
    n = len(t_inst)

    # Upload time: each (label, album) one day; a network's albums share the hour.
    day_of = rng.integers(0, days, size=n_labels)
    album_day = (day_of[t_label] + 13 * t_album) % days
    hour_key = np.where(group[t_label] >= 0, group[t_label] * 7919 + t_album, t_label * 31 + t_album)
    hour = (hour_key * 2654435761) % 24
    second = hour * 3600 + rng.integers(0, 3600, size=n)
    epoch = np.int64(1_704_067_200) + album_day.astype(np.int64) * 86400 + second  # 2024-01-01
    uploaded = pa.array(epoch * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))

    titles = _render(rng, lit[t_inst], tid[t_inst])
    lab_ids = np.array([f"lab{i:06d}" for i in rng.permutation(n_labels)], dtype=object)
    lab_str = pa.array(lab_ids).take(pa.array(t_label))
    album = pc.binary_join_element_wise(
        lab_str, pc.cast(pa.array(t_album), pa.string()), "-a"
    )
    roles = role[t_label]
    genre_of = np.array(
        [
            FRAUD_GENRES[i % len(FRAUD_GENRES)]
            if role[i] in ("network", "near_miss", "bad_actor", "all_generic")
            else EXEMPT[i % 3] if role[i] == "exempt"
            else LEGIT_GENRES[i % len(LEGIT_GENRES)]
            for i in range(n_labels)
        ],
        dtype=object,
    )
    dist_of = np.array(
        [MAJORS[i % 3] if role[i] == "major" else SMALL_DISTRIBUTORS[i % 5] if i % 7 else None
         for i in range(n_labels)],
        dtype=object,
    )
    ctype = np.where(roles == "podcast", "podcast", np.where(t_label % 5 == 0, None, "music"))
    table = pa.table(
        {
            "track_id": pa.array(np.char.add("t", np.arange(n).astype("U9")).astype(object)),
            "title": titles,
            "album_id": album,
            "label_id": lab_str,
            "label_name": pc.binary_join_element_wise("Label ", lab_str, ""),
            "distributor": pa.array(dist_of[t_label], pa.string()),
            "genre": pa.array(genre_of[t_label], pa.string()),
            "content_type": pa.array(ctype, pa.string()),
            "uploaded_at": uploaded,
        }
    )
    table = table.take(pa.array(np.argsort(epoch, kind="stable")))
    flag_roles = np.isin(role, ["network", "near_miss", "bad_actor", "all_generic"])
    sel = (lit >= 0) & (lit < len(HOT_TITLES)) & flag_roles[label]
    pairs = np.unique(label[sel] * 64 + lit[sel])
    fan = np.bincount(pairs % 64, minlength=len(HOT_TITLES))
    hot_holders = {HOT_TITLES[i]: int(fan[i]) for i in np.argsort(-fan)}
    meta = {
        "version": VERSION,
        "tracks": int(n),
        "labels": int(n_labels),
        "seed": seed,
        "days": days,
        "roles": {r_: int((role == r_).sum()) for r_ in np.unique(role.astype(str))},
        "networks": int(n_networks),
        "near_miss_groups": int(g - n_networks),
        "hot_fanout": hot_holders,
    }
    return table, meta


def _render(rng, lit: np.ndarray, tid: np.ndarray) -> pa.Array:
    """Each track's title: its words in a random order, case and punctuation."""
    n = len(lit)
    a_words, b_words, c_words = (pa.array(w) for w in _word_lists())
    w = WORDS_PER_LIST
    # A bijection of [0, w**3) (multiplier coprime to w**3) scatters consecutive ids' words.
    t = (np.maximum(tid, 0) * 2_654_435_761) % (w**3)
    a = a_words.take(pa.array(t % w))
    b = b_words.take(pa.array((t // w) % w))
    c = c_words.take(pa.array(t // (w * w)))
    perm = rng.integers(0, 6, size=n)
    orders = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    cols = [pc.choose(pa.array(orders[perm, k]), a, b, c) for k in range(3)]
    seps = pa.array(np.array([" ", " ", ", ", " - ", " / ", " "], dtype=object)[rng.integers(0, 6, n)])
    gen = pc.binary_join_element_wise(cols[0], cols[1], cols[2], seps)
    lits = pa.array(LITERALS).take(pa.array(np.maximum(lit, 0)))
    swapped = pa.array([" ".join(reversed(s.split())) for s in LITERALS]).take(pa.array(np.maximum(lit, 0)))
    lits = pc.if_else(pa.array(rng.random(n) < 0.3), swapped, lits)
    title = pc.if_else(pa.array(lit >= 0), lits, gen)
    style = rng.integers(0, 5, size=n)
    title = pc.if_else(pa.array(style == 0), pc.utf8_upper(title), title)
    title = pc.if_else(pa.array(style == 1), pc.utf8_title(title), title)
    title = pc.if_else(pa.array(style == 2), pc.binary_join_element_wise(title, "!", ""), title)
    return title


def ensure(root: Path, tracks: int = 10_000_000, seed: int = 7, *, days: int = 366,
           part_rows: int = 1_000_000) -> tuple[Path, dict]:
    """The data set's Parquet directory under ``root`` (generated on first use, then reused)
    and its metadata."""
    out = cache_dir(root, tracks, seed, days)
    meta_path = out / "_meta.json"
    if meta_path.exists():
        return out, json.loads(meta_path.read_text())
    start = time.perf_counter()
    table, meta = generate(tracks, seed, days)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    for i, off in enumerate(range(0, table.num_rows, part_rows)):
        pq.write_table(table.slice(off, part_rows), tmp / f"part-{i:05d}.parquet",
                       row_group_size=256_000, compression="snappy")
    meta["generate_seconds"] = round(time.perf_counter() - start, 1)
    (tmp / "_meta.json").write_text(json.dumps(meta, indent=1))
    os.replace(tmp, out)
    return out, meta
