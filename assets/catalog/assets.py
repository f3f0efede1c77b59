"""Catalog-fraud assets on Spark (group ``catalog``): the wiring of the pure transforms."""

import os
import shutil
import tempfile

import dagster as dg
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.catalog.fingerprint import track_fingerprints as fingerprint_tracks
from assets.catalog.label_reuse import exempt_would_flag, reuse_stats
from assets.catalog.label_reuse import label_reuse as compute_label_reuse
from assets.catalog.networks import fraud_networks as find_fraud_networks
from assets.catalog.networks import network_summary as summarise_networks
from assets.catalog.similarity import flagged_label_sets
from assets.catalog.similarity import label_similarity as compute_label_similarity
from assets.partitions import catalog_days
from resources.catalog_rules import CatalogRulesResource
from resources.object_store import LocalObjectStore, ObjectStore
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


def _read_raw_catalog(spark, object_store: ObjectStore, days: list[str], staging: str) -> DataFrame:
    """The raw-zone catalog of ``days`` as a DataFrame (S3 objects are staged to local disk)."""
    keys = [k for d in days for k in object_store.list(f"raw/catalog/date={d}/") if k.endswith(".parquet")]
    if isinstance(object_store, LocalObjectStore):
        paths = [os.path.abspath(os.path.join(object_store.root, k)) for k in keys]
    else:
        paths = []
        for k in keys:
            object_store.download_file(k, os.path.join(staging, k))
            paths.append(os.path.join(staging, k))
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
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("eligible_fingerprints_non_empty", asset="track_fingerprints", blocking=True)],
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
    session = spark.get_session()
    staging = tempfile.mkdtemp(prefix="offbeat-staging-")
    try:
        tracks = _read_raw_catalog(session, object_store, days, staging)
        fps = fingerprint_tracks(tracks, catalog_rules.rules()).cache()
        warehouse.write_partitions(fps, "track_fingerprints", "upload_date", days)
        stats = fps.agg(
            F.count("*").alias("tracks"),
            F.sum(F.col("eligible").cast("int")).alias("eligible"),
            F.sum((F.col("eligible") & (F.col("token_count") == 0)).cast("int")).alias("empty_eligible"),
        ).first()
        preview = _preview(fps.select("track_id", "label_id", "fingerprint", "token_count", "eligible", "exclusion_reason"))
        fps.unpersist()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    context.log.info(f"fingerprinted {stats.tracks} tracks over {len(days)} days ({days[0]}..{days[-1]})")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": stats.tracks, "eligible_tracks": stats.eligible or 0,
                  "days": len(days), "preview": preview},
        check_results=[dg.AssetCheckResult(check_name="eligible_fingerprints_non_empty",
                                           passed=(stats.empty_eligible or 0) == 0,
                                           metadata={"eligible_with_empty_fingerprint": stats.empty_eligible or 0})],
    )


@dg.asset(
    deps=["track_fingerprints"],
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("flagged_labels_meet_thresholds", asset="label_reuse", blocking=True)],
)
def label_reuse(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                catalog_rules: CatalogRulesResource):
    """How much each label re-uses its own titles across albums, over all history, and
    whether that makes it a suspected fake label (with the reason either way)."""
    rules = catalog_rules.rules()
    session = spark.get_session()
    fps = warehouse.read(session, "track_fingerprints")
    stats = reuse_stats(fps, rules).cache()  # one label-level pass feeds both tables
    warehouse.write_table(compute_label_reuse(fps, rules, stats=stats), "label_reuse")
    warehouse.write_table(exempt_would_flag(fps, rules, stats=stats), "exempt_would_flag")
    stats.unpersist()
    reuse = warehouse.read(session, "label_reuse")
    figures = reuse.agg(
        F.count("*").alias("labels"),
        F.sum(F.col("flagged").cast("int")).alias("flagged"),
        F.sum((F.col("flagged") & ((F.col("reused_fingerprints") < rules.min_reused_fingerprints)
                                   | (F.col("reuse_ratio") < rules.min_reuse_ratio))).cast("int")).alias("bad"),
    ).first()
    exempt = warehouse.read(session, "exempt_would_flag").count()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": figures.labels, "flagged_labels": figures.flagged or 0,
                  "exempt_labels_that_would_be_flagged": exempt,
                  "preview": _preview(reuse.orderBy(F.desc("flagged"), F.desc("reused_fingerprints")))},
        check_results=[dg.AssetCheckResult(check_name="flagged_labels_meet_thresholds",
                                           passed=(figures.bad or 0) == 0,
                                           metadata={"violations": figures.bad or 0})],
    )


