"""``StreamConfig``: thresholds of the stream fraud detectors (each a statistic, not a simulator constant)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamConfig:
    min_royalty_ms: int = field(default=30_000, metadata={
        "description": "A play is royalty-eligible at ms_played >= this (the contract's 30 s)."})
    alpha: float = field(default=0.01, metadata={
        "description": "Family-wise false-positive rate of each detector (Bonferroni over every account it tests)."})
