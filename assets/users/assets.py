"""Spam-detection assets on Spark (group ``users``): each runs one step of the chain
(assets/users/chain.py) and keeps its output in the warehouse.

users -> user_features -> user_clusters -> feature_selection -> spam_model -> spam_scores
users + user_features -> population_overview
"""


import io
import json
import pickle

import dagster as dg
import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.automation import ON_UPSTREAM_UPDATE
from assets.ingest.raw_zone import published_files
from assets.users import (
    chain,
    clustering,
    features,
    overview,
    promotion,
    run_config,
    scoring,
    selection,
)
from assets.users import model as modelling
from assets.users.load import read_raw_records, status_counts
from assets.users.run_config import (
    SpamModelConfig,
    SpamScoresConfig,
    UserClustersConfig,
    UserFeaturesConfig,
)
from resources.model_store import ModelStore
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse

GROUP = "users"
OWNERS = ["team:trust-and-safety"]
KINDS = {"spark", "parquet"}
CLUSTER_PIPELINE_KEY = "models/user_clusters/current.pkl"
KNOWN_LABELS_PREFIX = "landing/known_labels/"


def _md(pdf: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(pdf.head(rows).astype(str).to_markdown(index=False) if len(pdf) else "_no rows_")


def _preview(df: DataFrame, rows: int = 10) -> dg.MetadataValue:
    return _md(df.limit(rows).toPandas(), rows)


def _schema(df: DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, f.dataType.simpleString()) for f in df.schema.fields])


def _object_link(store: ObjectStore, key: str) -> dg.MetadataValue:
    return dg.MetadataValue.url(f"{store.describe().split(' via ')[0].rstrip('/')}/{key}")


# ----------------------------------------------------------------------------- users
@dg.asset(
    deps=["raw_users", "raw_user_imports"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name=GROUP, kinds=KINDS, owners=OWNERS,
)
def users(context: dg.AssetExecutionContext, spark: SparkResource, object_store: ObjectStore, warehouse: Warehouse):
    """Every live platform user once: the latest crawled or imported record per id, typed."""
    session = spark.get_session()
    keys = sorted({k for ds in ("users", "user_imports") for ks in published_files(object_store, ds).values()
                   for k in ks if k.endswith((".jsonl.gz", ".jsonl"))})
    context.log.info(f"{len(keys)} raw user files")
    with object_store.local_paths(keys) as paths:
        raw = read_raw_records(session, paths).persist()  # parsed once: counted, then loaded
        by_status = status_counts(raw)
        warehouse.write_table(chain.load_users(session, raw), "users")
        raw.unpersist()
    table = warehouse.read(session, "users")
    n = table.count()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "by_status": by_status, "gone_ids": by_status["gone"],
        "failed_ids": by_status["failed"], "files": len(keys),
        "dagster/column_schema": _schema(table.drop("web_profiles")),
        "preview": _preview(table.drop("web_profiles")),
    })


# ----------------------------------------------------------------------------- features
FEATURE_CHECKS = "feature_ranges"


def feature_violations(feats: DataFrame) -> dict[str, int]:
    """Rows breaking a feature's range (nulls included): counts >= 0, flags 0/1, shares 0..1."""
    flags = ("url_provided", "url_shortener", "random_free_domain", "random_domain_name", "abused_tld", "default_permalink",
             "permalink_unrelated")
    shares = ("stock_phrase_share", "username_digit_share")
    conds = {}
    for f in features.FEATURES:
        c = F.col(f)
        if f in flags:
            bad = ~c.isin(0.0, 1.0)
        elif f in shares:
            bad = (c < 0) | (c > 1)
        elif f == "subscription":
            bad = ~c.isin(0.0, 1.0, 2.0)
        else:
            bad = c < 0
        conds[f] = F.sum((c.isNull() | F.isnan(c) | bad).cast("int")).alias(f)
    row = feats.agg(*conds.values()).first().asDict()
    return {k: int(v or 0) for k, v in row.items()}


