"""Crawl throughput: our crawl vs the seeds' sequential requests loop, in one run.

Both crawl the same kind of ids from the simulator over loopback (user + web profiles):
  1. 20 ms server latency: ours vs a sequential httpx loop (one request at a time, as the
     seed 000 crawler containers did); target ours >= 25x the baseline.
  2. no latency: ours vs the same loop; target ours >= 1,000 users/s on 2 cores.
"Ours" is the real crawl path of the ``raw_users`` asset: ``crawl_range`` with the
``PlatformAPI`` defaults (64 requests in flight), writing gzipped JSONL chunks to a local
object store. The simulator runs in its own process on the same 2 cores.
"""

from __future__ import annotations

import asyncio
import tempfile
import time

import httpx

from assets.ingest.user_crawl import crawl_range, read_range
from bench.harness import record
from resources.object_store import LocalObjectStore
from resources.platform_api import PlatformAPI
from simulator.testing import running_simulator

SEED, USERS = 1, 1_000_000


def sequential_loop(base_url: str, ids: range) -> float:
    """The baseline: one request after another (users/s)."""
    start = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for uid in ids:
            r = client.get(f"{base_url}/users/{uid}", params={"client_id": "bench"})
            if r.status_code == 200:
                client.get(f"{base_url}/users/{uid}/web-profiles", params={"client_id": "bench"})
    return len(ids) / (time.perf_counter() - start)


def ours(base_url: str, first: int, last: int) -> tuple[float, int]:
    """users/s of ``crawl_range`` over first..last, and the default concurrency it used."""
    api = PlatformAPI(base_url=base_url, client_id="bench")
    with tempfile.TemporaryDirectory() as root:
        store = LocalObjectStore(root=root)
        start = time.perf_counter()
        summary = asyncio.run(crawl_range(store, api.crawler(), "bench", first, last, log=lambda _: None))
        elapsed = time.perf_counter() - start
        records = read_range(store, "bench")
    statuses = [r["status"] for r in records]
    assert sorted(r["id"] for r in records) == list(range(first, last + 1)), "ids lost or duplicated"
    assert "failed" not in statuses, summary
    return (last - first + 1) / elapsed, api.concurrency


def main() -> None:
    with running_simulator(seed=SEED, users=USERS, latency_ms=20) as url:
        base = sequential_loop(url, range(1, 201))
        fast, conc = ours(url, 10_001, 20_000)
    print(f"20 ms latency: ours {fast:,.0f} users/s, sequential loop {base:,.1f} users/s, {fast / base:.1f}x")
    record("crawl_20ms_latency", fast, base, "users/s",
           f"simulator --latency-ms 20; ours: crawl_range (PlatformAPI defaults, {conc} in flight) over "
           "10,000 ids into a local store; baseline: sequential httpx loop over 200 ids (seed 000 style); "
           "target ratio >= 25")
    with running_simulator(seed=SEED, users=USERS) as url:
        base0 = sequential_loop(url, range(1, 2001))
        fast0, conc = ours(url, 20_001, 40_000)
    print(f"no latency: ours {fast0:,.0f} users/s, sequential loop {base0:,.1f} users/s")
    record("crawl_no_latency", fast0, base0, "users/s",
           f"no latency; ours: crawl_range ({conc} in flight) over 20,000 ids into a local store; baseline: "
           "sequential loop over 2,000 ids; target ours >= 1,000 users/s; crawler and simulator share the 2 cores")


if __name__ == "__main__":
    main()
