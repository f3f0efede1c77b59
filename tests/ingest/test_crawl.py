"""Scenario: the crawl assets against the simulator over real HTTP with 20% 5xx, 10% 429,
latency, dropped connections, malformed and truncated pages. No id is lost or duplicated,
every fetched user equals the simulator's own, the client id never leaks into stored data
or the run's logs, a crawl killed with SIGKILL resumes to the same records, and the same
holds with the object store on the S3 endpoint.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from assets.ingest.assets import raw_follow_graph, raw_repost_timelines, raw_users
from assets.ingest.publish import attempt_ids
from assets.ingest.raw_zone import published_partition, read_manifest
from assets.ingest.user_crawl import part_spans, range_prefix, read_range
from assets.partitions import artists, user_id_ranges, user_range_key
from resources.object_store import LocalObjectStore
from resources.platform_api import PlatformAPI
from simulator import graph, population, users
from simulator.testing import running_simulator

SEED = 7
USERS = 5_000
SECRET = "sEcReT-client-id-42"
FAULTS = dict(rate_5xx=0.2, rate_429=0.1, latency_ms=5, latency_jitter_ms=3, drop_rate=0.02,
              malformed_rate=0.02, truncated_rate=0.02)


@pytest.fixture(scope="module")
def faulty_api():
    with running_simulator(seed=SEED, users=USERS, **FAULTS) as url:
        yield url


def _api(url: str, **kw) -> PlatformAPI:
    return PlatformAPI(base_url=url, client_id=SECRET, max_retries=12, backoff_max_s=0.5, **kw)


def _crawl(key: str, store, api: PlatformAPI, config: dict | None = None):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(user_id_ranges.name, [key])
    run_config = {"ops": {"raw_users": {"config": config}}} if config else None
    return dg.materialize([raw_users], partition_key=key, instance=instance,
                          resources={"object_store": store, "platform_api": api}, run_config=run_config)


def _comparable(records):
    return sorted(({k: r[k] for k in ("id", "status", "user", "web_profiles", "error")} for r in records),
                  key=lambda r: r["id"])


def _all_text(store, prefix=""):
    text = []
    for key in store.list(prefix):
        data = store.get_bytes(key)
        text.append(gzip.decompress(data).decode() if key.endswith(".gz") else data.decode(errors="replace"))
    return "\n".join(text)


def test_faulty_crawl_loses_nothing_and_matches_the_platform(faulty_api, object_store):
    first, last = 1, 400
    key = user_range_key(first, last)
    result = _crawl(key, object_store, _api(faulty_api), {"chunk_size": 100})
    assert result.success
    records = read_range(object_store, key)
    assert sorted(r["id"] for r in records) == list(range(first, last + 1))  # none lost, none doubled
    for r in records:
        expected = users.user(SEED, r["id"], USERS)
        if expected is None:
            assert r["status"] == "gone", r
        else:
            assert r["status"] == "fetched", r
            assert r["user"] == expected and r["web_profiles"] == population.web_profiles(SEED, r["id"])
    mat = result.asset_materializations_for_node("raw_users")[0]
    assert mat.metadata["retries"].value > 50  # the faults really happened and were retried
    assert all(c.passed for c in result.get_asset_check_evaluations())
    # The secret is nowhere: not in stored files, not in metadata, not in the run's events.
    assert SECRET not in _all_text(object_store)
    events = result.all_events
    assert all(SECRET not in str(e) for e in events)


def _store_spec(store) -> str:
    if isinstance(store, LocalObjectStore):
        return json.dumps({"kind": "local", "root": store.root})
    return json.dumps({"kind": "s3", "bucket": store.bucket, "prefix": store.prefix, "endpoint_url": store.endpoint_url})


def _unpublished_spans(store, key: str) -> list[tuple[int, int, str]]:
    """Chunks of the range's attempts that are not its published copy (a crawl in progress)."""
    prefix = range_prefix(key)
    manifest = read_manifest(store, prefix)
    published = manifest["attempt"] if manifest else None
    return [span for a in attempt_ids(store, prefix) if a != published
            for span in part_spans(store, f"{prefix}attempt={a}/")]


def _kill_after_chunks(store, url: str, key: str, chunks: int) -> None:
    """Crawl the range in a child process (chunks of 50, one at a time) and SIGKILL it once
    ``chunks`` chunk files of its attempt exist."""
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "crawl_process.py"),
                             _store_spec(store), url, key],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        deadline = time.monotonic() + 120
        while len(_unpublished_spans(store, key)) < chunks:
            assert proc.poll() is None, "the crawl finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@pytest.mark.integration
