"""Scenario: labelling functions correct cluster labels before training. A same-second
batch sharing a plausible description sits in a fan cluster: it becomes spam. A musician
whose only odd trait is a bit.ly link sits in a spam cluster: it takes its nearest legit
cluster's class. A shortener beside profanity stays spam; ordinary users keep their label.
At inference the predicted class keeps the legitimate side of that policy."""

from __future__ import annotations

import pandas as pd

from assets.users.features import FEATURES
from assets.users.model import apply_evidence_labels, evidence


def _rows(*rows):
    base = dict.fromkeys(FEATURES, 0.0)
    return pd.DataFrame([{**base, **r} for r in rows])


def test_evidence_rules():
    part = _rows(
        {"user_id": 1, "label": "fans", "fake_batch_size": 4, "followers": 12},           # camouflaged batch
        {"user_id": 2, "label": "spam", "tracks": 6, "url_shortener": 1},                 # musician with bit.ly
        {"user_id": 3, "label": "spam", "url_shortener": 1},                              # link hub is all it has
        {"user_id": 4, "label": "spam", "url_shortener": 1, "description_profanities": 2},  # porn with a shortener
        {"user_id": 5, "label": "fans", "abused_tld": 1, "random_domain_name": 1},        # random domain, no tracks
        {"user_id": 6, "label": "regular_musicians", "tracks": 3, "abused_tld": 1},       # publishes: no rule either way
        {"user_id": 7, "label": "regular_musicians", "commercial_terms": 2, "duplicate_descriptions": 3},
        {"user_id": 8, "label": "fans", "commercial_terms": 1},                           # one shop, alone
        {"user_id": 9, "label": "spam", "tracks": 2, "url_shortener": 1},                 # no legit cluster known
    )
    assert evidence(part).tolist() == ["spam", "legit", "legit", "spam", "spam", "", "spam", "", "legit"]
    fallback = pd.Series({2: "regular_musicians", 3: "fans"})
    out = apply_evidence_labels(part, fallback).tolist()
    assert out == ["spam", "regular_musicians", "fans", "spam", "spam", "regular_musicians", "spam", "fans", "spam"]



def test_a_link_hub_column_counts_like_a_shortener():
    part = _rows({"user_id": 1, "label": "spam", "url_link_hub": 1},                          # linktr.ee only
                 {"user_id": 2, "label": "spam", "url_link_hub": 1, "description_profanities": 1},
                 {"user_id": 3, "label": "spam", "url_provided": 1})                            # a plain link
    assert evidence(part).tolist() == ["legit", "", ""]
    assert evidence(part.drop(columns=["url_link_hub"])).tolist() == ["", "", ""]


def test_predicted_class_keeps_the_legit_policy_at_inference():
    """A network that learned "shortener => spam" (every shortener user it saw was spam)
    still predicts a non-spam class for a user whose only spam-like trait is a shortener,
    and keeps spam for a shortener beside profanity; P(spam) stays the network's."""
    import numpy as np
    import pytest

    from assets.users.model import SPAM, fit

    rng = np.random.default_rng(0)
    rows = []
    for i in range(1000):
        spam = i % 2 == 0
        rows.append({"user_id": i, "label": SPAM if spam else "fans", "url_shortener": float(spam),
                     "followings": float(rng.integers(0, 40)), "followers": float(rng.integers(0, 5)),
                     "description_profanities": float(spam and i % 4 == 0), "activity": float(rng.integers(0, 30))})
    train = _rows(*rows)
    users = _rows({"user_id": 1000, "url_shortener": 1, "followings": 10},                 # bit.ly only
                  {"user_id": 1001, "url_shortener": 1, "followings": 10, "description_profanities": 2},
                  {"user_id": 1002, "followings": 10})
    model = fit(train, list(FEATURES), "label", seed=0)
    network = model.pipeline.predict(users[model.features].to_numpy(dtype="float64"))
    assert list(network) == [SPAM, SPAM, "fans"]  # what the network alone says
    p_spam, pred = model.spam_probability(users)
    assert list(pred) == ["fans", SPAM, "fans"]
    assert p_spam == pytest.approx(model.predict_proba(users)[:, list(model.classes).index(SPAM)])
    # a model on a few columns, scored on rows with only those: no evidence can be stated,
    # the network decides
    few = ["url_shortener", "followings", "followers", "description_profanities", "activity"]
    small = fit(train[["user_id", "label", *few]], few, "label", seed=0)
    _, pred_few = small.spam_probability(users[few])
    assert list(pred_few) == list(small.pipeline.predict(users[few].to_numpy(dtype="float64"))) == [SPAM, SPAM, "fans"]
