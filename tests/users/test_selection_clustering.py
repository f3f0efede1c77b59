"""Scenario: CFS merit against a plain numpy reference; the kneedle knee on known curves
(one curve, and replicate curves with the one-standard-error rule); cluster naming by
ranks on made-up centroids, including a population with no superstars and half spam; the
elbow on a crawled simulator population of a seed the rule was not designed on."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from assets.users.clustering import class_of, fit_elbow, knee, kneedle_scores, name_clusters
from assets.users.selection import cfs, merit, select_features


def test_cfs_correlations_match_numpy():
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
    sel = select_features(pdf, feats, "cluster")
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


def test_kneedle_scores_by_hand():
    # chord from (2, 100) to (6, 0); x scaled 0, .25, .5, .75, 1; y scaled 1, .3, .2, .1, 0
    scores = kneedle_scores([2, 3, 4, 5, 6], [100, 30, 20, 10, 0])
    assert scores == pytest.approx([0.0, 0.45, 0.3, 0.15, 0.0])


def test_knee_is_not_forced_into_a_range():
    ks = list(range(2, 11))
    sharp3 = [100, 30, 27, 25, 23.5, 22, 21, 20, 19.5]  # three groups: a sharp knee at 3
    assert knee(ks, sharp3) == 3
    assert knee(ks, [sharp3, [y * 1.01 for y in sharp3], [y * 0.99 for y in sharp3]]) == 3
    corner8 = [100, 88, 76, 64, 52, 40, 28, 26, 25]  # straight down to 8, then flat
    assert knee(ks, corner8) == 8
    assert knee(ks, [corner8, [y + 0.5 for y in corner8]]) == 8


def test_knee_replicates_one_standard_error_rule():
    ks = [2, 3, 4, 5, 6]
    # chord-scaled scores by hand: every replicate has x = 0, .25, .5, .75, 1
    a = [100, 40, 20, 10, 0]    # y .4 .2 .1  -> scores 0 .35 .30 .15 0
    b = [100, 35, 15, 10, 0]    # y .35 .15 .1 -> scores 0 .40 .35 .15 0
    c = [100, 50, 10, 5, 0]     # y .5 .1 .05 -> scores 0 .25 .40 .20 0
    mean = np.mean([kneedle_scores(ks, y) for y in (a, b, c)], axis=0)
    assert mean == pytest.approx([0, 1.0 / 3, 1.05 / 3, 0.5 / 3, 0])
    # k=4 has the best mean score (0.35); its standard error over the three replicates is
    # std(.30, .35, .40) / sqrt(3) = 0.0289; k=3 (0.3333) is within it: the smaller k wins
    assert knee(ks, [a, b, c]) == 3
    # identical replicates: no spread, the plain argmax
    assert knee(ks, [c, c, c]) == 4 == knee(ks, c)
    # replicates that agree closely do not give away the best k
    d = [100, 50, 10.5, 5, 0]
    assert knee(ks, [c, d]) == 4


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


def test_minority_batch_does_not_make_a_fans_cluster_spam():
    """A fans cluster whose mean batch size is lifted by a few scripted accounts (0.3 other
    accounts per member) is not Spam; a cluster of shops with normal-looking counts is."""
    c = _centroids([
        {**BASE, "cluster": 0, "size": 9000, "followers": 12, "tracks": 0.02, "activity": 30, "fake_batch_size": 0.3},
        {**BASE, "cluster": 1, "size": 3000, "followers": 1, "tracks": 0.04, "activity": 26, "fake_batch_size": 0.2,
         "follow_ratio": 20},
        {**BASE, "cluster": 2, "size": 600, "followers": 85, "tracks": 16, "activity": 33},
        {**BASE, "cluster": 3, "size": 90, "followers": 6, "tracks": 0, "activity": 4, "description_profanities": 1.3,
         "abused_tld": 1.0, "follow_ratio": 190},
        {**BASE, "cluster": 4, "size": 300, "followers": 33, "tracks": 0.4, "activity": 23, "commercial_terms": 7.6,
         "duplicate_urls": 1.8},
    ])
    names = name_clusters(c)
    assert names[3] == "Spam" and class_of(names[4]) == "spam"
    assert [class_of(names[i]) for i in (0, 1, 2)] == ["fans", "fans", "regular_musicians"]


def test_class_of():
    assert class_of("Spam 2") == "spam"
    assert class_of("Fans (more followings)") == "fans"
    assert class_of("Regular Musicians") == "regular_musicians"


# A seed the knee rule was not designed on (3, 7, 11, 12, 13, 21 were; 17 was looked at
# after the design). The population of the quality benchmark: ids 1..50,000 (about 35,000
# live users; the chain clusters a sample of up to 50,000). Under 10,000 users fit_elbow
# has one part (plain Kneedle): on 12,000-id populations (8,400 users) that gives k = 7 or
# 8 for some seeds (7, 13), and four parts of 2,100 users gave k = 7 for seed 17.
ELBOW_SEED, ELBOW_IDS = 19, 50_000


@pytest.mark.integration
@pytest.mark.slow
def test_elbow_picks_4_to_6_on_a_simulator_population(spark, tmp_path):
    """The crawled simulator population (raw records as the crawler stores them, loaded and
    featurised by the chain's own code): the knee of the inertia curve is k = 4..6, and the
    clusters at that k are named with a Spam cluster and a Fans cluster."""
    from assets.users.config import UsersConfig
    from assets.users.features import FEATURES, user_features
    from bench._users_data import write_raw_records
    from bench.users_quality import users_frame

    path = write_raw_records(tmp_path / f"raw_{ELBOW_SEED}.jsonl.gz", ELBOW_SEED, ELBOW_IDS)
    config = UsersConfig()
    feats = user_features(users_frame(spark, path), config)[0].select("user_id", *FEATURES).toPandas()
    sample = feats.sort_values("user_id").reset_index(drop=True)
    pipe, elbow = fit_elbow(sample, FEATURES, config.k_min, config.k_max, config.seed, config.kmeans_n_init)
    assert 4 <= elbow.k <= 6, elbow.table().to_string()
    assert elbow.ks == list(range(2, 11)) and len(elbow.replicates) == 4
    labels = pipe.named_steps["kmeans"].labels_
    cents = sample[list(FEATURES)].groupby(labels).mean().assign(size=pd.Series(labels).value_counts())
    classes = {class_of(n) for n in name_clusters(cents)}
    assert {"spam", "fans"} <= classes, classes
