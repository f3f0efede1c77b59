"""``StreamConfig``: thresholds of the stream fraud detectors (each a statistic, not a simulator constant)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamConfig:
    min_royalty_ms: int = field(default=30_000, metadata={
        "description": "A play is royalty-eligible at ms_played >= this (the contract's 30 s)."})
    alpha: float = field(default=0.01, metadata={
        "description": "Family-wise false-positive rate of each detector (Bonferroni over every account it tests)."})
    skim_window_ms: int = field(default=10_000, metadata={
        "description": "threshold_skim compares plays ending this long before and after the royalty line."})
    restless_hours: int = field(default=22, metadata={
        "description": "no_rest: a UTC day with plays starting in at least this many of its 24 hours is restless."})
    min_restless_rate: float = field(default=0.01, metadata={
        "description": "no_rest: floor of the population's restless-day rate used as the null."})
    block_pivot_share: float = field(default=0.05, metadata={
        "description": "dense_block: share of accounts sampled as pivots (each account is compared with every pivot)."})
    block_seed: int = field(default=17, metadata={"description": "dense_block: hash salt of the pivot sample."})
    block_min_tracks: int = field(default=10, metadata={
        "description": "dense_block: accounts with fewer distinct royalty tracks are not compared (too little repertoire)."})
    block_twin_jaccard: float = field(default=0.5, metadata={
        "description": "dense_block: two accounts are twins when they share at least this Jaccard of their repertoires."})
    block_min_twin_rate: float = field(default=0.001, metadata={
        "description": "dense_block: floor of the ordinary listeners' twin rate used as the null."})
    block_min_machine_rate: float = field(default=0.001, metadata={
        "description": "dense_block: floor of the machine-flag rate (lockstep, no_rest, threshold_skim, shared_device) "
                       "of accounts in no block, the null a block's machine-flagged members are tested against."})
    block_min_days: int = field(default=2, metadata={
        "description": "dense_block: a track is in an account's repertoire when it has royalty plays on this many days."})
    lockstep_window_s: int = field(default=30, metadata={
        "description": "lockstep: two royalty plays of one track co-play when they start at most this many seconds "
                       "apart (a script starts its accounts within seconds; about the length of a short skip)."})
    lockstep_min_tracks: int = field(default=3, metadata={
        "description": "lockstep: a pair is in step with co-plays on at least this many distinct tracks ..."})
    lockstep_min_span_hours: float = field(default=20.0, metadata={
        "description": "lockstep: ... spread over at least this many hours from the first co-play to the last "
                       "(a playlist push, a premiere or a night of one playlist lasts hours; a script repeats on "
                       "other days)."})
    lockstep_pair_alpha: float = field(default=0.001, metadata={
        "description": "lockstep: ... and its co-plays must be beyond chance for that pair: P(X >= its distinct "
                       "co-play hours) at most this, X ~ Poisson of the co-play hours two independent listeners with "
                       "the same plays of the same tracks in the same hours would have (loopers of one short "
                       "playlist meet by chance often)."})
    lockstep_pivot_share: float = field(default=0.05, metadata={
        "description": "lockstep: share of accounts sampled as pivots (each account is compared with every pivot)."})
    lockstep_seed: int = field(default=23, metadata={"description": "lockstep: hash salt of the pivot sample."})
    lockstep_min_rate: float = field(default=0.001, metadata={
        "description": "lockstep: floor of the ordinary listeners' lockstep-pair rate used as the null."})
    captive_share: float = field(default=0.5, metadata={
        "description": "A track is captive when flagged accounts earn it at least this share of its royalty plays; "
                       "dense_block and track_concentration flag accounts sending at least this share to captive tracks."})
