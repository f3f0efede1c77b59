"""Scenario: the chain's bounded samples and cheap passes give the same answers as the
whole-table computations they replace.

* CFS correlations of every feature equal numpy's Pearson / point-biserial reference, a
  constant feature included (no division by zero);
* ``labelled_sample`` / ``with_features`` return exactly the sampled users with their own
  features, bounded in size, uniform enough to keep every class;
* ``spread`` keeps every user and gives the row features at least the default parallelism.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.users import chain, features
from assets.users.selection import correlations, select_features


def _population(n: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cls = rng.integers(0, 4, n)
    pdf = pd.DataFrame({"user_id": np.arange(1, n + 1, dtype="int64"), "cluster": cls})
    for i, f in enumerate(features.FEATURES):
        if f in features.COUNT_LIKE:
            pdf[f] = rng.poisson(1 + 3 * i * (cls == i % 4)).astype("float64")
        else:
            pdf[f] = ((cls == i % 4) * 0.6 + rng.random(n) * 0.4).round(3)
    pdf["tracks"] = 0.0  # a constant feature: no correlation, no division by zero
    return pdf


def test_correlations_of_every_feature_equal_numpy():
    pdf = _population(3000)
    names = list(features.FEATURES)
    rcf, rff = correlations(pdf, names, "cluster")
    x = {f: np.log1p(pdf[f]) if f in features.COUNT_LIKE else pdf[f] for f in names}
    cls = pdf["cluster"].to_numpy()
    for f in names:
        if f == "tracks":  # constant: no correlation, no NaN
            assert rcf[f] == 0.0 and rff.loc[f].abs().sum() == 0.0
            continue
        ref = sum((cls == c).mean() * abs(np.corrcoef(x[f], (cls == c).astype(float))[0, 1]) for c in range(4))
        assert rcf[f] == pytest.approx(ref, abs=1e-9)
        assert rff.loc[f, "followers"] == pytest.approx(abs(np.corrcoef(x[f], x["followers"])[0, 1]), abs=1e-9)
    assert select_features(pdf, names, "cluster").kept


def test_labelled_sample_returns_the_sampled_users_with_their_own_features(spark):
    pdf = _population(6000, seed=9)
    feats = spark.createDataFrame(pdf.drop(columns="cluster"))
    labels = spark.createDataFrame(pdf[["user_id", "cluster"]])
    got = chain.labelled_sample(feats, labels, 1500, seed=3)
    assert len(got) == 1500
    assert got["user_id"].is_unique and got["user_id"].is_monotonic_increasing
    ref = pdf.set_index("user_id").loc[got["user_id"]]
    np.testing.assert_array_equal(got["cluster"].to_numpy(), ref["cluster"].to_numpy())
    for f in features.FEATURES:
        np.testing.assert_array_equal(got[f].to_numpy(), ref[f].to_numpy())
    assert set(got["cluster"]) == {0, 1, 2, 3}  # every class of a uniform population survives
    # asking for more than there is: everyone, once
    everyone = chain.labelled_sample(feats, labels, 10_000, seed=3)
    assert sorted(everyone["user_id"]) == list(pdf["user_id"])


def test_with_features_keeps_the_sample_order(spark):
    pdf = _population(200)
    feats = spark.createDataFrame(pdf.drop(columns="cluster"))
    sampled = pd.DataFrame({"user_id": [150, 3, 77, 9999], "label": ["a", "b", "c", "gone"]})
    got = chain.with_features(feats, sampled)
    assert list(got["user_id"]) == [150, 3, 77]  # an id without features cannot be trained on
    assert list(got["label"]) == ["a", "b", "c"]
    assert got.loc[0, "followers"] == pdf.loc[pdf["user_id"] == 150, "followers"].item()
    empty = chain.with_features(feats, sampled.iloc[:0])
    assert empty.empty and set(features.FEATURES) <= set(empty.columns)


@pytest.mark.parametrize("parts_in", [1, 5])
def test_spread_keeps_every_user(spark, parts_in):
    df = spark.range(1, 1001).withColumnRenamed("id", "user_id").coalesce(parts_in)
    out = chain.spread(df, spark)
    assert out.rdd.getNumPartitions() >= max(2, spark.sparkContext.defaultParallelism)
    assert sorted(r.user_id for r in out.collect()) == list(range(1, 1001))


def test_bounded_sample_does_not_depend_on_partitioning(spark):
    pdf = _population(5000, seed=2)
    df = spark.createDataFrame(pdf[["user_id", "followers"]])
    a = chain.bounded_sample(df.coalesce(1), 1200, seed=5)
    b = chain.bounded_sample(df.repartition(7), 1200, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 1200 and a["user_id"].is_monotonic_increasing
    assert not a["user_id"].equals(chain.bounded_sample(df, 1200, seed=6)["user_id"])  # the seed matters
