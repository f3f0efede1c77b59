"""Multi-follow: one account following the same account more than once (seed 001's
"Node A follows Node B 5 times"). A platform lists a follower once, so any repeat is an
automated follow/unfollow cycle; no threshold beyond "more than once" is needed.

Two implementations with the same output columns:

* ``multi_follow(edges: pandas)``: the reference (tests compare against it);
* ``multi_follow_spark(edges_df: Spark DataFrame)``: one aggregation per follower over the
  edges with multiplicity above 1 (distributed; nothing is collected). Input columns
  ``follower_id, followee_id, multiplicity`` (one row per distinct pair, e.g.
  ``edges.distinct_edges``; repeated pairs keep their largest multiplicity). Output one row
  per account with a repeated follow; evidence names the 3 most repeated targets
  (ties: lowest followee id), as the pandas version.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

COLUMNS = ["user_id", "multifollow_score", "multifollow_flagged", "repeated_targets", "max_multiplicity",
           "extra_follows", "multifollow_evidence"]


def multi_follow(edges: pd.DataFrame) -> pd.DataFrame:
    """Per account with a repeated follow: (user_id, multifollow_score, multifollow_flagged,
    repeated_targets, max_multiplicity, extra_follows, multifollow_evidence).

    ``edges``: distinct (follower_id, followee_id, multiplicity)."""
    rep = edges[edges["multiplicity"] > 1]
    cols = COLUMNS
    if rep.empty:
        return pd.DataFrame(columns=cols)
    rep = rep.sort_values(["follower_id", "multiplicity", "followee_id"], ascending=[True, False, True])
    agg = rep.groupby("follower_id").agg(
        repeated_targets=("followee_id", "size"),
        max_multiplicity=("multiplicity", "max"),
        extra_follows=("multiplicity", lambda m: int((m - 1).sum())),
        examples=("followee_id", lambda s: list(s[:3])),
        example_mult=("multiplicity", lambda s: list(s[:3])),
    ).reset_index().rename(columns={"follower_id": "user_id"})
    agg["multifollow_flagged"] = True
    agg["multifollow_score"] = 1.0
    agg["multifollow_evidence"] = [
        "follows " + ", ".join(f"{t} {m} times" for t, m in zip(r.examples, r.example_mult, strict=True))
        + (f" (and {r.repeated_targets - 3} more accounts repeatedly)" if r.repeated_targets > 3 else "")
        for r in agg.itertuples()
    ]
    return agg[cols]


def multi_follow_spark(edges_df: DataFrame) -> DataFrame:
    """``multi_follow`` on Spark: same columns, one row per account with a repeated follow."""
    rep = (edges_df.where(F.col("multiplicity") > 1)
           .groupBy("follower_id", "followee_id").agg(F.max("multiplicity").cast("long").alias("m")))
    agg = rep.groupBy(F.col("follower_id").alias("user_id")).agg(
        F.count("*").alias("repeated_targets"),
        F.max("m").alias("max_multiplicity"),
        F.sum(F.col("m") - 1).alias("extra_follows"),
        # most repeated first, then lowest id: sort by (-m, followee) and keep 3
        F.slice(F.array_sort(F.collect_list(F.struct((-F.col("m")).alias("neg_m"), F.col("followee_id").alias("t")))),
                1, 3).alias("ex"),
    )
    examples = F.array_join(F.transform("ex", lambda s: F.format_string("%d %d times", s["t"], -s["neg_m"])), ", ")
    more = F.when(F.col("repeated_targets") > 3,
                  F.format_string(" (and %d more accounts repeatedly)", F.col("repeated_targets") - 3)).otherwise("")
    return agg.select(
        "user_id", F.lit(1.0).alias("multifollow_score"), F.lit(True).alias("multifollow_flagged"),
        "repeated_targets", "max_multiplicity", "extra_follows",
        F.concat(F.lit("follows "), examples, more).alias("multifollow_evidence"),
    )
