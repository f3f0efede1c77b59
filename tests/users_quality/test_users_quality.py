"""Spam quality on an unseen simulator seed (issue 11 Done-when 1, small version).

Train the users chain with NO known labels on one crawled simulator population and score
the users of a population with another seed; assert the issue's targets. The full-size
figures (50,000 ids per seed, tables, contingency) come from ``python -m bench
users_quality``; this keeps regressions from passing CI. Thresholds are the issue's, not
tuned: a failure here means the detector misses a target on the hard cases.
"""

from __future__ import annotations

import pytest

from bench import users_quality as uq
from bench._users_data import write_raw_records

TRAIN_SEED, EVAL_SEED, N_IDS = 21, 22, 7_000
pytestmark = [pytest.mark.slow, pytest.mark.integration]  # not in make test: make test-integration (CI runs it)


@pytest.fixture(scope="module")
def quality(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("users_quality")
    paths = {s: write_raw_records(root / f"raw_{s}.jsonl.gz", s, N_IDS) for s in (TRAIN_SEED, EVAL_SEED)}
    train = uq.users_frame(spark, paths[TRAIN_SEED]).persist()
    evalu = uq.users_frame(spark, paths[EVAL_SEED]).persist()
    q, _ = uq.evaluate(spark, train, evalu, uq.truth(EVAL_SEED, N_IDS), uq.truth(TRAIN_SEED, N_IDS), eval_full=False)
    print(q.hard_cases.to_string(index=False))
    print(q.confusion.to_string())
    return q


def test_population_has_every_hard_case(quality):
    cases = set(quality.hard_cases["hard_case"])
    assert {"camouflaged_spam", "seo_normal_counts", "legit_shortener", "new_heavy_follower"} <= cases
    assert quality.summary["spam_users"] > 150


def test_spam_precision_and_recall_on_an_unseen_seed(quality):
    s = quality.summary
    assert s["spam_precision"] >= uq.TARGETS["spam_precision"], s
    assert s["spam_recall"] >= uq.TARGETS["spam_recall"], s


def test_camouflaged_spam_recall(quality):
    assert quality.summary["camouflaged_recall"] >= uq.TARGETS["camouflaged_recall"], quality.hard_cases.to_string()


# (issue 17) no test of the 4-class accuracy (the class names Superstars / Regular
# Musicians / Fans follow the simulator's classes) nor of "legitimate shortener users are
# not flagged" (a shortener as legitimate evidence was a simulator prior, removed): the
# bench still prints both figures.


def test_predicted_classes_follow_the_contract(quality):
    assert quality.summary["nonstandard_spam_classes"] == [], "DESIGN.md: predicted_class 'spam' for spam"
