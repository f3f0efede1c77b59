"""Dense account x track blocks: accounts whose repertoire nearly coincides with many others'.

A farm (thousands of accounts on the same few dozen tracks, or bots drawing from one pool of
a label network's tracks) is a dense block of the account x track graph: its members share
most of their repertoire with each other. Taste communities share tracks too, but people
of one scene still differ: two listeners of the same sleep playlist or the same album
share a part of their repertoire, rarely most of it.

The repertoire of an account is the set of tracks it returned to: royalty plays on at
least ``block_min_days`` distinct days. A playlist push or a viral track that thousands
start once is not anyone's repertoire, so those crowds are no block.

Computed without all pairs (Spark, linear in the plays): a uniform random sample of
accounts, the pivots (``block_pivot_share``, by a hash of the id), and for each account its
shared royalty tracks with each pivot it co-listens with (one join on track). A pair are
*twins* when they share at least ``block_twin_jaccard`` of their combined repertoire
(Jaccard of their repertoires, both with at least ``block_min_tracks`` tracks). (The
overlap coefficient, which would also catch light farm accounts inside a heavy one's
repertoire, made twins common among honest listeners on the simulator and broke the
robust null; light farm accounts are caught by ``track_concentration`` instead.)

Twins alone are no proof: people who loop the same sleep playlist are twins too, and their
block has the same shape as a swarm's (a few dozen tracks, most of everyone's repertoire,
little audience beside it). Two further conditions (``detect.py``), neither about the
shape: the block must hold accounts flagged for machine behaviour (lockstep, no_rest,
threshold_skim, shared_device) beyond chance (``corroborated_blocks``: the block of a pivot
is the pivot and its twins; ``M`` machine-flagged of its ``S`` accounts against
``Binomial(S, q)``, ``q`` the machine-flag rate of the accounts in no block; Bonferroni over
the blocks), and most of the twin's royalty plays must go to captive tracks
(``concentration.py``: tracks that earn most of their royalty plays from suspected
accounts). Only corroborated twins are suspects for captivity: uncorroborated twins made
the sleep playlists' tracks captive (simulator seed 3: 40 of 160 sleep-loop accounts were
twins, 1 to 39 of them flagged by the money test depending on the captivity rule; with
corroboration none, every scheme still found).

Test per account: ``m`` twin pivots out of the ``n`` pivots it co-listens with, against
``Binomial(n, q)`` where ``q`` is the twin rate of co-listening pairs among accounts that
have at most one twin pivot (the population of ordinary listeners, communities included,
robust to the farms being tested), never below ``block_min_twin_rate``; Bonferroni over
every tested account. Evidence names the twin count and the mean Jaccard with twins.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig
from assets.streams.stats import adjusted, binom_log10_sf, empty_result, flag_of, fmt_p, score_of


def dense_block(plays: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    spark = plays.sparkSession
    ut = (plays.where(F.col("ms_played") >= cfg.min_royalty_ms)
          .groupBy("user_id", "track_id").agg(F.countDistinct(F.to_date("played_at")).alias("days"))
          .where(F.col("days") >= cfg.block_min_days).select("user_id", "track_id"))
    deg = ut.groupBy("user_id").agg(F.count(F.lit(1)).alias("d")).where(F.col("d") >= cfg.block_min_tracks)
    ut = ut.join(deg, "user_id").cache()
    bucket = 1_000_000
    piv = ut.where((F.abs(F.xxhash64("user_id", F.lit(cfg.block_seed))) % bucket) < int(cfg.block_pivot_share * bucket))
    piv = piv.select(F.col("user_id").alias("v"), "track_id", F.col("d").alias("dv"))
    pairs = (ut.join(piv, "track_id").where(F.col("user_id") != F.col("v"))
             .groupBy("user_id", "v").agg(F.count(F.lit(1)).alias("c"), F.first("d").alias("d"),
                                          F.first("dv").alias("dv")))
    pairs = pairs.withColumn("j", F.col("c") / (F.col("d") + F.col("dv") - F.col("c")))  # Jaccard
    per = pairs.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("n"), F.sum((F.col("j") >= cfg.block_twin_jaccard).cast("long")).alias("m"),
        F.avg(F.when(F.col("j") >= cfg.block_twin_jaccard, F.col("j"))).alias("mean_j"),
        F.max("j").alias("max_j"), F.first("d").alias("d"),
        F.collect_set(F.when(F.col("j") >= cfg.block_twin_jaccard, F.col("v"))).alias("twin_pivots")).cache()
    base = per.where(F.col("m") <= 1).agg(F.sum("m"), F.sum("n")).first()
    # no ordinary population to compare with: no evidence (q = 1)
    q = max(cfg.block_min_twin_rate, (base[0] or 0) / base[1] if base[1] else 1.0)
    tested = per.where(F.col("m") > 0)
    tests = per.count()
    if tests == 0:
        return (empty_result(spark, "dense_block").withColumn("dense_block_twins", F.array().cast("array<long>")),
                {"dense_block_twin_rate": q, "dense_block_tested": 0})
    lp = adjusted(binom_log10_sf(F.col("m"), F.col("n"), F.lit(q)), tests)
    out = tested.select(
        "user_id", score_of(lp).alias("dense_block_score"), flag_of(lp, cfg.alpha).alias("dense_block_flagged"),
        F.concat(F.lit("dense_block: shares most of its repertoire ("), F.col("d").cast("string"),
                 F.lit(" royalty tracks) with "), F.col("m").cast("string"), F.lit(" of the "), F.col("n").cast("string"),
                 F.lit(" sampled accounts it co-listens with (mean Jaccard "), F.format_number("mean_j", 2),
                 F.lit(f"; ordinary listeners: {q:.4f} of such pairs); binomial p "), fmt_p(lp),
                 F.lit(f" after {tests:,} tests")).alias("dense_block_evidence"),
        F.col("twin_pivots").cast("array<long>").alias("dense_block_twins"))
    return out, {"dense_block_twin_rate": q, "dense_block_tested": tests}


def corroborated_blocks(twins: DataFrame, machine: DataFrame, cfg: StreamConfig) -> tuple[DataFrame, dict]:
    """Which twins sit in a block that holds accounts flagged for machine behaviour.

    ``twins``: (user_id, dense_block_twins: the pivots it is twin with); ``machine``: (user_id,
    machine: flagged by a behaviour or timing detector), one row per account. The block of a
    pivot ``v`` is ``v`` and its twins (``S`` accounts); ``M`` of them are machine-flagged.
    Null: ``Binomial(S, q)``, ``q`` the machine-flag rate of the accounts in no block (never below
    ``block_min_machine_rate``); Bonferroni over the blocks. Returns (user_id,
    block_corroborated, block_evidence) for the accounts of a tested block (the best one)."""
    spark = twins.sparkSession
    members = twins.select("user_id", F.explode("dense_block_twins").alias("v"))
    members = members.unionByName(members.select(F.col("v").alias("user_id"), "v")).distinct()
    m = machine.select("user_id", F.col("machine").cast("long").alias("mm"))
    outside = m.join(members.select("user_id").distinct(), "user_id", "left_anti").agg(F.sum("mm"), F.count(F.lit(1))).first()
    q = max(cfg.block_min_machine_rate, (outside[0] or 0) / outside[1] if outside[1] else 1.0)
    blocks = members.join(m, "user_id", "left").groupBy("v").agg(
        F.count(F.lit(1)).alias("s"), F.sum(F.coalesce("mm", F.lit(0))).alias("hits")).cache()
    tests = blocks.count()
    schema = "user_id long, block_corroborated boolean, block_evidence string"
    if tests == 0:
        return spark.createDataFrame([], schema), {"dense_block_machine_rate": q, "dense_block_blocks": 0}
    lp = adjusted(binom_log10_sf(F.col("hits"), F.col("s"), F.lit(q)), tests)
    blocks = blocks.select("v", "s", "hits", lp.alias("lp"))
    best = members.join(blocks, "v").groupBy("user_id").agg(
        F.min_by(F.struct("lp", "v", "s", "hits"), F.col("lp")).alias("b"))
    out = best.select(
        "user_id", flag_of(F.col("b.lp"), cfg.alpha).alias("block_corroborated"),
        F.concat(F.lit("its block (twins of sampled account "), F.col("b.v").cast("string"), F.lit(") holds "),
                 F.col("b.hits").cast("string"), F.lit(" of "), F.col("b.s").cast("string"),
                 F.lit(f" accounts flagged for machine behaviour (accounts in no block: {q:.4f}); binomial p "),
                 fmt_p(F.col("b.lp")), F.lit(f" after {tests:,} blocks")).alias("block_evidence"))
    return out, {"dense_block_machine_rate": q, "dense_block_blocks": tests}


