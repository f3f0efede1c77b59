"""Scenario: labelling functions correct cluster labels before training. A same-second
batch sharing a plausible description sits in a fan cluster: it becomes spam. A musician
whose only odd trait is a bit.ly link sits in a spam cluster: it takes its nearest legit
cluster's class. A shortener beside profanity stays spam; ordinary users keep their label."""

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
