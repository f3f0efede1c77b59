"""Lockstep co-listening: accounts that play the same tracks at the same moments, day after day.

CopyCatch (Beutel et al., WWW 2013) over account x track x time: a script driving many
accounts starts the same tracks within seconds of each other, and does it again on other
days. People share tracks and even moments (a playlist push or a premiere starts thousands
of listeners at once), but only once: two honest listeners are not in step on several
distinct tracks on several distinct days.

A *co-play* of two accounts is a track whose royalty plays by both start within
``lockstep_window_s`` seconds. A pair is *in lockstep* when it has co-plays on at least
``lockstep_min_tracks`` distinct tracks, spread over at least ``lockstep_min_span_hours``
from the first to the last: a one-off crowd (push, premiere, viral surge, a night of one
sleep playlist, also when the night crosses midnight) lasts hours, a script repeats on
other days; people looping one sleep playlist from their own bedtimes rarely start its
tracks within seconds of each other twice; a household on one device plays one after another.

Computed without all pairs (Spark, linear in the plays): a uniform random sample of
accounts are the pivots (``lockstep_pivot_share``, by a hash of the id), and every account
is compared with the pivots it co-plays with, through one join on (track, time bucket)
(buckets of the window's width; each pivot play sits in its bucket and both neighbours, so
starts on both sides of a bucket edge meet; hot cells are bounded by the pivot sample).

Test per account: ``m`` lockstep pivots out of the ``n`` pivots it has any co-play with,
against ``Binomial(n, q)``, ``q`` the lockstep rate of co-playing pairs among accounts with at
most one lockstep pivot (ordinary listeners, robust to the farms being tested), never below
``lockstep_min_rate``; Bonferroni over every tested account. Evidence names the partners,
tracks and hours.

Known weakness (simulator seed 5, the unseen seed of 2026-12-02; not tuned on it): two
accounts looping one short sleep playlist all night, full plays back to back, started 3-4 of
its tracks within 30 s of 3 sampled loopers over 70-96 hours and were flagged (p 10^-3.8 and
10^-2.1 against the ordinary listeners' 0.0019): the null does not know that loopers of one
playlist meet by chance far more often than ordinary listeners do.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig
from assets.streams.stats import adjusted, binom_log10_sf, empty_result, flag_of, fmt_p, score_of


def lockstep_pairs(plays: DataFrame, cfg: StreamConfig) -> DataFrame:
    """(user_id, v, tracks, span_h) per account and pivot ``v`` with at least one co-play:
    distinct co-played tracks, and the hours from the pair's first co-play to its last."""
    w = int(cfg.lockstep_window_s)
    rp = (plays.where(F.col("ms_played") >= cfg.min_royalty_ms)
          .select("user_id", "track_id", F.col("played_at").cast("double").alias("ts"))  # epoch seconds, ms kept
          .withColumn("b", F.floor(F.col("ts") / F.lit(w))))
    bucket = 1_000_000
    is_pivot = (F.abs(F.xxhash64("user_id", F.lit(cfg.lockstep_seed))) % bucket) < int(cfg.lockstep_pivot_share * bucket)
    piv = (rp.where(is_pivot)
           .select(F.col("user_id").alias("v"), "track_id", F.col("ts").alias("tv"),
                   F.explode(F.array(F.col("b") - 1, F.col("b"), F.col("b") + 1)).alias("b")))
    co = (rp.join(piv, ["track_id", "b"]).where((F.col("user_id") != F.col("v"))
                                                & (F.abs(F.col("ts") - F.col("tv")) <= F.lit(w))))
    return co.groupBy("user_id", "v").agg(
        F.countDistinct("track_id").alias("tracks"),
        ((F.max("ts") - F.min("ts")) / F.lit(3600.0)).alias("span_h"))


def lockstep(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    spark = plays.sparkSession
    pairs = lockstep_pairs(plays, cfg)
    in_step = (F.col("tracks") >= cfg.lockstep_min_tracks) & (F.col("span_h") >= cfg.lockstep_min_span_hours)
    per = pairs.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("n"), F.sum(in_step.cast("long")).alias("m"),
        F.max(F.when(in_step, F.col("tracks"))).alias("max_tracks"),
        F.max(F.when(in_step, F.col("span_h"))).alias("max_span_h")).cache()
    base = per.where(F.col("m") <= 1).agg(F.sum("m"), F.sum("n")).first()
    q = max(cfg.lockstep_min_rate, (base[0] or 0) / base[1] if base[1] else 1.0)
    tests = per.count()
    tested = per.where(F.col("m") > 0)
    if tests == 0:
        per.unpersist()
        return empty_result(spark, "lockstep"), {"lockstep_rate": q, "lockstep_tested": 0}
    lp = adjusted(binom_log10_sf(F.col("m"), F.col("n"), F.lit(q)), tests)
    out = tested.select(
        "user_id", score_of(lp).alias("lockstep_score"), flag_of(lp, cfg.alpha).alias("lockstep_flagged"),
        F.concat(F.lit("lockstep: in step with "), F.col("m").cast("string"), F.lit(" of the "), F.col("n").cast("string"),
                 F.lit(" sampled accounts it co-plays with (up to "), F.col("max_tracks").cast("string"),
                 F.lit(f" tracks started within {int(cfg.lockstep_window_s)} s of each other, over up to "),
                 F.format_number("max_span_h", 0),
                 F.lit(f" hours; ordinary listeners: {q:.4f} of such pairs); binomial p "), fmt_p(lp),
                 F.lit(f" after {tests:,} tests")).alias("lockstep_evidence"))
    return out, {"lockstep_rate": q, "lockstep_tested": tests}
