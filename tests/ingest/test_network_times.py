"""Scenario: an artist's follow graph is crawled over real HTTP from the simulator with
pages of 1, 7 and 200; every follow's true time (the simulator's) lies inside the
interval the crawl stored (followed_at_min_ms .. followed_at_max_ms), the last item of
each page is exact, pages of one time every follow but the oldest exactly, and larger
pages give wider intervals for fewer requests. ``follow_bounds`` on hand-made pages: the
cursor rules and ``created_at`` as the lower bound of the final page.
"""

from __future__ import annotations

import asyncio

import pytest

from assets.ingest.network_crawl import follow_bounds, store_follow_graph
from assets.ingest.raw_zone import published_files
from resources.object_store import LocalObjectStore
from resources.platform_api import PlatformAPI
from simulator import graph, users
from simulator.testing import running_simulator

SEED, USERS = 7, 5_000


def test_follow_bounds_from_cursors():
    u = lambda i, created=None: {"id": i, **({"created_at": created} if created else {})}  # noqa: E731
    pages = [([u(1), u(2), u(3)], 900), ([u(4), u(5)], 500), ([u(6, "1970-01-01T00:00:00.300Z"), u(7)], None)]
    got = [(item["id"], *rest) for item, *rest in follow_bounds(pages)]
    assert got == [
        (1, None, 900, None), (2, None, 900, None), (3, 900, 900, 900),  # first page: no upper bound
        (4, None, 500, 900), (5, 500, 500, 500),
        (6, None, 300, 500),  # final page: created_at bounds it below
        (7, None, None, 500),  # ... or nothing does
    ]
    # a created_at later than the page's upper bound is inconsistent: ignored
    assert follow_bounds([([u(1)], 1000), ([u(2, "1970-01-01T00:00:02Z")], None)])[1][2] is None


def _artist() -> int:
    for uid in range(1, USERS + 1):
        if users.user(SEED, uid, USERS) and 60 <= graph.followers_count(SEED, uid, USERS) <= 300:
            return uid
    raise AssertionError("no artist of that size")


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    artist = _artist()
    out = {}
    with running_simulator(seed=SEED, users=USERS) as url:
        for page_size in (1, 7, 200):
            store = LocalObjectStore(root=str(tmp_path_factory.mktemp(f"p{page_size}") / "lake"))
            crawler = PlatformAPI(base_url=url, client_id="test").crawler()
            _, summary = asyncio.run(store_follow_graph(store, crawler, artist, page_size=page_size, log=lambda m: None))
            (key,) = [k for k in published_files(store, "follow_graph")[str(artist)] if k.endswith("edges.jsonl.gz")]
            out[page_size] = (list(store.read_jsonl_gz(key)), summary)
    return artist, out


def test_true_follow_times_lie_inside_the_stored_intervals(crawls):
    artist, out = crawls
    truth = {"followers": graph.followers(SEED, artist, USERS), "followings": graph.followings(SEED, artist, USERS)}
    for page_size, (edges, summary) in out.items():
        for side, items in truth.items():
            mine = [e for e in edges if e["seen_from"] == side]
            assert len(mine) == len(items)
            for e, (t, uid) in zip(mine, items, strict=True):  # the crawl keeps the platform's order
                assert (e["src"] if side == "followers" else e["dst"]) == uid
                assert e["followed_at_min_ms"] is None or e["followed_at_min_ms"] <= t, (page_size, e, t)
                assert e["followed_at_max_ms"] is None or t <= e["followed_at_max_ms"], (page_size, e, t)
                if e["followed_at_ms"] is not None:
                    assert e["followed_at_ms"] == e["followed_at_min_ms"] == e["followed_at_max_ms"] == t
        assert summary["page_size"] == page_size
    one, _ = out[1]
    for side in ("followers", "followings"):
        mine = [e for e in one if e["seen_from"] == side]
        assert all(e["followed_at_ms"] is not None for e in mine[:-1])  # pages of one: exact but the oldest


def test_larger_pages_fewer_requests_wider_intervals(crawls):
    _, out = crawls
    req = {p: s["crawl"]["requests"] for p, (_, s) in out.items()}
    within = {p: s["share_interval_within_1h"] for p, (_, s) in out.items()}
    assert req[1] > req[7] > req[200]
    assert within[1] >= within[7] >= within[200]
    assert within[1] > within[200]