@dg.asset(
    deps=["users"], automation_condition=ON_UPSTREAM_UPDATE, group_name=GROUP, kinds=KINDS, owners=OWNERS,
    check_specs=[dg.AssetCheckSpec(FEATURE_CHECKS, asset="user_features", blocking=True,
                                   description="No nulls; counts >= 0, flags 0/1, shares within 0..1.")],
)
def user_features(context: dg.AssetExecutionContext, config: UserFeaturesConfig, spark: SparkResource,
                  object_store: ObjectStore, warehouse: Warehouse):
    """Per-user spam evidence: the seed's 11 features plus account age, fake batches, stock
    phrases, random free-TLD domains, name patterns and the follow ratio."""
    session = spark.get_session()
    cfg = config.users_config()
    users_df = warehouse.read(session, "users")
    users_df = users_df.repartition(max(2, session.sparkContext.defaultParallelism))
    feats, user_urls, stock = features.user_features(users_df, cfg)
    warehouse = warehouse.staged_writes()  # write, check, then publish: a failed check keeps the previous tables
    warehouse.write_table(feats, "user_features")
    warehouse.write_table(user_urls, "user_urls")
    warehouse.write_table(stock, "stock_phrases")
    table = warehouse.read(session, "user_features")
    bad = feature_violations(table)
    stats = table.select(*features.FEATURES).summary("mean", "min", "max").toPandas()
    result = dg.MaterializeResult(
        metadata={"dagster/row_count": table.count(), "stock_phrases": warehouse.read(session, "stock_phrases").count(),
                  "dagster/column_schema": _schema(table), "feature_summary": _md(stats.T.reset_index(), 40),
                  "preview": _preview(table.select("user_id", *features.FEATURES))},
        check_results=[dg.AssetCheckResult(check_name=FEATURE_CHECKS, passed=sum(bad.values()) == 0,
                                           metadata={"violations": {k: v for k, v in bad.items() if v}})],
    )
    warehouse.publish() if sum(bad.values()) == 0 else warehouse.discard()
    if sum(bad.values()) == 0:  # what the published features were computed with (the model stores it)
        run_config.save_step_config(object_store, "user_features", config)
    return result


# ----------------------------------------------------------------------------- clusters
def elbow_png(elbow: clustering.Elbow) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot(elbow.ks, elbow.inertias, marker="o")
    ax.axvline(elbow.k, color="red", linestyle="--", label=f"knee: k = {elbow.k}")
    ax.set_xlabel("k (clusters)")
    ax.set_ylabel("inertia (scaled features)")
    ax.set_title(f"K-Means inertia on {elbow.sample_size:,} sampled users")
    ax.legend()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


CLUSTER_SAMPLE_TABLE = "cluster_sample"


def cluster_check(summary: pd.DataFrame) -> tuple[bool, dict]:
    """(no data error, findings): the clustering is degenerate when fewer than 2 clusters
    have users, one cluster holds every user, or a centroid is not a finite number. Whether
    a cluster reads as spam, or a cluster is a single outlier, is a finding, not an error."""
    sizes = summary["size"].astype("int64")
    total = int(sizes.sum())
    numeric = summary.drop(columns=["cluster", "size"], errors="ignore").select_dtypes("number")
    finite = bool(np.isfinite(numeric.to_numpy(dtype="float64")).all()) if numeric.size else True
    ok = int((sizes > 0).sum()) >= 2 and int(sizes.max()) < total and finite
    classes = summary["cluster_class"] if "cluster_class" in summary else pd.Series("", index=summary.index)
    spam = summary.loc[classes == modelling.SPAM, "cluster"]
    finding = {"spam_cluster_found": bool(len(spam)), "spam_clusters": [int(c) for c in spam],
               "spam_cluster_users": int(sizes[spam.index].sum()) if len(spam) else 0,
               "singleton_clusters": int((sizes == 1).sum()), "finite_centroids": finite}
    if not len(spam):
        finding["finding"] = ("no cluster reads as spam: the model learns spam from the labelling functions "
                              "and known labels alone, and every user is still scored")
    return ok, finding


