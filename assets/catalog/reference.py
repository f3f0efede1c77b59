"""The catalog-detection contract of DESIGN.md as plain Python: the reference implementation.

Slow and obviously correct: the Spark assets are tested against it, and the simulator's
ground truth is checked with it. Nothing here imports Spark or Dagster.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Scripts written without spaces: each character is its own token. The same ranges build
# the Spark expression, so both implementations split exactly the same characters.
SPLIT_SCRIPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0E7F),  # Thai
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),  # ideographic iteration mark, closing mark, number zero
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3038, 0x303B),
    (0x3041, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x1B000, 0x1B16F),  # Kana supplement / extended
    (0x20000, 0x3134F),  # CJK extensions B-G
)

DEFAULT_EXEMPT_GENRES = ("classical", "karaoke", "sound effects")
DEFAULT_MAJOR_DISTRIBUTORS = ("universal music group", "sony music entertainment", "warner music group")


def is_split_script(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in SPLIT_SCRIPT_RANGES)


def fingerprint(title: str | None) -> str:
    """NFKC, casefold, non letter/number/mark -> space, split (per char for CJK/Thai), sort."""
    if title is None:
        return ""
    text = unicodedata.normalize("NFKC", title).casefold()
    chars = []
    for ch in text:
        if unicodedata.category(ch)[0] not in "LNM":
            chars.append(" ")
        elif is_split_script(ch):
            chars.append(f" {ch} ")
        else:
            chars.append(ch)
    return " ".join(sorted(t for t in "".join(chars).split(" ") if t))


@dataclass(frozen=True)
class CatalogRules:
    """Thresholds and lists of the contract (run config; these are the defaults)."""

    min_title_tokens: int = 2
    min_albums_per_fingerprint: int = 2
    min_reused_fingerprints: int = 10
    min_reuse_ratio: float = 0.3
    similarity_threshold: float = 0.8
    exempt_genres: tuple[str, ...] = DEFAULT_EXEMPT_GENRES
    allowlisted_labels: tuple[str, ...] = ()
    major_distributors: tuple[str, ...] = DEFAULT_MAJOR_DISTRIBUTORS

    def lowered(self, values: Iterable[str]) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in values)


def _norm(value: str | None) -> str:
    return (value or "").strip().casefold()


def exclusion_reason(track: Mapping, rules: CatalogRules, *, ignore_genre: bool = False) -> str | None:
    """Why a track is not eligible, or None when it is."""
    content_type = _norm(track.get("content_type")) or "music"
    if content_type != "music":
        return "non_music"
    if _norm(track.get("label_id")) in rules.lowered(rules.allowlisted_labels):
        return "allowlisted_label"
    if _norm(track.get("distributor")) in rules.lowered(rules.major_distributors):
        return "major_distributor"
    if not ignore_genre and _norm(track.get("genre")) in rules.lowered(rules.exempt_genres):
        return "exempt_genre"
    if len(fingerprint(track.get("title")).split()) < rules.min_title_tokens:
        return "short_title"
    return None


@dataclass
class LabelReuse:
    label_id: str
    albums: int
    tracks: int
    fingerprints: int
    reused_fingerprints: int
    reuse_ratio: float
    flagged: bool
    fingerprint_set: frozenset[str] = field(repr=False)


def label_reuse(tracks: Iterable[Mapping], rules: CatalogRules, *, ignore_genre: bool = False) -> dict[str, LabelReuse]:
    """Per label over its eligible tracks; labels with no eligible track are absent."""
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)  # label -> [(album, fp)]
    for t in tracks:
        if exclusion_reason(t, rules, ignore_genre=ignore_genre) is None:
            by_label[t["label_id"]].append((t["album_id"], fingerprint(t["title"])))
    out = {}
    for label, rows in by_label.items():
        albums_of_fp: dict[str, set[str]] = defaultdict(set)
        for album, fp in rows:
            albums_of_fp[fp].add(album)
        reused = {fp for fp, albums in albums_of_fp.items() if len(albums) >= rules.min_albums_per_fingerprint}
        ratio = sum(1 for _, fp in rows if fp in reused) / len(rows)
        out[label] = LabelReuse(
            label_id=label,
            albums=len({a for a, _ in rows}),
            tracks=len(rows),
            fingerprints=len(albums_of_fp),
            reused_fingerprints=len(reused),
            reuse_ratio=ratio,
            flagged=len(reused) >= rules.min_reused_fingerprints and ratio >= rules.min_reuse_ratio,
            fingerprint_set=frozenset(albums_of_fp),
        )
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def similarity_edges(sets: Mapping[str, frozenset[str]], threshold: float) -> list[tuple[str, str, int, int, int, float]]:
    """Brute force over every pair: (label_a, label_b, shared, size_a, size_b, jaccard), a < b."""
    edges = []
    for a, b in itertools.combinations(sorted(sets), 2):
        shared = len(sets[a] & sets[b])
        j = jaccard(sets[a], sets[b])
        if shared and j >= threshold:
            edges.append((a, b, shared, len(sets[a]), len(sets[b]), j))
    return edges


def components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find: node -> smallest node id of its component."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in parent}


def fraud_networks(tracks: Iterable[Mapping], rules: CatalogRules = CatalogRules()) -> dict[str, str]:
    """The whole contract: label_id -> network_id (the smallest label id of its network)."""
    reuse = label_reuse(tracks, rules)
    flagged = {lab: r.fingerprint_set for lab, r in reuse.items() if r.flagged}
    edges = similarity_edges(flagged, rules.similarity_threshold)
    comp = components(flagged, [(a, b) for a, b, *_ in edges])
    sizes: dict[str, int] = defaultdict(int)
    for root in comp.values():
        sizes[root] += 1
    return {lab: root for lab, root in comp.items() if sizes[root] >= 2}
