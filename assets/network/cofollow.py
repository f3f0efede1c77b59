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


def _p_words(log10_p: float) -> str:
    return "< 10^-300" if log10_p < -300 else f"10^{log10_p:.1f}"


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


def cofollow(edges: DataFrame, cfg: CofollowConfig = CofollowConfig()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flagged accounts as pandas with OUT_COLUMNS, one row per tested core with CORE_COLUMNS).

    ``edges``: a Spark DataFrame with ``follower_id, followee_id`` (duplicates count once).
    Only accounts of passing cores come back (bounded by what is flagged)."""
    e = edges.select(F.col("follower_id").cast("long").alias("u"), F.col("followee_id").cast("long").alias("x")) \
        .where("u <> x").distinct().localCheckpoint()
    total = e.count()
    if total == 0:
        return pd.DataFrame(columns=OUT_COLUMNS), pd.DataFrame(columns=CORE_COLUMNS)
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
        return pd.DataFrame(columns=OUT_COLUMNS), pd.DataFrame(columns=CORE_COLUMNS)
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
    big = comp.where(F.col("t") > cfg.max_core_targets).select("comp", "t").distinct().toPandas()
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
        n_recip, "comp", "left").toPandas()
    if cores.empty and big.empty:
        return pd.DataFrame(columns=OUT_COLUMNS), pd.DataFrame(columns=CORE_COLUMNS)
    cores = cores.fillna({"exclusivity": 0.0, "sum_d": 0, "sum_k": 0, "group_accounts": 0, "tail_accounts": 0,
                          "block_follows": 0, "reciprocal_accounts": 0})
    cores["expected_follows"] = cores["sum_d"].astype(float) * cores["sum_k"].astype(float) / total
    tests = max(1, len(cores))
    cores["log10_p_adjusted"] = [  # floored at 10^-400 (float64 underflows past ~10^-308)
        max(-400.0, min(0.0, (poisson.logsf(o - 1, max(lam, 1e-12)) + math.log(tests)) / math.log(10))) if o > 0
        else 0.0 for o, lam in zip(cores["block_follows"], cores["expected_follows"], strict=True)]
    cores["tail_ratio"] = cores["tail_accounts"] / cores["group_accounts"].clip(lower=1)
    reasons = []
    for r in cores.itertuples():
        why = []
        if r.group_accounts < cfg.min_group_accounts:
            why.append(f"group of {r.group_accounts} < {cfg.min_group_accounts} accounts")
        if r.tail_ratio > cfg.max_tail_ratio:
            why.append(f"tail of partial followers {r.tail_ratio:.2f} > {cfg.max_tail_ratio} (an interest community)")
        if r.exclusivity < cfg.min_exclusivity:
            why.append(f"group is {r.exclusivity:.0%} of the core's audience < {cfg.min_exclusivity:.0%}")
        if r.log10_p_adjusted > math.log10(cfg.alpha):
            why.append(f"block not significant (adjusted p {_p_words(r.log10_p_adjusted)})")
        reasons.append("; ".join(why))
    cores["reason"] = reasons
    cores["passed"] = cores["reason"] == ""
    cores = cores.rename(columns={"comp": "core_id"})
    if not big.empty:
        cores = pd.concat([cores, pd.DataFrame({
            "core_id": big["comp"], "core_targets": big["t"], "reciprocal_accounts": 0, "passed": False,
            "reason": f"core above max_core_targets {cfg.max_core_targets}: not tested"})], ignore_index=True)
    cores = cores[CORE_COLUMNS].sort_values("core_id").reset_index(drop=True)
    ok = cores.loc[cores["passed"], ["core_id"]]
    if ok.empty:
        return pd.DataFrame(columns=OUT_COLUMNS), cores
    spark = edges.sparkSession
    flagged = members.join(spark.createDataFrame(ok.astype({"core_id": "int64"})).withColumnRenamed("core_id", "comp"),
                           "comp").toPandas().rename(columns={"comp": "core_id", "u": "user_id", "c": "followed_in_core"})
    res = flagged.merge(cores, on="core_id").sort_values(["user_id", "log10_p_adjusted"]).drop_duplicates("user_id")
    res["cofollow_flagged"] = True
    res["cofollow_score"] = 1.0 - res["log10_p_adjusted"].map(lambda v: 10.0 ** v)
    res["cofollow_group"] = res["core_id"].astype("int64")
    res["cofollow_evidence"] = [
        f"one of {r.group_accounts} accounts that each follow at least {math.ceil(r.core_targets * cfg.core_share)} "
        f"of the same {r.core_targets} accounts (this one {r.followed_in_core}); those accounts have near-identical "
        f"audiences and this group is {r.exclusivity:.0%} of them; only {r.tail_accounts} other accounts follow "
        f"{cfg.tail_share:.0%}-{cfg.core_share:.0%} of them (a real interest community has a tail of partial fans); "
        f"{r.block_follows} follows in the block where a configuration model predicts {r.expected_follows:.1f}, "
        f"adjusted p {_p_words(r.log10_p_adjusted)}"
        + (f"; {r.reciprocal_accounts} accounts with these audiences also follow the core themselves (the group "
           f"follows itself)" if r.reciprocal_accounts else "")
        for r in res.itertuples()]
    return res[OUT_COLUMNS].reset_index(drop=True), cores