@dg.asset(
    deps=["user_features"], automation_condition=ON_UPSTREAM_UPDATE, group_name=GROUP, kinds=KINDS, owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("no_degenerate_clusters", asset="user_clusters", blocking=True,
                                   description="At least 2 non-empty clusters, none with every user, every centroid a "
                                               "finite number (data errors; whether a cluster is spam is a finding in "
                                               "the metadata).")],
)
def user_clusters(context: dg.AssetExecutionContext, config: UserClustersConfig, spark: SparkResource,
                  object_store: ObjectStore, warehouse: Warehouse):
    """Users grouped by K-Means on scaled features (k at the knee of the inertia curve) and
    named Superstars, Fans, Regular Musicians or Spam by rules on the centroids."""
    session = spark.get_session()
    feats = warehouse.read(session, "user_features")
    clusters = chain.cluster_users(feats, config.users_config())
    warehouse = warehouse.staged_writes()  # write, check, then publish: a failed check keeps the previous tables
    warehouse.write_table(clusters.assignments.select("user_id", "cluster", "cluster_name", "cluster_class", "distance"),
                          "user_clusters")
    summary = clusters.summary.reset_index()
    warehouse.write_table(session.createDataFrame(summary), "cluster_summary")
    # the users K-Means was fitted on: feature selection runs on the same sample (as in the chain)
    warehouse.write_table(session.createDataFrame(clusters.sample[["user_id", "cluster"]].astype("int64")),
                          CLUSTER_SAMPLE_TABLE)
    plot_key = f"reports/users/elbow/{context.run.run_id}.png"
    object_store.put_bytes(plot_key, elbow_png(clusters.elbow))
    sizes = summary.set_index("cluster")["size"]
    total = int(sizes.sum())
    ok, finding = cluster_check(summary)
    warehouse.publish() if ok else warehouse.discard()
    if ok:  # the fitted pipeline goes with the published tables (spam_model reads both)
        object_store.put_bytes(CLUSTER_PIPELINE_KEY, pickle.dumps(clusters.pipeline))
        run_config.save_step_config(object_store, "user_clusters", config)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": total, "k": clusters.elbow.k,
                  "elbow": _md(clusters.elbow.table(), 20), "elbow_plot": _object_link(object_store, plot_key),
                  "clusters": _md(summary[["cluster", "cluster_name", "size", "followers", "followings", "tracks",
                                           "activity"]].round(2), 20), **finding},
        check_results=[dg.AssetCheckResult(check_name="no_degenerate_clusters", passed=bool(ok),
                                           metadata={"sizes": {str(k): int(v) for k, v in sizes.items()}})],
    )


# ----------------------------------------------------------------------------- selection
@dg.asset(deps=["user_features", "user_clusters"], automation_condition=ON_UPSTREAM_UPDATE, group_name=GROUP,
          kinds=KINDS, owners=OWNERS)
