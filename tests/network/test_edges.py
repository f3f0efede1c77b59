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


def _raw_iv(spark, rows):
    return spark.createDataFrame(rows, "src long, dst long, followed_at_ms long, followed_at_min_ms long, "
                                       "followed_at_max_ms long, depth int, seen_from string, artist_id long")


def _ms(ts) -> int | None:
    return None if pd.isna(ts) else int(pd.Timestamp(ts).value // 10**6)


def test_intervals_first_follow_per_list_intersected_across_lists_and_sources(spark):
    raw = _raw_iv(spark, [
        # artist 10: follower 1 seen in 10's followers list [100, 400] and in 1's followings [250, 900]
        (1, 10, None, 100, 400, 1, "followers", 10), (1, 10, None, 250, 900, 2, "followings", 10),
        # multi-follow bot 2: three follows in one list; the first lies in [min lo, min hi]
        (2, 10, None, 500, 800, 1, "followers", 10), (2, 10, 300, 300, 300, 1, "followers", 10),
        (2, 10, None, 50, 350, 1, "followers", 10),
        # follower 3: one follow unbounded below (final page, no created_at)
        (3, 10, None, None, 40, 1, "followers", 10), (3, 10, None, 20, 60, 1, "followers", 10),
        # 1 -> 20 shared: artist 10's hop-2 crawl and artist 20's own crawl both saw it
        (1, 20, None, 1000, 5000, 2, "followings", 10), (1, 20, None, 3000, 9000, 1, "followers", 20),
        # 4 -> 20: the two sources disagree (no overlap): their hull, not an empty interval
        (4, 20, None, 100, 200, 1, "followers", 20), (4, 20, None, 300, 400, 2, "followings", 10),
    ])
    fe = E.follow_edges(E.crawl_sightings(raw))
    got = fe.toPandas()
    rows = {(r.artist_id, r.follower_id, r.followee_id): (_ms(r.followed_at_min), _ms(r.followed_at_max))
            for r in got.itertuples()}
    assert rows[(10, 1, 10)] == (250, 400)  # same follow seen from both sides: intersection
    assert rows[(10, 2, 10)] == (50, 300)
    assert rows[(10, 3, 10)] == (None, 40)
    assert rows[(10, 1, 20)] == (1000, 5000) and rows[(20, 1, 20)] == (3000, 9000)  # one row per artist
    (exact,) = [r for r in got.itertuples() if (r.artist_id, r.follower_id, r.followee_id) == (10, 2, 10)]
    assert _ms(exact.followed_at) == 300 and exact.multiplicity == 3
    d = E.distinct_edges(fe).toPandas().set_index(["follower_id", "followee_id"])
    assert len(d) == 5
    assert tuple(d.loc[(1, 20), ["t_min_ms", "t_max_ms"]]) == (3000, 5000)  # intersected over both artists
    assert tuple(d.loc[(4, 20), ["t_min_ms", "t_max_ms"]]) == (100, 400)
    assert pd.isna(d.loc[(3, 10), "t_min_ms"]) and d.loc[(3, 10), "t_max_ms"] == 40
    assert d.loc[(2, 10), "t_ms"] == 300 and d.loc[(2, 10), "multiplicity"] == 3


def test_shared_follows_keep_one_row_per_artist_partition(spark, tmp_path):
    """A follow that two artists' crawls saw (files under artist=<id>/) is in both artists'
    networks; the distinct view has it once."""
    import gzip
    import json

    paths = []
    for artist in (10, 20):
        d = tmp_path / f"raw/follow_graph/artist={artist}/attempt=a"
        d.mkdir(parents=True)
        rows = [{"src": 1, "dst": artist, "followed_at_ms": 5, "depth": 1, "seen_from": "followers"},
                {"src": 1, "dst": 99, "followed_at_min_ms": 7, "followed_at_max_ms": 9, "depth": 2,
                 "seen_from": "followings"},
                {"src": 2, "dst": 99, "depth": 2, "seen_from": "followings"}]
        with gzip.open(d / "edges.jsonl.gz", "wt") as f:
            f.write("\n".join(json.dumps(r) for r in rows))
        paths.append(str(d / "edges.jsonl.gz"))
    fe = E.follow_edges(E.crawl_sightings(E.read_crawled_edges(spark, paths)))
    got = sorted((r.artist_id, r.follower_id, r.followee_id) for r in fe.collect())
    assert got == [(10, 1, 10), (10, 1, 99), (10, 2, 99), (20, 1, 20), (20, 1, 99), (20, 2, 99)]
    d = E.distinct_edges(fe).toPandas().set_index(["follower_id", "followee_id"])
    assert sorted(d.index) == [(1, 10), (1, 20), (1, 99), (2, 99)]
    assert tuple(d.loc[(1, 99), ["t_min_ms", "t_max_ms"]]) == (7, 9)
    assert d.loc[(1, 10), "t_min_ms"] == d.loc[(1, 10), "t_max_ms"] == 5  # older files: exact time only
    assert pd.isna(d.loc[(2, 99), "t_min_ms"]) and pd.isna(d.loc[(2, 99), "t_max_ms"])
