"""The users chain without Dagster: users -> features -> clusters -> CFS -> label model ->
model -> scores.

The assets call these steps one by one; benchmarks and quality evaluations call
``run_users_chain`` directly. Contract (stable for helper code):

* ``load_users(spark, raw_records) -> DataFrame``: latest record per id, typed, live only.
* ``run_users_chain(spark, users, *, known_labels=None, config=UsersConfig(), model=None)
  -> dict`` with Spark DataFrames ``user_features``, ``user_urls``, ``stock_phrases``,
  ``user_clusters`` (user_id, cluster, cluster_name, cluster_class, distance),
  ``spam_scores`` (user_id, spam_probability, predicted_class, spam_type, reasons,
  model_version; predicted_class is "spam" where spam_probability >= the model's
  threshold, ``UsersConfig.spam_threshold``), and python objects ``cluster_summary``
  (pandas: centroid, size, name, class per cluster; any number of clusters may be Spam,
  none included), ``elbow`` (clustering.Elbow: ks, inertias, k), ``feature_selection``
  (selection.Selection: merit_table, kept, dropped), ``model`` (model.SpamModel, the one
  that scored), ``trained_model`` (the one fitted here, always trained),
  ``model_metrics`` (dict of the trained model, keys in ``model``'s docstring: agreement
  with its own training labels, not spam truth; ``label_model`` holds the per-voter
  coverage / accuracy report), ``finding`` (dict: ``spam_clusters`` (names),
  ``spam_cluster_users``, ``train_spam_share``, ``label_model_prior``, ``note``: e.g. no
  cluster looks like spam; a finding, never an error), ``users`` (count) and ``timings``
  (seconds per stage).

Same input, same output: every sample is drawn by hashing (config.seed, user_id), K-Means,
the label model and the network are seeded or deterministic, and rows reach scikit-learn
in user_id order, so the result does not depend on Spark's partitioning.

``known_labels``: a Spark or pandas frame (user_id, label) with label spam / not-spam.
``model``: score with this (e.g. the promoted) model instead of the one trained here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from assets.users import clustering, features, scoring, selection
from assets.users import model as spam_model
from assets.users.config import DEFAULT_CONFIG, UsersConfig
from assets.users.load import load_users, read_raw_records, status_counts  # noqa: F401  (re-exported)
from assets.users.model import SPAM


@dataclass
class Clusters:
    pipeline: object
    elbow: clustering.Elbow
    summary: pd.DataFrame  # per cluster: size, centroid features, name, class
    assignments: DataFrame  # user_id, cluster, distance, cluster_name, cluster_class
    sample: pd.DataFrame | None = None  # the uniform sample K-Means was fitted on, with its cluster


def bounded_sample(df: DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A uniform random sample of ``n`` rows of ``df`` (all of them when fewer) as pandas,
    in user_id order. The draw hashes (seed, user_id) (``model.hash_unit``): the same users
    whatever Spark's partitioning, run after run."""
    total = df.count()
    frac = min(1.0, 1.1 * n / max(total, 1))
    u = spam_model.hash_unit(F.col("user_id"), seed)
    pdf = (df if frac >= 1.0 else df.where(u < F.lit(frac))).withColumn("_u", u).toPandas()
    if len(pdf) > n:
        pdf = pdf.sort_values(["_u", "user_id"], kind="stable").head(n)
    return pdf.drop(columns="_u").sort_values("user_id", kind="stable").reset_index(drop=True)


def description_words():
    """Words of the user's normalised description (0 without one): read by the labelling
    function ``copied_long_description``, not a model input."""
    return (F.when(F.col("description_key").isNull(), F.lit(0))
            .otherwise(F.size(F.split(F.col("description_key"), " "))).cast("double").alias("description_words"))


def _lf_columns(feats: DataFrame) -> list:
    return [description_words()] if "description_key" in feats.columns else []


