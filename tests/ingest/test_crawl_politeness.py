"""Scenario: the crawler against the simulator over real HTTP when the platform pushes
back or is not there at all.

* A client-side token bucket holds the measured request rate to the configured one.
* A server that rate-limits with ``Retry-After`` is waited for, not hammered.
* A 429 storm pauses the whole crawl: no request leaves while the pause lasts, even those
  already queued for a connection.
* A revoked (401) or forbidden (403) client id, a refused port and a host name that does
  not resolve stop the crawl within seconds with an error naming the variable to fix,
  and the range's published copy is left as it was.
* A crawl with more failed ids than ``max_failed_share`` is not published; the next run
  fetches only the ids that failed.
"""

from __future__ import annotations

import asyncio
import socket
import time

import dagster as dg
import pytest

from assets.ingest.assets import raw_users
from assets.ingest.raw_zone import published_partition
from assets.ingest.user_crawl import range_prefix, read_range
from assets.partitions import user_id_ranges, user_range_key
from resources.crawler import Crawler
from resources.platform_api import PlatformAPI
from simulator import users
from simulator.testing import running_simulator

SEED = 7
USERS = 5_000
LIVE = [uid for uid in range(1, 400) if users.user(SEED, uid, USERS)]


@pytest.fixture(scope="module")
def api():
    with running_simulator(seed=SEED, users=USERS, latency_ms=2) as url:
        yield url


def _crawl(key: str, store, base_url: str, client_id: str = "good-client", **api_options):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(user_id_ranges.name, [key])
    return dg.materialize(
        [raw_users], partition_key=key, instance=instance, raise_on_error=False,
        resources={"object_store": store,
                   "platform_api": PlatformAPI(base_url=base_url, client_id=client_id, **api_options)},
        run_config={"ops": {"raw_users": {"config": {"chunk_size": 50}}}},
    )


def _failure(result) -> tuple[str, dict]:
    (event,) = result.get_step_failure_events()
    data = event.step_failure_data
    meta = data.user_failure_data.metadata if data.user_failure_data else {}
    return data.error.message, {k: v.value for k, v in meta.items()}


def test_token_bucket_holds_the_request_rate(api):
    async def run() -> tuple[int, float]:
        async with Crawler(api, "good-client", concurrency=16, rate_limit_rps=40) as c:
            t0 = time.monotonic()
            results = await asyncio.gather(*(c.get(f"/users/{uid}") for uid in LIVE[:100]))
            assert all(r.outcome == "ok" for r in results)
            return c.stats.requests, time.monotonic() - t0

    requests, elapsed = asyncio.run(run())
    rate = requests / elapsed
    # Bursts of at most 4 (a tenth of a second's worth), then 40/s.
    assert requests == 100 and elapsed >= (100 - 4) / 40
    assert 20 <= rate <= 42, rate  # never above the cap; not throttled far below it either


def test_retry_after_is_honoured():
    """The server allows 5 requests/s and answers 429 with ``Retry-After: 1`` above that.
    Backoff alone would retry within 10 ms; the crawler waits the second it is told to."""
    with running_simulator(seed=SEED, users=USERS, rate_limit_rps=5) as url:
        async def run():
            async with Crawler(url, "good-client", concurrency=1, backoff_base_s=0.001, backoff_max_s=0.01) as c:
                t0 = time.monotonic()
                results = [await c.get(f"/users/{uid}") for uid in LIVE[:12]]
                return results, c.stats, time.monotonic() - t0

        results, stats, elapsed = asyncio.run(run())
    assert all(r.outcome == "ok" for r in results)
    n429 = stats.by_status[429]
    assert 1 <= n429 <= 3  # 5 go through, then one 429 and a 1 s wait per 5 more
    assert elapsed >= n429 * 1.0 - 0.05


