"""Combining the bot detectors into ``follow_bots(user_id, suspicion, flagged, detectors, evidence)``.

Detectors (each with its own statistical threshold, see its module):

* ``multifollow`` (``multifollow.py``): follows the same account more than once;
* ``lockstep`` (``lockstep.py``): acts on the same targets as a group within a narrow
  window, against each target's own activity; needs follow times;
* ``dense_block`` (``blocks.py``): in a FRAUDAR block and sharing far more followed
  accounts with another member than the block explains;
* ``cofollow`` (``cofollow.py``, Spark, no times needed): one of a group that follows the
  same accounts, whose audiences are near-identical and have no tail of partial followers
  (a farm, not an interest community). Run on Spark by the caller and passed in as
  ``cofollow`` (its flagged accounts); ``None`` means not run.

``suspicion = 1 - (1 - s_multifollow) (1 - s_lockstep) (1 - s_cofollow) (1 - w * s_dense_block)``
with each ``s`` the detector's confidence (1 - adjusted p-value; 1 for a repeated follow).
``flagged``: any of multifollow, lockstep or cofollow fired, or dense_block fired and
``dense_block_flags_alone`` is set. By default a dense block alone does not flag: its
community null cannot tell a farm from heavy fans of one scene (on the simulator it flags
most heavy fans; the quality benchmark reports its precision alone), so it weighs in the
suspicion (``w`` = 0.5) and the evidence only. ``detectors`` lists every detector that fired.

Two implementations of the same combination: ``follow_bots_spark`` (what the asset runs:
every detector on Spark, nothing whole on the driver; lockstep over follow intervals) and
``follow_bots`` (pandas on a collected graph: the reference for tests on small graphs;
its lockstep sees exact times only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.network.blocks import BlockConfig, dense_blocks, dense_blocks_spark
from assets.network.cofollow import CofollowConfig, cofollow_spark
from assets.network.edges import distinct_edges as distinct_edges_spark
from assets.network.lockstep import LockstepConfig, lockstep, lockstep_spark, target_key
from assets.network.multifollow import multi_follow, multi_follow_spark

DETECTORS = ("multifollow", "lockstep", "dense_block", "cofollow")
FLAG_ALONE = ("multifollow", "lockstep", "cofollow")  # a dense block flags only beside one of these (by default)
OUT_COLUMNS = ["user_id", "suspicion", "flagged", "detectors", "evidence", "multifollow_score", "lockstep_score",
               "dense_block_score", "cofollow_score", "lockstep_group", "dense_block_id", "cofollow_group", "follows"]
DEFAULT_COFOLLOW = CofollowConfig()
COFOLLOW_COLUMNS = ["user_id", "cofollow_score", "cofollow_flagged", "cofollow_group", "cofollow_evidence"]


@dataclass(frozen=True)
class BotConfig:
    lockstep: LockstepConfig = field(default_factory=LockstepConfig)
    blocks: BlockConfig = field(default_factory=BlockConfig)
    dense_block_weight: float = 0.5
    dense_block_flags_alone: bool = False


def distinct_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per (follower, followee) over all sources: largest multiplicity, earliest time."""
    return edges.groupby(["follower_id", "followee_id"], as_index=False).agg(
        multiplicity=("multiplicity", "max"), t_ms=("t_ms", "min"))