def sample_features(feats: DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A uniform random sample of about ``n`` users (all of them when fewer), with the
    features and the labelling functions' extra columns."""
    return bounded_sample(feats.select("user_id", *features.FEATURES, *_lf_columns(feats)), n, seed)


def with_features(feats: DataFrame, sampled: pd.DataFrame) -> pd.DataFrame:
    """``sampled`` (user_id + label columns, a bounded sample) with the users' features (and
    the labelling functions' extra columns), in the sample's order; the sample is broadcast,
    so the feature table is scanned once and never shuffled."""
    if sampled.empty:
        return sampled.assign(**{f: pd.Series(dtype="float64") for f in features.FEATURES})
    spark = feats.sparkSession
    ids = spark.createDataFrame(sampled[["user_id"]].astype("int64"))
    pdf = (feats.select("user_id", *features.FEATURES, *_lf_columns(feats)).join(F.broadcast(ids), "user_id")
           .toPandas())
    return sampled.merge(pdf, on="user_id", how="inner")


def labelled_sample(feats: DataFrame, labels: DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A uniform random sample of about ``n`` users of ``labels`` (user_id + label columns)
    with their features (all of them when fewer), in user_id order."""
    return with_features(feats, bounded_sample(labels, n, seed))


def cluster_users(feats: DataFrame, config: UsersConfig, feature_names: tuple[str, ...] = features.FEATURES) -> Clusters:
    """K-Means (k at the knee) fitted on a sample, every user assigned on Spark, named."""
    sample = sample_features(feats, config.cluster_sample_size, config.seed)
    if len(sample) <= config.k_min:
        raise ValueError(f"{len(sample)} users cannot be clustered into {config.k_min}+ groups: "
                         "load more users first")
    pipe, elbow = clustering.fit_elbow(sample, feature_names, config.k_min, config.k_max, config.seed,
                                       config.kmeans_n_init)
    assigned = clustering.assign(feats, pipe, feature_names).persist()
    cents = clustering.centroids(feats, assigned, features.FEATURES)
    names = clustering.name_clusters(cents)
    summary = cents.assign(cluster_name=names, cluster_class=names.map(clustering.class_of))
    spark = feats.sparkSession
    lookup = spark.createDataFrame(
        [(int(i), str(n), clustering.class_of(n)) for i, n in names.items()],
        T.StructType([T.StructField("cluster", T.IntegerType()), T.StructField("cluster_name", T.StringType()),
                      T.StructField("cluster_class", T.StringType())]))
    assignments = assigned.join(F.broadcast(lookup), "cluster")
    sample = sample.assign(cluster=pipe.predict(sample[list(feature_names)].to_numpy(dtype="float64")))
    return Clusters(pipeline=pipe, elbow=elbow, summary=summary, assignments=assignments, sample=sample)


def _known_pandas(known_labels) -> pd.DataFrame | None:
    if known_labels is None:
        return None
    pdf = known_labels.toPandas() if isinstance(known_labels, DataFrame) else pd.DataFrame(known_labels)
    missing = {"user_id", "label"} - set(pdf.columns)
    if missing:
        raise ValueError(f"known_labels needs columns user_id, label (missing {sorted(missing)})")
    return pdf[["user_id", "label"]]


def nearest_legit_class(clusters: Clusters, pdf: pd.DataFrame, feature_names: tuple[str, ...]) -> pd.Series:
    """For each row: the class of its nearest non-spam cluster (indexed by user_id)."""
    legit = clusters.summary.index[clusters.summary["cluster_class"] != spam_model.SPAM]
    if len(legit) == 0 or pdf.empty:
        return pd.Series(dtype=object)
    X = clusters.pipeline.named_steps["prep"].transform(pdf[list(feature_names)].to_numpy(dtype="float64"))
    d = clusters.pipeline.named_steps["kmeans"].transform(X)[:, list(legit)]
    return pd.Series(clusters.summary.loc[legit, "cluster_class"].to_numpy()[d.argmin(axis=1)],
                     index=pdf["user_id"].to_numpy())


def fit_label_model(clusters: Clusters) -> tuple[spam_model.LabelModel, list[dict]]:
    """The label model (``model.fit_label_model``) on the uniform sample K-Means was fitted
    on: the cluster vote plus the labelling functions; with its per-voter report."""
    sample = clusters.sample
    cls = clusters.summary["cluster_class"]
    part = sample.assign(label=sample["cluster"].map(cls).to_numpy())
    votes = spam_model.weak_labels(part)
    lm = spam_model.fit_label_model(votes)
    return lm, spam_model.lf_report(votes, lm)


def train_model(feats: DataFrame, clusters: Clusters, kept: list[str], config: UsersConfig,
                known_labels=None, cluster_features: tuple[str, ...] = features.FEATURES
                ) -> tuple[spam_model.SpamModel, pd.DataFrame]:
    """Balanced disjoint samples labelled by clusters combined with the labelling functions
    by the label model (``fit_label_model``), then known labels (which win); fit; evaluate."""
    known = _known_pandas(known_labels)
    labels = clusters.assignments.select("user_id", F.col("cluster_class").alias("label"))
    if known is not None and not known.empty:
        spark = feats.sparkSession
        kdf = spark.createDataFrame(known.assign(user_id=known["user_id"].astype("int64"),
                                                 label=known["label"].astype(str)))
        # known users are always in the sample: relabel after sampling, on the sampled rows
        labels = labels.join(kdf.withColumnRenamed("label", "known"), "user_id", "left")
        labels = labels.withColumn("label", F.when(F.lower(F.col("known")) == "spam", F.lit(spam_model.SPAM))
                                   .otherwise(F.col("label")))
    lm, lf_table = fit_label_model(clusters)
    # sample the narrow (user_id, label) table, then fetch the features of the sampled users
    train, test = spam_model.balanced_split(labels.select("user_id", "label"), "label", config.train_per_class,
                                            config.test_per_class, config.seed)
    both = with_features(feats, pd.concat([train.assign(_test=False), test.assign(_test=True)], ignore_index=True))
    train = both[~both["_test"]].drop(columns="_test").reset_index(drop=True)
    test = both[both["_test"]].drop(columns="_test").reset_index(drop=True)
    for part in (train, test):  # cluster vote + labelling functions, weighted by the label model
        part["label"] = spam_model.apply_label_model(
            part, lm, nearest_legit_class(clusters, part, cluster_features)).to_numpy()
    if known is not None and not known.empty:
        for part in (train, test):
            fallback = nearest_legit_class(clusters, part, cluster_features)
            applied = spam_model.apply_known_labels(part[["user_id", "label"]], known, fallback)
            part["label"] = applied["label"].to_numpy()
    use = kept if config.model_features == "selected" else list(features.FEATURES)
    fitted = spam_model.fit(train, use, "label", config.hidden_layers, config.seed, config.mlp_alpha)
    fitted.threshold = config.spam_threshold
    fitted.metrics = spam_model.evaluate(fitted, test, "label")
    fitted.metrics["train_rows"] = int(len(train))
    fitted.metrics["train_spam_share"] = round(float((train["label"] == spam_model.SPAM).mean()), 6) if len(train) else 0.0
    fitted.metrics["label_model"] = {"prior": lm.prior, "iterations": lm.iterations, "voters": lf_table}
    return fitted, test


def spread(users: DataFrame, spark: SparkSession) -> DataFrame:
    """``users`` over at least the default parallelism's number of partitions, so the Python work of
    the row features runs on every core (a gzip file or a small table is one partition).
    Hash-partitioned by user_id when it must be spread: no sort, unlike a round-robin
    repartition; left as it is when it already is."""
    parts = max(2, spark.sparkContext.defaultParallelism)
    if users.rdd.getNumPartitions() >= parts:
        return users
    return users.repartition(parts, "user_id")


def run_users_chain(spark: SparkSession, users: DataFrame, *, known_labels=None, config: UsersConfig = DEFAULT_CONFIG,
                    model: spam_model.SpamModel | None = None) -> dict:
    """Every step after ``users`` (see the module docstring for what comes back)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    users = spread(users, spark)
    feats, user_urls, stock = features.user_features(users, config)
    feats = feats.persist()
    n_users = feats.count()
    timings["features"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = cluster_users(feats, config)
    timings["clustering"] = time.perf_counter() - t

    t = time.perf_counter()
    # CFS on the uniform sample K-Means was fitted on (the asset draws the same kind of
    # sample from the stored tables: ``labelled_sample``)
    sel = selection.select_features(clusters.sample, features.FEATURES, "cluster")
    timings["feature_selection"] = time.perf_counter() - t

    t = time.perf_counter()
    trained, _test = train_model(feats, clusters, sel.kept, config, known_labels)
    timings["training"] = time.perf_counter() - t

    t = time.perf_counter()
    scorer = model if model is not None else trained
    scores = scoring.score_users(feats, scorer).persist()
    scores.count()
    timings["scoring"] = time.perf_counter() - t

    user_clusters = clusters.assignments.select("user_id", "cluster", "cluster_name", "cluster_class", "distance")
    spam_clusters = [str(n) for n, c in zip(clusters.summary["cluster_name"], clusters.summary["cluster_class"],
                                            strict=True) if c == spam_model.SPAM]
    finding = {
        "spam_clusters": spam_clusters,
        "spam_cluster_users": int(clusters.summary.loc[clusters.summary["cluster_class"] == spam_model.SPAM,
                                                       "size"].sum()),
        "train_spam_share": trained.metrics.get("train_spam_share"),
        "label_model_prior": trained.metrics.get("label_model", {}).get("prior"),
        "note": ("no cluster looks like spam; spam comes from the labelling functions alone"
                 if not spam_clusters else "")
                + ("; no spam in the training labels: the model finds none" if SPAM not in trained.classes else ""),
    }
    return {
        "users": n_users,
        "user_features": feats,
        "user_urls": user_urls,
        "stock_phrases": stock,
        "user_clusters": user_clusters,
        "cluster_summary": clusters.summary,
        "cluster_pipeline": clusters.pipeline,
        "elbow": clusters.elbow,
        "feature_selection": sel,
        "model": scorer,
        "trained_model": trained,
        "model_metrics": trained.metrics,
        "finding": finding,
        "spam_scores": scores,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def spam_share(scores: DataFrame) -> float:
    row = scores.agg(F.avg((F.col("predicted_class") == spam_model.SPAM).cast("double")).alias("s")).first()
    return float(row["s"] or 0.0)


__all__ = ["load_users", "read_raw_records", "run_users_chain", "status_counts", "spam_share"]
