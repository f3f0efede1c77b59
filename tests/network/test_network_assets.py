"""The network asset group end to end on temp storage: a simulated crawl of one block's
artists (written as the crawler writes it), a landed edge list with bad rows, then
follow_edges -> follow_bots, clean_counts, network_metrics; repost_timelines ->
maven_candidates. Also: the direct writer equals a real crawl of the simulator over HTTP,
and a systemic landing problem stops downstream (blocking check)."""

from __future__ import annotations

import asyncio
import gzip
import io
import json

import dagster as dg
import pandas as pd
import pytest

from assets.ingest.network_crawl import store_follow_graph
from assets.ingest.raw_zone import published_files
from assets.network import assets as network_assets
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from simulator import graph
from simulator import network_truth as NT
from tests.network.conftest import SEED, USERS

LANDED_GOOD = 300


def _landing_csv(bad: list[str]) -> bytes:
    rows = ["follower_id,followee_id,followed_at"]
    for i in range(LANDED_GOOD):  # a small platform export: 30 accounts x 10 followees
        rows.append(f"{900_000 + i // 10},{910_000 + i % 10},2024-01-0{1 + i % 9}T10:00:00Z")
    rows.append("900001,910001,2024-01-02T10:00:00Z")  # repeated row: a repeated follow
    return "\n".join(rows + bad).encode()


def _resources(root) -> dict:
    return {"object_store": LocalObjectStore(root=str(root / "lake")), "spark": SparkResource(),
            "warehouse": Warehouse(uri=str(root / "warehouse"))}


@pytest.fixture(scope="module")
def run(spark, tmp_path_factory, network_artists):
    root = tmp_path_factory.mktemp("network")
    res = _resources(root)
    store = res["object_store"]
    NT.write_crawl(store, SEED, network_artists, USERS)
    store.put_bytes("landing/follow_edges/export.csv", _landing_csv(["abc,910001,", "900003,900003,"]))
    result = dg.materialize(
        dg.load_assets_from_modules([network_assets]), resources=res, instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"network_metrics": {"config": {"randomisations": 3}}}},
    )
    return result, res, network_artists


def _table(res, name: str) -> pd.DataFrame:
    return res["warehouse"].read(SparkResource().get_session(), name).toPandas()


@pytest.mark.integration
def test_all_assets_materialise_with_checks_passing(run):
    result, _, _ = run
    assert result.success
    keys = {m.asset_key.path[-1] for m in result.get_asset_materialization_events() for m in [m.materialization]}
    assert keys == {"follow_edges", "network_metrics", "follow_bots", "repost_timelines", "maven_candidates",
                    "clean_counts"}
    assert all(c.passed for c in result.get_asset_check_evaluations())


@pytest.mark.integration
def test_follow_edges_crawl_and_landing(run):
    result, res, artists = run
    edges = _table(res, "follow_edges")
    crawled = edges[edges["source"] == "crawl"]
    assert set(crawled["artist_id"]) == set(artists)
    # every artist's followers are there, a multi-follow bot once with its multiplicity
    for a in artists[:5]:
        items = graph.followers(SEED, a, USERS)
        mine = crawled[(crawled["artist_id"] == a) & (crawled["followee_id"] == a)]
        assert sorted(mine["follower_id"]) == sorted({u for _, u in items})
        counts = pd.Series([u for _, u in items]).value_counts()
        assert (mine.set_index("follower_id")["multiplicity"] == counts.reindex(mine["follower_id"])).all()
    landed = edges[edges["source"] == "landing:export.csv"]
    assert len(landed) == LANDED_GOOD and landed["artist_id"].isna().all()
    assert landed.set_index(["follower_id", "followee_id"]).loc[(900001, 910001), "multiplicity"] == 2
    quarantined = list(res["object_store"].read_jsonl_gz("quarantine/follow_edges/export.csv.jsonl.gz"))
    assert sorted(q["reason"] for q in quarantined) == [
        "follower_id is not a positive integer", "self-follow (follower_id equals followee_id)"]
    meta = result.asset_materializations_for_node("follow_edges")[0].metadata
    assert meta["quarantined_rows"].value == 2 and meta["landed_rows"].value == LANDED_GOOD + 3


