"""Per-track concentration: whose royalty plays a track earns, and accounts whose money goes
to tracks that live off suspicious accounts.

A track's *captivity* is the share of its royalty plays made by the accounts another
detector already flagged (``suspects``). A farm's tracks have almost no audience outside the
farm (Deezer reports 70-85% of the streams of AI-generated tracks as fraud), while tracks
that honest crowds share (a sleep playlist, an album superfans loop, a pushed playlist)
keep an organic audience beside any group. A track is *captive* when the suspects earn it
the majority (``captive_share``, 1/2) of its royalty plays. (Captivity counts money, not
heads. On the simulator, seed 3, uncorroborated twins among the suspects let a sleep
playlist's loopers make its tracks captive, 39 of 160 sleep-loop accounts flagged; also
requiring the suspects to be most of a track's accounts cut it to 1, but bots that out-stream
a broad, light organic audience would then escape. The suspects are fixed instead
(``blocks.corroborated_blocks``): none flagged, by plays alone.)

* ``captive_shares``: per account, ``k`` royalty plays on captive tracks of its ``n``.
* ``track_concentration`` (detector): an account sends most of its royalty plays to captive
  tracks (``k / n >= captive_share``) and more than ordinary listeners do: ``Binomial(n, q)``
  upper tail with ``q`` the pooled captive share of the accounts that are not suspects
  (floor ``block_min_twin_rate``); Bonferroni over the accounts with a captive play. This
  catches farm bots that look ordinary one by one (few plays per track, rest at night)
  but stream the same captive catalogue as the flagged ones.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig
from assets.streams.stats import adjusted, binom_log10_sf, empty_result, flag_of, fmt_p, score_of


def captive_shares(plays: DataFrame, suspects: DataFrame, cfg: StreamConfig) -> DataFrame:
    """(user_id, k, n, captive_tracks): royalty plays on captive tracks, royalty plays."""
    rp = (plays.where(F.col("ms_played") >= cfg.min_royalty_ms).groupBy("user_id", "track_id")
          .agg(F.count(F.lit(1)).alias("r")))
    s = suspects.select("user_id", F.lit(1).alias("_s"))
    per_track = rp.join(s, "user_id", "left").groupBy("track_id").agg(
        (F.sum(F.when(F.col("_s") == 1, F.col("r")).otherwise(0)) / F.sum("r")).alias("kappa"))
    captive = per_track.where(F.col("kappa") >= cfg.captive_share).select("track_id", F.lit(1).alias("_c"))
    return rp.join(captive, "track_id", "left").groupBy("user_id").agg(
        F.sum(F.when(F.col("_c") == 1, F.col("r")).otherwise(0)).alias("k"), F.sum("r").alias("n"),
        F.sum(F.coalesce("_c", F.lit(0))).alias("captive_tracks"))


def track_concentration(shares: DataFrame, suspects: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    s = suspects.select("user_id", F.lit(1).alias("_s"))
    sh = shares.join(s, "user_id", "left")
    base = sh.where(F.col("_s").isNull()).agg(F.sum("k"), F.sum("n")).first()
    q = max(cfg.block_min_twin_rate, (base[0] or 0) / base[1] if base[1] else 1.0)
    tested = shares.where(F.col("k") > 0)
    tests = tested.count()
    if tests == 0:
        return empty_result(shares.sparkSession, "track_concentration"), {"track_concentration_rate": q}
    lp = adjusted(binom_log10_sf(F.col("k"), F.col("n"), F.lit(q)), tests)
    major = F.col("k") >= F.lit(cfg.captive_share) * F.col("n")
    out = tested.select(
        "user_id", F.when(major, score_of(lp)).otherwise(0.0).alias("track_concentration_score"),
        (flag_of(lp, cfg.alpha) & major).alias("track_concentration_flagged"),
        F.concat(F.lit("track_concentration: "), F.col("k").cast("string"), F.lit(" of its "), F.col("n").cast("string"),
                 F.lit(" royalty plays go to "), F.col("captive_tracks").cast("string"),
                 F.lit(" tracks that earn most of their royalty plays from flagged accounts (ordinary listeners: "
                       f"{q:.4f} of theirs); binomial p "), fmt_p(lp), F.lit(f" after {tests:,} tests")
                 ).alias("track_concentration_evidence"))
    return out, {"track_concentration_rate": q, "track_concentration_tested": tests}
