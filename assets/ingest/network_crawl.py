"""Crawl an artist's follower network and repost timelines (no Dagster here).

Times come from the ``next_href`` cursor: its ``offset`` is the time of the page's last
item, so the last item of every page gets an exact time (with ``page_size=1`` every item
but the very last one does: the seed 001 method). Other items carry ``None``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from assets.ingest.progress import Progress
from resources.crawler import CollectionError, Crawler


async def collect(crawler: Crawler, path: str, page_size: int) -> list[tuple[dict, int | None]]:
    """Every item of a collection with its cursor time (None where the API gives none)."""
    out: list[tuple[dict, int | None]] = []
    async for items, cursor in crawler.pages(path, limit=page_size):
        for i, item in enumerate(items):
            out.append((item, cursor if i == len(items) - 1 else None))
    return out


async def crawl_follow_graph(
    crawler: Crawler,
    artist_id: int,
    *,
    hops: int = 1,
    page_size: int = 200,
    max_nodes: int = 20_000,
    log: Callable[[str], None] = print,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(edges, nodes) of everyone within ``hops`` follow steps of the artist.

    An edge ``src -> dst`` means src follows dst; ``seen_from`` tells which list it came
    from (``followers`` of dst or ``followings`` of src). Repeats are kept: a bot that
    follows the same artist many times shows up many times ("multi-follow").
    """
    edges: list[dict[str, Any]] = []
    nodes: dict[int, dict[str, Any]] = {artist_id: {"id": artist_id, "depth": 0, "user": None, "error": None}}
    frontier = [artist_id]
    for depth in range(hops):
        progress = Progress(len(frontier), f"artist {artist_id} hop {depth + 1}/{hops}", log)

        async def expand(uid: int, progress: Progress = progress) -> tuple[int, list, list, str | None]:
            try:
                followers = await collect(crawler, f"/users/{uid}/followers", page_size)
                followings = await collect(crawler, f"/users/{uid}/followings", page_size)
                return uid, followers, followings, None
            except CollectionError as e:
                return uid, [], [], str(e)
            finally:
                progress.advance(1)

        results = await asyncio.gather(*(expand(u) for u in frontier))
        next_frontier: list[int] = []
        for uid, followers, followings, error in results:
            nodes[uid]["error"] = error
            for user, t in followers:
                edges.append({"src": user["id"], "dst": uid, "followed_at_ms": t, "depth": depth + 1, "seen_from": "followers"})
            for user, t in followings:
                edges.append({"src": uid, "dst": user["id"], "followed_at_ms": t, "depth": depth + 1, "seen_from": "followings"})
            for user, _ in followers + followings:
                if user["id"] not in nodes:
                    if len(nodes) >= max_nodes:
                        continue
                    nodes[user["id"]] = {"id": user["id"], "depth": depth + 1, "user": user, "error": None}
                    next_frontier.append(user["id"])
        frontier = next_frontier
    return edges, list(nodes.values())


async def crawl_repost_timelines(
    crawler: Crawler, artist_id: int, *, page_size: int = 1, log: Callable[[str], None] = print
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tracks, reposts) of an artist: every track's reposters with repost times."""
    tracks = [t for t, _ in await collect(crawler, f"/users/{artist_id}/tracks", 200)]
    progress = Progress(len(tracks), f"artist {artist_id} repost timelines", log)

    async def timeline(track: dict) -> list[dict[str, Any]]:
        try:
            items = await collect(crawler, f"/tracks/{track['id']}/reposters", page_size)
            error = None
        except CollectionError as e:
            items, error = [], str(e)
        progress.advance(1)
        if error:
            track["error"] = error
        return [
            {"track_id": track["id"], "user_id": user["id"], "reposted_at_ms": t, "position": i}
            for i, (user, t) in enumerate(items)
        ]

    reposts = [r for rows in await asyncio.gather(*(timeline(t) for t in tracks)) for r in rows]
    return tracks, reposts
