"""Follow times from cursors: requests vs. time resolution per ``page_size``.

``python -m bench crawl_times`` crawls (the real crawler, over HTTP, against the
simulator) the follow graphs (hops=1) of every artist a planted farm targets plus the
three most followed artists of the population, at page sizes 1, 5, 10, 50 and 200, and
reports per page size:

* requests (the crawler's count; retries excluded: the simulator runs fault-free);
* the share of ALL crawled follows whose stored interval (``followed_at_min_ms`` ..
  ``followed_at_max_ms``) is at most 10 min / 1 h / 4 h wide;
* the same share for the planted farm follows (member -> target: what lockstep needs);
* "farm members usable": the share of farm members with at least 3 target follows whose
  interval is at most 1 h wide (CopyCatch/lockstep needs 3+ common targets in a window).

The baseline column of each row is page_size 1 (the seed's method: a request per follow).
The truth (which follows are planted) is read only to score; the crawl knows nothing of it.
Population: ``OFFBEAT_BENCH_CRAWL_SEEDS`` (default ``1``) x ``OFFBEAT_BENCH_CRAWL_USERS``
(default 20,000: the demo's population on seed 1).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import defaultdict

from assets.ingest.network_crawl import store_follow_graph
from bench.harness import record
from resources.object_store import LocalObjectStore
from resources.platform_api import PlatformAPI
from simulator import graph
from simulator import network_truth as NT
from simulator.testing import running_simulator

PAGE_SIZES = (1, 5, 10, 50, 200)
WIDTHS = {"10min": 600_000, "1h": 3_600_000, "4h": 4 * 3_600_000}


def _artists(seed: int, users: int) -> tuple[list[int], dict[tuple[int, int], str]]:
    """Crawled artists (farm targets + 3 most followed) and the planted farm follows."""
    g = NT.planted_groups(seed, users)
    farms = g[g["kind"].str.startswith("farm") | (g["kind"] == "hijacked")]
    planted = {(int(r.user_id), int(t)): r.group for r in farms.itertuples() for t in r.targets}
    targets = sorted({t for _, t in planted})
    top = sorted(NT.artists_in(seed, users), key=lambda a: graph.followers_count(seed, a, users), reverse=True)[:3]
    return sorted(set(targets) | set(top)), planted


def _width(e: dict) -> float:
    lo, hi = e.get("followed_at_min_ms"), e.get("followed_at_max_ms")
    return float("inf") if lo is None or hi is None else hi - lo


def crawl(url: str, artists: list[int], page_size: int) -> tuple[list[dict], int, float]:
    """(edges, requests, seconds) of hops=1 crawls of ``artists`` at ``page_size``."""
    edges, requests, start = [], 0, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalObjectStore(root=tmp)
        for a in artists:
            crawler = PlatformAPI(base_url=url, client_id="bench").crawler()
            g, summary = asyncio.run(store_follow_graph(store, crawler, a, page_size=page_size, log=lambda m: None))
            edges += g.edges
            requests += summary["crawl"]["requests"]
    return edges, requests, time.perf_counter() - start


def figures(edges: list[dict], planted: dict[tuple[int, int], str]) -> dict[str, float]:
    out: dict[str, float] = {}
    widths = [_width(e) for e in edges]
    farm = [(e["src"], e["dst"], w) for e, w in zip(edges, widths, strict=True)
            if e["seen_from"] == "followers" and (e["src"], e["dst"]) in planted]
    for name, limit in WIDTHS.items():
        out[f"all_{name}"] = sum(w <= limit for w in widths) / max(1, len(widths))
        out[f"farm_{name}"] = sum(w <= limit for _, _, w in farm) / max(1, len(farm))
    narrow = defaultdict(set)
    for src, dst, w in farm:
        if w <= WIDTHS["1h"]:
            narrow[src].add(dst)
    members = {src for src, _, _ in farm}
    out["farm_members_usable"] = sum(len(narrow[m]) >= 3 for m in members) / max(1, len(members))
    out["farm_follows"] = len(farm)
    return out


def main() -> None:
    seeds = [int(s) for s in os.environ.get("OFFBEAT_BENCH_CRAWL_SEEDS", "1").split(",")]
    users = int(os.environ.get("OFFBEAT_BENCH_CRAWL_USERS", "20000"))
    for seed in seeds:
        artists, planted = _artists(seed, users)
        results = {}
        with running_simulator(seed=seed, users=users) as url:
            for p in PAGE_SIZES:
                edges, requests, seconds = crawl(url, artists, p)
                results[p] = (requests, seconds, figures(edges, planted), len(edges))
        base_req, _, base, _ = results[1]
        print(f"seed {seed}, {users:,} users, {len(artists)} artists (farm targets + top 3), hops=1")
        print(f"{'page':>5} {'requests':>9} {'s':>6} " + " ".join(f"{k:>10}" for k in base))
        for p, (req, sec, f, _) in results.items():
            print(f"{p:>5} {req:>9,} {sec:>6.1f} " + " ".join(f"{v:>10.3f}" for v in f.values()))
        for p, (req, _, f, n) in results.items():
            if p == 1:
                continue
            note = (f"seed {seed} / {users:,} users, hops=1 crawls of {len(artists)} artists (every farm target + "
                    f"top 3 by followers), {n:,} follow sightings, {int(f['farm_follows']):,} planted farm follows; "
                    f"page_size {p} vs 1 (baseline column): requests {req:,} vs {base_req:,}; intervals <= 10 min / "
                    f"1 h / 4 h: all follows {f['all_10min']:.3f} / {f['all_1h']:.3f} / {f['all_4h']:.3f} (page 1: "
                    f"{base['all_10min']:.3f} / {base['all_1h']:.3f} / {base['all_4h']:.3f}), farm follows "
                    f"{f['farm_10min']:.3f} / {f['farm_1h']:.3f} / {f['farm_4h']:.3f} (page 1: {base['farm_10min']:.3f}"
                    f" / {base['farm_1h']:.3f} / {base['farm_4h']:.3f}); farm members with 3+ targets timed within "
                    f"1 h {f['farm_members_usable']:.3f} (page 1: {base['farm_members_usable']:.3f})")
            record(f"crawl_requests_page_{p}", req, base_req, "requests", note)
            record(f"crawl_farm_members_usable_page_{p}", 100 * f["farm_members_usable"],
                   100 * base["farm_members_usable"], "% farm members", note)