@dg.asset(
    deps=["label_reuse", "track_fingerprints"],
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("edges_valid", asset="label_similarity", blocking=True,
                                   description="0 < jaccard <= 1, label_a < label_b, both labels flagged.")],
)
def label_similarity(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                     catalog_rules: CatalogRulesResource):
    """Pairs of flagged labels whose title catalogues are near-identical (exact Jaccard at or
    above the threshold): the edges along which fake-label networks are found."""
    session = spark.get_session()
    fps = warehouse.read(session, "track_fingerprints")
    reuse = warehouse.read(session, "label_reuse")
    sets = flagged_label_sets(fps, reuse)
    warehouse.write_table(compute_label_similarity(sets, catalog_rules.rules().similarity_threshold), "label_similarity")
    sim = warehouse.read(session, "label_similarity")
    flagged = reuse.where("flagged").select(F.col("label_id"))
    unflagged_ends = (
        sim.select(F.col("label_a").alias("label_id")).union(sim.select(F.col("label_b").alias("label_id")))
        .distinct().join(flagged, "label_id", "left_anti").count()
    )
    figures = sim.agg(
        F.count("*").alias("edges"),
        F.sum(((F.col("jaccard") <= 0) | (F.col("jaccard") > 1) | (F.col("label_a") >= F.col("label_b"))).cast("int")).alias("bad"),
        F.avg("jaccard").alias("avg"),
    ).first()
    bad = (figures.bad or 0) + unflagged_ends
    return dg.MaterializeResult(
        metadata={"dagster/row_count": figures.edges, "avg_jaccard": float(figures.avg or 0),
                  "preview": _preview(sim.orderBy(F.desc("jaccard")))},
        check_results=[dg.AssetCheckResult(check_name="edges_valid", passed=bad == 0,
                                           metadata={"invalid_edges": figures.bad or 0,
                                                     "edge_ends_not_flagged": unflagged_ends})],
    )


@dg.asset(
    deps=["label_similarity"],
    group_name="catalog",
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("networks_disjoint_and_plural", asset="fraud_networks", blocking=True)],
)
def fraud_networks(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """Networks of fake labels fronting one master library: connected components (two or
    more labels) of the label-similarity graph."""
    session = spark.get_session()
    sim = warehouse.read(session, "label_similarity")
    warehouse.write_table(find_fraud_networks(sim), "fraud_networks")
    nets = warehouse.read(session, "fraud_networks")
    sizes = nets.groupBy("network_id").count()
    figures = nets.agg(F.count("*").alias("rows"), F.countDistinct("label_id").alias("labels"),
                       F.countDistinct("network_id").alias("networks")).first()
    singletons = sizes.where("count < 2").count()
    largest = sizes.agg(F.max("count")).first()[0] or 0
    return dg.MaterializeResult(
        metadata={"dagster/row_count": figures.rows, "networks": figures.networks, "largest_network": largest,
                  "preview": _preview(sizes.orderBy(F.desc("count")))},
        check_results=[dg.AssetCheckResult(check_name="networks_disjoint_and_plural",
                                           passed=figures.rows == figures.labels and singletons == 0,
                                           metadata={"labels_in_two_networks": figures.rows - figures.labels,
                                                     "single_label_networks": singletons})],
    )


@dg.asset(deps=["fraud_networks", "label_similarity", "track_fingerprints"], group_name="catalog",
          kinds=KINDS, owners=OWNERS)
def network_summary(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """One line per fraud network: how many labels, how tightly linked, what titles they
    share, the dominant genre and how synchronised their uploads are."""
    session = spark.get_session()
    summary = summarise_networks(warehouse.read(session, "fraud_networks"), warehouse.read(session, "label_similarity"),
                                 warehouse.read(session, "track_fingerprints"))
    warehouse.write_table(summary, "network_summary")
    out = warehouse.read(session, "network_summary")
    return dg.MaterializeResult(metadata={"dagster/row_count": out.count(),
                                          "preview": _preview(out.orderBy(F.desc("labels")))})
