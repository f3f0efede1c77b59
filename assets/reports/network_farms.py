"""The bot farms the network report draws: flagged accounts grouped by the detector that
tied them together, with their shared targets and follow times (Spark in, bounded pandas out).

A farm is a group of flagged accounts with the same group id in ``follow_bots`` (the first
of ``GROUP_COLUMNS`` the table has with a value: a lockstep group, a dense block, ...).
For the ``max_farms`` largest farms the report gets every follow of a member to a target
that at least ``min_share`` of the farm's members follow (its shared targets), with the
follow's interval from ``follow_edges`` (``edges.distinct_edges``): at most
``max_farms * max_members * max_targets`` rows, whatever the size of the graph.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from assets.network.edges import distinct_edges

GROUP_COLUMNS = ("farm_id", "lockstep_group", "structure_group", "cofollow_group", "dense_block_id")
FARM_COLUMNS = ["farm", "user_id", "followee_id", "t_ms", "t_min_ms", "t_max_ms", "members", "detectors"]


def farm_key(bots: DataFrame) -> F.Column | None:
    """The farm id of a flagged account: the first group column with a value, prefixed by its name."""
    cols = [c for c in GROUP_COLUMNS if c in bots.columns]
    if not cols:
        return None
    return F.coalesce(*[F.when(F.col(c).isNotNull(), F.concat(F.lit(f"{c}:"), F.col(c).cast("string")))
                        for c in cols])


def farm_follows(bots: DataFrame, edges: DataFrame, *, max_farms: int = 3, max_members: int = 60,
                 max_targets: int = 15, min_share: float = 0.5) -> pd.DataFrame:
    """Rows ``FARM_COLUMNS`` for the largest farms (see the module docstring); empty if none."""
    key = farm_key(bots)
    if key is None:
        return pd.DataFrame(columns=FARM_COLUMNS)
    det = F.concat_ws(", ", F.col("detectors")) if "detectors" in bots.columns else F.lit("")
    members = (bots.where(F.col("flagged")).select("user_id", key.alias("farm"), det.alias("det"))
               .where(F.col("farm").isNotNull()))
    sizes = members.groupBy("farm").agg(F.count("*").alias("members"),
                                        F.array_join(F.array_sort(F.collect_set("det")), "; ").alias("detectors"))
    top = sizes.where(F.col("members") >= 2).orderBy(F.desc("members"), "farm").limit(max_farms)
    m = members.join(F.broadcast(top), "farm")
    rank = Window.partitionBy("farm").orderBy("user_id")
    m = m.withColumn("_r", F.row_number().over(rank)).where(F.col("_r") <= max_members).drop("_r", "det")
    d = distinct_edges(edges)
    fol = d.join(F.broadcast(m), d["follower_id"] == m["user_id"]).drop("follower_id")
    shared = fol.groupBy("farm", "followee_id").agg(F.count("*").alias("n"), F.first("members").alias("size"))
    by_count = Window.partitionBy("farm").orderBy(F.desc("n"), "followee_id")
    targets = (shared.where(F.col("n") >= F.greatest(F.lit(2), F.ceil(F.col("size") * min_share)))
               .withColumn("_r", F.row_number().over(by_count)).where(F.col("_r") <= max_targets)
               .select("farm", "followee_id"))
    out = fol.join(targets, ["farm", "followee_id"]).select(*FARM_COLUMNS).toPandas()
    return out.sort_values(["members", "farm", "followee_id", "user_id"], ascending=[False, True, True, True],
                           ignore_index=True)
