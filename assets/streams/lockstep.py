"""Lockstep co-listening: accounts that play the same tracks at the same moments, day after day.

CopyCatch (Beutel et al., WWW 2013) over account x track x time: a script driving many
accounts starts the same tracks within seconds of each other, and does it again on other
days. People share tracks and even moments (a playlist push or a premiere starts thousands
of listeners at once), but only once: two honest listeners are not in step on several
distinct tracks on several distinct days.

A *co-play* of two accounts is a royalty play of a track by one that starts within
``lockstep_window_s`` seconds of a royalty play of it by the other. A pair is *in lockstep* when
(shape) it has co-plays on at least ``lockstep_min_tracks`` distinct tracks, spread over at
least ``lockstep_min_span_hours`` from the first to the last: a one-off crowd (push, premiere,
viral surge, a night of one sleep playlist, also when the night crosses midnight) lasts hours,
a script repeats on other days; and (beyond chance) its co-plays are more than independent
listening with the same opportunities gives: each royalty play of track t in hour h by the
account meets one of the pivot's ``N`` plays of t in hours h-1..h+1 by chance with probability
``1 - exp(-2 w N / 3 h)`` (``w`` the window), the sum over its plays is the pair's expected
co-plays in hour h, ``lam``; the hour has a co-play by chance with probability ``1 - exp(-lam)``,
and the pair's distinct co-play hours must have Poisson tail probability at most
``lockstep_pair_alpha`` against the sum of those. Hours, not single co-plays, are the
coincidences counted: two accounts playing one playlist in order with tracks of equal lengths
stay in phase once they meet, so one chance meeting is a run of co-plays (within the hour).
Two accounts looping one short playlist all night play each of its tracks many times an hour
and meet within seconds by chance often (a high expectation); a script that starts the same
different tracks at the same seconds on several days meets far more often than its few plays
of each track allow; a household on one device plays one after another.

Computed without all pairs (Spark, linear in the plays): a uniform random sample of
accounts are the pivots (``lockstep_pivot_share``, by a hash of the id), and every account
is compared with the pivots it co-plays with, through one join on (track, time bucket)
(buckets of the window's width; each pivot play sits in its bucket and both neighbours, so
starts on both sides of a bucket edge meet; hot cells are bounded by the pivot sample).
The expectation is computed only for the pairs of the right shape (few: a farm's pairs and
chance meetings), from their plays counted per (account, track, hour).

Test per account: ``m`` lockstep pivots out of the ``n`` pivots it has any co-play with,
against ``Binomial(n, q)``, ``q`` the lockstep rate of co-playing pairs among accounts with at
most one lockstep pivot (ordinary listeners, robust to the farms being tested), never below
``lockstep_min_rate``; Bonferroni over every tested account. Evidence names the partners,
tracks and hours.

Known weakness: the hours of one night are not independent either (an in-phase run lasts the
night); the expectation per hour is high for loopers, which covers it in the cases tested
(tests/streams/test_lockstep.py), but a pair of in-order loopers in phase on many nights with a
long playlist would be in step.
The previous null (before 2026-12-02) had no per-pair expectation: on simulator seed 5 two sleep
loopers that met 3 sampled loopers on 3-4 tracks over 70-96 hours were flagged.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig
from assets.streams.stats import (
    adjusted,
    binom_log10_sf,
    empty_result,
    flag_of,
    fmt_p,
    poisson_log10_sf,
    score_of,
)


def _royalty(plays: DataFrame, cfg: StreamConfig) -> DataFrame:
    return (plays.where(F.col("ms_played") >= cfg.min_royalty_ms)
            .select("user_id", "track_id", F.col("played_at").cast("double").alias("ts")))  # epoch seconds, ms kept


def _is_pivot(cfg: StreamConfig):
    bucket = 1_000_000
    return (F.abs(F.xxhash64("user_id", F.lit(cfg.lockstep_seed))) % bucket) < int(cfg.lockstep_pivot_share * bucket)


def lockstep_pairs(plays: DataFrame, cfg: StreamConfig) -> DataFrame:
    """(user_id, v, tracks, span_h, hours) per account and pivot ``v`` with at least one co-play:
    distinct co-played tracks, the hours from the pair's first co-play to its last, and the
    distinct clock hours (UTC) of the account's co-plays."""
    w = int(cfg.lockstep_window_s)
    rp = _royalty(plays, cfg).withColumn("b", F.floor(F.col("ts") / F.lit(w)))
    piv = (rp.where(_is_pivot(cfg))
           .select(F.col("user_id").alias("v"), "track_id", F.col("ts").alias("tv"),
                   F.explode(F.array(F.col("b") - 1, F.col("b"), F.col("b") + 1)).alias("b")))
    co = (rp.join(piv, ["track_id", "b"]).where((F.col("user_id") != F.col("v"))
                                                & (F.abs(F.col("ts") - F.col("tv")) <= F.lit(w))))
    return co.groupBy("user_id", "v").agg(
        F.countDistinct("track_id").alias("tracks"),
        ((F.max("ts") - F.min("ts")) / F.lit(3600.0)).alias("span_h"),
        F.countDistinct(F.floor(F.col("ts") / F.lit(3600.0))).alias("hours"))


