"""Catalog-fraud assets on Spark (group ``catalog``): each asset runs one stage of
assets/catalog/detect.py (the chain the benchmark and the tests run too). ``label_reuse``
and ``label_similarity`` run as daily increments (assets/catalog/increment.py: only the
labels of the days landed or re-landed since the last run are recomputed, and the result
equals the full recomputation) once their state exists, and in full on the first run or
with run config ``full: true``.

Automation (assets/automation.py): a day's fingerprints follow its raw_catalog day; the
detection assets run once after new fingerprints (one run after a backfill of many days).
"""

import dagster as dg
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.automation import ON_UPSTREAM_DAY_UPDATE, ON_UPSTREAM_UPDATE
from assets.catalog.checks import fingerprint_contract_violations
from assets.catalog.config import IncrementConfig, SimilarityIncrementConfig
from assets.catalog.detect import run_stage
from assets.catalog.increment import reuse_increment, similarity_increment
from assets.partitions import catalog_days
from resources.catalog_rules import CatalogRulesResource
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse

OWNERS = ["team:trust-and-safety"]
KINDS = {"spark", "parquet"}
CATALOG_SCHEMA = (
    "track_id string, title string, album_id string, label_id string, label_name string, "
    "distributor string, genre string, content_type string, uploaded_at timestamp"
)


def _preview(df: DataFrame, rows: int = 10) -> dg.MetadataValue:
    pdf = df.limit(rows).toPandas()
    return dg.MetadataValue.md(pdf.astype(str).to_markdown(index=False) if len(pdf) else "_no rows_")


def _schema(df: DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, f.dataType.simpleString()) for f in df.schema.fields])


TOUCHED_SAMPLE = 20  # touched label ids shown in the metadata (the count is always there)


def _run_line(run: dict) -> str:
    if run["mode"] == "full":
        return "full recomputation (increment state rebuilt)"
    extra = f", order rebuilt: {run['rebuilt']}" if "rebuilt" in run else ""
    days = f" of days {', '.join(run['days'])}" if run.get("days") else ""
    return f"increment: {run['touched_labels']} touched labels{days}{extra}"


def _run_meta(run: dict) -> dict:
    """Which mode ran, the touched labels and days (label_reuse), the order rebuild (label_similarity)."""
    meta = {"mode": run["mode"]}
    if run["mode"] == "increment":
        meta["touched_labels"] = run["touched_labels"]
    if "days" in run:
        meta["changed_days"] = len(run["days"])
        if run["mode"] == "increment":
            meta["days"] = ", ".join(run["days"]) or "none"
            meta["touched_label_sample"] = ", ".join(run["touched_sample"]) or "none"
    if "rebuilt" in run:
        meta["order_rebuilt"] = bool(run["rebuilt"])
        meta["unseen_index_entries"] = int(run["unseen_entries"])
    return meta


def _read_raw_catalog(spark, paths: list[str]) -> DataFrame:
    """The raw-zone catalog files at ``paths`` as a DataFrame with the contract's columns."""
    if not paths:
        return spark.createDataFrame([], CATALOG_SCHEMA)
    df = spark.read.option("mergeSchema", "true").parquet(*paths)
    for name in ("label_name", "distributor", "genre", "content_type"):
        if name not in df.columns:
            df = df.withColumn(name, F.lit(None).cast("string"))
    return df.select(*[c.split()[0] for c in CATALOG_SCHEMA.split(", ")])


