"""Dense suspicious blocks: FRAUDAR blocks, then a co-follow test inside each block.

FRAUDAR (``assets/network/fraudar.py``, Hooi et al. 2016) peels the follower -> followee
graph down to its densest camouflage-resistant blocks. On a real follow graph those blocks
are often communities (fans of one scene follow the same artists), so membership alone is
no evidence. Inside each block we ask, per account, whether it shares far more of the
block's followed accounts with some other member than chance explains:

* null model (configuration model of the whole graph): row ``u`` with out-degree ``d_u``
  follows column ``x`` with probability ``q_ux = min(1, d_u * k_x / E)`` (``k_x`` its
  in-degree, ``E`` all edges), independently. The expected number of the block's columns
  two rows share is ``lambda_uv = sum_x q_ux q_vx``; the observed number ``c_uv`` is
  compared with Poisson(lambda_uv) (upper tail).
* per account: the smallest pair p-value, times (rows - 1) partners, times every row of
  every block tested (Bonferroni); flagged when that is <= ``alpha``.
* limitation: the null knows no communities. Fans of one scene who follow many of its
  artists share more than a configuration model predicts (on the simulator, which is
  strongly local, most heavy fans fire), which is why ``bots.py`` does not let this
  detector flag on its own by default.

Two implementations with the same output columns:

* ``dense_blocks(src, dst, cfg)``: numpy/scipy over arrays in one process (FRAUDAR's exact
  greedy on the whole graph, dense pair matrices per block): the reference;
* ``dense_blocks_spark(edges_df, cfg, stats=None)``: nothing holds the whole graph.
  ``find_blocks_spark`` peels the graph on Spark (``peeling.py``: Bahmani-Kumar-Vassilvitskii
  passes with FRAUDAR's weights) until at most ``collect_edges`` follows are left, collects
  that residual and runs FRAUDAR's exact greedy on it (weights from the WHOLE graph's
  in-degrees, ``fraudar(column_indegree=...)``) for up to ``blocks`` blocks. With
  ``collect_edges = 0`` every block is the densest pass of a pure Spark peel (a
  ``2 (1 + eps)``-approximation; its edges removed before the next). ``cofollow_test_spark``
  then runs the per-member test above as Spark joins: shared columns per pair by a self-join
  on (block, column); ``lambda_uv`` in O(1) per pair from per-block prefix sums of
  ``pi_x = k_x / E`` sorted descending (the cap ``min(1, d_u pi_x)`` binds on the ``c_u``
  most followed columns, ``c_u`` = columns with ``k_x d_u > E``); the Poisson tail in a
  pandas UDF (scipy). Cost per block: its rows x columns (the cap counts) plus its pairs
  sharing a column (``sum_x rows_x**2``); a block above ``max_pair_rows`` of those, or
  above ``max_block_rows`` rows, is not tested (as the pandas guard).
  Inputs: ``edges_df(follower_id, followee_id)`` (distinct or not; pairs count once).
  Output: a Spark DataFrame with the columns of ``dense_blocks``; a row with no partner
  sharing a column has ``partner_id`` null (the pandas version names an arbitrary one).
  ``stats`` (a dict) receives the peeling passes and the blocks found.
  Limitation of the residual: a block whose members' degrees fall below the peeling
  threshold at the point the residual is collected (``stats["collect_threshold"]``, in
  column-weight units) is peeled away before the exact greedy sees it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window
from scipy.stats import poisson

from assets.network.fraudar import Block, fraudar
from assets.network.peeling import materialise, peel, weighted_edges


@dataclass(frozen=True)
class BlockConfig:
    blocks: int = 20
    min_rows: int = 3
    c: float = 5.0
    alpha: float = 0.01
    max_block_rows: int = 5000  # dense pair matrix guard (pandas); pair-join guard (Spark)
    eps: float = 0.1  # Spark peeling: remove nodes below 2 (1 + eps) x density per pass
    collect_edges: int = 1_000_000  # Spark: peel until at most this many follows are left, then exact greedy
    max_pair_rows: int = 50_000_000  # Spark: a block whose pair self-join exceeds this is not tested


OUT_COLUMNS = ["user_id", "block_score", "block_flagged", "block_id", "block_rows", "block_cols", "block_density",
               "partner_id", "shared", "expected_shared", "log10_p_adjusted", "block_evidence"]


def _block_pairs(rows: np.ndarray, cols: np.ndarray, src: np.ndarray, dst: np.ndarray):
    """In-block adjacency (rows x cols, 0/1 float)."""
    ri = pd.Index(rows).get_indexer(src)
    ci = pd.Index(cols).get_indexer(dst)
    inside = (ri >= 0) & (ci >= 0)
    a = np.zeros((len(rows), len(cols)), dtype=np.float64)
    a[ri[inside], ci[inside]] = 1.0
    return a


def dense_blocks(src: np.ndarray, dst: np.ndarray, cfg: BlockConfig = BlockConfig()) -> pd.DataFrame:
    """Per account in a FRAUDAR block: (user_id, block_score, block_flagged, block_id,
    block_rows, block_cols, block_density, partner_id, shared, expected_shared,
    log10_p_adjusted, block_evidence). ``src -> dst`` distinct follows."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if len(src) == 0:
        return pd.DataFrame(columns=OUT_COLUMNS)
    found = fraudar(src, dst, c=cfg.c, blocks=cfg.blocks, min_rows=cfg.min_rows)
    return cofollow_test(found, src, dst, cfg)


