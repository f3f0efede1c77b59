"""The catalog-detection contract of DESIGN.md ("Contract: catalog detection"): one place.

The rules' defaults and lists (``CatalogRules``, exempt genres, major distributors), the
title fingerprint (which characters split, how titles normalise) and the Jaccard
similarity, as plain Python. Imported by the rules resource, the Spark transforms
(assets/catalog), the simulator's generators and the tests' brute-force reference
(tests/catalog/reference.py). Nothing here imports Spark or Dagster.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

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
    # upload synchrony test of each network (assets/catalog/synchrony.py): Monte Carlo draws
    # of the week-cyclic null and their seed
    synchrony_permutations: int = 999
    synchrony_seed: int = 0

    def lowered(self, values: Iterable[str]) -> frozenset[str]:
        return frozenset(v.strip().casefold() for v in values)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


DEFAULT_RULES = CatalogRules()
