"""Structure-only farm detection (no follow times): near-identical audiences with no tail.

CopyCatch (Beutel et al., WWW 2013) finds groups of accounts that act on the same targets
at the same times. Without times, what is left of a farm is its shape: many accounts
following the same set of accounts. Real interest communities make dense blocks too
(fans of one scene follow its artists; FRAUDAR, Hooi et al. KDD 2016, peels them out like
farms), so density alone is no evidence. Two things a farm does that an interest community
does not, both read from the graph's own co-follow neighbourhoods rather than from a
configuration model:

1. **Audience identity of the targets** (seeding, camouflage-proof). Two accounts the farm
   boosts have nearly the same followers: the farm, plus their few organic fans. Target
   pairs with Jaccard of their follower sets >= ``min_target_jaccard`` (and at least
   ``min_shared_followers`` shared) are joined into candidate cores (connected components).
   Camouflage (bots also following popular or random accounts) changes the bots' follow
   lists, not the boosted accounts' audiences, so it cannot hide the core (FRAUDAR's point,
   reached through the audience side).
2. **No tail of partial fans** (the community null). "Would real users with these interests
   co-follow like this?": the users with these interests are the accounts that follow any
   of the core. In a real community, how many of the core's accounts a user follows varies
   smoothly: for every user following most of the core there are others following a
   fifth to a half of it. A farm is a step: its members follow most of the core, the
   targets' organic fans one or two. Per core ``T``: ``G`` = accounts following at least
   ``core_share`` of T, ``M`` = accounts following at least ``tail_share`` but less than
   ``core_share`` of it; the tail ratio ``|M| / |G|`` must be <= ``max_tail_ratio``.
   Besides, G must be most of the core's audience: the median over ``x`` in T of
   ``|followers(x) & G| / |followers(x)|`` (exclusivity) >= ``min_exclusivity``.

A chance guard on top: the G x T block's follows against a configuration model (each
follower u follows x with probability ``d_u k_x / E``): Poisson upper tail, Bonferroni
over the cores tested, <= ``alpha``. It rules out coincidences of small accounts; the
community guard is (2), whose false-positive rate is measured on real backgrounds without
farms (``python -m bench network_quality``: real accounts flagged).

Scale (Spark, nothing whole on the driver): target pairs by a self-join of the follows on
the follower, limited to targets with ``min_target_followers..max_target_followers``
followers (hot accounts are no farm's target: a farm of that size is caught by the other
detectors or a larger cap) and to followers with at most ``max_follows_paired`` such
follows (heaviest followers leave the pair mining, not the membership test); components by
min-label propagation (one join + aggregation per pass); per-core figures by joins and
aggregations; only one row per core reaches the driver (the Poisson tail), and the candidate
pair graph (near-identical audiences only, not the follow graph) when it has at most
``max_driver_pairs`` pairs (else its components are found on Spark too). Cores above
``max_core_targets`` targets are reported, not tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window
from scipy.sparse.csgraph import connected_components
from scipy.stats import poisson

OUT_COLUMNS = ["user_id", "cofollow_score", "cofollow_flagged", "cofollow_group", "core_targets", "group_accounts",
               "followed_in_core", "cofollow_evidence"]
CORE_COLUMNS = ["core_id", "core_targets", "reciprocal_accounts", "group_accounts", "tail_accounts", "tail_ratio",
                "exclusivity", "block_follows", "expected_follows", "log10_p_adjusted", "passed", "reason"]


@dataclass(frozen=True)
class CofollowConfig:
    min_target_followers: int = 5
    max_target_followers: int = 20_000
    max_follows_paired: int = 5_000
    min_shared_followers: int = 5
    min_target_jaccard: float = 0.3
    min_core_targets: int = 8
    max_core_targets: int = 5_000
    min_group_accounts: int = 10
    core_share: float = 0.5
    tail_share: float = 0.2
    max_tail_ratio: float = 0.5
    min_exclusivity: float = 0.6
    alpha: float = 0.01
    max_passes: int = 30
    max_driver_pairs: int = 2_000_000


OUT_SCHEMA = ("user_id long, cofollow_score double, cofollow_flagged boolean, cofollow_group long, core_targets long, "
              "group_accounts long, followed_in_core long, cofollow_evidence string")
CORE_SCHEMA = ("core_id long, core_targets long, reciprocal_accounts long, group_accounts long, tail_accounts long, "
               "tail_ratio double, exclusivity double, block_follows long, expected_follows double, "
               "log10_p_adjusted double, passed boolean, reason string")


def _empty(spark) -> tuple[DataFrame, DataFrame]:
    return spark.createDataFrame([], OUT_SCHEMA), spark.createDataFrame([], CORE_SCHEMA)


def _components_local(pairs: DataFrame) -> DataFrame:
    """(node, comp) of a bounded candidate pair graph, on the driver (scipy), back as Spark."""
    pdf = pairs.toPandas()
    nodes = np.unique(np.concatenate([pdf["a"].to_numpy(), pdf["b"].to_numpy()]))
    ia, ib = np.searchsorted(nodes, pdf["a"].to_numpy()), np.searchsorted(nodes, pdf["b"].to_numpy())
    g = sp.coo_matrix((np.ones(len(pdf)), (ia, ib)), shape=(len(nodes), len(nodes)))
    _, lab = connected_components(g, directed=False)
    first = np.full(lab.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lab, nodes)  # a component is named by its smallest account id
    out = pd.DataFrame({"node": nodes.astype("int64"), "comp": first[lab]})
    return pairs.sparkSession.createDataFrame(out, "node long, comp long")


def _components(pairs: DataFrame, max_passes: int) -> DataFrame:
    """(node, comp): min-label propagation over undirected pairs (a, b)."""
    und = pairs.select(F.col("a").alias("src"), F.col("b").alias("dst")).unionByName(
        pairs.select(F.col("b").alias("src"), F.col("a").alias("dst")))
    und = und.localCheckpoint()
    labels = und.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("comp")).withColumnRenamed(
        "src", "node").localCheckpoint()
    for _ in range(max_passes):
        prop = und.join(labels.withColumnRenamed("node", "dst"), "dst").groupBy("src").agg(
            F.min("comp").alias("cand"))
        new = labels.join(prop.withColumnRenamed("src", "node"), "node", "left").select(
            "node", F.least("comp", F.coalesce("cand", "comp")).alias("comp")).localCheckpoint()
        changed = new.join(labels.withColumnRenamed("comp", "old"), "node").where("comp <> old").limit(1).count()
        labels = new
        if not changed:
            break
    return labels


def cofollow_spark(edges: DataFrame, cfg: CofollowConfig = CofollowConfig()) -> tuple[DataFrame, DataFrame]:
    """(flagged accounts with OUT_COLUMNS, one row per tested core with CORE_COLUMNS), both
    Spark DataFrames: nothing but counts reaches the driver (and the candidate pair graph
    when it has at most ``max_driver_pairs`` pairs).

    ``edges``: a Spark DataFrame with ``follower_id, followee_id`` (duplicates count once)."""
    spark = edges.sparkSession
    e = edges.select(F.col("follower_id").cast("long").alias("u"), F.col("followee_id").cast("long").alias("x")) \
        .where("u <> x").distinct().localCheckpoint()
    total = e.count()
    if total == 0:
        return _empty(spark)
    k = e.groupBy("x").agg(F.count("*").alias("k"))
    d = e.groupBy("u").agg(F.count("*").alias("d"))
    elig = e.join(k.where((F.col("k") >= cfg.min_target_followers) & (F.col("k") <= cfg.max_target_followers)), "x")
    paired_by = elig.groupBy("u").agg(F.count("*").alias("n")).where(F.col("n") <= cfg.max_follows_paired).select("u")
    ep = elig.join(paired_by, "u").select("u", "x", "k")
    a, b = ep.alias("a"), ep.alias("b")
    shared = a.join(b, (F.col("a.u") == F.col("b.u")) & (F.col("a.x") < F.col("b.x"))).groupBy(
        F.col("a.x").alias("a"), F.col("b.x").alias("b")).agg(F.count("*").alias("n")).where(
        F.col("n") >= cfg.min_shared_followers)
    kk = k.select(F.col("x").alias("a"), F.col("k").alias("ka"))
    shared = shared.join(kk, "a").join(
        kk.select(F.col("a").alias("b"), F.col("ka").alias("kb")), "b")
    pairs = shared.where(F.col("n") >= cfg.min_shared_followers).where(
        F.col("n") / (F.col("ka") + F.col("kb") - F.col("n")) >= cfg.min_target_jaccard).select("a", "b")
    pairs = pairs.localCheckpoint()
    n_pairs = pairs.count()
    if n_pairs == 0:
        return _empty(spark)
    comp = _components_local(pairs) if n_pairs <= cfg.max_driver_pairs else _components(pairs, cfg.max_passes)
    sizes = comp.groupBy("comp").agg(F.count("*").alias("t"))
    comp = comp.join(sizes.where(F.col("t") >= cfg.min_core_targets), "comp")
    # reciprocal accounts: a core account that itself follows >= tail_share of its core is on
    # the group's side (farm members following each other), not a boosted target; it leaves the
    # core (else the members dilute their own core and hide in its tail) and is tested as a
    # follower like any other. A core left with fewer than min_core_targets keeps every account.
    recip = e.join(comp.select(F.col("node").alias("u"), "comp", "t"), "u").join(
        comp.select(F.col("node").alias("x"), "comp"), ["x", "comp"]).groupBy("comp", "u").agg(
        F.count("*").alias("c"), F.first("t").alias("t")).where(F.col("c") >= F.col("t") * cfg.tail_share).select(
        "comp", F.col("u").alias("node"))
    rest = comp.join(recip, ["comp", "node"], "left_anti")
    left = rest.groupBy("comp").agg(F.count("*").alias("t2")).where(F.col("t2") >= cfg.min_core_targets)
    n_recip = comp.groupBy("comp").agg(F.first("t").alias("t0")).join(left, "comp").select(
        "comp", (F.col("t0") - F.col("t2")).alias("reciprocal_accounts"))
    comp = rest.join(left, "comp").select("comp", "node", F.col("t2").alias("t")).unionByName(
        comp.join(left, "comp", "left_anti").select("comp", "node", "t")).cache()
    big = comp.where(F.col("t") > cfg.max_core_targets).select("comp", "t").distinct()
    comp = comp.where(F.col("t") <= cfg.max_core_targets).select(F.col("node").alias("x"), "comp", "t")
    # per (core, account): how many of the core it follows
    cnt = e.join(comp, "x").groupBy("comp", "u").agg(F.count("*").alias("c"), F.first("t").alias("t"))
    cnt = cnt.where(F.col("c") >= F.col("t") * cfg.tail_share).cache()
    in_g = F.col("c") >= F.col("t") * cfg.core_share
    members = cnt.where(in_g).select("comp", "u", "c")
    core = cnt.groupBy("comp").agg(
        F.first("t").alias("core_targets"), F.sum(in_g.cast("long")).alias("group_accounts"),
        F.sum((~in_g).cast("long")).alias("tail_accounts"),
        F.sum(F.when(in_g, F.col("c")).otherwise(0)).alias("block_follows"))
    # exclusivity: per core target, the share of its followers that are group members
    excl = e.join(comp.select("x", "comp"), "x").join(members.select("comp", "u"), ["comp", "u"], "left_semi") \
        .groupBy("comp", "x").agg(F.count("*").alias("in_g")).join(k, "x") \
        .groupBy("comp").agg(F.percentile_approx(F.col("in_g") / F.col("k"), 0.5, 10_000).alias("exclusivity"))
    # configuration-model expectation of the block's follows: sum_u d_u * sum_x k_x / E
    du = members.join(d, "u").groupBy("comp").agg(F.sum("d").alias("sum_d"))
    kx = comp.join(k, "x").groupBy("comp").agg(F.sum("k").alias("sum_k"))
    cores = core.join(excl, "comp", "left").join(du, "comp", "left").join(kx, "comp", "left").join(
        n_recip, "comp", "left").fillna({"exclusivity": 0.0, "sum_d": 0, "sum_k": 0, "group_accounts": 0,
                                         "tail_accounts": 0, "block_follows": 0, "reciprocal_accounts": 0})
    cores = cores.withColumn("expected_follows", F.col("sum_d").cast("double") * F.col("sum_k").cast("double")
                             / F.lit(float(total))).localCheckpoint()
    tests = max(1, cores.count())
    cores = cores.withColumn("log10_p_adjusted", F.when(F.col("block_follows") > 0, _log10_p_adjusted(
        F.col("block_follows").cast("double"), F.col("expected_follows"), F.lit(float(tests)))).otherwise(F.lit(0.0)))
    cores = cores.withColumn("tail_ratio", F.col("tail_accounts") / F.greatest(F.col("group_accounts"), F.lit(1)))
    why = [
        F.when(F.col("group_accounts") < cfg.min_group_accounts, F.format_string(
            f"group of %d < {cfg.min_group_accounts} accounts", "group_accounts")),
        F.when(F.col("tail_ratio") > cfg.max_tail_ratio, F.format_string(
            f"tail of partial followers %.2f > {cfg.max_tail_ratio} (an interest community)", "tail_ratio")),
        F.when(F.col("exclusivity") < cfg.min_exclusivity, F.format_string(
            f"group is %.0f%% of the core's audience < {_pct(cfg.min_exclusivity)}", F.col("exclusivity") * 100)),
        F.when(F.col("log10_p_adjusted") > math.log10(cfg.alpha), F.concat(
            F.lit("block not significant (adjusted p "), _p_words(F.col("log10_p_adjusted")), F.lit(")"))),
    ]
    cores = cores.withColumn("reason", F.concat_ws("; ", *why)).withColumn("passed", F.col("reason") == "")
    cores = cores.withColumnRenamed("comp", "core_id").select(*CORE_COLUMNS)
    big = big.select(F.col("comp").alias("core_id"), F.col("t").alias("core_targets"),
                     F.lit(0).cast("long").alias("reciprocal_accounts"), F.lit(False).alias("passed"),
                     F.lit(f"core above max_core_targets {cfg.max_core_targets}: not tested").alias("reason"))
    cores = cores.unionByName(big, allowMissingColumns=True).select(*CORE_COLUMNS).localCheckpoint()
    ok = cores.where("passed")
    flagged = members.withColumnRenamed("comp", "core_id").join(ok, "core_id").select(
        F.col("u").alias("user_id"), F.col("c").alias("followed_in_core"), *[F.col(c) for c in CORE_COLUMNS])
    pick = Window.partitionBy("user_id").orderBy("log10_p_adjusted", "core_id")
    r = flagged.withColumn("i", F.row_number().over(pick)).where(F.col("i") == 1)
    sh = lambda c: F.format_string("%.0f%%", F.col(c) * 100)  # noqa: E731
    evidence = F.concat(
        F.format_string("one of %d accounts that each follow at least %d of the same %d accounts (this one %d); those "
                        "accounts have near-identical audiences and this group is ", "group_accounts",
                        F.ceil(F.col("core_targets") * F.lit(cfg.core_share)).cast("long"), "core_targets",
                        "followed_in_core"), sh("exclusivity"),
        F.format_string(f" of them; only %d other accounts follow {_pct(cfg.tail_share)}-{_pct(cfg.core_share)} of "
                        "them (a real interest community has a tail of partial fans); %d follows in the block where a "
                        "configuration model predicts %.1f, adjusted p ",
                        "tail_accounts", "block_follows", "expected_follows"),
        _p_words(F.col("log10_p_adjusted")),
        F.when(F.col("reciprocal_accounts") > 0, F.format_string(
            "; %d accounts with these audiences also follow the core themselves (the group follows itself)",
            "reciprocal_accounts")).otherwise(F.lit("")))
    out = r.select(
        "user_id", (1.0 - F.pow(F.lit(10.0), F.col("log10_p_adjusted"))).alias("cofollow_score"),
        F.lit(True).alias("cofollow_flagged"), F.col("core_id").cast("long").alias("cofollow_group"), "core_targets",
        "group_accounts", "followed_in_core", evidence.alias("cofollow_evidence"))
    return out, cores


@F.pandas_udf(T.DoubleType())
def _log10_p_adjusted(observed: pd.Series, lam: pd.Series, tests: pd.Series) -> pd.Series:
    """Bonferroni-adjusted log10 Poisson upper tail P(X >= observed), floored at 10^-400
    (float64 underflows past ~10^-308) and capped at 0."""
    lp = poisson.logsf(observed.to_numpy(dtype=float) - 1, np.maximum(lam.to_numpy(dtype=float), 1e-12))
    return pd.Series(np.clip((lp + np.log(tests.to_numpy(dtype=float))) / math.log(10), -400.0, 0.0))


def _pct(share: float) -> str:
    """``share`` in percent as a literal of a Java format string (``%`` escaped)."""
    return f"{share:.0%}".replace("%", "%%")


def _p_words(log10_p) -> F.Column:
    return F.when(log10_p < -300, F.lit("< 10^-300")).otherwise(F.format_string("10^%.1f", log10_p))


def cofollow(edges: DataFrame, cfg: CofollowConfig = CofollowConfig()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``cofollow_spark`` collected (for tests and benchmarks on small graphs): (flagged
    accounts with OUT_COLUMNS, one row per tested core with CORE_COLUMNS) as pandas."""
    flagged, cores = cofollow_spark(edges, cfg)
    f = flagged.toPandas().sort_values("user_id").reset_index(drop=True)
    c = cores.toPandas().sort_values("core_id").reset_index(drop=True)
    return (f if len(f) else pd.DataFrame(columns=OUT_COLUMNS)), (c if len(c) else pd.DataFrame(columns=CORE_COLUMNS))
