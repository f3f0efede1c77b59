"""follow_edges transforms on Spark: sightings, multiplicity, landed rows and their quarantine."""

from __future__ import annotations

import pandas as pd

from assets.network import edges as E


def _raw(spark, rows):
    return spark.createDataFrame(rows, "src long, dst long, followed_at_ms long, depth int, seen_from string, artist_id long")


def test_multiplicity_is_per_list_never_summed_over_lists(spark):
    raw = _raw(spark, [
        (1, 10, 100, 1, "followers", 10), (1, 10, 100, 2, "followings", 10),  # one follow seen from both sides
        (2, 10, 300, 1, "followers", 10), (2, 10, 200, 1, "followers", 10), (2, 10, None, 1, "followers", 10),
        (10, 20, 50, 1, "followings", 10),
        (10, 20, 50, 1, "followers", 20), (1, 20, None, 1, "followers", 20),  # artist 20's own crawl
    ])
    got = E.follow_edges(E.crawl_sightings(raw)).toPandas()
    rows = {(r.artist_id, r.follower_id, r.followee_id): r for r in got.itertuples()}
    assert set(rows) == {(10, 1, 10), (10, 2, 10), (10, 10, 20), (20, 10, 20), (20, 1, 20)}
    assert rows[(10, 1, 10)].multiplicity == 1 and rows[(10, 2, 10)].multiplicity == 3
    assert rows[(10, 2, 10)].followed_at == pd.Timestamp(200, unit="ms")
    assert rows[(10, 2, 10)].last_followed_at == pd.Timestamp(300, unit="ms")
    assert pd.isna(rows[(20, 1, 20)].followed_at)
    d = E.distinct_edges(E.follow_edges(E.crawl_sightings(raw))).toPandas().set_index(["follower_id", "followee_id"])
    assert len(d) == 4 and d.loc[(10, 20), "multiplicity"] == 1 and d.loc[(2, 10), "t_ms"] == 200


def test_landed_rows_validated_with_reasons(spark):
    df = spark.createDataFrame(pd.DataFrame({
        "follower_id": ["1", " 2 ", "x", "-4", "5", "6", "7", "8", None],
        "followee_id": ["9", "9", "9", "9", "5", "9", "9", "99999999999999999999", "9"],
        "followed_at": ["2024-01-01T10:00:00Z", "", None, None, None, "yesterday", "2024-01-01 10:00:00", None, None],
    }))
    good, bad = E.validate_landed(df, "x.csv")
    g = good.toPandas()
    assert sorted(g["follower_id"]) == [1, 2, 7]
    assert g.set_index("follower_id").loc[1, "t_ms"] == pd.Timestamp("2024-01-01T10:00:00Z").value // 10**6
    reasons = bad.toPandas().set_index("follower_id")["reason"].to_dict()
    assert reasons == {
        "x": "follower_id is not a positive integer", "-4": "follower_id is not a positive integer",
        "5": "self-follow (follower_id equals followee_id)", "6": "followed_at is not an ISO 8601 time",
        "8": "followee_id is not a positive integer", None: "follower_id is not a positive integer",
    }
    assert len(g) + len(reasons) == df.count()  # nothing dropped silently


def test_repeated_landed_row_is_a_repeated_follow(spark):
    df = spark.createDataFrame(pd.DataFrame({"follower_id": ["1", "1", "1", "2"], "followee_id": ["3", "3", "3", "3"]}))
    good, _ = E.validate_landed(df, "y.csv")
    out = E.follow_edges(spark.createDataFrame([], "artist_id long, follower_id long, followee_id long, "
                                                   "multiplicity int, t0 long, t1 long, source string"),
                         E.landed_sightings(good)).toPandas().set_index("follower_id")
    assert out.loc[1, "multiplicity"] == 3 and out.loc[2, "multiplicity"] == 1
    assert (out["source"] == "landing:y.csv").all() and out["artist_id"].isna().all()