def feature_selection(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """Which features carry the cluster structure: CFS merit (Hall 1999), kept and dropped,
    on the users K-Means was fitted on (``user_clusters``' sample: no config of its own)."""
    session = spark.get_session()
    sample = warehouse.read(session, CLUSTER_SAMPLE_TABLE).toPandas().sort_values("user_id", kind="stable")
    labelled = chain.with_features(warehouse.read(session, "user_features"), sample.reset_index(drop=True))
    sel = selection.select_features(labelled, features.FEATURES, "cluster")
    table = pd.DataFrame({"feature": list(features.FEATURES),
                          "r_class": [sel.feature_class[f] for f in features.FEATURES],
                          "kept": [f in sel.kept for f in features.FEATURES]})
    warehouse.write_table(session.createDataFrame(table), "feature_selection")
    return dg.MaterializeResult(metadata={"kept": sel.kept, "dropped": sel.dropped,
                                          "sample_users": len(labelled),
                                          "merit_table": _md(sel.merit_table, 40), "features": _md(table, 40)})


# ----------------------------------------------------------------------------- model
def read_known_labels(store: ObjectStore) -> pd.DataFrame | None:
    """Known labels dropped as CSV (user_id,label with spam/not-spam) under landing/known_labels/."""
    frames = []
    for key in store.list(KNOWN_LABELS_PREFIX):
        if key.endswith(".csv"):
            frames.append(pd.read_csv(io.BytesIO(store.get_bytes(key))))
    return pd.concat(frames, ignore_index=True)[["user_id", "label"]] if frames else None


MODEL_CHECKS = ("model_promotion", "model_meets_bar")


@dg.asset(
    deps=["user_features", "user_clusters", "feature_selection"], automation_condition=ON_UPSTREAM_UPDATE,
    group_name=GROUP, kinds={"scikit-learn", "spark"}, owners=OWNERS,
    check_specs=[
        dg.AssetCheckSpec("model_promotion", asset="spam_model", blocking=True,
                          description="A sound model is promoted for scoring: the new one, or the promoted one kept "
                                      "when the new one is not better. Fails only when the new model is broken (no "
                                      "spam class, probabilities that are not numbers in 0..1)."),
        dg.AssetCheckSpec("model_meets_bar", asset="spam_model", blocking=False,
                          description="Warning: the new model met the bar (agreement with the chain's own labels, "
                                      "spam ROC-AUC) and is not worse than the promoted one on the same held-out "
                                      "sample; otherwise the promoted one is kept."),
    ],
)
def spam_model(context: dg.AssetExecutionContext, config: SpamModelConfig, spark: SparkResource,
               object_store: ObjectStore, warehouse: Warehouse):
    """A feed-forward network that tells spam from Superstars, Fans and Regular Musicians,
    trained on cluster labels (and known labels), versioned with the run config it was
    trained with, promoted when good enough (else the promoted one keeps scoring)."""
    session = spark.get_session()
    cfg, defaults_for = run_config.trained_with(object_store, config)
    feats = warehouse.read(session, "user_features")
    summary = warehouse.read(session, "cluster_summary").toPandas().set_index("cluster")
    pipeline = pickle.loads(object_store.get_bytes(CLUSTER_PIPELINE_KEY))
    assignments = warehouse.read(session, "user_clusters")
    sample = warehouse.read(session, CLUSTER_SAMPLE_TABLE).toPandas().sort_values("user_id", kind="stable")
    clusters = chain.Clusters(pipeline=pipeline, elbow=None, summary=summary, assignments=assignments,
                              sample=chain.with_features(feats, sample.reset_index(drop=True)))
    kept = [r["feature"] for r in warehouse.read(session, "feature_selection").where("kept").collect()]
    known = read_known_labels(object_store)
    fitted, test = chain.train_model(feats, clusters, kept, cfg, known)
    fitted.metrics = promotion.with_agreement(fitted.metrics)
    store = ModelStore(object_store, "spam_model")
    version = store.save(fitted.to_bytes(), fitted.schema(), fitted.metrics, config=run_config.config_dict(cfg))
    fitted.version = version
    previous = store.load_promoted()
    prev_model = modelling.SpamModel.from_bytes(previous.model_bytes) if previous is not None else None
    bar = promotion.Bar(config.min_agreement, config.min_spam_auc, config.max_regression)
    decision = promotion.decide(fitted, test, bar, prev_model, previous.version if previous else None)
    if decision.promote_new:
        store.promote(version, reason=decision.reason)
    scoring_version = version if decision.promote_new else (previous.version if previous else None)
    context.log.info(f"spam model {version}: {decision.reason}")
    m = fitted.metrics
    why = {"decision": decision.reason, "version": version, "scoring_version": scoring_version}
    return dg.MaterializeResult(
        metadata={"version": version, "promoted": decision.promote_new, "scoring_version": scoring_version,
                  "decision": decision.reason, "defects": list(decision.defects),
                  "agreement": promotion.agreement(m), "agreement_spam_roc_auc": promotion.agreement_auc(m),
                  "brier": m.get("brier"),
                  "metrics_measure": "agreement with the chain's own training labels on the held-out sample, "
                                     "not spam truth (real metrics: bench/RESULTS.md)",
                  "features": fitted.features, "known_labels": 0 if known is None else len(known),
                  "train_spam_share": m.get("train_spam_share"),
                  "label_model_prior": (m.get("label_model") or {}).get("prior"),
                  "labelling_functions": _md(pd.DataFrame((m.get("label_model") or {}).get("voters") or []), 20),
                  "config_defaults_for": defaults_for,
                  "per_class": _md(pd.DataFrame(m["per_class"]).T.reset_index(), 20),
                  "confusion_matrix": _md(pd.DataFrame(m["confusion_matrix"]["rows_true_cols_predicted"],
                                                       index=m["confusion_matrix"]["labels"],
                                                       columns=m["confusion_matrix"]["labels"]).reset_index(), 20),
                  "reliability": _md(pd.DataFrame(m["reliability"]), 20),
                  "promoted_agreement_on_this_sample": decision.previous_agreement},
        check_results=[
            dg.AssetCheckResult(check_name="model_promotion", passed=decision.usable, metadata=why),
            dg.AssetCheckResult(check_name="model_meets_bar", passed=decision.meets_bar,
                                severity=dg.AssetCheckSeverity.WARN, metadata=why),
        ],
    )


# ----------------------------------------------------------------------------- scores
@dg.asset(
    deps=["spam_model", "user_features"], automation_condition=ON_UPSTREAM_UPDATE, group_name=GROUP,
    kinds=KINDS, owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("spam_share_stable", asset="spam_scores", blocking=False,
                                   description="Share of users predicted spam within a tolerance of the previous run (warning).")],
)
def spam_scores(context: dg.AssetExecutionContext, config: SpamScoresConfig, spark: SparkResource,
                object_store: ObjectStore, warehouse: Warehouse):
    """Every user's spam probability, class, spam type and reasons in words, from the
    promoted model (the new one, or the one kept when the new one was not better)."""
    session = spark.get_session()
    models = ModelStore(object_store, "spam_model")
    promoted = models.load_promoted()
    if promoted is None:
        raise dg.Failure("no promoted spam model: materialise spam_model first (its check must pass)")
    model = modelling.SpamModel.from_bytes(promoted.model_bytes)
    model.version = promoted.version
    previous = chain.spam_share(warehouse.read(session, "spam_scores")) if warehouse.exists(session, "spam_scores") else None
    scores = scoring.score_users(warehouse.read(session, "user_features"), model)
    warehouse.write_table(scores, "spam_scores")
    table = warehouse.read(session, "spam_scores")
    share = chain.spam_share(table)
    tol = config.spam_share_tolerance
    stable = previous is None or abs(share - previous) <= tol * max(previous, 1e-3)
    by_type = {r["spam_type"]: r["count"] for r in table.where(F.col("spam_type").isNotNull())
               .groupBy("spam_type").count().collect()}
    return dg.MaterializeResult(
        metadata={"dagster/row_count": table.count(), "model_version": promoted.version,
                  "model_promotion": (models.promoted() or {}).get("reason", ""),
                  "latest_trained_version": (models.versions() or [None])[-1], "spam_share": round(share, 6),
                  "previous_spam_share": previous, "by_spam_type": by_type,
                  "top_spam": _preview(table.where("predicted_class = 'spam'").orderBy(F.desc("spam_probability")))},
        check_results=[dg.AssetCheckResult(
            check_name="spam_share_stable", passed=bool(stable), severity=dg.AssetCheckSeverity.WARN,
            metadata={"spam_share": round(share, 6), "previous": previous, "tolerance": tol})],
    )


# ----------------------------------------------------------------------------- overview
@dg.asset(deps=["users", "user_features"], automation_condition=ON_UPSTREAM_UPDATE, group_name=GROUP,
          kinds=KINDS, owners=OWNERS)
def population_overview(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse):
    """The seed's descriptive figures as tables for the reports: plans, track counts,
    engagement, following vs followers, top 25 linked domains (shorteners marked)."""
    session = spark.get_session()
    tables = overview.population_overview(warehouse.read(session, "users"), warehouse.read(session, "user_features"))
    meta = {}
    for name, df in tables.items():
        warehouse.write_table(df.coalesce(1), f"population_{name}")
        meta[name] = _md(warehouse.read(session, f"population_{name}").toPandas(), 25)
    meta["tables"] = json.dumps([f"population_{n}" for n in tables])
    return dg.MaterializeResult(metadata=meta)
