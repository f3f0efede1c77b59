"""Crawl throughput: our async crawler vs the seeds' sequential requests loop, one run.

Both crawl the same ids from the simulator over loopback (users + web profiles):
  1. 20 ms server latency: ours vs a sequential httpx loop (one request at a time, as the
     seed 000 crawler containers did); target ours >= 25x the baseline.
  2. no latency: ours alone; target >= 1,000 users/s on 2 cores.
The simulator runs in its own process on the same 2 cores as the crawler.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from assets.ingest.user_crawl import fetch_user
from bench.harness import record
from resources.crawler import Crawler
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


async def ours(base_url: str, ids: range, concurrency: int) -> float:
    async with Crawler(base_url, "bench", concurrency=concurrency) as crawler:
        start = time.perf_counter()
        records = await asyncio.gather(*(fetch_user(crawler, uid) for uid in ids))
        elapsed = time.perf_counter() - start
    assert len(records) == len(ids) and all(r["status"] in ("fetched", "gone") for r in records)
    return len(ids) / elapsed


def main() -> None:
    with running_simulator(seed=SEED, users=USERS, latency_ms=20) as url:
        base = sequential_loop(url, range(1, 151))
        fast = asyncio.run(ours(url, range(10_001, 14_001), concurrency=256))
    record("crawl_20ms_latency", fast, base, "users/s",
           "simulator --latency-ms 20; ours: Crawler(concurrency=256) over 4,000 ids; baseline: sequential "
           "httpx loop over 150 ids (seed 000 style); target ratio >= 25")
    with running_simulator(seed=SEED, users=USERS) as url:
        base0 = sequential_loop(url, range(1, 1001))
        fast0 = asyncio.run(ours(url, range(20_001, 26_001), concurrency=64))
    record("crawl_no_latency", fast0, base0, "users/s",
           "no latency; ours: Crawler(concurrency=64) over 6,000 ids; baseline: sequential loop over 1,000 ids; "
           "target ours >= 1,000 users/s; crawler and simulator share the 2 cores")


if __name__ == "__main__":
    main()