@dg.asset(
    partitions_def=catalog_days,
    deps=["raw_catalog"],
    backfill_policy=dg.BackfillPolicy.single_run(),
    automation_condition=ON_UPSTREAM_DAY_UPDATE,
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec(
        "fingerprint_contract", asset="track_fingerprints", blocking=True,
        description="Every raw track of the days fingerprinted exactly once; token_count matches the "
                    "fingerprint; no eligible track below min_title_tokens.")],
)
def track_fingerprints(
    context: dg.AssetExecutionContext,
    spark: SparkResource,
    object_store: ObjectStore,
    warehouse: Warehouse,
    catalog_rules: CatalogRulesResource,
):
    """Every catalog track with its title fingerprint (word order, case and punctuation
    removed) and whether it is eligible for reuse detection. A backfill of many days runs
    as one Spark job."""
    days = context.partition_keys
    rules = catalog_rules.rules()
    session = spark.get_session()
    keys = [k for d in days for k in object_store.list(f"raw/catalog/date={d}/") if k.endswith(".parquet")]
    # write, check, then publish: the contract is checked on the staged days; a failure keeps the old ones
    with object_store.local_paths(keys) as paths, warehouse.staged_writes() as staged:
        tracks = _read_raw_catalog(session, paths)
        run_stage("track_fingerprints", session, staged, rules, tracks=tracks, days=days)
        fps = staged.read(session, "track_fingerprints").where(F.col("upload_date").cast("string").isin(days))
        violations = fingerprint_contract_violations(fps, tracks.select("track_id"), rules)
        stats = fps.agg(F.count("*").alias("tracks"), F.sum(F.col("eligible").cast("int")).alias("eligible")).first()
        preview = _preview(fps.select("track_id", "label_id", "fingerprint", "token_count", "eligible",
                                      "exclusion_reason"))
        schema = _schema(fps)
        if not any(violations.values()):
            staged.publish()
    context.log.info(f"fingerprinted {stats.tracks} tracks over {len(days)} days ({days[0]}..{days[-1]})")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": stats.tracks, "eligible_tracks": stats.eligible or 0,
                  "days": len(days), "preview": preview, "dagster/column_schema": schema},
        check_results=[dg.AssetCheckResult(check_name="fingerprint_contract",
                                           passed=not any(violations.values()), metadata=violations)],
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec("label_reuse", deps=["track_fingerprints"], group_name="catalog", kinds=KINDS, owners=OWNERS,
                     automation_condition=ON_UPSTREAM_UPDATE,
                     description="How much each label re-uses its own titles across albums, over all history, "
                                 "and whether that makes it a suspected fake label (with the reason either way)."),
        dg.AssetSpec("exempt_would_flag", deps=["track_fingerprints"], group_name="catalog", kinds=KINDS,
                     owners=OWNERS, automation_condition=ON_UPSTREAM_UPDATE,
                     description="Labels the exempt-genre rule (classical, karaoke, sound effects) keeps from "
                                 "being flagged although their reuse would flag them: for reviewers to audit."),
    ],
    check_specs=[dg.AssetCheckSpec("flagged_labels_meet_thresholds", asset="label_reuse", blocking=True)],
)
def label_reuse(context: dg.AssetExecutionContext, config: IncrementConfig, spark: SparkResource,
                warehouse: Warehouse, catalog_rules: CatalogRulesResource):
    """label_reuse and exempt_would_flag from one label-level pass over the fingerprints (of
    the labels the changed days touch, in an increment)."""
    rules = catalog_rules.rules()
    session = spark.get_session()
    with warehouse.staged_writes() as staged:  # write, check, then publish (tables and state, or nothing)
        run = reuse_increment(session, warehouse, staged, rules, full=config.full, sample=TOUCHED_SAMPLE)
        context.log.info(f"label_reuse: {_run_line(run)}")
        reuse = staged.read(session, "label_reuse")
        figures = reuse.agg(
            F.count("*").alias("labels"),
            F.sum(F.col("flagged").cast("int")).alias("flagged"),
            F.sum((F.col("flagged") & ((F.col("reused_fingerprints") < rules.min_reused_fingerprints)
                                       | (F.col("reuse_ratio") < rules.min_reuse_ratio))).cast("int")).alias("bad"),
        ).first()
        exempt = staged.read(session, "exempt_would_flag")
        exempt_count = exempt.count()
        reuse_meta = {**_run_meta(run), "dagster/row_count": figures.labels, "flagged_labels": figures.flagged or 0,
                      "exempt_labels_that_would_be_flagged": exempt_count, "dagster/column_schema": _schema(reuse),
                      "preview": _preview(reuse.orderBy(F.desc("flagged"), F.desc("reused_fingerprints")))}
        exempt_meta = {"dagster/row_count": exempt_count, "dagster/column_schema": _schema(exempt),
                       "preview": _preview(exempt.orderBy(F.desc("reused_fingerprints")))}
        if (figures.bad or 0) == 0:
            staged.publish()
    yield dg.MaterializeResult(
        asset_key="label_reuse", metadata=reuse_meta,
        check_results=[dg.AssetCheckResult(asset_key="label_reuse", check_name="flagged_labels_meet_thresholds",
                                           passed=(figures.bad or 0) == 0,
                                           metadata={"violations": figures.bad or 0})],
    )
    yield dg.MaterializeResult(asset_key="exempt_would_flag", metadata=exempt_meta)


