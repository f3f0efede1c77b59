"""Scenario: known labels override cluster labels before training: a known spammer in a
fan cluster becomes spam; a known legitimate user in a spam cluster takes the class of
its nearest non-spam cluster; others keep their cluster label; bad labels are refused."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.users.model import apply_known_labels


def test_known_labels_override_clusters():
    labels = pd.DataFrame({"user_id": [1, 2, 3, 4], "label": ["fans", "spam", "spam", "regular_musicians"]})
    known = pd.DataFrame({"user_id": [1, 2, 9], "label": ["Spam", "not-spam", "spam"]})
    fallback = pd.Series({2: "regular_musicians", 3: "fans"})
    out = apply_known_labels(labels, known, fallback).set_index("user_id")
    assert out["label"].to_dict() == {1: "spam", 2: "regular_musicians", 3: "spam", 4: "regular_musicians"}
    assert out["source"].to_dict() == {1: "known", 2: "known", 3: "cluster", 4: "cluster"}


def test_bad_known_labels_are_refused():
    labels = pd.DataFrame({"user_id": [1], "label": ["fans"]})
    with pytest.raises(ValueError, match="spam' or 'not-spam"):
        apply_known_labels(labels, pd.DataFrame({"user_id": [1], "label": ["maybe"]}), pd.Series(dtype=object))
