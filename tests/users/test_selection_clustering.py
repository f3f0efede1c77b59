"""Scenario: CFS merit against a plain numpy reference; the kneedle knee on known curves;
cluster naming by ranks on made-up centroids, including a population with no superstars
and half spam."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from assets.users.clustering import class_of, knee, name_clusters
from assets.users.selection import cfs, merit, select_features


def test_cfs_correlations_match_numpy(spark):
    rng = np.random.default_rng(3)
    n = 400
    cls = rng.integers(0, 3, n)
    pdf = pd.DataFrame({
        "user_id": np.arange(n),
        "followers": rng.poisson(5 + 20 * (cls == 1)),  # count-like: log1p first
        "stock_phrase_share": (cls == 2) * 0.8 + rng.random(n) * 0.2,
        "username_digit_share": rng.random(n),  # noise
        "url_shortener": ((cls == 2) & (rng.random(n) < 0.9)).astype(float),  # redundant with stock
        "cluster": cls,
    })
    feats = ["followers", "stock_phrase_share", "username_digit_share", "url_shortener"]
    sel = select_features(spark.createDataFrame(pdf), feats, "cluster")
    x = pdf[feats].astype(float).copy()
    x["followers"] = np.log1p(x["followers"])
    ref_cf = {}
    for f in feats:
        ref_cf[f] = sum((cls == c).mean() * abs(np.corrcoef(x[f], (cls == c).astype(float))[0, 1]) for c in range(3))
    for f in feats:
        assert sel.feature_class[f] == pytest.approx(ref_cf[f], abs=1e-6)
    ff = sel.feature_feature
    assert ff.loc["followers", "url_shortener"] == pytest.approx(abs(np.corrcoef(x["followers"], x["url_shortener"])[0, 1]), abs=1e-6)
    # merit of the chosen subset is the best among all subsets of its size or smaller
    best = max(merit(list(s), pd.Series(ref_cf), ff) for k in range(1, 5) for s in itertools.combinations(feats, k))
    assert merit(sel.kept, pd.Series(ref_cf), ff) == pytest.approx(best, rel=1e-6)
    assert "username_digit_share" in sel.dropped
    assert set(sel.kept) | set(sel.dropped) == set(feats)


def test_merit_formula():
    rcf = pd.Series({"a": 0.6, "b": 0.4})
    rff = pd.DataFrame([[1, 0.5], [0.5, 1]], index=["a", "b"], columns=["a", "b"])
    assert merit(["a", "b"], rcf, rff) == pytest.approx(2 * 0.5 / math.sqrt(2 + 2 * 0.5))
    kept, table = cfs(rcf, rff)
    assert kept == ["a", "b"] or kept == ["a"]
    assert list(table["added"][:1]) == ["a"]


def test_knee():
    assert knee([2, 3, 4, 5, 6, 7, 8], [100, 50, 20, 17, 15, 14, 13]) == 4
    assert knee([2, 3, 4, 5, 6], [10, 10, 10, 10, 10]) == 2
    # invariant to scaling the inertia
    ks, ys = list(range(2, 11)), [1000 / k ** 1.5 for k in range(2, 11)]
    assert knee(ks, ys) == knee(ks, [y * 1e6 for y in ys])


def _centroids(rows):
    return pd.DataFrame(rows).set_index("cluster")


BASE = {"followings": 5, "description_profanities": 0, "url_title_profanities": 0, "url_shortener": 0,
        "duplicate_urls": 0, "fake_batch_size": 0, "stock_phrase_share": 0, "random_free_domain": 0,
        "random_domain_name": 0, "default_permalink": 0, "follow_ratio": 1, "account_age_days": 1000}


def test_names_by_rank_with_superstars():
    c = _centroids([
        {**BASE, "cluster": 0, "size": 9000, "followers": 3, "tracks": 0.01, "activity": 10},
        {**BASE, "cluster": 1, "size": 700, "followers": 60, "tracks": 12, "activity": 30},
        {**BASE, "cluster": 2, "size": 10, "followers": 9000, "tracks": 300, "activity": 50},
        {**BASE, "cluster": 3, "size": 300, "followers": 0.1, "tracks": 0, "activity": 1, "url_shortener": 0.7,
         "description_profanities": 2, "follow_ratio": 300},
    ])
    names = name_clusters(c)
    assert names.to_dict() == {0: "Fans", 1: "Regular Musicians", 2: "Superstars", 3: "Spam"}


def test_names_half_spam_no_superstars():
    """An imported population: spam is the largest cluster, and there are no stars."""
    c = _centroids([
        {**BASE, "cluster": 0, "size": 1500, "followers": 0.5, "tracks": 0, "activity": 1, "fake_batch_size": 6,
         "stock_phrase_share": 0.9},
        {**BASE, "cluster": 1, "size": 1000, "followers": 5, "tracks": 0, "activity": 20},
        {**BASE, "cluster": 2, "size": 500, "followers": 150, "tracks": 8, "activity": 60},
    ])
    names = name_clusters(c)
    assert names.to_dict() == {0: "Spam", 1: "Fans", 2: "Regular Musicians"}


def test_class_of():
    assert class_of("Spam 2") == "spam"
    assert class_of("Fans (more followings)") == "fans"
    assert class_of("Regular Musicians") == "regular_musicians"