def follow_bots(edges: pd.DataFrame, cfg: BotConfig = BotConfig(),
                cofollow: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """(follow_bots table, figures). ``edges``: follow_edges rows as pandas with
    ``follower_id, followee_id, multiplicity, t_ms`` (t_ms may be null). ``cofollow``: the
    flagged accounts of ``cofollow.cofollow`` (COFOLLOW_COLUMNS at least), or None when that
    detector did not run."""
    d = distinct_edges(edges)
    follows = d.groupby("follower_id").size().rename("follows")
    out = pd.DataFrame({"user_id": follows.index.to_numpy(), "follows": follows.to_numpy()})
    mf = multi_follow(d)
    timed = d.dropna(subset=["t_ms"])
    ls = lockstep(pd.DataFrame({"user_id": timed["follower_id"], "target": target_key(timed["followee_id"], "follow"),
                                "t_ms": timed["t_ms"]}), cfg.lockstep)
    bl = dense_blocks(d["follower_id"].to_numpy(), d["followee_id"].to_numpy(), cfg.blocks)
    cf = (pd.DataFrame(columns=COFOLLOW_COLUMNS) if cofollow is None else cofollow[COFOLLOW_COLUMNS]).astype(
        {"user_id": "int64"})
    out = out.merge(mf, on="user_id", how="left").merge(ls, on="user_id", how="left").merge(
        bl.rename(columns={"block_id": "dense_block_id", "block_score": "dense_block_score"}), on="user_id",
        how="left").merge(cf, on="user_id", how="left")
    for c in ("multifollow_flagged", "lockstep_flagged", "block_flagged", "cofollow_flagged"):
        out[c] = out[c].astype("boolean").fillna(False).astype(bool)
    for c in ("multifollow_score", "lockstep_score", "dense_block_score", "cofollow_score"):
        out[c] = out[c].astype(float).fillna(0.0)
    out["suspicion"] = 1.0 - (1.0 - out["multifollow_score"]) * (1.0 - out["lockstep_score"]) * (
        1.0 - out["cofollow_score"]) * (1.0 - cfg.dense_block_weight * out["dense_block_score"])
    alone = out["multifollow_flagged"] | out["lockstep_flagged"] | out["cofollow_flagged"]
    out["flagged"] = alone | (out["block_flagged"] & (cfg.dense_block_flags_alone | alone))
    fired = {"multifollow": out["multifollow_flagged"], "lockstep": out["lockstep_flagged"],
             "dense_block": out["block_flagged"], "cofollow": out["cofollow_flagged"]}
    out["detectors"] = [[n for n in DETECTORS if fired[n].iat[i]] for i in range(len(out))]
    ev_cols = [("multifollow_flagged", "multifollow_evidence"), ("lockstep_flagged", "lockstep_evidence"),
               ("block_flagged", "block_evidence"), ("cofollow_flagged", "cofollow_evidence")]
    out["evidence"] = [
        "; ".join(f"{name}: {getattr(r, e)}" for name, (f, e) in zip(DETECTORS, ev_cols, strict=True) if getattr(r, f))
        for r in out.itertuples()
    ]
    out["lockstep_group"] = out["lockstep_group"].astype(object).where(out["lockstep_group"].notna(), None)
    out["dense_block_id"] = out["dense_block_id"].astype("Int64")
    out["cofollow_group"] = out["cofollow_group"].astype("Int64")
    figures = {
        "accounts_scored": int(len(out)),
        "flagged": int(out["flagged"].sum()),
        "edges_with_time": int(len(timed)),
        "edges": int(len(d)),
        **{f"fired_{n}": int(fired[n].sum()) for n in DETECTORS},
        **{f"only_{n}": int((fired[n] & ~np.logical_or.reduce([fired[m] for m in DETECTORS if m != n])).sum())
           for n in DETECTORS},
        "lockstep_groups": int(ls.loc[ls["lockstep_flagged"].astype(bool), "lockstep_group"].nunique()) if len(ls) else 0,
        "dense_blocks": int(bl["block_id"].nunique()) if len(bl) else 0,
        "cofollow_run": cofollow is not None,
        "cofollow_groups": int(cf["cofollow_group"].nunique()) if len(cf) else 0,
    }
    return out[OUT_COLUMNS].sort_values(["suspicion", "user_id"], ascending=[False, True]).reset_index(drop=True), figures


# ---------------------------------------------------------------------------- Spark
SPARK_SCHEMA = ("user_id long, suspicion double, flagged boolean, detectors array<string>, evidence string, "
                "multifollow_score double, lockstep_score double, dense_block_score double, cofollow_score double, "
                "lockstep_group string, dense_block_id int, cofollow_group long, follows long")


def follow_bots_spark(d: DataFrame, cfg: BotConfig = BotConfig(), cofollow: DataFrame | pd.DataFrame | None = None,
                      stats: dict | None = None) -> tuple[DataFrame, dict]:
    """``follow_bots`` on Spark: (table as a Spark DataFrame with OUT_COLUMNS, figures).

    ``d``: distinct edges as ``edges.distinct_edges`` gives them (``follower_id, followee_id,
    multiplicity, t_ms, t_min_ms, t_max_ms``). No step holds the graph in one process:
    multi-follows by aggregation (``multi_follow_spark``), lockstep by joins on (target, time
    bucket) with salting, over each follow's interval (exact where the crawl gave the time;
    a follow whose interval fits in a window counts: ``lockstep_spark``), dense blocks by
    distributed peeling with FRAUDAR's exact greedy on the residual once it has at most
    ``cfg.blocks.collect_edges`` follows (``dense_blocks_spark``). Only the per-account table
    and one row of figures leave Spark. ``cofollow``: its flagged accounts (COFOLLOW_COLUMNS
    at least) as a Spark DataFrame (``cofollow.cofollow_spark``: what the asset passes) or as
    pandas (tests), or None when that detector did not run."""
    spark = d.sparkSession
    d = d.localCheckpoint(eager=True)
    out = d.groupBy(F.col("follower_id").cast("long").alias("user_id")).agg(F.count("*").alias("follows"))
    mf = multi_follow_spark(d).select("user_id", "multifollow_score", "multifollow_flagged", "multifollow_evidence")
    lo, hi = F.coalesce("t_min_ms", "t_ms"), F.coalesce("t_max_ms", "t_ms")
    events = d.where(lo.isNotNull() & hi.isNotNull()).select(
        F.col("follower_id").alias("user_id"), (F.col("followee_id") * 2).alias("target"),  # target_key(.., "follow")
        lo.alias("t_min_ms"), hi.alias("t_max_ms"))
    ls = lockstep_spark(events, cfg.lockstep).select("user_id", "lockstep_score", "lockstep_flagged", "lockstep_group",
                                                      "lockstep_evidence")
    bl = dense_blocks_spark(d.select("follower_id", "followee_id"), cfg.blocks, stats).select(
        "user_id", F.col("block_score").alias("dense_block_score"), "block_flagged",
        F.col("block_id").alias("dense_block_id"), "block_evidence")
    cf_schema = ("user_id long, cofollow_score double, cofollow_flagged boolean, cofollow_group long, "
                 "cofollow_evidence string")
    if isinstance(cofollow, DataFrame):
        cf = cofollow.select(*[F.col(c).cast(t) for c, t in zip(
            COFOLLOW_COLUMNS, ("long", "double", "boolean", "long", "string"), strict=True)])
    else:
        cf_pdf = (pd.DataFrame(columns=COFOLLOW_COLUMNS) if cofollow is None else cofollow[COFOLLOW_COLUMNS]).astype(
            {"user_id": "int64", "cofollow_score": "float64", "cofollow_flagged": "bool", "cofollow_group": "float64",
             "cofollow_evidence": "object"})
        cf = spark.createDataFrame(cf_pdf, cf_schema.replace("cofollow_group long", "cofollow_group double")).withColumn(
            "cofollow_group", F.col("cofollow_group").cast("long"))
    t = out.join(mf, "user_id", "left").join(ls, "user_id", "left").join(bl, "user_id", "left").join(cf, "user_id", "left")
    fired = {"multifollow": "multifollow_flagged", "lockstep": "lockstep_flagged", "dense_block": "block_flagged",
             "cofollow": "cofollow_flagged"}
    evid = {"multifollow": "multifollow_evidence", "lockstep": "lockstep_evidence", "dense_block": "block_evidence",
            "cofollow": "cofollow_evidence"}
    t = t.fillna(False, list(fired.values())).fillna(0.0, ["multifollow_score", "lockstep_score", "dense_block_score",
                                                           "cofollow_score"])
    w = float(cfg.dense_block_weight)
    alone = F.col("multifollow_flagged") | F.col("lockstep_flagged") | F.col("cofollow_flagged")
    t = t.withColumn("suspicion", 1.0 - (1.0 - F.col("multifollow_score")) * (1.0 - F.col("lockstep_score")) * (
        1.0 - F.col("cofollow_score")) * (1.0 - F.lit(w) * F.col("dense_block_score")))
    t = t.withColumn("flagged", alone | (F.col("block_flagged") & (F.lit(bool(cfg.dense_block_flags_alone)) | alone)))
    t = t.withColumn("detectors", F.filter(F.array(*[F.when(F.col(c), F.lit(n)) for n, c in fired.items()]),
                                           lambda x: x.isNotNull()))
    t = t.withColumn("evidence", F.concat_ws("; ", *[F.when(F.col(fired[n]), F.concat(F.lit(f"{n}: "), F.col(evid[n])))
                                                     for n in DETECTORS]))
    t = t.localCheckpoint(eager=True)
    others = {n: [m for m in DETECTORS if m != n] for n in DETECTORS}
    row = t.agg(
        F.count("*").alias("accounts_scored"), F.sum(F.col("flagged").cast("long")).alias("flagged"),
        *[F.sum(F.col(c).cast("long")).alias(f"fired_{n}") for n, c in fired.items()],
        *[F.sum((F.col(fired[n]) & ~F.greatest(*[F.col(fired[m]) for m in others[n]])).cast("long")).alias(f"only_{n}")
          for n in DETECTORS],
        F.countDistinct(F.when(F.col("lockstep_flagged"), F.col("lockstep_group"))).alias("lockstep_groups"),
        F.countDistinct("dense_block_id").alias("dense_blocks"),
        F.countDistinct("cofollow_group").alias("cofollow_groups")).first().asDict()
    e_row = d.agg(F.count("*").alias("edges"), F.sum(F.col("t_ms").isNotNull().cast("long")).alias("exact"),
                  F.sum((lo.isNotNull() & hi.isNotNull()).cast("long")).alias("bounded")).first()
    figures = {"accounts_scored": int(row["accounts_scored"]), "flagged": int(row["flagged"] or 0),
               "edges_with_time": int(e_row["exact"] or 0), "edges_with_interval": int(e_row["bounded"] or 0),
               "edges": int(e_row["edges"]),
               **{f"fired_{n}": int(row[f"fired_{n}"] or 0) for n in DETECTORS},
               **{f"only_{n}": int(row[f"only_{n}"] or 0) for n in DETECTORS},
               "lockstep_groups": int(row["lockstep_groups"]), "dense_blocks": int(row["dense_blocks"]),
               "cofollow_run": cofollow is not None, "cofollow_groups": int(row["cofollow_groups"])}
    return t.select(*OUT_COLUMNS), figures


def detect_spark(follow_edges: DataFrame, cfg: BotConfig = BotConfig(),
                 cofollow_cfg: CofollowConfig | None = DEFAULT_COFOLLOW,
                 stats: dict | None = None) -> tuple[DataFrame, dict, DataFrame | None]:
    """What the ``follow_bots`` asset runs, in one place (the asset and ``bench.network_scale``
    call it): ``(table, figures, cofollow cores)`` as Spark DataFrames (cores None when the
    cofollow detector did not run) from a ``follow_edges`` table (Spark).
    Distinct edges (``edges.distinct_edges``), the cofollow detector (``cofollow.cofollow``,
    skipped when ``cofollow_cfg`` is None) and ``follow_bots_spark``. ``stats`` receives the
    dense-block peeling figures and the seconds of each stage (``stage_seconds``)."""
    import time

    stats = {} if stats is None else stats
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    cf_flagged, cores = (None, None) if cofollow_cfg is None else cofollow_spark(follow_edges, cofollow_cfg)
    if cf_flagged is not None:
        cf_flagged = cf_flagged.localCheckpoint(eager=True)
    seconds["cofollow"] = time.perf_counter() - t
    t = time.perf_counter()
    table, figures = follow_bots_spark(distinct_edges_spark(follow_edges), cfg, cofollow=cf_flagged, stats=stats)
    seconds["detectors"] = time.perf_counter() - t
    c = cores.agg(F.count("*").alias("n"), F.sum(F.col("passed").cast("long")).alias("ok")).first() \
        if cores is not None else None
    figures["cofollow_cores_tested"] = int(c["n"]) if c else 0
    figures["cofollow_cores_passed"] = int(c["ok"] or 0) if c else 0
    figures["dense_block_method"] = stats.get("method", "")
    stats["stage_seconds"] = seconds
    return table, figures, cores