def cofollow_test(found: list[Block], src: np.ndarray, dst: np.ndarray, cfg: BlockConfig = BlockConfig()) -> pd.DataFrame:
    """The per-member co-follow excess test of the module docstring for given blocks (numpy)."""
    outdeg = pd.Series(src).value_counts()
    indeg = pd.Series(dst).value_counts()
    parts = []
    for bi, b in enumerate(found):
        if len(b.rows) > cfg.max_block_rows or len(b.rows) < 2:
            continue
        a = _block_pairs(b.rows, b.cols, src, dst)
        d = outdeg.reindex(b.rows).to_numpy(dtype=float)
        pi = indeg.reindex(b.cols).to_numpy(dtype=float) / len(src)
        q = np.minimum(1.0, d[:, None] * pi[None, :])
        lam = q @ q.T
        shared = a @ a.T
        np.fill_diagonal(shared, 0.0)
        logsf = poisson.logsf(shared - 1, np.maximum(lam, 1e-12))  # log P(X >= shared)
        np.fill_diagonal(logsf, 0.0)
        logsf = np.where(shared > 0, logsf, 0.0)
        best = np.argmin(logsf, axis=1)
        idx = np.arange(len(b.rows))
        parts.append(pd.DataFrame({
            "user_id": b.rows, "block_id": bi, "block_rows": len(b.rows), "block_cols": len(b.cols),
            "block_density": b.score, "partner_id": b.rows[best], "shared": shared[idx, best].astype(int),
            "expected_shared": lam[idx, best], "log_p": logsf[idx, best] + math.log(max(1, len(b.rows) - 1)),
        }))
    if not parts:
        return pd.DataFrame(columns=OUT_COLUMNS)
    res = pd.concat(parts, ignore_index=True)
    tests = len(res)
    res["log10_p_adjusted"] = np.minimum(0.0, (res["log_p"] + math.log(tests)) / math.log(10))
    res = res.sort_values(["user_id", "log10_p_adjusted"]).drop_duplicates("user_id")
    res["block_flagged"] = res["log10_p_adjusted"] <= math.log10(cfg.alpha)
    res["block_score"] = 1.0 - np.power(10.0, res["log10_p_adjusted"])
    res["block_evidence"] = [
        f"in dense block #{r.block_id} ({r.block_rows} followers x {r.block_cols} followed, FRAUDAR density "
        f"{r.block_density:.2f}): shares {r.shared} followed accounts with {r.partner_id} where the block "
        f"predicts {r.expected_shared:.1f}; Bonferroni-adjusted p 10^{r.log10_p_adjusted:.1f}"
        for r in res.itertuples()
    ]
    return res[OUT_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------- Spark
MEMBER_SCHEMA = "block_id int, side int, node long"  # side 0 = row (follower), 1 = col (followed)
SUMMARY_SCHEMA = "block_id int, block_rows long, block_cols long, block_density double"


def _members_df(spark, blocks: list[Block]) -> DataFrame:
    rows = [(i, 0, int(u)) for i, b in enumerate(blocks) for u in b.rows]
    rows += [(i, 1, int(x)) for i, b in enumerate(blocks) for x in b.cols]
    return spark.createDataFrame(rows, MEMBER_SCHEMA)


def find_blocks_spark(edges_df: DataFrame, cfg: BlockConfig = BlockConfig(), stats: dict | None = None):
    """(members ``(block_id, side, node)``, summary ``(block_id, block_rows, block_cols,
    block_density)``) as Spark DataFrames; see the module docstring."""
    spark = edges_df.sparkSession
    stats = {} if stats is None else stats
    e = weighted_edges(edges_df, cfg.c)
    if cfg.collect_edges > 0:
        p = peel(e, cfg.eps, stop_edges=cfg.collect_edges)
        stats.update(passes=p.passes, method="peel to residual, exact greedy", residual_edges=p.remaining_edges,
                     best_pass_density=p.best_density)
        last = p.passes[-1] if p.passes else None
        stats["collect_threshold"] = 2 * (1 + cfg.eps) * last["density"] if last else 0.0
        found: list[Block] = []
        if p.remaining is not None:
            res = p.remaining.select("r", "col", "indeg").toPandas()
            found = fraudar(res["r"].to_numpy(), res["col"].to_numpy(), c=cfg.c, blocks=cfg.blocks,
                            min_rows=cfg.min_rows, column_indegree=res["indeg"].to_numpy())
        stats["blocks"] = [{"rows": len(b.rows), "cols": len(b.cols), "edges": b.edges, "density": b.score}
                           for b in found]
        members = _members_df(spark, found)
    else:
        parts, summary, all_passes = [], [], []
        remaining = e
        for bi in range(cfg.blocks):
            p = peel(remaining, cfg.eps, stop_edges=0)
            all_passes.append(p.passes)
            if p.best is None:
                break
            rows = p.passes[p.best_pass]["rows"]
            if rows < cfg.min_rows:
                break
            best = p.best
            parts.append(best.select(F.lit(bi).alias("block_id"), F.lit(0).alias("side"), F.col("r").alias("node"))
                         .unionByName(best.select(F.lit(bi).alias("block_id"), F.lit(1).alias("side"),
                                                  F.col("col").alias("node"))).distinct())
            summary.append({"rows": rows, "cols": p.passes[p.best_pass]["cols"],
                            "edges": p.passes[p.best_pass]["edges"], "density": p.best_density})
            left = remaining.select("r", "col").join(best.select("r", "col"), ["r", "col"], "left_anti")
            remaining = weighted_edges(left.select(F.col("r").alias("follower_id"), F.col("col").alias("followee_id")),
                                       cfg.c)
        stats.update(passes=all_passes, method="distributed peel", blocks=summary)
        members = spark.createDataFrame([], MEMBER_SCHEMA)
        for part in parts:
            members = members.unionByName(part.select(F.col("block_id").cast("int"), F.col("side").cast("int"),
                                                      F.col("node").cast("long")))
        members = materialise(members)
    summary_df = spark.createDataFrame(
        [(i, int(b["rows"]), int(b["cols"]), float(b["density"])) for i, b in enumerate(stats["blocks"])],
        SUMMARY_SCHEMA)
    return members, summary_df


@F.pandas_udf(T.DoubleType())
def _poisson_logsf(shared: pd.Series, lam: pd.Series) -> pd.Series:
    """log P(X >= shared), X ~ Poisson(lam)."""
    return pd.Series(poisson.logsf(shared.to_numpy(dtype=float) - 1, np.maximum(lam.to_numpy(dtype=float), 1e-12)))


def cofollow_test_spark(edges_df: DataFrame, members: DataFrame, summary: DataFrame,
                        cfg: BlockConfig = BlockConfig()) -> DataFrame:
    """``cofollow_test`` on Spark for blocks given as ``find_blocks_spark`` returns them."""
    e = (edges_df.select(F.col("follower_id").cast("long").alias("u"), F.col("followee_id").cast("long").alias("x"))
         .where(F.col("u").isNotNull() & F.col("x").isNotNull()).distinct())
    total = e.count()
    tested = summary.where((F.col("block_rows") >= 2) & (F.col("block_rows") <= cfg.max_block_rows))
    m = members.join(tested.select("block_id"), "block_id", "left_semi")
    rows = m.where(F.col("side") == 0).select("block_id", F.col("node").alias("u"))
    cols = m.where(F.col("side") == 1).select("block_id", F.col("node").alias("x"))
    outdeg = e.groupBy("u").agg(F.count("*").alias("d"))
    indeg = e.groupBy("x").agg(F.count("*").alias("k"))
    rows = materialise(rows.join(outdeg, "u", "left").fillna(0, ["d"]))
    cols = materialise(cols.join(indeg, "x", "left").fillna(0, ["k"]))
    # prefix sums of pi = k / E, columns sorted by pi descending (rank 1 = most followed)
    E = float(total)
    w = Window.partitionBy("block_id").orderBy(F.desc("k"), "x")
    ranked = cols.select("block_id", "x", "k", (F.col("k") / F.lit(E)).alias("pi")).withColumn("rank", F.row_number().over(w))
    cum = Window.partitionBy("block_id").orderBy("rank").rowsBetween(Window.unboundedPreceding, 0)
    pref = ranked.select("block_id", F.col("rank").alias("c"), F.sum("pi").over(cum).alias("p1"),
                         F.sum(F.col("pi") * F.col("pi")).over(cum).alias("p2"))
    zero = summary.select("block_id", F.lit(0).cast("int").alias("c"), F.lit(0.0).alias("p1"), F.lit(0.0).alias("p2"))
    pref = materialise(pref.unionByName(zero))
    p2tot = pref.groupBy("block_id").agg(F.max("p2").alias("p2tot"))
    # per row: columns of the block where the cap binds (k_x d_u > E)
    capped = rows.join(cols.select("block_id", "k"), "block_id").where(
        F.col("k").cast("double") * F.col("d").cast("double") > F.lit(E)).groupBy("block_id", "u").agg(
        F.count("*").cast("int").alias("c"))
    rows = materialise(rows.join(capped, ["block_id", "u"], "left").fillna(0, ["c"])
                       .join(pref, ["block_id", "c"], "left").join(p2tot, "block_id"))
    inb = e.join(rows.select("block_id", "u"), "u").join(cols.select("block_id", "x"), ["block_id", "x"])
    inb = materialise(inb)
    # pair-join volume per block (sum over its columns of rows squared): skip blocks above the budget
    volume = inb.groupBy("block_id", "x").agg(F.count("*").alias("n")).groupBy("block_id").agg(
        F.sum(F.col("n") * F.col("n")).alias("pair_rows"))
    ok = volume.where(F.col("pair_rows") <= cfg.max_pair_rows).select("block_id")
    inb = inb.join(ok, "block_id", "left_semi")
    rows = rows.join(ok, "block_id", "left_semi")
    a, b = inb.alias("a"), inb.alias("b")
    pairs = (a.join(b, (F.col("a.block_id") == F.col("b.block_id")) & (F.col("a.x") == F.col("b.x"))
                    & (F.col("a.u") != F.col("b.u")))
             .groupBy(F.col("a.block_id").alias("block_id"), F.col("a.u").alias("u"), F.col("b.u").alias("v"))
             .agg(F.count("*").alias("shared")))
    ru = rows.select("block_id", "u", F.col("d").alias("du"), F.col("c").alias("cu"), F.col("p1").alias("p1u"),
                     F.col("p2").alias("p2u"), "p2tot")
    rv = rows.select("block_id", F.col("u").alias("v"), F.col("d").alias("dv"), F.col("c").alias("cv"),
                     F.col("p1").alias("p1v"), F.col("p2").alias("p2v"))
    pp = pairs.join(ru, ["block_id", "u"]).join(rv, ["block_id", "v"])
    u_more = F.col("cu") >= F.col("cv")  # A = the row with more capped columns
    dA, dB = F.when(u_more, F.col("du")).otherwise(F.col("dv")), F.when(u_more, F.col("dv")).otherwise(F.col("du"))
    cB = F.when(u_more, F.col("cv")).otherwise(F.col("cu"))
    p1A, p1B = F.when(u_more, F.col("p1u")).otherwise(F.col("p1v")), F.when(u_more, F.col("p1v")).otherwise(F.col("p1u"))
    p2A = F.when(u_more, F.col("p2u")).otherwise(F.col("p2v"))
    lam = (cB.cast("double") + dB.cast("double") * (p1A - p1B)
           + dA.cast("double") * dB.cast("double") * (F.col("p2tot") - p2A))
    pp = pp.withColumn("lam", lam).withColumn("logsf", _poisson_logsf(F.col("shared"), F.col("lam")))
    best_w = Window.partitionBy("block_id", "u").orderBy("logsf", "v")
    best = pp.withColumn("i", F.row_number().over(best_w)).where(F.col("i") == 1).select(
        "block_id", "u", F.col("v").alias("partner_id"), "shared", F.col("lam").alias("expected_shared"), "logsf")
    res = (rows.select("block_id", "u").join(best, ["block_id", "u"], "left").join(summary, "block_id")
           .withColumn("log_p", F.coalesce(F.col("logsf"), F.lit(0.0))
                       + F.log(F.greatest(F.lit(1.0), F.col("block_rows").cast("double") - 1))))
    res = materialise(res)
    tests = res.count()
    if tests == 0:
        return edges_df.sparkSession.createDataFrame([], _OUT_SCHEMA)
    adj = F.least(F.lit(0.0), (F.col("log_p") + F.lit(math.log(tests))) / F.lit(math.log(10)))
    res = res.withColumn("log10_p_adjusted", adj)
    pick = Window.partitionBy("u").orderBy("log10_p_adjusted", "block_id")
    res = res.withColumn("i", F.row_number().over(pick)).where(F.col("i") == 1)
    evidence = F.format_string(
        "in dense block #%d (%d followers x %d followed, FRAUDAR density %.2f): shares %d followed accounts with "
        "%s where the block predicts %.1f; Bonferroni-adjusted p 10^%.1f",
        "block_id", "block_rows", "block_cols", "block_density", F.coalesce(F.col("shared"), F.lit(0)),
        F.coalesce(F.col("partner_id").cast("string"), F.lit("nobody")), F.coalesce(F.col("expected_shared"), F.lit(0.0)),
        "log10_p_adjusted")
    return res.select(
        F.col("u").alias("user_id"), (1.0 - F.pow(F.lit(10.0), F.col("log10_p_adjusted"))).alias("block_score"),
        (F.col("log10_p_adjusted") <= F.lit(math.log10(cfg.alpha))).alias("block_flagged"),
        F.col("block_id").cast("int").alias("block_id"), F.col("block_rows").cast("long").alias("block_rows"),
        F.col("block_cols").cast("long").alias("block_cols"), "block_density", F.col("partner_id").cast("long"),
        F.coalesce(F.col("shared"), F.lit(0)).cast("long").alias("shared"), "expected_shared", "log10_p_adjusted",
        evidence.alias("block_evidence"))


_OUT_SCHEMA = ("user_id long, block_score double, block_flagged boolean, block_id int, block_rows long, block_cols long, "
               "block_density double, partner_id long, shared long, expected_shared double, log10_p_adjusted double, "
               "block_evidence string")


def dense_blocks_spark(edges_df: DataFrame, cfg: BlockConfig = BlockConfig(), stats: dict | None = None) -> DataFrame:
    """``dense_blocks`` on Spark: blocks by ``find_blocks_spark``, tested by ``cofollow_test_spark``."""
    members, summary = find_blocks_spark(edges_df, cfg, stats)
    return cofollow_test_spark(edges_df, members, summary, cfg)
