"""Scenario: real labelled accounts mapped to api-v2 users, and the users chain run the
product's way (``users_from_api_objects`` -> ``run_users_chain``, defaults, no labels).

* the mapping: Twitter times to ISO, one snapshot time per set (never a row's own crawl
  time), friends -> followings, statuses -> published items, favourites -> likes,
  halves by id parity;
* same input, same output: the chain twice on one population, partitioned differently,
  gives identical scores;
* populations of 80% and of 0.5% spam both run to spam_scores, the finding in metadata;
* the Instagram set (counts only, 10% fake): the issue's target, ROC-AUC >= 0.90.
"""

from __future__ import annotations

import pandas as pd
import pytest

from assets.users.chain import run_users_chain
from assets.users.config import UsersConfig
from assets.users.load import users_from_api_objects
from bench import real_accounts as ra
from bench import users_real as ur
from simulator.users import user_dump

SMALL = UsersConfig(cluster_sample_size=3000, train_per_class=600, test_per_class=400)


def test_cresci_mapping_uses_one_snapshot_and_the_right_counts(tmp_path):
    header = "id,name,screen_name,statuses_count,followers_count,friends_count,favourites_count,url,description,created_at,crawled_at,verified\n"
    (tmp_path / "genuine_accounts.csv").write_text(
        header + '11,Ann,AnnB,120,40,30,7,http://t.co/x,"hi, me",Fri Apr 06 10:58:22 +0000 2007,2015-05-01 12:00:00,1\n')
    for i, name in enumerate(("social_spambots_1.csv", "social_spambots_2.csv", "social_spambots_3.csv")):
        (tmp_path / name).write_text(header + f"2{i},,bot{i},5,1,300,0,,,Tue Mar 04 18:11:08 +0000 2014,2014-05-0{i + 1} 00:00:00,\n")
    users, truth = ra.cresci2017(tmp_path)
    ann = next(u for u in users if u["id"] == 11)
    assert (ann["followings_count"], ann["track_count"], ann["likes_count"], ann["followers_count"]) == (30, 120, 7, 40)
    assert ann["created_at"] == "2007-04-06T10:58:22Z" and ann["verified"] is True
    assert ann["web_profiles"] == [{"url": "http://t.co/x", "network": "personal", "title": ""}]
    assert {u["_fetched_at"] for u in users} == {"2015-05-01T12:00:00Z"}  # the set's latest crawl, for all
    assert truth.set_index("user_id")["is_spam"].to_dict() == {11: False, 20: True, 21: True, 22: True}
    assert list(ra.half([11, 20, 21])) == [1, 0, 1]


def test_instagram_mapping(tmp_path):
    p = tmp_path / "ig.csv"
    p.write_text('"Profile.URL","rating","Username","Number.of.posts","Number.of.people.they.follow",'
                 '"Number.of.followers","has_profile_picture","Private.account"\n'
                 '"u","TRUE","fakey",0,2000,12,"TRUE",FALSE\n"v","FALSE","real.one",80,300,500,"TRUE",TRUE\n')
    users, truth = ra.instagram_srf(p)
    fake = users[0]
    assert (fake["track_count"], fake["followings_count"], fake["followers_count"]) == (0, 2000, 12)
    assert fake["id"] == ra.username_id("fakey") and fake["created_at"] is None
    assert list(truth["is_spam"]) == [True, False]


def _scores(spark, users, parts: int, config=SMALL):
    frame = users_from_api_objects(spark, users).repartition(parts)
    out = run_users_chain(spark, frame, config=config)
    return out, out["spam_scores"].toPandas().sort_values("user_id").reset_index(drop=True)


@pytest.mark.slow
def test_same_input_same_output_and_any_spam_share(spark):
    users, truth = user_dump(seed=41, n_users=800, spam_share=0.8)
    first, a = _scores(spark, users, 1)
    _, b = _scores(spark, users, 3)
    pd.testing.assert_frame_equal(a, b)  # identical scores, whatever the partitioning
    assert len(a) == 800 and "spam_clusters" in first["finding"]
    m = ur.scores_vs_truth(a, truth.rename(columns={"id": "user_id"}))
    assert m["found_spam_share"] > 0.5, m  # most of a spam-majority population is found
    few, t_few = user_dump(seed=42, n_users=800, spam_share=0.005)
    out, c = _scores(spark, few, 2)
    assert len(c) == 800 and "finding" in out  # runs to spam_scores; the finding is metadata
    m = ur.scores_vs_truth(c, t_few.rename(columns={"id": "user_id"}))
    assert m["found_spam_share"] < 0.05, m  # a 0.5% population is not flagged wholesale


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 17 target not met yet: ROC-AUC 0.84 on this set (bench/RESULTS.md, "
                   "users_real_auc_instagram_srf); strict: passing flags the fix")
def test_instagram_fakes_rank_above_real_accounts(spark):
    users, truth = ra.instagram_srf()
    m = ur.run_population(spark, users, truth)  # defaults, no labels
    print({k: v for k, v in m.items() if k not in ("table", "spam_probability")})
    assert m["roc_auc"] >= ur.TARGETS["instagram_srf"]["roc_auc"], m["table"].to_string()