def test_killed_crawl_resumes_to_the_same_records(faulty_api, tmp_path, local_store):
    key = user_range_key(1001, 1600)
    baseline = _crawl(key, local_store, _api(faulty_api))
    assert baseline.success
    killed_store = LocalObjectStore(root=str(tmp_path / "killed"))
    _kill_after_chunks(killed_store, faulty_api, key, 4)
    partial = _unpublished_spans(killed_store, key)
    assert 4 <= len(partial) < 12  # killed midway (12 chunks of 50 in all)
    assert published_partition(killed_store, "users", key) is None and read_range(killed_store, key) == []
    resumed = _crawl(key, killed_store, _api(faulty_api))
    assert resumed.success
    mat = resumed.asset_materializations_for_node("raw_users")[0]
    assert mat.metadata["resumed_ids"].value == sum(b - a + 1 for a, b, _ in partial)
    assert _comparable(read_range(killed_store, key)) == _comparable(read_range(local_store, key))
    # A finished range re-run replaces its files (no duplicates either way).
    again = _crawl(key, killed_store, _api(faulty_api))
    assert again.success
    assert sorted(r["id"] for r in read_range(killed_store, key)) == list(range(1001, 1601))


@pytest.fixture(scope="module")
def slow_api():
    """A fault-free simulator whose responses take ~30 ms, so a crawl can be killed midway."""
    with running_simulator(seed=SEED, users=USERS, latency_ms=30) as url:
        yield url


def test_killed_recrawl_leaves_the_published_copy_readable(slow_api, object_store):
    """A finished range is crawled again and the re-crawl is SIGKILLed midway: readers
    still get the complete previous copy; the next run resumes the re-crawl and swaps."""
    key = user_range_key(2001, 2400)
    assert _crawl(key, object_store, _api(slow_api)).success
    old_keys = published_partition(object_store, "users", key)
    old = _comparable(read_range(object_store, key))
    assert [r["id"] for r in old] == list(range(2001, 2401))
    _kill_after_chunks(object_store, slow_api, key, 2)
    partial = _unpublished_spans(object_store, key)
    assert 2 <= len(partial) < 8  # the re-crawl wrote chunks (8 of 50 in all), then died
    assert published_partition(object_store, "users", key) == old_keys
    assert _comparable(read_range(object_store, key)) == old  # every id, the old copy
    resumed = _crawl(key, object_store, _api(slow_api))
    assert resumed.success
    mat = resumed.asset_materializations_for_node("raw_users")[0]
    assert mat.metadata["resumed_ids"].value == sum(b - a + 1 for a, b, _ in partial)
    new_keys = published_partition(object_store, "users", key)
    assert set(new_keys).isdisjoint(old_keys) and not any(object_store.exists(k) for k in old_keys)
    assert _comparable(read_range(object_store, key)) == old
    assert _unpublished_spans(object_store, key) == []


def _artist_with_followers(lo: int = 20, hi: int = 400) -> int:
    for uid in range(1, USERS + 1):
        if users.user(SEED, uid, USERS) and lo <= graph.followers_count(SEED, uid, USERS) <= hi and graph.tracks(SEED, uid, USERS):
            return uid
    raise AssertionError("no artist of that size in the simulated population")


def test_follow_graph_and_repost_timelines_match_the_platform(faulty_api, object_store):
    artist = _artist_with_followers()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(artists.name, [str(artist)])
    result = dg.materialize(
        [raw_follow_graph, raw_repost_timelines], partition_key=str(artist), instance=instance,
        resources={"object_store": object_store, "platform_api": _api(faulty_api)},
        run_config={"ops": {"raw_follow_graph": {"config": {"hops": 1, "page_size": 7}},
                            "raw_repost_timelines": {"config": {"page_size": 1}}}},
    )
    assert result.success
    published = {k.rsplit("/", 1)[1]: k for k in published_partition(object_store, "follow_graph", str(artist))}
    edges = list(object_store.read_jsonl_gz(published["edges.jsonl.gz"]))
    followers = sorted(e["src"] for e in edges if e["seen_from"] == "followers")
    expected = graph.followers(SEED, artist, USERS)
    assert followers == sorted(uid for _, uid in expected)  # multi-follows kept as repeats
    truth_pairs = set(expected)
    timed_edges = [(e["followed_at_ms"], e["src"]) for e in edges
                   if e["seen_from"] == "followers" and e["followed_at_ms"] is not None]
    assert timed_edges and all(p in truth_pairs for p in timed_edges)  # times from the cursor are exact
    published = {k.rsplit("/", 1)[1]: k for k in published_partition(object_store, "repost_timelines", str(artist))}
    reposts = list(object_store.read_jsonl_gz(published["reposts.jsonl.gz"]))
    tracks = list(object_store.read_jsonl_gz(published["tracks.jsonl.gz"]))
    assert tracks and not any(t.get("error") for t in tracks)
    by_track = {}
    for r in reposts:
        by_track.setdefault(r["track_id"], []).append(r)
    for t in tracks:
        rows = by_track.get(t["id"], [])
        truth = graph.reposters(SEED, t["id"], USERS)
        assert len(rows) == len(truth)
        # With page_size=1 every repost but the oldest has its exact time from the cursor.
        timed = [(r["reposted_at_ms"], r["user_id"]) for r in rows if r["reposted_at_ms"] is not None]
        assert len(timed) >= len(rows) - 1 and set(timed) <= set(truth)
