"""Scenario: user_features is materialised on a small imported population, then again after
a regression makes one feature out of range. The blocking check fails, the new tables are
discarded, and the previous user_features (and its side tables) stay readable and unchanged
(write, check, then publish); nothing is left in the warehouse's staging area."""

from __future__ import annotations

import dagster as dg
import pytest
from pyspark.sql import functions as F

from assets.users import assets as users_assets
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from simulator.users import user_dump
from tests.users.conftest import write_dump_as_raw


def test_failed_feature_check_keeps_the_previous_tables(spark, tmp_path, monkeypatch):
    store = LocalObjectStore(root=str(tmp_path / "lake"))
    users, _ = user_dump(seed=8, n_users=200, spam_share=0.5)
    write_dump_as_raw(store, users)
    res = {"spark": SparkResource(master="local[2]", shuffle_partitions=2), "object_store": store,
           "warehouse": Warehouse(uri=str(tmp_path / "warehouse"))}
    selection = [users_assets.users, users_assets.user_features]
    first = dg.materialize(selection, resources=res, raise_on_error=True)  # default config
    assert all(c.passed for c in first.get_asset_check_evaluations())
    wh = res["warehouse"]
    before = {t: sorted(map(tuple, wh.read(spark, t).collect())) for t in ("user_features", "user_urls")}

    real = users_assets.features.user_features

    def regressed(users_df, cfg):  # a bug that makes one user's follower count negative
        feats, urls, stock = real(users_df, cfg)
        first_id = users_df.agg(F.min("user_id")).first()[0]
        return feats.withColumn("followers", F.when(F.col("user_id") == first_id, F.lit(-1.0))
                                .otherwise(F.col("followers"))), urls.limit(0), stock

    monkeypatch.setattr(users_assets.features, "user_features", regressed)
    second = dg.materialize([users_assets.user_features], resources=res, raise_on_error=False)
    (check,) = second.get_asset_check_evaluations()
    assert not check.passed and check.metadata["violations"].value == {"followers": 1}
    after = {t: sorted(map(tuple, wh.read(spark, t).collect())) for t in ("user_features", "user_urls")}
    assert after == before and len(before["user_urls"]) > 0
    assert not (tmp_path / "warehouse" / ".staging").exists()


@pytest.mark.integration
def test_failed_cluster_check_keeps_the_previous_clusters_and_pipeline(spark, tmp_path, monkeypatch):
    """user_clusters' blocking check fails on a degenerate clustering: its tables and the
    fitted pipeline that spam_model reads stay the previous run's."""
    import dataclasses

    store = LocalObjectStore(root=str(tmp_path / "lake"))
    users, _ = user_dump(seed=9, n_users=200, spam_share=0.3)
    write_dump_as_raw(store, users)
    res = {"spark": SparkResource(master="local[2]", shuffle_partitions=2), "object_store": store,
           "warehouse": Warehouse(uri=str(tmp_path / "warehouse"))}
    first = dg.materialize([users_assets.users, users_assets.user_features, users_assets.user_clusters],
                           resources=res, raise_on_error=True)
    assert all(c.passed for c in first.get_asset_check_evaluations())
    wh = res["warehouse"]
    tables = ("user_clusters", "cluster_summary")
    before = {t: sorted(map(tuple, wh.read(spark, t).collect())) for t in tables}
    pipeline_before = store.get_bytes(users_assets.CLUSTER_PIPELINE_KEY)

    real = users_assets.chain.cluster_users

    def degenerate(feats, cfg):  # a bug that puts every user in one cluster, with another pipeline
        c = real(feats, cfg)
        summary = c.summary.copy()
        summary["size"] = 0
        summary.iloc[0, summary.columns.get_loc("size")] = int(c.summary["size"].sum())
        return dataclasses.replace(c, summary=summary, pipeline={"not": "the fitted pipeline"})

    monkeypatch.setattr(users_assets.chain, "cluster_users", degenerate)
    second = dg.materialize([users_assets.user_clusters], resources=res, raise_on_error=False)
    (check,) = second.get_asset_check_evaluations()
    assert not check.passed
    assert {t: sorted(map(tuple, wh.read(spark, t).collect())) for t in tables} == before
    assert store.get_bytes(users_assets.CLUSTER_PIPELINE_KEY) == pipeline_before
