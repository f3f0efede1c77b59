"""Scenario: a retrained spam model is promoted, kept back, or stopped. A model that is
merely not better leaves the promoted one scoring; only a broken model (no spam class,
NaN probabilities) stops scoring. Small real scikit-learn models on made-up numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.users import model as modelling
from assets.users import promotion

BAR = promotion.Bar(min_agreement=0.9, min_spam_auc=0.95, max_regression=0.01)
FEATS = ["followers", "followings"]


def _data(n: int, seed: int, classes=("spam", "fans")) -> pd.DataFrame:
    """Two well separated groups: spam follows many and is followed by few."""
    rng = np.random.default_rng(seed)
    half = n // 2
    a = pd.DataFrame({"followers": rng.poisson(2, half), "followings": rng.poisson(800, half), "label": classes[0]})
    b = pd.DataFrame({"followers": rng.poisson(300, n - half), "followings": rng.poisson(40, n - half),
                      "label": classes[1]})
    return pd.concat([a, b], ignore_index=True).assign(user_id=np.arange(n) + 1)


def _model(train: pd.DataFrame, test: pd.DataFrame, shuffle: bool = False) -> modelling.SpamModel:
    if shuffle:  # labels that carry nothing: a model that agrees with them by chance only
        train = train.assign(label=train["label"].sample(frac=1.0, random_state=1).to_numpy())
    m = modelling.fit(train, FEATS, "label", (8,), 0, 1e-2)
    m.metrics = modelling.evaluate(m, test, "label")
    return m


@pytest.fixture(scope="module")
def samples():
    return _data(1000, 1), _data(400, 2)


def test_first_good_model_is_promoted(samples):
    train, test = samples
    d = promotion.decide(_model(train, test), test, BAR)
    assert d.promote_new and d.usable and d.meets_bar and d.reason.startswith("first model")


def test_first_model_below_the_bar_is_promoted_and_says_so(samples):
    train, test = samples
    weak = _model(train, test, shuffle=True)
    assert promotion.agreement(weak.metrics) < BAR.min_agreement
    d = promotion.decide(weak, test, BAR)
    assert d.promote_new and d.usable and not d.meets_bar and "below the bar" in d.reason


def test_not_better_keeps_the_promoted_model(samples):
    train, test = samples
    good, weak = _model(train, test), _model(train, test, shuffle=True)
    d = promotion.decide(weak, test, BAR, previous=good, previous_version="v-good")
    assert not d.promote_new and d.usable and not d.meets_bar
    assert "kept the promoted v-good" in d.reason and "below the bar" in d.reason
    # clears a lowered bar but agrees less than the promoted model on the same sample
    low = promotion.Bar(0.0, 0.0, 0.01)
    d = promotion.decide(weak, test, low, previous=good, previous_version="v-good")
    assert not d.promote_new and d.usable and "worse than its" in d.reason
    assert d.previous_agreement == pytest.approx(promotion.agreement(good.metrics))


def test_better_model_replaces_the_promoted_one(samples):
    train, test = samples
    good, weak = _model(train, test), _model(train, test, shuffle=True)
    d = promotion.decide(good, test, BAR, previous=weak, previous_version="v-weak")
    assert d.promote_new and d.usable and d.meets_bar and "v-weak" in d.reason


def test_no_spam_class_is_broken(samples):
    train, test = samples
    no_spam = _data(1000, 3, classes=("musicians", "fans"))
    m = modelling.fit(no_spam, FEATS, "label", (8,), 0, 1e-2)
    m.metrics = {"agreement": 1.0, "spam_roc_auc": None}
    d = promotion.decide(m, test, BAR, previous=_model(train, test), previous_version="v-good")
    assert not d.usable and not d.promote_new
    assert any("no spam class" in x for x in d.defects)


def test_nan_output_is_broken(samples):
    train, test = samples
    m = _model(train, test)
    m.pipeline.named_steps["mlp"].coefs_[0][0, :] = np.nan  # a corrupted network: every output NaN
    d = promotion.decide(m, test, BAR)
    assert not d.usable and any("non-finite" in x for x in d.defects)


def test_promoted_model_that_cannot_read_the_table_is_replaced(samples):
    train, test = samples
    old = _model(train.assign(likes=1), test.assign(likes=1))
    old.features = [*FEATS, "likes"]  # trained on a column the table no longer has
    d = promotion.decide(_model(train, test), test, BAR, previous=old, previous_version="v-old")
    assert d.promote_new and d.usable and "cannot score this table" in d.reason


def test_agreement_is_the_one_name():
    """``evaluate``'s old names are read as agreement (and dropped where both are there)."""
    assert promotion.with_agreement({"accuracy": 0.8, "spam_roc_auc": 0.9, "brier": 0.1}) == {
        "agreement": 0.8, "agreement_spam_roc_auc": 0.9, "brier": 0.1}
    both = {"agreement": 0.7, "accuracy": 0.7, "agreement_spam_roc_auc": 0.6, "spam_roc_auc": 0.6}
    assert promotion.with_agreement(both) == {"agreement": 0.7, "agreement_spam_roc_auc": 0.6}
    assert promotion.agreement(both) == 0.7 and promotion.agreement_auc(both) == 0.6
