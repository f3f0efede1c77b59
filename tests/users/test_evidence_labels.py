"""Scenario: labelling functions vote spam (or abstain) from public knowledge, the label
model (Dawid-Skene, fitted by EM on the unlabelled votes) weighs them against the cluster
vote, and nothing overrides the network at inference.

* each labelling function votes on the rows its rule holds for, abstains elsewhere, and
  abstains everywhere when the feature table lacks its columns;
* on votes generated from known voter accuracies, EM recovers the accuracies and the prior
  (within sampling error), and its posterior equals the brute-force Bayes formula;
* a same-second batch inside a fans cluster becomes spam when the batch rule is reliable
  on the rest of the population; a user of a spam cluster with no rule firing stays spam;
* with fewer than three voters the model is not identifiable: labels stay the cluster's;
* predicted_class is "spam" exactly where P(spam) >= the threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.users.features import FEATURES
from assets.users.model import (
    SPAM,
    apply_label_model,
    fit,
    fit_label_model,
    lf_report,
    lf_votes,
    weak_labels,
)


def _rows(*rows):
    base = {**dict.fromkeys(FEATURES, 0.0), "description_words": 0.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_labelling_functions_vote_spam_or_abstain():
    part = _rows(
        {"user_id": 1, "fake_batch_size": 4},                                   # same-second batch
        {"user_id": 2, "tracks": 6, "url_shortener": 1},                        # musician with bit.ly: nothing
        {"user_id": 3, "url_shortener": 1, "description_profanities": 2},       # porn with a shortener
        {"user_id": 4, "abused_tld": 1, "tracks": 3},                           # publishing does not excuse
        {"user_id": 5, "commercial_terms": 2, "duplicate_descriptions": 3},     # one business, many accounts
        {"user_id": 6, "commercial_terms": 1},                                  # one shop, alone: nothing
        {"user_id": 7, "duplicate_descriptions": 1, "description_words": 12},   # a long copied text
        {"user_id": 8, "duplicate_descriptions": 5, "description_words": 2},    # "Producer / DJ": nothing
    )
    v = lf_votes(part)
    assert set(np.unique(v.to_numpy())) <= {1, -1}  # no function votes "legitimate"
    fired = {uid: sorted(v.columns[v.iloc[i].to_numpy() == 1]) for i, uid in enumerate(part["user_id"])}
    assert fired == {1: ["same_second_batch"], 2: [], 3: ["profane_with_link"], 4: ["abused_domain"],
                     5: ["shared_business_promo"], 6: [], 7: ["copied_long_description"], 8: []}
    # without the columns a rule reads, it abstains
    assert (lf_votes(part.drop(columns=["description_words"]))["copied_long_description"] == -1).all()


def _simulated_votes(n=20_000, prior=0.3, seed=1):
    """Votes of four voters with known class-conditional behaviour."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prior
    cluster = np.where(rng.random(n) < np.where(y, 0.85, 0.04), 1, 0)          # votes always
    a = np.where(rng.random(n) < np.where(y, 0.40, 0.01), 1, -1)                # spam-only rules
    b = np.where(rng.random(n) < np.where(y, 0.30, 0.02), 1, -1)
    c = np.where(rng.random(n) < np.where(y, 0.25, 0.005), 1, -1)
    return pd.DataFrame({"cluster": cluster, "a": a, "b": b, "c": c}), y


def test_em_recovers_voter_behaviour_and_posterior_is_bayes():
    votes, y = _simulated_votes()
    lm = fit_label_model(votes)
    # (the maximum-likelihood fit of 20,000 rows: within a few points of the truth)
    assert lm.prior == pytest.approx(0.3, abs=0.03)
    assert lm.conditionals["cluster"]["spam"][1] == pytest.approx(0.85, abs=0.05)
    assert lm.conditionals["cluster"]["legit"][1] == pytest.approx(0.04, abs=0.01)
    assert lm.conditionals["a"]["spam"][1] == pytest.approx(0.40, abs=0.03)
    assert lm.conditionals["c"]["legit"][1] == pytest.approx(0.005, abs=0.004)
    # brute force: prior times the product of each voter's outcome probability, per class
    row = votes.iloc[[0, 1, 2, 3, 4]]
    post = lm.posterior(row)
    for i, (_, r) in enumerate(row.iterrows()):
        ps, pl = lm.prior, 1 - lm.prior
        for v in lm.voters:
            ps *= lm.conditionals[v]["spam"][int(r[v])]
            pl *= lm.conditionals[v]["legit"][int(r[v])]
        assert post[i] == pytest.approx(ps / (ps + pl), rel=1e-9)
    # better than the cluster vote alone
    assert ((lm.posterior(votes) >= 0.5) == y).mean() > ((votes["cluster"] == 1) == y).mean()
    report = {r["voter"]: r for r in lf_report(votes, lm)}
    assert report["a"]["coverage"] == pytest.approx((votes["a"] >= 0).mean())


def test_reliable_batch_rule_lifts_a_batch_out_of_a_fans_cluster():
    rows = []
    for i in range(400):  # spam clusters: most batches sit there, with copied long bios
        rows.append({"user_id": i, "label": SPAM, "fake_batch_size": float(i % 3 == 0),
                     "duplicate_descriptions": 1.0, "description_words": 14.0 * (i % 2 == 0)})
    for i in range(400, 1600):
        rows.append({"user_id": i, "label": "fans", "followers": 3.0})
    rows += [{"user_id": 2000 + j, "label": "fans", "fake_batch_size": 5.0, "duplicate_descriptions": 5.0,
              "description_words": 12.0} for j in range(6)]  # a camouflaged batch among fans
    part = _rows(*rows)
    lm = fit_label_model(weak_labels(part))
    y = apply_label_model(part, lm, pd.Series("fans", index=part["user_id"]))
    assert (y[part["user_id"] >= 2000] == SPAM).all()
    assert (y[(part["user_id"] >= 400) & (part["user_id"] < 1600)] == "fans").all()
    assert (y[part["user_id"] < 400] == SPAM).all()  # no rule firing does not make spam legit


def test_fewer_than_three_voters_keep_the_cluster_labels():
    part = _rows(*[{"user_id": i, "label": SPAM if i < 30 else "fans", "followings": float(i)} for i in range(300)])
    lm = fit_label_model(weak_labels(part))
    assert lm.voters == ["cluster"] and lm.iterations == 1
    y = apply_label_model(part, lm, pd.Series("fans", index=part["user_id"]))
    assert list(y) == list(part["label"])


def test_predicted_class_follows_the_threshold_on_p_spam():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(1000):
        spam = i % 2 == 0
        rows.append({"user_id": i, "label": SPAM if spam else ("fans" if i % 4 == 1 else "regular_musicians"),
                     "url_shortener": float(spam), "followings": float(rng.integers(0, 40)),
                     "followers": float(rng.integers(0, 5)), "tracks": float(i % 4 == 3) * 5})
    model = fit(_rows(*rows), list(FEATURES), "label", seed=0)
    users = _rows({"user_id": 1000, "url_shortener": 1, "tracks": 6, "followings": 10},  # musician with bit.ly
                  {"user_id": 1001, "followings": 10}, {"user_id": 1002, "tracks": 5})
    p, _ = model.spam_probability(users)
    assert p == pytest.approx(model.predict_proba(users)[:, model.classes.index(SPAM)])  # the network's
    for t in (0.05, 0.5, 0.95):
        model.threshold = t
        p, pred = model.spam_probability(users)
        assert list(pred == SPAM) == list(p >= t)
        assert all(c in model.classes for c in pred)
