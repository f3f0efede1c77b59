"""Per-account behaviour against the population: plays ending just past the royalty line,
days without rest, many accounts on one device.

* ``threshold_skim``: human skips are smooth in time: about as many plays end in the
  ``w`` seconds before the royalty line as in the ``w`` seconds after it (fewer after,
  since skips thin out with time). Per account ``k`` plays end in ``[T, T + w)`` out of
  the ``n`` ending in ``[T - w, T + w)``; null ``Binomial(n, 1/2)`` (no more just after
  than just before). The population's median share ``k / n`` (accounts with ``n >= 5``) is
  reported beside it, not used: when planted accounts are most of those near the line
  (the Last.fm background, planting seed 12) the median is theirs and the test went silent.
  Bonferroni over the tested accounts.
* ``no_rest``: a restless UTC day has plays starting in at least ``restless_hours`` of
  its 24 hours. Per account ``r`` restless days of ``d`` active days; null
  ``Binomial(d, q)`` with ``q`` the restless-day rate of the accounts that rest on most
  of their days (a robust estimate: the tested minority cannot inflate it), never below
  ``min_restless_rate``. Sleep playlists looping all night are restful by day.
* ``shared_device``: accounts per ``device_id``. Households are a few people, and the
  counts of shared devices fall off with size: the ratio ``theta`` of successive counts
  (devices with 3 and 4 accounts over those with 2 and 3) gives a geometric tail
  ``P(C >= c | C >= 2) = theta^(c - 2)``; Bonferroni over shared devices. An account is
  flagged on a flagged device. The ``ip_prefix`` count rides along as evidence only
  (carrier NAT and campus networks put many honest accounts on one prefix).
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig
from assets.streams.stats import adjusted, binom_log10_sf, empty_result, flag_of, fmt_p, score_of


def threshold_skim(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    t, w = cfg.min_royalty_ms, cfg.skim_window_ms
    ms = F.col("ms_played")
    per = plays.groupBy("user_id").agg(
        F.sum(((ms >= t) & (ms < t + w)).cast("long")).alias("k"),
        F.sum(((ms >= t - w) & (ms < t + w)).cast("long")).alias("n"),
        F.sum((ms >= t).cast("long")).alias("roy")).where(F.col("n") > 0).cache()
    med = per.where(F.col("n") >= 5).select(F.percentile_approx(F.col("k") / F.col("n"), 0.5)).first()[0]
    p0 = 0.5
    tests = per.count()
    lp = adjusted(binom_log10_sf(F.col("k"), F.col("n"), F.lit(p0)), tests)
    out = per.select(
        "user_id", score_of(lp).alias("threshold_skim_score"), flag_of(lp, cfg.alpha).alias("threshold_skim_flagged"),
        F.concat(F.lit("threshold_skim: "), F.col("k").cast("string"), F.lit(" of its "), F.col("n").cast("string"),
                 F.lit(f" plays ending within {w // 1000} s of the {t // 1000} s royalty line end just past it "
                       f"(smooth skipping: {p0:.2f}; population median {float(med or 0):.2f}); "), F.col("roy").cast("string"),
                 F.lit(" royalty plays; binomial p "), fmt_p(lp), F.lit(f" after {tests:,} tests")
                 ).alias("threshold_skim_evidence"))
    return out, {"threshold_skim_p0": p0, "threshold_skim_population_median": med, "threshold_skim_tested": tests}


def no_rest(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    days = plays.groupBy("user_id", F.to_date("played_at").alias("day")).agg(
        F.countDistinct(F.hour("played_at")).alias("hours"))
    per = days.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("d"), F.sum((F.col("hours") >= cfg.restless_hours).cast("long")).alias("r"),
        F.max("hours").alias("max_hours")).cache()
    rest = per.where(F.col("r") * 2 <= F.col("d")).agg(F.sum("r"), F.sum("d")).first()
    q = max(cfg.min_restless_rate, (rest[0] or 0) / rest[1] if rest[1] else 1.0)
    tested = per.where(F.col("r") > 0)
    tests = tested.count()
    if tests == 0:
        return empty_result(plays.sparkSession, "no_rest"), {"no_rest_rate": q, "no_rest_tested": 0}
    lp = adjusted(binom_log10_sf(F.col("r"), F.col("d"), F.lit(q)), tests)
    out = tested.select(
        "user_id", score_of(lp).alias("no_rest_score"), flag_of(lp, cfg.alpha).alias("no_rest_flagged"),
        F.concat(F.lit("no_rest: played in "), F.lit(f">= {cfg.restless_hours} of 24 hours on "), F.col("r").cast("string"),
                 F.lit(" of its "), F.col("d").cast("string"),
                 F.lit(f" active days (population rate of such days {q:.3f}); binomial p "), fmt_p(lp),
                 F.lit(f" after {tests:,} tests")).alias("no_rest_evidence"))
    return out, {"no_rest_rate": q, "no_rest_tested": tests}


def shared_device(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    spark = plays.sparkSession
    if "device_id" not in plays.columns:
        return empty_result(spark, "shared_device"), {"shared_device_tested": 0}
    pairs = plays.where(F.col("device_id").isNotNull()).select("user_id", "device_id").distinct()
    dev = pairs.groupBy("device_id").agg(F.count(F.lit(1)).alias("c")).where(F.col("c") >= 2).cache()
    hist = {r["c"]: r["count"] for r in dev.where(F.col("c") <= 4).groupBy("c").count().collect()}
    n2, n3, n4 = hist.get(2, 0), hist.get(3, 0), hist.get(4, 0)
    theta = min(0.95, max(0.05, (n3 + n4) / (n2 + n3) if n2 + n3 else 0.5))
    tests = dev.count()
    if tests == 0:
        return empty_result(spark, "shared_device"), {"shared_device_theta": theta, "shared_device_tested": 0}
    lp = adjusted((F.col("c") - 2) * F.lit(math.log10(theta)), tests)
    dev_t = dev.select("device_id", "c", lp.alias("lp"))
    per = pairs.join(dev_t, "device_id").groupBy("user_id").agg(
        F.min("lp").alias("lp"), F.max_by("device_id", -F.col("lp")).alias("device_id"), F.max("c").alias("c"))
    ip_note = F.lit("")
    if "ip_prefix" in plays.columns:
        ipc = plays.where(F.col("ip_prefix").isNotNull()).select("user_id", "ip_prefix").distinct()
        ip_n = ipc.groupBy("ip_prefix").agg(F.count(F.lit(1)).alias("ip_accounts"))
        top = ipc.join(ip_n, "ip_prefix").groupBy("user_id").agg(F.max("ip_accounts").alias("ip_accounts"))
        per = per.join(top, "user_id", "left")
        ip_note = F.concat(F.lit("; its busiest network id has "), F.coalesce(F.col("ip_accounts"), F.lit(0)).cast("string"),
                           F.lit(" accounts"))
    out = per.select(
        "user_id", score_of(F.col("lp")).alias("shared_device_score"),
        flag_of(F.col("lp"), cfg.alpha).alias("shared_device_flagged"),
        F.concat(F.lit("shared_device: device "), F.col("device_id"), F.lit(" is used by "), F.col("c").cast("string"),
                 F.lit(f" accounts (households: each further account {theta:.2f} as likely); p "), fmt_p(F.col("lp")),
                 F.lit(f" after {tests:,} shared devices"), ip_note).alias("shared_device_evidence"))
    return out, {"shared_device_theta": theta, "shared_device_tested": tests}
