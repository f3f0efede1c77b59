"""Scenario: the artist crawls (follow graph, repost timelines) are killed midway with
SIGKILL while they checkpoint batches, started again, and end with exactly the files an
uninterrupted crawl writes, having fetched only what no checkpoint held; a finished
partition crawled again is replaced, not resumed. Against the simulator over real HTTP
(with latency, so a crawl lasts long enough to be killed) and both object-store backends.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from assets.ingest.assets import raw_follow_graph, raw_repost_timelines
from assets.ingest.checkpoint import Checkpoint
from assets.ingest.network_crawl import (
    crawl_follow_graph,
    follow_graph_prefix,
    repost_timelines_prefix,
)
from assets.ingest.raw_zone import published_partition, read_manifest
from assets.partitions import artists
from resources.crawler import Crawler
from resources.object_store import LocalObjectStore, ObjectStore
from resources.platform_api import PlatformAPI
from simulator import graph, users
from simulator.testing import running_simulator

SEED = 7
USERS = 5_000
CHILD = os.path.join(os.path.dirname(__file__), "artist_crawl_process.py")
# Two hops from an artist with a few dozen neighbours: ~100 requests, 2 nodes per batch.
FOLLOW_CONFIG = {"hops": 2, "page_size": 200, "max_nodes": 400, "batch_size": 2, "batches_in_flight": 1}
# Every reposter on its own page (seed 001): a request per repost, 3 tracks per batch.
REPOST_CONFIG = {"page_size": 1, "batch_size": 3, "batches_in_flight": 1}
# Batch sizes do not change the output; the runs that are not killed go faster with these.
FAST = {"batch_size": 10, "batches_in_flight": 4}


@pytest.fixture(scope="module")
def slow_api():
    """A fault-free simulator whose responses take ~30 ms, so a crawl can be killed midway."""
    with running_simulator(seed=SEED, users=USERS, latency_ms=30) as url:
        yield url


def _neighbours(uid: int) -> set[int]:
    return {u for _, u in graph.followers(SEED, uid, USERS)} | {u for _, u in graph.followings(SEED, uid, USERS)}


def _artist(accept) -> int:
    for uid in range(1, USERS + 1):
        if users.user(SEED, uid, USERS) and accept(uid):
            return uid
    raise AssertionError("no such artist in the simulated population")


FOLLOW_ARTIST = _artist(lambda uid: 25 <= len(_neighbours(uid)) <= 60)
REPOST_ARTIST = _artist(lambda uid: 30 <= len(graph.tracks(SEED, uid, USERS)) <= 80)


def _materialize(asset, store: ObjectStore, url: str, artist: int, config: dict) -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(artists.name, [str(artist)])
    result = dg.materialize(
        [asset], partition_key=str(artist), instance=instance,
        resources={"object_store": store, "platform_api": PlatformAPI(base_url=url, client_id="test", concurrency=8)},
        run_config={"ops": {asset.key.path[-1]: {"config": config}}},
    )
    assert result.success
    return result


def _metadata(result, asset) -> dict:
    mat = result.asset_materializations_for_node(asset.key.path[-1])[0]
    return {k: v.value for k, v in mat.metadata.items()}


def _outputs(store: ObjectStore, prefix: str, names: tuple[str, str]) -> dict[str, list[dict]]:
    """The records of the partition's published copy, by file name."""
    dataset, key = prefix.split("/")[1], prefix.rstrip("/").rsplit("=", 1)[1]
    published = {k.rsplit("/", 1)[1]: k for k in published_partition(store, dataset, key) or []}
    assert sorted(published) == sorted(names)
    return {name: list(store.read_jsonl_gz(published[name])) for name in names}


def _store_spec(store: ObjectStore) -> str:
    if isinstance(store, LocalObjectStore):
        return json.dumps({"kind": "local", "root": store.root})
    return json.dumps({"kind": "s3", "bucket": store.bucket, "prefix": store.prefix, "endpoint_url": store.endpoint_url})


