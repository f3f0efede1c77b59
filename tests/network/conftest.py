"""Network fixtures: a small simulated lake (crawled artists written as the crawler would)."""

from __future__ import annotations

import pytest

from simulator import graph
from simulator import network_truth as NT
from simulator import population as P

SEED = 5


def farm_block(seed: int = SEED, kind: str = "farm_") -> int:
    """The first block (from 1) whose planted groups include a farm of ``kind``."""
    return next(b for b in range(1, 64) if any(g["kind"].startswith(kind) for g in graph.block_plan(seed, b).groups))


BLOCK = farm_block()
USERS = (BLOCK + 1) * P.BLOCK  # the farm's block is the last one served


def small_artist_set(seed: int = SEED, users: int = USERS, max_tracks: int = 10, extra: int = 6) -> list[int]:
    """The farm's targets, the release-day artists, multi-follow targets and a few others
    of the farm's block, each with at most ``max_tracks`` tracks (keeps repost crawls small)."""
    plan = graph.block_plan(seed, BLOCK)
    farm = [a for g in plan.groups if g["kind"].startswith("farm") for a in g["targets"]]  # all of them
    wanted = [a for g in plan.groups if g["kind"] in ("release_day", "multifollow_bots") for a in g["targets"]]
    wanted += [a for a in NT.artists_in(seed, users, BLOCK * P.BLOCK) if a not in wanted][:extra]
    return sorted(set(farm) | {a for a in wanted if P.track_count(seed, a) <= max_tracks})


@pytest.fixture(scope="session")
def network_artists() -> list[int]:
    return small_artist_set()