@pytest.mark.integration
def test_bots_flag_planted_and_spare_legit(run):
    _, res, artists = run
    bots = _table(res, "follow_bots")
    truth = NT.planted_groups(SEED, USERS)
    seen = set(bots["user_id"])
    planted = NT.visible_bots(SEED, USERS, artists)
    flagged = set(bots.loc[bots["flagged"], "user_id"])
    assert set(planted["kind"]) >= {"multifollow_bots", "hijacked"} and any(planted["kind"].str.startswith("farm_"))
    assert set(planted["user_id"]) <= flagged  # every planted bot the crawl can show
    landed_farm = set(range(900_000, 900_030))  # the export: 30 accounts, same 10 followees, same moments
    assert flagged - landed_farm <= set(truth.loc[truth["bot"], "user_id"])  # and nobody else
    legit = truth[~truth["bot"] & truth["user_id"].isin(seen)]
    assert not (set(legit["user_id"]) & flagged)  # no release-day fan, no heavy fan
    row = bots[bots["flagged"]].iloc[0]
    assert row["evidence"] and list(row["detectors"]) and 0.99 <= row["suspicion"] <= 1.0
    # the landed export is a lockstep farm too: the detectors run on a platform's own export
    assert landed_farm <= flagged
    assert all("lockstep" in d for d in bots.loc[bots["user_id"].isin(landed_farm), "detectors"])


@pytest.mark.integration
def test_clean_counts_remove_flagged(run):
    _, res, artists = run
    counts = _table(res, "clean_counts")
    bots = _table(res, "follow_bots")
    flagged = set(bots.loc[bots["flagged"], "user_id"])
    art = counts[counts["level"] == "artist"].set_index("artist_id")
    assert set(art.index) == set(artists)
    for a in artists:
        followers = [u for _, u in graph.followers(SEED, a, USERS)]
        assert art.loc[a, "raw_follows"] == len(followers)
        assert art.loc[a, "raw_followers"] == len(set(followers))
        assert art.loc[a, "clean_followers"] == len(set(followers) - flagged)
    tracks = counts[counts["level"] == "track"]
    some = tracks.iloc[0]
    reposters = {u for _, u in graph.reposters(SEED, int(some["track_id"]), USERS)}
    assert some["raw_reposts"] == len(reposters) and some["clean_reposts"] == len(reposters - flagged)


@pytest.mark.integration
def test_timelines_and_mavens(run):
    _, res, artists = run
    events = _table(res, "repost_timelines")
    assert len(events) == sum(len(graph.reposters(SEED, t, USERS)) for a in artists for _, t in graph.tracks(SEED, a, USERS))
    mav = _table(res, "maven_candidates")
    assert {"artist_id", "user_id", "rank", "p_value", "evidence", "flagged_bot"} <= set(mav.columns)
    truth = NT.mavens_by_artist(SEED, artists, USERS)
    if len(truth):
        j = truth.merge(mav, on=["artist_id", "user_id"], how="left")
        assert (j["rank"] <= 3).mean() >= 0.8


@pytest.mark.integration
def test_network_metrics_one_row_per_artist(run):
    _, res, artists = run
    m = _table(res, "network_metrics")
    assert sorted(m["artist_id"]) == sorted(artists)


def test_writer_equals_a_real_crawl(network_artists, tmp_path):
    """``network_truth.write_crawl`` writes what a hops=1, page_size=1 crawl of the simulator writes."""
    from resources.platform_api import PlatformAPI
    from simulator.testing import running_simulator

    artist = min(network_artists, key=lambda a: len(graph.followers(SEED, a, USERS)) + len(graph.followings(SEED, a, USERS)))
    store = LocalObjectStore(root=str(tmp_path / "lake"))
    with running_simulator(seed=SEED, users=USERS) as url:
        crawler = PlatformAPI(base_url=url, client_id="test").crawler()
        asyncio.run(store_follow_graph(store, crawler, artist, page_size=1, log=lambda m: None))
    (key,) = [k for k in published_files(store, "follow_graph")[str(artist)] if k.endswith("edges.jsonl.gz")]
    crawled = list(store.read_jsonl_gz(key))
    edges, _, _, _ = NT.crawl_records(SEED, artist, USERS)
    key_of = lambda e: (e["src"], e["dst"], e["followed_at_ms"] or -1, e["seen_from"])  # noqa: E731
    assert sorted(map(key_of, crawled)) == sorted(map(key_of, edges))