def _checkpoint_keys(store: ObjectStore, prefix: str, stage: str = "") -> list[str]:
    """Checkpoint parts of the partition's attempts (of one stage, if given)."""
    return [k for k in store.list(prefix) if f"/_checkpoint/{stage}" in k and k.endswith(".jsonl.gz")]


def _checkpointed(store: ObjectStore, prefix: str) -> list[dict]:
    """Every per-node / per-track record of the checkpoint (the track list excluded)."""
    return [r for key in _checkpoint_keys(store, prefix) if "/tracks/" not in key for r in store.read_jsonl_gz(key)]


def _kill_midway(store: ObjectStore, url: str, asset_name: str, artist: int, config: dict, prefix: str, stage: str,
                 parts: int = 3) -> None:
    """Run the crawl in a child process and SIGKILL it once ``parts`` checkpoint files of
    ``stage`` exist."""
    proc = subprocess.Popen([sys.executable, CHILD, _store_spec(store), url, asset_name, str(artist), json.dumps(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        deadline = time.monotonic() + 60
        while len(_checkpoint_keys(store, prefix, stage + "/")) < parts:
            assert proc.poll() is None, "the crawl finished before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint appeared in time"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def _check_resumed(store, url, asset, artist, config, prefix, names, baseline, counted: str):
    """Restart after a kill; the output equals ``baseline`` and only the rest was fetched."""
    saved = _checkpointed(store, prefix)
    assert saved and published_partition(store, prefix.split("/")[1], str(artist)) is None
    result = _materialize(asset, store, url, artist, {**config, **FAST})
    meta = _metadata(result, asset)
    assert _outputs(store, prefix, names) == baseline["outputs"]  # same records, same order, no duplicates
    assert meta[f"resumed_{counted}"] == len(saved)
    assert meta[f"resumed_{counted}"] + meta[f"fetched_{counted}"] == baseline["meta"][f"fetched_{counted}"]
    assert 0 < meta[f"fetched_{counted}"] < baseline["meta"][f"fetched_{counted}"]
    assert meta["requests"] < baseline["meta"]["requests"]
    assert not _checkpoint_keys(store, prefix)
    assert read_manifest(store, prefix)["summary"][f"resumed_{counted}"] == len(saved)


@pytest.fixture(scope="module")
def follow_baseline(slow_api, tmp_path_factory):
    """An uninterrupted follow-graph crawl: its files and metadata."""
    store = LocalObjectStore(root=str(tmp_path_factory.mktemp("follow_baseline")))
    meta = _metadata(_materialize(raw_follow_graph, store, slow_api, FOLLOW_ARTIST, {**FOLLOW_CONFIG, **FAST}), raw_follow_graph)
    outputs = _outputs(store, follow_graph_prefix(FOLLOW_ARTIST), ("edges.jsonl.gz", "nodes.jsonl.gz"))
    assert meta["resumed_nodes"] == 0 and meta["fetched_nodes"] == 1 + len(_neighbours(FOLLOW_ARTIST))
    return {"outputs": outputs, "meta": meta}


@pytest.fixture(scope="module")
def repost_baseline(slow_api, tmp_path_factory):
    """An uninterrupted repost-timelines crawl: its files and metadata."""
    store = LocalObjectStore(root=str(tmp_path_factory.mktemp("repost_baseline")))
    meta = _metadata(_materialize(raw_repost_timelines, store, slow_api, REPOST_ARTIST, {**REPOST_CONFIG, **FAST}),
                     raw_repost_timelines)
    outputs = _outputs(store, repost_timelines_prefix(REPOST_ARTIST), ("tracks.jsonl.gz", "reposts.jsonl.gz"))
    assert meta["fetched_tracks"] == len(graph.tracks(SEED, REPOST_ARTIST, USERS))
    return {"outputs": outputs, "meta": meta}


def test_killed_follow_graph_crawl_resumes_to_the_same_graph(slow_api, object_store, follow_baseline):
    prefix = follow_graph_prefix(FOLLOW_ARTIST)
    _kill_midway(object_store, slow_api, "raw_follow_graph", FOLLOW_ARTIST, FOLLOW_CONFIG, prefix, "hop=2")
    _check_resumed(object_store, slow_api, raw_follow_graph, FOLLOW_ARTIST, FOLLOW_CONFIG, prefix,
                   ("edges.jsonl.gz", "nodes.jsonl.gz"), follow_baseline, counted="nodes")


def test_killed_repost_crawl_resumes_to_the_same_timelines(slow_api, object_store, repost_baseline):
    prefix = repost_timelines_prefix(REPOST_ARTIST)
    _kill_midway(object_store, slow_api, "raw_repost_timelines", REPOST_ARTIST, REPOST_CONFIG, prefix, "reposters")
    _check_resumed(object_store, slow_api, raw_repost_timelines, REPOST_ARTIST, REPOST_CONFIG, prefix,
                   ("tracks.jsonl.gz", "reposts.jsonl.gz"), repost_baseline, counted="tracks")


def test_finished_partition_is_replaced_not_resumed(slow_api, local_store, follow_baseline):
    prefix = follow_graph_prefix(FOLLOW_ARTIST)
    _materialize(raw_follow_graph, local_store, slow_api, FOLLOW_ARTIST, {**FOLLOW_CONFIG, **FAST})
    first = read_manifest(local_store, prefix)
    # A kill right after the manifest was written leaves the checkpoint behind: a bogus one
    # here must not be resumed from, and must be gone afterwards with everything else old.
    local_store.write_jsonl_gz(f"{prefix}attempt={first['attempt']}/_checkpoint/hop=1/part-00000.jsonl.gz",
                               [{"id": FOLLOW_ARTIST, "followers": [], "followings": [], "error": "stale"}])
    local_store.put_bytes(prefix + "old-extra-file.json", b"{}")
    meta = _metadata(_materialize(raw_follow_graph, local_store, slow_api, FOLLOW_ARTIST, {**FOLLOW_CONFIG, **FAST}),
                     raw_follow_graph)
    assert meta["resumed_nodes"] == 0 and meta["fetched_nodes"] == follow_baseline["meta"]["fetched_nodes"]
    assert _outputs(local_store, prefix, ("edges.jsonl.gz", "nodes.jsonl.gz")) == follow_baseline["outputs"]
    second = read_manifest(local_store, prefix)
    assert second["attempt"] > first["attempt"]
    assert sorted(local_store.list(prefix)) == [prefix + "_MANIFEST.json"] + [
        f"{prefix}attempt={second['attempt']}/{n}" for n in ("edges.jsonl.gz", "nodes.jsonl.gz")]
    assert second["summary"]["finished_at"] > first["summary"]["finished_at"]


def test_killed_recrawl_leaves_the_published_graph_readable(slow_api, s3_store, follow_baseline):
    """A finished follow graph is crawled again and the re-crawl is SIGKILLed midway:
    readers still get the complete previous copy; the next run resumes and swaps. (On S3;
    the user crawl's test covers both backends with the same publication code.)"""
    object_store = s3_store
    prefix = follow_graph_prefix(FOLLOW_ARTIST)
    _materialize(raw_follow_graph, object_store, slow_api, FOLLOW_ARTIST, {**FOLLOW_CONFIG, **FAST})
    old_keys = published_partition(object_store, "follow_graph", str(FOLLOW_ARTIST))
    _kill_midway(object_store, slow_api, "raw_follow_graph", FOLLOW_ARTIST, FOLLOW_CONFIG, prefix, "hop=2")
    assert _checkpointed(object_store, prefix)  # the re-crawl had saved work
    assert published_partition(object_store, "follow_graph", str(FOLLOW_ARTIST)) == old_keys
    assert _outputs(object_store, prefix, ("edges.jsonl.gz", "nodes.jsonl.gz")) == follow_baseline["outputs"]
    meta = _metadata(_materialize(raw_follow_graph, object_store, slow_api, FOLLOW_ARTIST, {**FOLLOW_CONFIG, **FAST}),
                     raw_follow_graph)
    assert meta["resumed_nodes"] > 0  # the killed re-crawl was resumed, not restarted
    new_keys = published_partition(object_store, "follow_graph", str(FOLLOW_ARTIST))
    assert set(new_keys).isdisjoint(old_keys) and not any(object_store.exists(k) for k in old_keys)
    assert _outputs(object_store, prefix, ("edges.jsonl.gz", "nodes.jsonl.gz")) == follow_baseline["outputs"]


def test_resume_fetches_only_missing_nodes_and_other_params_start_afresh(slow_api, local_store):
    """Without a kill: drop some saved batches by hand, crawl again, compare."""
    prefix = follow_graph_prefix(FOLLOW_ARTIST)
    options = {k: v for k, v in FOLLOW_CONFIG.items() if k not in ("page_size", "batches_in_flight")}

    async def crawl(page_size: int = 200):
        checkpoint = Checkpoint(local_store, prefix)
        checkpoint.open({"artist": FOLLOW_ARTIST, "page_size": page_size}, log=lambda _: None)
        async with Crawler(slow_api, "test", concurrency=8) as crawler:
            result = await crawl_follow_graph(crawler, FOLLOW_ARTIST, checkpoint, page_size=page_size,
                                              batches_in_flight=4, log=lambda _: None, **options)
            return result, crawler.stats.requests

    full, full_requests = asyncio.run(crawl())
    hop2 = [k for k in local_store.list(prefix + "_checkpoint/hop=2/")]
    for key in hop2[::2]:  # every other batch of hop 2 is "lost"
        local_store.delete(key)
    kept = len(_checkpointed(local_store, prefix))
    resumed, requests = asyncio.run(crawl())
    assert (resumed.edges, resumed.nodes) == (full.edges, full.nodes)
    assert resumed.resumed_nodes == kept and resumed.fetched_nodes == full.fetched_nodes - kept
    assert 0 < requests < full_requests
    assert len(_checkpointed(local_store, prefix)) == full.fetched_nodes  # each node saved once
    # Saved results hold page_size-dependent cursor times: another page size starts afresh.
    other, _ = asyncio.run(crawl(page_size=150))
    assert other.resumed_nodes == 0 and sorted(e["src"] for e in other.edges) == sorted(e["src"] for e in full.edges)


def test_follow_graph_with_too_many_failed_nodes_is_not_published(local_store):
    """One try per request against 30% 5xx: too many nodes fail, nothing is published and
    the failed batches are dropped; with retries the next run publishes the whole graph."""
    prefix = follow_graph_prefix(FOLLOW_ARTIST)
    config = {**FOLLOW_CONFIG, **FAST, "max_failed_share": 0.05}
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(artists.name, [str(FOLLOW_ARTIST)])
    with running_simulator(seed=SEED, users=USERS, rate_5xx=0.3) as url:
        def run(max_retries: int):
            api = PlatformAPI(base_url=url, client_id="test", concurrency=8, max_retries=max_retries)
            return dg.materialize([raw_follow_graph], partition_key=str(FOLLOW_ARTIST), instance=instance,
                                  resources={"object_store": local_store, "platform_api": api}, raise_on_error=False,
                                  run_config={"ops": {"raw_follow_graph": {"config": config}}})

        failed = run(max_retries=0)
        assert not failed.success
        (event,) = failed.get_step_failure_events()
        assert "max_failed_share" in event.step_failure_data.error.message
        meta = {k: v.value for k, v in event.step_failure_data.user_failure_data.metadata.items()}
        assert meta["failed_share"] > 0.05 and sum(meta["errors_by_kind"].values()) > 0
        assert published_partition(local_store, "follow_graph", str(FOLLOW_ARTIST)) is None
        assert not any(r["error"] for r in _checkpointed(local_store, prefix))  # failures dropped
        ok = run(max_retries=12)
    assert ok.success
    edges = _outputs(local_store, prefix, ("edges.jsonl.gz", "nodes.jsonl.gz"))["edges.jsonl.gz"]
    assert sorted(e["src"] for e in edges if e["seen_from"] == "followers" and e["dst"] == FOLLOW_ARTIST) == sorted(
        u for _, u in graph.followers(SEED, FOLLOW_ARTIST, USERS))
