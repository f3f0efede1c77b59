"""The catalog-detection contract as brute-force Python: the reference the Spark transforms
are tested against (and the simulator's ground truth checked with). Slow and obviously
correct; test-only. The contract's constants and title fingerprint live in
resources/catalog_contract.py.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from resources.catalog_contract import (  # noqa: F401 (re-exported for the tests)
    DEFAULT_EXEMPT_GENRES,
    DEFAULT_MAJOR_DISTRIBUTORS,
    DEFAULT_RULES,
    SPLIT_SCRIPT_RANGES,
    CatalogRules,
    fingerprint,
    is_split_script,
    jaccard,
)


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


def fraud_networks(tracks: Iterable[Mapping], rules: CatalogRules = DEFAULT_RULES) -> dict[str, str]:
    """The whole contract: label_id -> network_id (the smallest label id of its network)."""
    reuse = label_reuse(tracks, rules)
    flagged = {lab: r.fingerprint_set for lab, r in reuse.items() if r.flagged}
    edges = similarity_edges(flagged, rules.similarity_threshold)
    comp = components(flagged, [(a, b) for a, b, *_ in edges])
    sizes: dict[str, int] = defaultdict(int)
    for root in comp.values():
        sizes[root] += 1
    return {lab: root for lab, root in comp.items() if sizes[root] >= 2}
