"""Report assets (group ``reports``): self-contained HTML (plots as embedded PNG, bundled
CJK/Arabic fonts), CSV and JSON under ``reports/<name>/`` in the object store, linked from
the materialisation metadata. Rendering is pure (``*_report.py``); these assets read the
warehouse tables and publish.

Each report follows its inputs once (``ON_UPSTREAM_UPDATE``). An input table that does
not exist yet (its chain has not run) is named in the report and in the metadata
(``missing_inputs``) instead of failing the report.
"""


import json

import dagster as dg
import pandas as pd
from pydantic import Field
from pyspark.sql import functions as F

from assets.automation import ON_UPSTREAM_UPDATE
from assets.reports.catalog_evidence import network_upload_hours, reused_titles
from assets.reports.catalog_report import render_catalog_report
from assets.reports.network_farms import farm_follows
from assets.reports.network_report import render_network_report
from assets.reports.overview_report import render_overview_report
from assets.reports.publish import publish
from assets.reports.spam_report import render_spam_report, table_from_markdown
from assets.reports.stream_evidence import activity_by_hour, ms_played_histogram
from assets.reports.stream_report import render_stream_report
from assets.streams.assets import read_plays
from resources.catalog_rules import CatalogRulesResource
from resources.model_store import ModelStore
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse

OWNERS = ["team:trust-and-safety"]
MAX_LISTED_SPAM = 50_000  # the HTML lists the most confident spam users; counts cover everyone
MAX_LISTED_BOTS = 50_000
MAX_DRAWN_TRACKS = 12
KINDS = {"html", "pandas"}


def _read(session, warehouse: Warehouse, table: str, missing: list[str], limit: int | None = None):
    """The table as pandas, or None (and its name in ``missing``) when it does not exist."""
    if not warehouse.exists(session, table):
        missing.append(table)
        return None
    df = warehouse.read(session, table)
    return (df.limit(limit) if limit else df).toPandas()