def test_systemic_landing_problem_blocks_downstream(spark, tmp_path, object_store):
    """Local directory and S3 (moto over HTTP): raw and landed files reach Spark through
    ``local_paths``; a file without the required columns is quarantined whole, the
    blocking check stops follow_bots, and the previous follow_edges table stays (write,
    check, then publish)."""
    res = {**_resources(tmp_path), "object_store": object_store}
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(json.dumps({"src": 1, "dst": 2, "followed_at_ms": 1, "depth": 1, "seen_from": "followers"}).encode())
    res["object_store"].put_bytes("raw/follow_graph/artist=2/edges.jsonl.gz", buf.getvalue())
    good = dg.materialize(dg.load_assets_from_modules([network_assets]), resources=res,
                          instance=dg.DagsterInstance.ephemeral(), selection=["follow_edges"])
    assert good.success
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(json.dumps({"src": 5, "dst": 3, "followed_at_ms": 1, "depth": 1, "seen_from": "followers"}).encode())
    res["object_store"].put_bytes("raw/follow_graph/artist=3/edges.jsonl.gz", buf.getvalue())  # new crawl data
    res["object_store"].put_bytes("landing/follow_edges/broken.csv", b"source,target\n1,2\n3,4\n")
    result = dg.materialize(
        dg.load_assets_from_modules([network_assets]), resources=res, instance=dg.DagsterInstance.ephemeral(),
        selection=["follow_edges", "follow_bots"], raise_on_error=False,
    )
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["landed_rejected_share_ok"] is False
    done = {m.materialization.asset_key.path[-1] for m in result.get_asset_materialization_events()}
    assert "follow_bots" not in done
    q = list(res["object_store"].read_jsonl_gz("quarantine/follow_edges/broken.csv.jsonl.gz"))
    assert q[0]["rows"] == 2 and "missing required column" in q[0]["reason"]
    edges = res["warehouse"].read(spark, "follow_edges").toPandas()  # the previous, good table
    assert edges[["follower_id", "followee_id", "artist_id", "multiplicity"]].values.tolist() == [[1, 2, 2, 1]]
    assert not (tmp_path / "warehouse" / ".staging").exists()


@pytest.mark.integration
def test_follow_bots_spark_path_equals_driver_reference(run):
    """follow_bots runs on Spark (bots.follow_bots_spark: no step collects the graph); on this
    small simulated graph (exact times: page_size 1) it flags the same accounts, with the same
    detectors, as the driver-side reference ``bots.follow_bots`` on the collected graph."""
    from assets.network import edges as E
    from assets.network.bots import follow_bots as reference
    from assets.network.cofollow import cofollow

    _, res, _ = run
    session = SparkResource().get_session()
    follow_edges = res["warehouse"].read(session, "follow_edges")
    cf, _ = cofollow(follow_edges)
    want, _ = reference(E.distinct_edges(follow_edges).toPandas(), cofollow=cf)
    got = _table(res, "follow_bots")
    assert len(got) == len(want) and set(got["user_id"]) == set(want["user_id"])
    assert set(got.loc[got["flagged"], "user_id"]) == set(want.loc[want["flagged"], "user_id"])
    det = lambda t: {(int(u), tuple(d)) for u, d in zip(t["user_id"], t["detectors"], strict=True) if len(d)}  # noqa: E731
    assert det(got) == det(want)


@pytest.mark.integration
def test_follow_bots_bounds_config_spark_only(run):
    """The two driver bounds are run config: with ``blocks_collect_edges`` 0 and
    ``cofollow_max_driver_pairs`` 0 nothing is collected (pure Spark peel, label propagation
    on Spark) and the same accounts are flagged, cofollow by the same detector, as with the
    defaults. (Runs last in this module: it replaces follow_bots.)"""
    _, res, _ = run
    before = _table(res, "follow_bots")
    result = dg.materialize(
        dg.load_assets_from_modules([network_assets]), resources=res, instance=dg.DagsterInstance.ephemeral(),
        selection=["follow_bots"],
        run_config={"ops": {"follow_bots": {"config": {"blocks_collect_edges": 0, "cofollow_max_driver_pairs": 0}}}},
    )
    assert result.success
    after = _table(res, "follow_bots")
    assert before["flagged"].sum() > 0
    assert set(after.loc[after["flagged"], "user_id"]) == set(before.loc[before["flagged"], "user_id"])
    cof = lambda t: {int(u) for u, d in zip(t["user_id"], t["detectors"], strict=True) if "cofollow" in list(d)}  # noqa: E731
    assert cof(after) == cof(before)