def test_429_storm_pauses_the_whole_crawl():
    """80% of answers are 429: the crawler declares a storm and pauses every request,
    including those queued for a connection; no request is sent during a pause."""
    with running_simulator(seed=SEED, users=USERS, rate_429=0.8, latency_ms=5) as url:
        async def run():
            samples = []
            async with Crawler(url, "good-client", concurrency=8, storm_window=20, max_retries=30,
                               backoff_base_s=0.001, backoff_max_s=0.01) as c:
                async def sample():
                    while True:
                        samples.append((time.monotonic(), c.paused_until, c.stats.requests))
                        await asyncio.sleep(0.002)

                sampler = asyncio.create_task(sample())
                crawl = asyncio.gather(*(c.get(f"/users/{uid}") for uid in LIVE[:64]))
                try:
                    await asyncio.wait_for(asyncio.shield(crawl), timeout=3.0)
                except TimeoutError:
                    pass
                sampler.cancel()
                crawl.cancel()
                return samples, c.stats

        samples, stats = asyncio.run(run())
    assert stats.storms >= 1
    paused = [(t, until, n) for t, until, n in samples if t < until]
    assert len(paused) > 20  # the pauses were observed, not just set
    by_pause: dict[float, list[int]] = {}
    for _t, until, n in paused:
        by_pause.setdefault(until, []).append(n)
    for until, counts in by_pause.items():
        assert min(counts) == max(counts), f"requests were sent during the pause ending {until}: {counts}"


def test_revoked_or_forbidden_client_id_stops_within_seconds(api, local_store):
    key = user_range_key(1, 300)
    assert _crawl(key, local_store, api).success
    published = published_partition(local_store, "users", key)
    for client_id, status in (("revoked-key-123", 401), ("forbidden-key-456", 403)):
        t0 = time.monotonic()
        result = _crawl(key, local_store, api, client_id=client_id)
        assert not result.success and time.monotonic() - t0 < 10
        message, meta = _failure(result)
        assert "OFFBEAT_CLIENT_ID" in message and str(status) in message
        assert client_id not in message  # the secret is redacted
        assert meta["errors_by_kind"] == {f"HTTP {status}": meta["errors_by_kind"][f"HTTP {status}"]}
        assert meta["requests"] < 200  # stopped, not every id tried
        assert published_partition(local_store, "users", key) == published  # old copy untouched


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


@pytest.mark.parametrize("where", ["refused", "dns"])
def test_unreachable_api_fails_fast_naming_the_base_url(where, local_store):
    url = _refused_url() if where == "refused" else "http://offbeat-no-such-host.invalid:1"
    key = user_range_key(1, 1000)
    t0 = time.monotonic()
    result = _crawl(key, local_store, url)
    assert not result.success and time.monotonic() - t0 < 10
    message, meta = _failure(result)
    assert "OFFBEAT_API_BASE_URL" in message and url in message
    kind = "connection refused" if where == "refused" else "DNS failure"
    assert kind in message and meta["errors_by_kind"].get(kind, 0) >= 1
    assert meta["requests"] < 100
    assert published_partition(local_store, "users", key) is None
    assert not any(k.endswith(".jsonl.gz") for k in local_store.list(range_prefix(key)))


def test_too_many_failed_ids_are_not_published(local_store):
    key = user_range_key(1, 300)
    with running_simulator(seed=SEED, users=USERS, rate_5xx=0.3) as url:
        result = _crawl(key, local_store, url, max_retries=0)  # one try per request: ~half the ids fail
        assert not result.success
        message, meta = _failure(result)
        assert "max_failed_share" in message and meta["failed_share"] > 0.1
        assert meta["errors_by_kind"].get("HTTP 500", 0) + meta["errors_by_kind"].get("HTTP 503", 0) > 0
        assert published_partition(local_store, "users", key) is None and read_range(local_store, key) == []
        again = _crawl(key, local_store, url, max_retries=12)
    assert again.success
    mat = again.asset_materializations_for_node("raw_users")[0]
    resumed = mat.metadata["resumed_ids"].value
    assert resumed % 50 == 0 and resumed < 300  # only chunks without failures were kept
    records = read_range(local_store, key)
    assert sorted(r["id"] for r in records) == list(range(1, 301))
    assert not any(r["status"] == "failed" for r in records)


def test_an_api_that_answers_only_failures_stops_naming_the_base_url(local_store):
    """Every request answered 5xx from the start (a wrong URL, a broken deployment)."""
    key = user_range_key(1, 1000)
    with running_simulator(seed=SEED, users=USERS, rate_5xx=1.0) as url:
        t0 = time.monotonic()
        result = _crawl(key, local_store, url)
        assert not result.success and time.monotonic() - t0 < 10
    message, meta = _failure(result)
    assert "OFFBEAT_API_BASE_URL" in message and "in a row" in message
    assert set(meta["errors_by_kind"]) <= {"HTTP 500", "HTTP 502", "HTTP 503", "HTTP 504"}
    assert meta["requests"] < 200 and published_partition(local_store, "users", key) is None