def _latest_metadata(context: dg.AssetExecutionContext, key: str) -> dict:
    """Plain values of the latest materialisation metadata of asset ``key`` ({} if none)."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey(key))
    if event is None or event.asset_materialization is None:
        return {}
    out = {}
    for k, v in event.asset_materialization.metadata.items():
        value = getattr(v, "value", v)
        if isinstance(value, int | float | str | bool | list | dict) or value is None:
            out[k] = value
    return out


@dg.asset(
    deps=["label_reuse", "exempt_would_flag", "label_similarity", "fraud_networks", "network_summary",
          "track_fingerprints", "label_audio_similarity", "audio_matches"],
    group_name="reports", kinds={"html", "spark"}, owners=OWNERS, automation_condition=ON_UPSTREAM_UPDATE,
    check_specs=[dg.AssetCheckSpec("every_flagged_label_listed", asset="catalog_fraud_report",
                                   description="The report lists every flagged label and every network.")],
)
def catalog_fraud_report(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                         object_store: ObjectStore, catalog_rules: CatalogRulesResource):
    """The catalog-fraud report for reviewers: every flagged label with its evidence and a
    recommended action, each fake-label network drawn with the evidence that joined it
    (titles, re-uploaded audio) and its upload synchrony, and the exempt-genre labels to review."""
    rules = catalog_rules.rules()
    session = spark.get_session()
    reuse = warehouse.read(session, "label_reuse")
    fps = warehouse.read(session, "track_fingerprints")
    flagged_df = reuse.where("flagged")
    networks_df = warehouse.read(session, "fraud_networks")
    flagged = (flagged_df.select("label_id", "label_name", "albums", "tracks", "fingerprints", "reused_fingerprints",
                                 "reuse_ratio", "reasons")
               .join(reused_titles(fps, flagged_df, rules.min_albums_per_fingerprint), "label_id", "left")
               .toPandas())
    summary = warehouse.read(session, "network_summary").toPandas()
    networks = networks_df.toPandas().sort_values(["network_id", "label_id"])
    edges = warehouse.read(session, "label_similarity").toPandas()
    exempt = warehouse.read(session, "exempt_would_flag").toPandas()
    hourly = network_upload_hours(fps, networks_df).toPandas()
    audio_edges = audio_matches = None  # the audio path has not run: title evidence only
    if warehouse.exists(session, "label_audio_similarity"):
        audio_edges = warehouse.read(session, "label_audio_similarity").toPandas()
    if warehouse.exists(session, "audio_matches"):  # only pairs across two member labels of one network
        members = networks_df.select("network_id", "label_id")
        audio_matches = (warehouse.read(session, "audio_matches").where(F.col("label_a") != F.col("label_b"))
                         .join(members.withColumnRenamed("label_id", "label_a"), "label_a")
                         .join(members.withColumnRenamed("label_id", "label_b"), ["label_b", "network_id"])
                         .drop("network_id").toPandas())
    figures = {"labels": reuse.count(), "flagged_labels": len(flagged), "networks": len(summary),
               "labels_in_networks": len(networks), "exempt_labels_to_review": len(exempt)}
    report = render_catalog_report(flagged, summary, networks, edges, exempt, hourly, figures,
                                   min_reuse_ratio=rules.min_reuse_ratio, audio_edges=audio_edges,
                                   audio_matches=audio_matches)
    meta = publish(object_store, "catalog", report)
    listed = json.loads(report.files["summary.json"])["networks"]
    in_csv = len(pd.read_csv(__import__("io").BytesIO(report.files["flagged_labels.csv"]))) if len(flagged) else 0
    context.log.info(f"catalog report: {meta['report'].value}")
    return dg.MaterializeResult(
        metadata={**meta, "dagster/row_count": len(flagged)},
        check_results=[dg.AssetCheckResult(
            check_name="every_flagged_label_listed", passed=in_csv == len(flagged) and len(listed) == len(summary),
            metadata={"flagged_labels": len(flagged), "listed_labels": in_csv, "networks": len(summary),
                      "listed_networks": len(listed)})],
    )


# The tables of population_overview (assets/users/overview.py), by the report section they feed.
OVERVIEW_TABLES = {
    "plans": "population_plans", "track_buckets": "population_track_buckets",
    "engagement": "population_engagement", "follow": "population_following_vs_followers",
    "domains": "population_top_domains",
}


@dg.asset(deps=["population_overview"], group_name="reports", kinds=KINDS, owners=OWNERS,
          automation_condition=ON_UPSTREAM_UPDATE)
def platform_overview_report(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                             object_store: ObjectStore):
    """Who is on the platform (seed 000's figures): plans, track counts, engagement, following
    vs. followers, and the top linked domains with URL shorteners marked."""
    session = spark.get_session()
    missing: list[str] = []
    tables = {k: _read(session, warehouse, t, missing, limit=20_000 if k == "follow" else None)
              for k, t in OVERVIEW_TABLES.items()}
    figures = {k: v for k, v in _latest_metadata(context, "population_overview").items()
               if isinstance(v, int | float) and not isinstance(v, bool) and not k.startswith("dagster/")}
    report = render_overview_report(tables, figures)
    meta = publish(object_store, "overview", report)
    return dg.MaterializeResult(metadata={**meta, "missing_inputs": dg.MetadataValue.json(missing)})


@dg.asset(deps=["user_clusters", "spam_model", "spam_scores"], group_name="reports", kinds=KINDS, owners=OWNERS,
          automation_condition=ON_UPSTREAM_UPDATE)
def spam_report(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                object_store: ObjectStore):
    """The spam report: the K-Means elbow and clusters, the model's version, metrics and
    confusion matrix, spam types with examples and reasons, and drift since the last run."""
    session = spark.get_session()
    missing: list[str] = []
    scores = class_counts = type_counts = histogram = None
    if warehouse.exists(session, "spam_scores"):
        sdf = warehouse.read(session, "spam_scores")
        spam = sdf.where(F.col("predicted_class") == "spam")
        class_counts = sdf.groupBy("predicted_class").agg(F.count(F.lit(1)).alias("users")).toPandas()
        type_counts = spam.groupBy("spam_type").agg(F.count(F.lit(1)).alias("users")).toPandas()
        histogram = (sdf.select(F.least(F.floor(F.col("spam_probability") * 40), F.lit(39)).cast("int").alias("bin"))
                     .groupBy("bin").agg(F.count(F.lit(1)).alias("users")).toPandas())
        scores = spam.orderBy(F.desc("spam_probability"), "user_id").limit(MAX_LISTED_SPAM).toPandas()
    else:
        missing.append("spam_scores")
    clusters = _read(session, warehouse, "cluster_summary", missing)
    cluster_meta = _latest_metadata(context, "user_clusters")
    elbow = table_from_markdown(cluster_meta.get("elbow"))  # user_clusters keeps the curve in its metadata
    chosen_k = cluster_meta.get("k")
    models = ModelStore(object_store, "spam_model")
    versions = models.versions()
    promoted = models.promoted_version()
    version = promoted or (versions[-1] if versions else None)
    metrics: dict = {}
    if version is None:
        missing.append("spam_model (no saved version)")
    else:
        metrics = {"model_version": version, "promoted": version == promoted, **models.load(version).metrics}
        if versions and versions[-1] != version:
            metrics["latest_trained_version_not_promoted"] = versions[-1]
    previous = None
    key = "reports/spam/summary.json"
    if object_store.exists(key):
        previous = json.loads(object_store.get_bytes(key))
    report = render_spam_report(
        elbow=elbow if {"k", "inertia"} <= set(elbow.columns) else pd.DataFrame(columns=["k", "inertia"]),
        chosen_k=chosen_k, clusters=clusters if clusters is not None else pd.DataFrame(), confusion=None,
        metrics=metrics,
        scores=scores if scores is not None else pd.DataFrame(
            columns=["user_id", "spam_probability", "predicted_class", "spam_type", "reasons"]),
        previous=previous, class_counts=class_counts, type_counts=type_counts, histogram=histogram)
    meta = publish(object_store, "spam", report)
    return dg.MaterializeResult(metadata={**meta, "missing_inputs": dg.MetadataValue.json(missing),
                                          "dagster/row_count": 0 if scores is None else len(scores),
                                          "drift_against": "previous run" if previous else "none (first run)"})


@dg.asset(deps=["network_metrics", "follow_bots", "clean_counts", "repost_timelines", "maven_candidates"],
          group_name="reports", kinds=KINDS, owners=OWNERS, automation_condition=ON_UPSTREAM_UPDATE)
def network_report(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                   object_store: ObjectStore):
    """The follower-network report: metrics and motif profiles per artist, bots with their
    evidence, raw vs. clean counts, and repost timelines with spikes and maven candidates."""
    session = spark.get_session()
    missing: list[str] = []
    tables = {name: _read(session, warehouse, name, missing)
              for name in ("network_metrics", "clean_counts", "maven_candidates")}
    tables["follow_bots"] = None
    figures: dict = {}
    if warehouse.exists(session, "follow_bots"):
        bots = warehouse.read(session, "follow_bots")
        figures = {"scored_accounts": bots.count(), "flagged_bots": bots.where(F.col("flagged")).count()}
        # Flagged accounts (most suspicious first) and a bounded sample of the rest for the histogram.
        flagged = bots.where(F.col("flagged")).orderBy(F.desc("suspicion")).limit(MAX_LISTED_BOTS)
        rest = bots.where(~F.col("flagged")).limit(MAX_LISTED_BOTS)
        tables["follow_bots"] = flagged.unionByName(rest).toPandas()
        if warehouse.exists(session, "follow_edges"):  # the largest farms: accounts, shared targets, timing
            tables["farms"] = farm_follows(bots, warehouse.read(session, "follow_edges"))
    else:
        missing.append("follow_bots")
    timelines = spikes = None
    if warehouse.exists(session, "repost_hourly"):  # written by the repost_timelines asset
        hourly = warehouse.read(session, "repost_hourly")
        top = (hourly.groupBy("track_id").agg(F.sum("reposts").alias("_n")).orderBy(F.desc("_n"), "track_id")
               .limit(MAX_DRAWN_TRACKS).select("track_id"))
        timelines = hourly.join(top, "track_id").toPandas()
        if warehouse.exists(session, "repost_spikes"):
            spk = warehouse.read(session, "repost_spikes").join(top, "track_id")
            spikes = spk.select("track_id", "user_id", "reposted_at_ms", "precedes_spike").toPandas()
    else:
        missing.append("repost_timelines")
    report = render_network_report(metrics=tables["network_metrics"], bots=tables["follow_bots"],
                                   clean=tables["clean_counts"], timelines=timelines,
                                   mavens=tables["maven_candidates"], spikes=spikes, figures=figures,
                                   farms=tables.get("farms"))
    meta = publish(object_store, "network", report)
    return dg.MaterializeResult(metadata={**meta, "missing_inputs": dg.MetadataValue.json(missing),
                                          "dagster/row_count": int(figures.get("flagged_bots", 0))})


MAX_LISTED_STREAM_ACCOUNTS = 50_000
MAX_LISTED_LABELS = 50_000


class StreamFraudReportConfig(dg.Config):
    min_royalty_ms: int = Field(default=30_000, description="The royalty threshold drawn on the ms_played "
                                "histogram and named in the text (keep it equal to the streams assets').")


@dg.asset(deps=["stream_accounts", "track_streams", "label_stream_fraud", "raw_plays"],
          group_name="reports", kinds={"html", "spark"}, owners=OWNERS, automation_condition=ON_UPSTREAM_UPDATE)
def stream_fraud_report(context: dg.AssetExecutionContext, config: StreamFraudReportConfig, spark: SparkResource,
                        warehouse: Warehouse, object_store: ObjectStore):
    """The stream-fraud report for reviewers: royalty adjustments per label beside its catalog
    fraud network, the farms' listening drawn against real listeners (hour of day, seconds
    played with the 30 s line) and every flagged account with its evidence."""
    session = spark.get_session()
    missing: list[str] = []
    labels = networks = accounts = hours = histogram = detectors = None
    figures: dict = {}
    if warehouse.exists(session, "label_stream_fraud"):
        lf = warehouse.read(session, "label_stream_fraud")
        labels = lf.orderBy(F.desc("flagged_royalty_plays"), F.desc("royalty_plays")).limit(MAX_LISTED_LABELS).toPandas()
        f = lf.agg(F.count(F.lit(1)).alias("labels"), F.sum("royalty_plays").alias("r"),
                   F.sum("flagged_royalty_plays").alias("fr"),
                   F.sum((F.col("flagged_royalty_plays") > 0).cast("long")).alias("lw")).first()
        figures.update({"labels_with_plays": f.labels, "attributed_royalty_plays": int(f.r or 0),
                        "flagged_royalty_plays": int(f.fr or 0),
                        "fraud_share_of_royalty_plays": round((f.fr or 0) / f.r, 4) if f.r else 0.0,
                        "labels_paid_by_flagged_accounts": int(f.lw or 0)})
    else:
        missing.append("label_stream_fraud")
    if warehouse.exists(session, "network_stream_fraud"):
        networks = warehouse.read(session, "network_stream_fraud").toPandas()
        figures["fraud_networks_with_plays"] = len(networks)
    if warehouse.exists(session, "stream_accounts") and warehouse.exists(session, "plays"):
        acc = warehouse.read(session, "stream_accounts")
        plays = read_plays(session, warehouse)
        keep = [c for c in ("user_id", "suspicion", "detectors", "evidence", "plays", "royalty_plays") if c in acc.columns]
        accounts = (acc.where("flagged").orderBy(F.desc("suspicion"), "user_id").limit(MAX_LISTED_STREAM_ACCOUNTS)
                    .select(*keep).toPandas())
        f = acc.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("flagged").cast("long")).alias("fl"),
                    F.sum("plays").alias("p")).first()
        figures = {"plays": int(f.p or 0), "listening_accounts": f.n, "flagged_accounts": int(f.fl or 0), **figures}
        detectors = (acc.where("flagged").select(F.explode("detectors").alias("detector")).groupBy("detector")
                     .agg(F.count(F.lit(1)).alias("flagged_accounts")).orderBy(F.desc("flagged_accounts")).toPandas())
        hours = activity_by_hour(plays, acc).toPandas()
        histogram = ms_played_histogram(plays, acc).toPandas()
    else:
        missing.append("stream_accounts")
    report = render_stream_report(labels=labels, networks=networks, accounts=accounts, hours=hours,
                                  histogram=histogram, detectors=detectors, figures=figures,
                                  min_royalty_ms=config.min_royalty_ms, missing=missing)
    meta = publish(object_store, "streams", report)
    context.log.info(f"stream fraud report: {meta['report'].value}")
    return dg.MaterializeResult(metadata={**meta, "missing_inputs": dg.MetadataValue.json(missing),
                                          "dagster/row_count": 0 if accounts is None else len(accounts)})
