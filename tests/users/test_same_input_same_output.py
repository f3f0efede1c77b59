"""Scenario: an analyst materialises the users chain a second time on the same raw zone
(the shared run's dump, copied to fresh storage), this time with Spark shuffling into a
different number of partitions. Every step gives the same answer, and so every user gets
the same spam score, class, type and reasons; the first step that differs is named."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from assets.users.assets import CLUSTER_SAMPLE_TABLE
from resources.model_store import ModelStore
from tests.users.chain_runs import materialise_chain

SHUFFLE_PARTITIONS = "5"  # the shared session's is 2


pytestmark = pytest.mark.integration  # two materialisations of the users chain: not in make test


@pytest.fixture(scope="module")
def second_run(users_run, spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("users_run_again")
    shutil.copytree(users_run["root"] / "lake" / "raw", root / "lake" / "raw")
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", SHUFFLE_PARTITIONS)
    try:
        result, resources = materialise_chain(root)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)
    assert result.success
    return resources


def _table(resources, spark, name: str, key: list[str]) -> pd.DataFrame:
    pdf = resources["warehouse"].read(spark, name).toPandas()
    return pdf.sort_values(key, kind="stable").reset_index(drop=True)


# (step, table, sort key, columns left out, exact). Exact everywhere but the centroids of
# cluster_summary: they are Spark averages, whose last bits may follow the order of the
# partial sums (the names, sizes and classes beside them are compared exactly).
STEPS = [
    ("user_features", "user_features", ["user_id"], [], True),
    ("user_clusters: the K-Means sample", CLUSTER_SAMPLE_TABLE, ["user_id"], [], True),
    ("user_clusters", "user_clusters", ["user_id"], [], True),
    ("user_clusters: names and centroids", "cluster_summary", ["cluster"], [], False),
    ("feature_selection", "feature_selection", ["feature"], [], True),
    ("spam_scores", "spam_scores", ["user_id"], ["model_version"], True),
]


@pytest.mark.parametrize(("step", "table", "key", "drop", "exact"), STEPS, ids=[s[0] for s in STEPS])
def test_each_step_gives_the_same_answer(users_run, second_run, spark, step, table, key, drop, exact):
    first = _table(users_run["resources"], spark, table, key).drop(columns=drop)
    again = _table(second_run, spark, table, key).drop(columns=drop)
    if exact:
        pd.testing.assert_frame_equal(first, again, check_exact=True, obj=step)
    else:
        floats = [c for c in first.columns if pd.api.types.is_float_dtype(first[c])]
        pd.testing.assert_frame_equal(first.drop(columns=floats), again.drop(columns=floats), check_exact=True,
                                      obj=step)
        pd.testing.assert_frame_equal(first[floats], again[floats], rtol=1e-9, atol=1e-12, obj=step)


def test_the_same_model_is_trained(users_run, second_run):
    """Versions are a time plus a hash of the model's bytes: the same network, the same hash."""
    first = ModelStore(users_run["resources"]["object_store"], "spam_model")
    again = ModelStore(second_run["object_store"], "spam_model")
    v1, v2 = first.versions()[0], again.promoted_version()
    assert v1.split("-")[-1] == v2.split("-")[-1]
    assert first.load(v1).metrics == again.load(v2).metrics
    assert first.config_of(v1) == again.config_of(v2)
