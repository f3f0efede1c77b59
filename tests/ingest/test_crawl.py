"""Scenario: the crawl assets against the simulator over real HTTP with 20% 5xx, 10% 429,
latency, dropped connections, malformed and truncated pages. No id is lost or duplicated,
every fetched user equals the simulator's own, the client id never leaks into stored data
or the run's logs, a crawl killed with SIGKILL resumes to the same records, and the same
holds with the object store on the S3 endpoint.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from assets.ingest.assets import raw_follow_graph, raw_repost_timelines, raw_users
from assets.ingest.user_crawl import part_spans, read_range
from assets.partitions import artists, user_id_ranges, user_range_key
from resources.platform_api import PlatformAPI
from simulator import graph, population
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
        expected = population.user(SEED, r["id"], USERS)
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


def test_killed_crawl_resumes_to_the_same_records(faulty_api, tmp_path, local_store):
    key = user_range_key(1001, 2000)
    baseline = _crawl(key, local_store, _api(faulty_api))
    assert baseline.success
    root = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "crawl_process.py"),
                             str(root), faulty_api, key],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    from resources.object_store import LocalObjectStore

    killed_store = LocalObjectStore(root=str(root))
    deadline = time.monotonic() + 120
    while len(part_spans(killed_store, key)) < 4:
        assert proc.poll() is None, "the crawl finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = part_spans(killed_store, key)
    assert 4 <= len(partial) < 20  # killed midway (20 chunks of 50 in all)
    resumed = _crawl(key, killed_store, _api(faulty_api))
    assert resumed.success
    mat = resumed.asset_materializations_for_node("raw_users")[0]
    assert mat.metadata["resumed_ids"].value == sum(b - a + 1 for a, b, _ in partial)
    assert _comparable(read_range(killed_store, key)) == _comparable(read_range(local_store, key))
    # A finished range re-run replaces its files (no duplicates either way).
    again = _crawl(key, killed_store, _api(faulty_api))
    assert again.success
    assert sorted(r["id"] for r in read_range(killed_store, key)) == list(range(1001, 2001))


def _artist_with_followers(lo: int = 20, hi: int = 400) -> int:
    for uid in range(1, USERS + 1):
        if population.user(SEED, uid, USERS) and lo <= graph.followers_count(SEED, uid, USERS) <= hi and graph.tracks(SEED, uid, USERS):
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
    edges = list(object_store.read_jsonl_gz(f"raw/follow_graph/artist={artist}/edges.jsonl.gz"))
    followers = sorted(e["src"] for e in edges if e["seen_from"] == "followers")
    expected = graph.followers(SEED, artist, USERS)
    assert followers == sorted(uid for _, uid in expected)  # multi-follows kept as repeats
    truth_pairs = set(expected)
    timed_edges = [(e["followed_at_ms"], e["src"]) for e in edges
                   if e["seen_from"] == "followers" and e["followed_at_ms"] is not None]
    assert timed_edges and all(p in truth_pairs for p in timed_edges)  # times from the cursor are exact
    reposts = list(object_store.read_jsonl_gz(f"raw/repost_timelines/artist={artist}/reposts.jsonl.gz"))
    tracks = list(object_store.read_jsonl_gz(f"raw/repost_timelines/artist={artist}/tracks.jsonl.gz"))
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
