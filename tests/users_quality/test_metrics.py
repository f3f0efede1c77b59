"""The quality metrics themselves, on hand-made predictions (exact)."""

from __future__ import annotations

import pandas as pd

from bench import users_quality as uq


def _truth() -> pd.DataFrame:
    rows = [  # user_id, class, four, is_spam, hard_case
        (1, "spam_porn", "spam", True, None), (2, "spam_porn", "spam", True, "camouflaged_spam"),
        (3, "spam_fake", "spam", True, "camouflaged_spam"), (4, "fan", "fans", False, None),
        (5, "fan", "fans", False, "legit_shortener"), (6, "regular_musician", "regular_musicians", False, None),
        (7, "superstar", "superstars", False, None), (8, "spam_seo", "spam", True, None),
    ]
    return pd.DataFrame(rows, columns=["user_id", "class", "four", "is_spam", "hard_case"])


def test_metrics_exact():
    pred = pd.DataFrame({"user_id": [1, 2, 3, 4, 5, 6, 7],
                         "predicted_class": ["spam", "fans", "spam_2", "fans", "spam", "fans", "superstars"]})
    s, cases, conf = uq.metrics(pred, _truth())
    assert s["flagged"] == 3 and s["spam_users"] == 4
    assert s["spam_precision"] == 2 / 3 and s["spam_recall"] == 2 / 4  # user 8 unscored: missed
    assert s["camouflaged_recall"] == 1 / 2
    assert s["legit_shortener_flagged"] == 1.0
    assert s["four_class_accuracy"] == 4 / 8  # right: 1, 3, 4, 7; wrong: 2, 5, 6; 8 unscored
    assert s["nonstandard_spam_classes"] == ["spam_2"]
    camo = cases[(cases["hard_case"] == "camouflaged_spam")].set_index("class")["flagged"].to_dict()
    assert camo == {"spam_fake": 1, "spam_porn": 0}
    assert conf.loc["spam", "spam"] == 2


def test_seed_rule_baseline():
    users = pd.DataFrame({"user_id": [1, 2, 3],
                          "description": ["hot http://bit.ly/x", None, "hello"],
                          "web_profiles": [[], [{"url": "https://goo.gl/abc"}], None]})
    out = uq.seed_rule(users)
    assert out["predicted_class"].tolist() == ["spam", "spam", "fans"]
