"""Population shares on a sample of ids computed in-process (seed 000 statistics)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from simulator import population as P
from simulator.truth import user_classes

USERS = 60_000
SAMPLE = range(20_001, 40_001)


@pytest.fixture(scope="module")
def users():
    out = [P.user(1, i, USERS) for i in SAMPLE]
    return [u for u in out if u is not None]


def test_dead_share():
    dead = sum(P.user(1, i, USERS) is None for i in SAMPLE) / len(SAMPLE)
    assert 0.27 < dead < 0.33


def test_follow_shares(users):
    n = len(users)
    assert 0.36 < sum(u["followings_count"] == 0 for u in users) / n < 0.42
    assert 0.42 < sum(u["followers_count"] == 0 for u in users) / n < 0.48


def test_track_buckets(users):
    n = len(users)
    counts = [u["track_count"] for u in users]
    assert 0.915 < sum(c == 0 for c in counts) / n < 0.94
    assert 0.05 < sum(1 <= c <= 10 for c in counts) / n < 0.07
    assert 0.008 < sum(11 <= c <= 100 for c in counts) / n < 0.015


def test_plans(users):
    plans = Counter(u["creator_subscription"]["product"]["id"] for u in users)
    assert plans["free"] / len(users) > 0.996
    assert plans["creator-pro"] > 0 and plans["creator-pro-unlimited"] > 0


def test_spam_kinds(users):
    by = {u["id"]: u for u in users}
    cls = {i: P.user_class(1, i) for i in by}
    spam = [i for i in by if cls[i].startswith("spam_")]
    assert 0.02 < len(spam) / len(users) < 0.06
    porn = [by[i] for i in by if cls[i] == "spam_porn"]
    assert sum(250 <= u["followings_count"] <= 350 for u in porn) / len(porn) > 0.9
    assert all(u["followers_count"] <= 2 for u in porn)
    links = [p["url"] for u in porn for p in P.web_profiles(1, u["id"])]
    assert any(s in url for url in links for s in ("goo.gl", "bit.ly", "tinyurl"))
    assert any(url.rstrip("/").rsplit(".", 1)[1] in ("ga", "ml", "cf", "gq", "tk") for url in links)
    # fake accounts: batches of consecutive ids, same second, same description
    fakes = sorted(i for i in by if cls[i] == "spam_fake")
    batches = Counter((by[i]["created_at"], by[i]["description"]) for i in fakes)
    assert max(batches.values()) >= 5
    assert all(" " in by[i]["description"] and by[i]["description"].endswith(".") for i in fakes)
    # SEO: duplicate accounts share description and URL
    seo = [i for i in by if cls[i] == "spam_seo"]
    assert max(Counter(by[i]["description"] for i in seo).values()) >= 2


def test_user_is_pure_function_of_seed_and_id():
    P.block.cache_clear()
    a = [P.user(7, i, 5000) for i in range(1, 200)]
    P.block.cache_clear()
    assert a == [P.user(7, i, 5000) for i in range(1, 200)]
    assert a != [P.user(8, i, 5000) for i in range(1, 200)]


def test_40m_id_space_is_lazy():
    assert P.user(1, 39_999_999, 40_000_000) is None or P.user(1, 39_999_999, 40_000_000)["id"] == 39_999_999
    assert P.user(1, 40_000_001, 40_000_000) is None


def test_truth_classes_match_population():
    df = user_classes(1, 5000)
    assert len(df) == 5000
    sample = df.sample(300, random_state=0)
    assert all(P.user_class(1, int(i)) == c for i, c in zip(sample["id"], sample["class"], strict=True))
    assert np.isin(df["class"], list(P.CLASS_NAMES.values())).all()
