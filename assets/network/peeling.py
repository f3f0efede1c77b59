"""Distributed densest-subgraph peeling on Spark, with FRAUDAR's camouflage-resistant weights.

Bahmani, Kumar & Vassilvitskii, "Densest Subgraph in Streaming and MapReduce" (VLDB 2012):
start from the whole graph S; per pass compute every node's (weighted) degree inside S,
record the density ``rho(S) = f(S) / |S|`` and remove at once every node whose degree is
below ``2 (1 + eps) rho(S)`` (twice the density is the average degree). At least one node
goes per pass and at least an ``eps / (1 + eps)`` share of the nodes goes per pass, so there
are ``O(log_{1+eps} n)`` passes; the densest S seen is a ``2 (1 + eps)``-approximation of the
densest subgraph. Each pass is two Spark aggregations (row and column degrees) and one
semi-join filter of the edges; the edges of every pass are materialised with a local
checkpoint (lineage cut, executor storage), so nothing is collected to the driver but a
handful of scalars per pass.

Graph and weights as FRAUDAR (``fraudar.py``, Hooi et al. 2016): followers are rows,
followed accounts are columns (an account on both sides is two nodes), a distinct follow
``r -> x`` weighs ``1 / log(indegree_x + c)``, with ``indegree`` counted on the graph
given. Weights are fixed point (``fraudar.SCALE`` units per 1.0, Spark longs) so every sum
is exact and a pass removes the same nodes on any cluster layout; the density reported is
``f / |S| / SCALE``, the same units as ``fraudar.Block.score``.

Interface (Spark DataFrames in, no Dagster):

* ``weighted_edges(edges_df, c)``: ``(r, col, w, indeg)`` from ``(follower_id, followee_id)``
  (duplicates count once);
* ``peel(e, eps, stop_edges)`` -> ``Peel``: passes over ``e`` until no edge is left or at
  most ``stop_edges`` are (then ``remaining`` holds them, small enough to collect); ``best``
  is the edge set of the densest pass (every edge between its rows and columns), with
  ``best_density``; ``passes`` the per-pass figures (rows, cols, edges, density).

``blocks.find_blocks_spark`` builds FRAUDAR-style blocks on it (exact greedy on the
collected residual, or the pure distributed peel when ``collect_edges`` is 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.network.fraudar import SCALE


def materialise(df: DataFrame) -> DataFrame:
    """Compute ``df`` once and cut its lineage (executor storage)."""
    return df.localCheckpoint(eager=True)


def weighted_edges(edges_df: DataFrame, c: float = 5.0) -> DataFrame:
    """Distinct ``(r, col)`` follows with the fixed-point column weight ``w`` and ``indeg``."""
    if c <= 1:
        raise ValueError(f"c must be > 1 so that log(indegree + c) > 0, got {c}")
    e = (edges_df.where(F.col("follower_id").isNotNull() & F.col("followee_id").isNotNull())
         .select(F.col("follower_id").cast("long").alias("r"), F.col("followee_id").cast("long").alias("col"))
         .distinct())
    indeg = e.groupBy("col").agg(F.count("*").alias("indeg"))
    return e.join(indeg, "col").select(
        "r", "col", F.rint(F.lit(float(SCALE)) / F.log(F.col("indeg") + F.lit(float(c)))).cast("long").alias("w"),
        "indeg")


@dataclass
class Peel:
    best: DataFrame | None  # edges (r, col, w, indeg) of the densest pass
    best_density: float
    best_pass: int
    remaining: DataFrame | None  # edges left when the passes stopped (<= stop_edges), or None if empty
    remaining_edges: int
    passes: list[dict] = field(default_factory=list)


def _pass_figures(e: DataFrame) -> tuple[DataFrame, dict]:
    """Node degrees of one pass (side 0 = row, 1 = col) and the pass's sums."""
    rdeg = e.groupBy(F.col("r").alias("node")).agg(F.sum("w").alias("d"), F.count("*").alias("k"))
    cdeg = e.groupBy(F.col("col").alias("node")).agg(F.sum("w").alias("d"), F.count("*").alias("k"))
    nodes = materialise(rdeg.withColumn("side", F.lit(0)).unionByName(cdeg.withColumn("side", F.lit(1))))
    s = nodes.groupBy().agg(
        F.sum(F.when(F.col("side") == 0, F.col("d"))).alias("f"),
        F.sum(F.when(F.col("side") == 0, F.col("k"))).alias("edges"),
        F.sum((F.col("side") == 0).cast("long")).alias("rows"),
        F.sum((F.col("side") == 1).cast("long")).alias("cols"),
    ).first()
    return nodes, {"f": int(s.f or 0), "edges": int(s.edges or 0), "rows": int(s.rows or 0), "cols": int(s.cols or 0)}


def peel(e: DataFrame, eps: float = 0.1, stop_edges: int = 0, max_passes: int = 1000) -> Peel:
    """Bahmani-Kumar-Vassilvitskii passes over weighted edges ``e(r, col, w, indeg)``."""
    if eps <= 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    e = materialise(e.select("r", "col", "w", "indeg"))
    out = Peel(best=None, best_density=-1.0, best_pass=-1, remaining=None, remaining_edges=0)
    for p in range(max_passes):
        nodes, s = _pass_figures(e)
        if s["edges"] == 0:
            return out
        size = s["rows"] + s["cols"]
        density = s["f"] / size / SCALE
        out.passes.append({"pass": p, "rows": s["rows"], "cols": s["cols"], "edges": s["edges"], "density": density})
        if density > out.best_density:
            out.best, out.best_density, out.best_pass = e, density, p
        if s["edges"] <= stop_edges:
            out.remaining, out.remaining_edges = e, s["edges"]
            return out
        threshold = 2.0 * (1.0 + eps) * s["f"] / size  # fixed-point units
        keep = nodes.where(F.col("d").cast("double") >= F.lit(threshold))
        keep_r = keep.where(F.col("side") == 0).select(F.col("node").alias("r"))
        keep_c = keep.where(F.col("side") == 1).select(F.col("node").alias("col"))
        e = materialise(e.join(keep_r, "r", "left_semi").join(keep_c, "col", "left_semi"))
    raise RuntimeError(f"peeling did not finish in {max_passes} passes")