def pair_expectation(plays: DataFrame, pairs: DataFrame, cfg: StreamConfig) -> DataFrame:
    """(user_id, v, expected) for the given pairs: the co-play hours the account would have with
    the pivot if its plays fell at random within their hours, independently of the pivot's. A
    royalty play of track t in hour h meets one of the pivot's ``N`` plays of t in hours h-1..h+1
    with probability ``1 - exp(-2 w N / 3 h)``; ``lam`` sums that over the account's plays of the
    hour, the hour has a co-play with probability ``1 - exp(-lam)``, ``expected`` sums that over
    the hours."""
    w = float(cfg.lockstep_window_s)
    rp = _royalty(plays, cfg).withColumn("h", F.floor(F.col("ts") / F.lit(3600.0)))
    users = pairs.select("user_id").distinct()
    pivots = pairs.select(F.col("v").alias("user_id")).distinct()
    cu = rp.join(users, "user_id").groupBy("user_id", "track_id", "h").agg(F.count(F.lit(1)).alias("c"))
    nv = (rp.join(pivots, "user_id")
          .select(F.col("user_id").alias("v"), "track_id",
                  F.explode(F.array(F.col("h") - 1, F.col("h"), F.col("h") + 1)).alias("h"))
          .groupBy("v", "track_id", "h").agg(F.count(F.lit(1)).alias("nv")))
    cells = pairs.select("user_id", "v").join(cu, "user_id").join(nv, ["v", "track_id", "h"])
    hit = F.lit(1.0) - F.exp(-F.lit(2.0 * w / 10800.0) * F.col("nv"))
    lam = cells.groupBy("user_id", "v", "h").agg(F.sum(F.col("c") * hit).alias("lam"))
    return lam.groupBy("user_id", "v").agg(F.sum(F.lit(1.0) - F.exp(-F.col("lam"))).alias("expected"))


def lockstep(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    spark = plays.sparkSession
    pairs = lockstep_pairs(plays, cfg).cache()
    shape = (F.col("tracks") >= cfg.lockstep_min_tracks) & (F.col("span_h") >= cfg.lockstep_min_span_hours)
    exp = pair_expectation(plays, pairs.where(shape), cfg)
    pairs = (pairs.join(exp, ["user_id", "v"], "left")
             .withColumn("pair_lp", F.when(shape, poisson_log10_sf(F.col("hours"), F.coalesce("expected", F.lit(0.0))))))
    in_step = shape & (F.col("pair_lp") <= F.lit(math.log10(cfg.lockstep_pair_alpha)))
    per = pairs.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("n"), F.sum(in_step.cast("long")).alias("m"),
        F.max(F.when(in_step, F.col("tracks"))).alias("max_tracks"),
        F.max(F.when(in_step, F.col("span_h"))).alias("max_span_h"),
        F.max(F.when(in_step, F.col("hours"))).alias("max_hours"),
        F.max_by(F.col("expected"), F.when(in_step, F.col("hours"))).alias("exp_of_max"))
    per = per.localCheckpoint()  # computed once, on the executors; later plans start here (short plan strings)
    base = per.where(F.col("m") <= 1).agg(F.sum("m"), F.sum("n")).first()
    q = max(cfg.lockstep_min_rate, (base[0] or 0) / base[1] if base[1] else 1.0)
    tests = per.count()
    pairs.unpersist()
    tested = per.where(F.col("m") > 0)
    if tests == 0:
        return empty_result(spark, "lockstep"), {"lockstep_rate": q, "lockstep_tested": 0}
    lp = adjusted(binom_log10_sf(F.col("m"), F.col("n"), F.lit(q)), tests)
    out = tested.select(
        "user_id", score_of(lp).alias("lockstep_score"), flag_of(lp, cfg.alpha).alias("lockstep_flagged"),
        F.concat(F.lit("lockstep: in step with "), F.col("m").cast("string"), F.lit(" of the "), F.col("n").cast("string"),
                 F.lit(" sampled accounts it co-plays with (up to "), F.col("max_tracks").cast("string"),
                 F.lit(f" tracks started within {int(cfg.lockstep_window_s)} s of each other, over up to "),
                 F.format_number("max_span_h", 0), F.lit(" hours, co-plays in up to "), F.col("max_hours").cast("string"),
                 F.lit(" clock hours where independent listening would give "), F.format_number("exp_of_max", 1),
                 F.lit(f"; ordinary listeners: {q:.4f} of such pairs); binomial p "), fmt_p(lp),
                 F.lit(f" after {tests:,} tests")).alias("lockstep_evidence"))
    return out, {"lockstep_rate": q, "lockstep_tested": tests}
