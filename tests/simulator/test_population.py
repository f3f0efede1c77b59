"""Population shares on a sample of ids computed in-process (seed 000 statistics, hard cases)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from simulator import population as P
from simulator import words
from simulator.truth import user_classes
from simulator.users import user as api_user

USERS = 60_000
STOCK = {p.rstrip(".") for p in words.STOCK_PHRASES}
HUBS = tuple(words.LINK_HUBS)
SAMPLE = range(20_001, 40_001)


@pytest.fixture(scope="module")
def users():
    out = [api_user(1, i, USERS) for i in SAMPLE]
    return [u for u in out if u is not None]


def test_dead_share(users):
    dead = 1 - len(users) / len(SAMPLE)
    assert 0.27 < dead < 0.33


def test_follow_shares(users):
    n = len(users)
    # ~30%: graph.py adds release-day and heavy-fan follows on top of the window graph (~37% alone)
    assert 0.27 < sum(u["followings_count"] == 0 for u in users) / n < 0.33
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
    # the seed's pornographic spam (camouflaged ones are tested in test_hard_cases)
    porn = [by[i] for i in by if cls[i] == "spam_porn" and P.hard_case(1, i) is None]
    assert sum(250 <= u["followings_count"] <= 350 for u in porn) / len(porn) > 0.9
    assert all(u["followers_count"] <= 2 for u in porn)
    links = [p["url"] for u in porn for p in P.web_profiles(1, u["id"])]
    assert any(s in url for url in links for s in ("goo.gl", "bit.ly", "tinyurl"))
    assert any(url.rstrip("/").rsplit(".", 1)[1] in ("ga", "ml", "cf", "gq", "tk") for url in links)
    # fake accounts: batches of consecutive ids, same second, same description
    fakes = sorted(i for i in by if cls[i] == "spam_fake")
    batches = Counter((by[i]["created_at"], by[i]["description"]) for i in fakes)
    assert max(batches.values()) >= 5
    stock = [i for i in fakes if P.hard_case(1, i) is None]
    assert all(" " in by[i]["description"] and by[i]["description"].endswith(".") for i in stock)
    assert all({q.rstrip(".") for q in by[i]["description"].split(". ")} <= STOCK for i in stock)
    # SEO: duplicate accounts share description and URL
    seo = [i for i in by if cls[i] == "spam_seo"]
    assert max(Counter(by[i]["description"] for i in seo).values()) >= 2


def test_user_is_pure_function_of_seed_and_id():
    P.block.cache_clear()
    a = [api_user(7, i, 5000) for i in range(1, 200)]
    P.block.cache_clear()
    assert a == [api_user(7, i, 5000) for i in range(1, 200)]
    assert a != [api_user(8, i, 5000) for i in range(1, 200)]


def test_40m_id_space_is_lazy():
    assert api_user(1, 39_999_999, 40_000_000) is None or api_user(1, 39_999_999, 40_000_000)["id"] == 39_999_999
    assert api_user(1, 40_000_001, 40_000_000) is None


def test_truth_classes_match_population():
    df = user_classes(1, 5000)
    assert len(df) == 5000
    sample = df.sample(300, random_state=0)
    assert all(P.user_class(1, int(i)) == c for i, c in zip(sample["id"], sample["class"], strict=True))
    assert np.isin(df["class"], list(P.CLASS_NAMES.values())).all()


def _links(uid: int) -> list[str]:
    return [p["url"] for p in P.web_profiles(1, uid)]


def test_hard_case_shares():
    ids = np.arange(1, 400_001)
    codes = P.class_codes(1, ids)
    var = P.variant_codes(1, ids, codes)
    assert np.array_equal(var, P.variant_codes(1, ids))
    share = lambda code, v: ((codes == code) & (var == v)).sum() / (codes == code).sum()  # noqa: E731
    assert 0.30 < share(P.PORN, P.CAMOUFLAGED) < 0.40
    assert 0.30 < share(P.FAKE, P.CAMOUFLAGED) < 0.50  # per batch
    assert 0.45 < share(P.SEO, P.SEO_NORMAL_COUNTS) < 0.55
    assert 0.13 < share(P.MUSICIAN, P.LEGIT_SHORTENER) < 0.17
    assert 0.025 < share(P.FAN, P.NEW_HEAVY_FOLLOWER) < 0.035
    assert 0.007 < share(P.FAN, P.LEGIT_SHORTENER) < 0.013
    # variants never change a class (the graph and network detectors rely on the codes)
    assert set(np.unique(codes[var == P.CAMOUFLAGED])) == {P.PORN, P.FAKE}
    assert not np.isin(codes[var != P.NORMAL], [P.BOT, P.FARM, P.MAVEN, P.DEAD]).any()
    # a fake batch is camouflaged as a whole
    fb = P.fake_batch_start(1, ids)
    camo = pd.Series(var[fb > 0]).groupby(fb[fb > 0]).nunique()
    assert (camo == 1).all()


def test_hard_cases(users):
    by = {u["id"]: u for u in users}
    case = {i: (P.user_class(1, i), P.hard_case(1, i)) for i in by}
    group = lambda c, h: [by[i] for i in by if case[i] == (c, h)]  # noqa: E731
    profane = lambda text: any(w in (text or "").lower() for w in words.PROFANE)  # noqa: E731
    camo = group("spam_porn", "camouflaged_spam")
    assert len(camo) > 30
    for u in camo:
        assert not profane(u["description"]) and not any(s in (u["description"] or "") for s in words.SHORTENERS)
        links = _links(u["id"])
        assert not any(s in url for url in links for s in words.SHORTENERS)
        assert links[0].rstrip("/").rsplit(".", 1)[1] in words.SPAM_TLDS + words.CHEAP_TLDS
    assert np.mean([u["followers_count"] > 0 for u in camo]) > 0.5
    assert np.mean([250 <= u["followings_count"] <= 350 for u in camo]) < 0.1
    fake = group("spam_fake", "camouflaged_spam")
    assert np.mean([u["followers_count"] > 0 for u in fake]) > 0.4
    assert all({q.rstrip(".") for q in u["description"].split(". ")} - STOCK for u in fake)
    assert max(Counter((u["created_at"], u["description"]) for u in fake).values()) >= 5
    seo_n, seo = group("spam_seo", "seo_normal_counts"), group("spam_seo", None)
    assert np.median([u["followers_count"] for u in seo_n]) >= 10 > np.median([u["followers_count"] for u in seo])
    assert any(u["track_count"] > 0 for u in seo_n)
    for cls in ("regular_musician", "fan"):
        legit = group(cls, "legit_shortener")
        assert legit and all(any(h in url for url in _links(u["id"]) for h in HUBS) for u in legit)
        assert not any(profane(u["description"]) for u in legit)
    assert all(u["track_count"] > 0 for u in group("regular_musician", "legit_shortener"))
    assert any(s in url for u in group("regular_musician", "legit_shortener") for url in _links(u["id"])
               for s in words.SHORTENERS)  # the seed's spam shorteners too
    new = group("fan", "new_heavy_follower")
    assert np.median([u["followings_count"] for u in new]) >= 100
    assert np.median([u["followers_count"] for u in new]) <= 2
    assert max(u["followings_count"] for u in new) >= 250  # inside the seed's spam band


def test_known_labels_noise():
    ids = np.arange(1, 300_001)
    k = P.known_label_frame(1, ids, share=0.01, wrong=0.05)
    live = (P.class_codes(1, ids) != P.DEAD).sum()
    assert 0.009 < len(k) / live < 0.011
    assert 0.03 < k["wrong"].mean() < 0.07
    truth = P.spam_truth(P.class_codes(1, k["user_id"].to_numpy()))
    assert np.array_equal(k["is_spam"].to_numpy() ^ k["wrong"].to_numpy(), truth)
    assert k.equals(P.known_label_frame(1, ids, share=0.01, wrong=0.05))
    assert not k.equals(P.known_label_frame(1, ids, share=0.01, wrong=0.05, label_seed=1))