@dg.asset(
    deps=["label_reuse", "track_fingerprints"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("edges_valid", asset="label_similarity", blocking=True,
                                   description="0 < jaccard <= 1, label_a < label_b, both labels flagged.")],
)
def label_similarity(context: dg.AssetExecutionContext, config: SimilarityIncrementConfig, spark: SparkResource,
                     warehouse: Warehouse, catalog_rules: CatalogRulesResource):
    """Pairs of flagged labels whose title catalogues are near-identical (exact Jaccard at or
    above the threshold): the edges along which fake-label networks are found (in an
    increment, every pair with a label label_reuse recomputed since this asset last ran)."""
    session = spark.get_session()
    with warehouse.staged_writes() as staged:  # write, check, then publish (table and state, or nothing)
        run = similarity_increment(session, warehouse, staged, catalog_rules.rules(), full=config.full,
                                   max_order_drift=config.max_order_drift)
        context.log.info(f"label_similarity: {_run_line(run)}")
        reuse = staged.read(session, "label_reuse")
        sim = staged.read(session, "label_similarity")
        flagged = reuse.where("flagged").select(F.col("label_id"))
        unflagged_ends = (
            sim.select(F.col("label_a").alias("label_id")).union(sim.select(F.col("label_b").alias("label_id")))
            .distinct().join(flagged, "label_id", "left_anti").count()
        )
        figures = sim.agg(
            F.count("*").alias("edges"),
            F.sum(((F.col("jaccard") <= 0) | (F.col("jaccard") > 1)
                   | (F.col("label_a") >= F.col("label_b"))).cast("int")).alias("bad"),
            F.avg("jaccard").alias("avg"),
        ).first()
        bad = (figures.bad or 0) + unflagged_ends
        preview = _preview(sim.orderBy(F.desc("jaccard")))
        if bad == 0:
            staged.publish()
    return dg.MaterializeResult(
        metadata={**_run_meta(run), "dagster/row_count": figures.edges, "avg_jaccard": float(figures.avg or 0),
                  "preview": preview},
        check_results=[dg.AssetCheckResult(check_name="edges_valid", passed=bad == 0,
                                           metadata={"invalid_edges": figures.bad or 0,
                                                     "edge_ends_not_flagged": unflagged_ends})],
    )


@dg.asset(
    deps=["label_similarity", "label_audio_similarity"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("networks_disjoint_and_plural", asset="fraud_networks", blocking=True)],
)
def fraud_networks(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """Networks of fake labels fronting one master library: connected components (two or
    more labels) of the label graph whose edges are near-identical title catalogues or
    near-identical audio (the same recordings re-uploaded under other titles)."""
    session = spark.get_session()
    with warehouse.staged_writes() as staged:  # write, check, then publish
        run_stage("fraud_networks", session, staged)
        nets = staged.read(session, "fraud_networks")
        sizes = nets.groupBy("network_id").count()
        figures = nets.agg(F.count("*").alias("rows"), F.countDistinct("label_id").alias("labels"),
                           F.countDistinct("network_id").alias("networks")).first()
        singletons = sizes.where("count < 2").count()
        largest = sizes.agg(F.max("count")).first()[0] or 0
        preview = _preview(sizes.orderBy(F.desc("count")))
        audio_labels = 0
        if staged.exists(session, "label_audio_similarity"):  # labels only audio evidence put in a network
            title = staged.read(session, "label_similarity")
            title_labels = title.select(F.col("label_a").alias("label_id")).union(
                title.select(F.col("label_b").alias("label_id")))
            audio_labels = nets.join(title_labels, "label_id", "left_anti").count()
        if figures.rows == figures.labels and singletons == 0:
            staged.publish()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": figures.rows, "networks": figures.networks, "largest_network": largest,
                  "labels_joined_by_audio_only": audio_labels, "preview": preview},
        check_results=[dg.AssetCheckResult(check_name="networks_disjoint_and_plural",
                                           passed=figures.rows == figures.labels and singletons == 0,
                                           metadata={"labels_in_two_networks": figures.rows - figures.labels,
                                                     "single_label_networks": singletons})],
    )


@dg.asset(deps=["fraud_networks", "label_similarity", "label_audio_similarity", "track_fingerprints"],
          group_name="catalog",
          kinds=KINDS, owners=OWNERS, automation_condition=ON_UPSTREAM_UPDATE)
def network_summary(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """One line per fraud network: how many labels, which evidence joined them (titles,
    audio or both), how tightly linked, what titles they share, the dominant genre and how
    synchronised their uploads are (with a p-value against the labels' own rhythms)."""
    session = spark.get_session()
    run_stage("network_summary", session, warehouse)
    out = warehouse.read(session, "network_summary")
    by_evidence = {r.evidence: r["count"] for r in out.groupBy("evidence").count().collect()}
    return dg.MaterializeResult(metadata={"dagster/row_count": out.count(),
                                          **{f"networks_by_{k}": int(by_evidence.get(k, 0))
                                             for k in ("title", "audio", "both")},
                                          "preview": _preview(out.orderBy(F.desc("labels")))})
