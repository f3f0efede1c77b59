"""Scenario: hand-made users whose features are known by hand; one test per feature,
including null counts, missing web profiles and non-Latin descriptions."""

from __future__ import annotations

import pytest

from assets.users.config import UsersConfig
from assets.users.features import FEATURES, user_features
from assets.users.load import users_from_api_objects
from tests.users.handmade import FETCHED, USERS


@pytest.fixture(scope="module")
def feats(spark):
    users = [{**u, "_fetched_at": FETCHED} for u in USERS]
    # the lists are run config (config.py's defaults may change): these users are counted
    # against this commercial list, every other list at its default
    config = UsersConfig(commercial_terms=("plumbing", "call now", "cheap"))
    f, urls, stock = user_features(users_from_api_objects(spark, users), config)
    pdf = f.toPandas().set_index("user_id")
    return {"f": pdf, "urls": urls.toPandas(), "stock": stock.toPandas()}


def col(feats, name):
    return feats["f"][name].to_dict()


def test_no_nulls_and_one_row_per_user(feats):
    f = feats["f"]
    assert sorted(f.index) == list(range(1, 18))
    assert not f[list(FEATURES)].isna().any().any()


def test_followers_followings_tracks(feats):
    assert (col(feats, "followers")[1], col(feats, "followings")[1], col(feats, "tracks")[1]) == (10, 4, 3)
    assert (col(feats, "followers")[2], col(feats, "followings")[2], col(feats, "tracks")[2]) == (0, 0, 0)  # nulls


def test_url_provided(feats):
    got = col(feats, "url_provided")
    assert sorted(k for k, v in got.items() if v) == [1, 3, 8, 9, 10, 12, 16, 17]


def test_description_profanities(feats):
    got = col(feats, "description_profanities")
    assert got[3] == 3  # nude, xxx, porn ("hot girls" is not on the list)
    assert got[14] == 1  # "Web junkie": "junkie" is on better-profanity's list
    assert all(v == 0 for k, v in got.items() if k not in (3, 14))  # incl. the non-Latin one


def test_url_title_profanities(feats):
    got = col(feats, "url_title_profanities")
    assert got[3] == 1 and sum(got.values()) == 1


def test_duplicate_descriptions(feats):
    got = col(feats, "duplicate_descriptions")
    # 4, 5, 6 and 7 normalise to the same text (case and spacing)
    assert [got[i] for i in (4, 5, 6, 7)] == [3, 3, 3, 3]
    assert got[1] == 0 and got[2] == 0 and got[11] == 0


def test_duplicate_urls(feats):
    got = col(feats, "duplicate_urls")
    assert got[8] == 1 and got[9] == 1 and got[1] == 0 and got[2] == 0


def test_activity_ignores_null_counts(feats):
    got = col(feats, "activity")
    assert got[1] == 5 + 2 + 1 + 4  # reposts null -> 0
    assert got[2] == 0


def test_subscription(feats):
    got = col(feats, "subscription")
    assert got[1] == 2 and got[3] == 0


def test_url_shortener(feats):
    got = col(feats, "url_shortener")
    assert got[3] == 1 and sum(got.values()) == 1
    assert feats["f"].loc[3, "shortener_domain"] == "bit.ly"


def test_url_link_hub(feats):
    got = col(feats, "url_link_hub")
    assert got[17] == 1 and sum(got.values()) == 1  # bit.ly (user 3) is a shortener, not a hub
    assert col(feats, "url_shortener")[17] == 0


def test_account_age_days(feats):
    got = col(feats, "account_age_days")
    assert got[1] == pytest.approx(10.0)
    assert got[2] == 0.0  # no created_at


def test_fake_batch_size(feats):
    got = col(feats, "fake_batch_size")
    assert [got[i] for i in (4, 5, 6)] == [2, 2, 2]
    assert got[7] == 0  # same text, another second
    assert feats["f"].loc[4, "created_at_iso"] == "2016-03-21T18:39:11Z"


def test_stock_phrase_share(feats):
    got = col(feats, "stock_phrase_share")
    # "bacon ninja" is in 3 distinct descriptions (13, 14, 15); "beer evangelist" and "travel geek" in 2
    assert got[13] == pytest.approx(1 / 3)
    assert got[14] == pytest.approx(1 / 4)
    assert got[15] == pytest.approx(1 / 2)
    assert got[11] == 0.0 and got[2] == 0.0
    assert set(feats["stock"]["phrase"]) == {"bacon ninja"}


def test_random_free_domain(feats):
    got = col(feats, "random_free_domain")
    assert got[10] == 1 and got[12] == 0 and sum(got.values()) == 1
    assert feats["f"].loc[10, "random_domain"] == "sungzkfpm.ga"


def test_random_domain_name(feats):
    got = col(feats, "random_domain_name")
    assert got[10] == 1 and got[12] == 1 and got[8] == 0 and sum(got.values()) == 2


def test_username_and_permalink_patterns(feats):
    assert col(feats, "username_digit_share")[10] == pytest.approx(3 / 6)
    assert col(feats, "username_digit_share")[1] == 0
    assert col(feats, "default_permalink")[10] == 1 and sum(col(feats, "default_permalink").values()) == 1
    assert col(feats, "permalink_unrelated")[10] == 1 and col(feats, "permalink_unrelated")[1] == 0


def test_follow_ratio(feats):
    got = col(feats, "follow_ratio")
    assert got[1] == pytest.approx(4 / 11) and got[3] == pytest.approx(300 / 1) and got[2] == 0


def test_abused_tld(feats):
    got = col(feats, "abused_tld")
    assert sorted(k for k, v in got.items() if v) == [10, 16]  # .ga (free) and .xyz; not .com


def test_commercial_terms(feats):
    got = col(feats, "commercial_terms")
    # description: plumbing, call now, cheap; username and link title: plumbing each
    assert got[16] == 5
    assert sum(v for k, v in got.items() if k != 16) == 0
