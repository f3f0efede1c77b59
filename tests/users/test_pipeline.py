"""Scenario: a platform imports 3,000 of its own users (half spam, no superstars, shapes
unlike the simulator's crawl). Every users asset materialises with real resources on
temporary storage, names a spam cluster, promotes a model and scores every user; a later
model below the bar is kept back without failing the run."""

from __future__ import annotations

import dagster as dg
from pyspark.sql import functions as F

from resources.model_store import ModelStore


def _meta(result, key):
    mats = result.asset_materializations_for_node(key)
    return mats[-1].metadata


def test_users_counts_gone_and_failed(users_run, spark):
    meta = _meta(users_run["result"], "users")
    assert meta["dagster/row_count"].value == 3000
    assert meta["gone_ids"].value == 1 and meta["failed_ids"].value == 1


def test_spam_cluster_named_and_checks_pass(users_run, spark):
    result = users_run["result"]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["feature_ranges"] and checks["no_degenerate_clusters"] and checks["model_promotion"]
    wh = users_run["resources"]["warehouse"]
    summary = wh.read(spark, "cluster_summary").toPandas()
    assert (summary["cluster_class"] == "spam").any()
    assert 2 <= len(summary) <= 10
    # the spam clusters hold mostly planted spam (half the population is spam)
    clusters = wh.read(spark, "user_clusters").toPandas().merge(
        users_run["truth"].rename(columns={"id": "user_id"}), on="user_id")
    in_spam = clusters[clusters["cluster_class"] == "spam"]
    assert in_spam["is_spam"].mean() > 0.8


def test_scores_every_user_with_the_promoted_model(users_run, spark):
    wh = users_run["resources"]["warehouse"]
    scores = wh.read(spark, "spam_scores")
    assert scores.count() == 3000
    assert scores.select("user_id").distinct().count() == 3000
    promoted = ModelStore(users_run["resources"]["object_store"], "spam_model").promoted_version()
    assert {r["model_version"] for r in scores.select("model_version").distinct().collect()} == {promoted}
    bad = scores.where((F.col("spam_probability") < 0) | (F.col("spam_probability") > 1)).count()
    assert bad == 0
    types = {r["spam_type"] for r in scores.where("predicted_class = 'spam'").select("spam_type").distinct().collect()}
    assert types and types <= {"pornographic", "fake_batch", "seo", "other"}
    assert scores.where("predicted_class != 'spam' and spam_type is not null").count() == 0
    pdf = scores.toPandas().merge(users_run["truth"].rename(columns={"id": "user_id"}), on="user_id")
    flagged = pdf["predicted_class"] == "spam"
    assert (flagged & pdf["is_spam"]).sum() / max(flagged.sum(), 1) > 0.85  # precision on an unseen shape
    batch = pdf[pdf["reasons"].str.contains("same description")]
    assert len(batch) and batch["reasons"].str.contains(r"created with \d+ others? at \d{4}-\d\d-\d\dT").all()


def test_overview_tables(users_run, spark):
    wh = users_run["resources"]["warehouse"]
    plans = wh.read(spark, "population_plans").toPandas()
    assert plans["users"].sum() == 3000
    tracks = wh.read(spark, "population_track_buckets").toPandas()
    assert tracks["users"].sum() == 3000 and abs(tracks["share_pct"].sum() - 100) < 0.01
    top = wh.read(spark, "population_top_domains").toPandas()
    assert 0 < len(top) <= 25 and top["users"].is_monotonic_decreasing
    assert top.loc[top["domain"] == "bit.ly", "shortener"].all()


def test_model_below_the_bar_keeps_the_promoted_one_and_scores(users_run, spark):
    """A new model that does not clear the bar is not promoted, but the run does not fail:
    the promoted model is kept (the metadata says why) and spam_scores scores with it."""
    from assets.users import assets as ua
    from tests.users.conftest import run_config

    store = ModelStore(users_run["resources"]["object_store"], "spam_model")
    before = store.promoted_version()
    n_versions = len(store.versions())
    sel = [a for a in users_run["selection"] if a.key.path[-1] in ("spam_model", "spam_scores")]
    ops = run_config().ops
    cfg = dg.RunConfig(ops={"spam_model": {"config": {**ops["spam_model"]["config"], "min_agreement": 1.01}},
                            "spam_scores": ops["spam_scores"]})
    result = dg.materialize(sel + [ua.user_features.to_source_asset(), ua.user_clusters.to_source_asset(),
                                   ua.feature_selection.to_source_asset()],
                            resources=users_run["resources"], run_config=cfg, raise_on_error=False,
                            selection=[ua.spam_model.key, ua.spam_scores.key])
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["model_promotion"].passed is True  # a sound model scores: the kept one
    assert checks["model_meets_bar"].passed is False
    assert checks["model_meets_bar"].severity == dg.AssetCheckSeverity.WARN
    meta = _meta(result, "spam_model")
    assert meta["promoted"].value is False and meta["scoring_version"].value == before
    assert "kept the promoted" in meta["decision"].value and "agreement" in meta["decision"].value
    assert store.promoted_version() == before
    assert len(store.versions()) == n_versions + 1  # the new one is kept as a version, not promoted
    scores = users_run["resources"]["warehouse"].read(spark, "spam_scores")
    assert {r["model_version"] for r in scores.select("model_version").distinct().collect()} == {before}
    assert scores.count() == 3000
    assert _meta(result, "spam_scores")["model_version"].value == before
