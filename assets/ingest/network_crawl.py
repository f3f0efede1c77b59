"""Crawl an artist's follower network and repost timelines (no Dagster here).

Times come from the ``next_href`` cursor: its ``offset`` is the time of the page's last
item (epoch ms; a page holds the items older than the previous page's cursor, newest
first), so the last item of every page gets an exact time (with ``page_size=1`` every
item but the very last one does: the seed 001 method). For the follow graph every item
also gets an interval that must hold its follow time (interval-censored, see
``follow_bounds``): ``followed_at_min_ms`` = its page's cursor (or, on the final page, the
listed account's ``created_at``), ``followed_at_max_ms`` = the previous page's cursor
(None on the first page: only the fetch time bounds it, which would make a resumed crawl
differ from an uninterrupted one). Dense bursts (a farm following within minutes)
fill whole pages, so their intervals are narrow even when pages are large.

Both crawls are resumable (see ``assets/ingest/checkpoint.py``): per-node and per-track
results are checkpointed in batches under the artist's prefix, and a restarted crawl
fetches only what no batch holds yet. Results are always used in a fixed order (the BFS
frontier, the artist's track list), so a resumed crawl builds exactly the output of an
uninterrupted one. A node or track that failed after retries is checkpointed with its
error like any other result and is not fetched again on resume (as with the user crawl).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assets.ingest.checkpoint import Checkpoint, begin, checkpointed_map, finish, utc_now
from assets.ingest.raw_zone import partition_prefix
from resources.crawler import CollectionError, Crawler
from resources.object_store import ObjectStore

Log = Callable[[str], None]


def follow_graph_prefix(artist_id: int) -> str:
    """``raw/follow_graph/artist=<id>/``: the partition (its published copy: ``raw_zone``)."""
    return partition_prefix("follow_graph", str(artist_id))


def repost_timelines_prefix(artist_id: int) -> str:
    """``raw/repost_timelines/artist=<id>/``: the partition (its published copy: ``raw_zone``)."""
    return partition_prefix("repost_timelines", str(artist_id))


async def collect(crawler: Crawler, path: str, page_size: int) -> list[tuple[dict, int | None]]:
    """Every item of a collection with its cursor time (None where the API gives none)."""
    out: list[tuple[dict, int | None]] = []
    async for items, cursor in crawler.pages(path, limit=page_size):
        for i, item in enumerate(items):
            out.append((item, cursor if i == len(items) - 1 else None))
    return out


def _created_ms(item: dict) -> int | None:
    """The listed account's ``created_at`` (ISO 8601) in epoch ms, or None."""
    text = item.get("created_at") if isinstance(item, dict) else None
    if not isinstance(text, str) or not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def follow_bounds(pages: list[tuple[list[dict], int | None]]) -> list[tuple[dict, int | None, int | None, int | None]]:
    """``(item, exact_ms, min_ms, max_ms)`` for every item of a collection's pages in order.

    ``pages``: ``(items, cursor)`` per page, newest first, ``cursor`` the time of the page's
    last item (None on the final page). A page's items lie between its own cursor and the
    previous page's cursor (the first page: no upper bound, None; bounds are inclusive, so a
    platform that repeats a tied time on the next page is still inside).
    The last item of a page is exact (min = max = cursor). On the final page the lower
    bound is the listed account's ``created_at`` (a follow cannot precede the account),
    None if unknown; elsewhere ``created_at`` tightens the lower bound when it is later.
    """
    out: list[tuple[dict, int | None, int | None, int | None]] = []
    upper: int | None = None
    for items, cursor in pages:
        for i, item in enumerate(items):
            if cursor is not None and i == len(items) - 1:
                out.append((item, cursor, cursor, cursor))
                continue
            lo, created = cursor, _created_ms(item)
            if created is not None and (lo is None or created > lo) and (upper is None or created <= upper):
                lo = created
            out.append((item, None, lo, upper))
        if cursor is not None:
            upper = cursor if upper is None else min(upper, cursor)
    return out


async def collect_follows(crawler: Crawler, path: str, page_size: int) -> list[list]:
    """Every item of a follow collection as ``[user, exact_ms, min_ms, max_ms]`` (``follow_bounds``)."""
    pages = [(items, cursor) async for items, cursor in crawler.pages(path, limit=page_size)]
    return [list(t) for t in follow_bounds(pages)]


# ---------------------------------------------------------------------------- follow graph
@dataclass
class FollowGraph:
    """Edges and nodes of an artist's network, and where the node results came from."""

    edges: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    resumed_nodes: int = 0  # expanded nodes whose lists came from the checkpoint
    fetched_nodes: int = 0  # expanded nodes fetched by this run


async def expand_node(crawler: Crawler, uid: int, page_size: int) -> dict[str, Any]:
    """One node's followers and followings as ``[user, exact, min, max]`` times, or its error."""
    try:
        followers = await collect_follows(crawler, f"/users/{uid}/followers", page_size)
        followings = await collect_follows(crawler, f"/users/{uid}/followings", page_size)
        return {"id": uid, "followers": followers, "followings": followings, "error": None}
    except CollectionError as e:
        return {"id": uid, "followers": [], "followings": [], "error": str(e)}


def add_hop(
    results: list[dict[str, Any]], depth: int, nodes: dict[int, dict[str, Any]], edges: list[dict[str, Any]],
    max_nodes: int,
) -> list[int]:
    """Add one hop's node results (in frontier order) to the graph; returns the next frontier.

    An edge ``src -> dst`` means src follows dst; ``seen_from`` tells which list it came
    from (``followers`` of dst or ``followings`` of src). Repeats are kept: a bot that
    follows the same artist many times shows up many times ("multi-follow"). Each edge
    carries ``followed_at_ms`` (exact, or None) and the interval ``followed_at_min_ms`` /
    ``followed_at_max_ms`` that holds its time. Users first seen here become nodes of
    ``depth`` until ``max_nodes`` are known.
    """
    def times(entry: list) -> dict[str, int | None]:
        t, lo, hi = (entry[1], entry[1], entry[1]) if len(entry) == 2 else entry[1:4]  # older checkpoints: pairs
        return {"followed_at_ms": t, "followed_at_min_ms": lo, "followed_at_max_ms": hi}

    next_frontier: list[int] = []
    for result in results:
        uid = result["id"]
        nodes[uid]["error"] = result["error"]
        for entry in result["followers"]:
            edges.append({"src": entry[0]["id"], "dst": uid, **times(entry), "depth": depth, "seen_from": "followers"})
        for entry in result["followings"]:
            edges.append({"src": uid, "dst": entry[0]["id"], **times(entry), "depth": depth, "seen_from": "followings"})
        for user, *_ in result["followers"] + result["followings"]:
            if user["id"] not in nodes and len(nodes) < max_nodes:
                nodes[user["id"]] = {"id": user["id"], "depth": depth, "user": user, "error": None}
                next_frontier.append(user["id"])
    return next_frontier


async def crawl_follow_graph(
    crawler: Crawler,
    artist_id: int,
    checkpoint: Checkpoint,
    *,
    hops: int = 1,
    page_size: int = 5,
    hop_page_size: int = 200,
    max_nodes: int = 20_000,
    batch_size: int = 50,
    batches_in_flight: int = 4,
    log: Log = print,
) -> FollowGraph:
    """Everyone within ``hops`` follow steps of the artist, breadth first.

    Each hop's frontier is expanded in batches of ``batch_size`` nodes, each batch saved to
    ``checkpoint`` stage ``hop=<d>`` as it finishes; nodes already saved are not fetched.
    The artist's own lists are read ``page_size`` items per page (their follow times are
    what lockstep needs: see README, "Follow times"); lists of users further out
    ``hop_page_size`` per page (they give the network's structure: triads, co-follows).
    """
    edges: list[dict[str, Any]] = []
    nodes: dict[int, dict[str, Any]] = {artist_id: {"id": artist_id, "depth": 0, "user": None, "error": None}}
    frontier, resumed, fetched = [artist_id], 0, 0
    for depth in range(1, hops + 1):
        results, from_checkpoint = await checkpointed_map(
            checkpoint, f"hop={depth}", frontier,
            lambda uid, size=page_size if depth == 1 else hop_page_size: expand_node(crawler, uid, size),
            batch_size=batch_size, batches_in_flight=batches_in_flight,
            what=f"artist {artist_id} hop {depth}/{hops}", log=log,
        )
        resumed += from_checkpoint
        fetched += len(frontier) - from_checkpoint
        frontier = add_hop([results[uid] for uid in frontier], depth, nodes, edges, max_nodes)
    return FollowGraph(edges, list(nodes.values()), resumed, fetched)


async def store_follow_graph(
    store: ObjectStore, crawler: Crawler, artist_id: int, *, page_size: int = 5, hop_page_size: int = 200,
    max_failed_share: float = 1.0, log: Log = print, **options: Any
) -> tuple[FollowGraph, dict[str, Any]]:
    """Crawl the artist's follow graph into ``raw/follow_graph/artist=<id>/`` (edges and
    nodes), resuming a killed crawl or replacing a finished one; returns it and its summary.

    ``options`` go to ``crawl_follow_graph``. Saved node results depend only on the artist
    and the page sizes (hops and max_nodes just decide which nodes are expanded). More than
    ``max_failed_share`` of the expanded nodes failed: ``IncompleteCrawl``, nothing published.
    """
    prefix = follow_graph_prefix(artist_id)
    params = {"artist": artist_id, "page_size": page_size, "hop_page_size": hop_page_size, "times": "interval"}
    attempt, checkpoint = begin(store, prefix, params, log)
    async with crawler:
        graph = await crawl_follow_graph(crawler, artist_id, checkpoint, page_size=page_size,
                                         hop_page_size=hop_page_size, log=log, **options)
    summary = {
        "artist": artist_id,
        "page_size": page_size,
        "hop_page_size": hop_page_size,
        "edges": len(graph.edges),
        **time_resolution(graph.edges),
        "nodes": len(graph.nodes),
        "nodes_failed": sum(1 for n in graph.nodes if n["error"]),
        "resumed_nodes": graph.resumed_nodes,
        "fetched_nodes": graph.fetched_nodes,
        "crawl": crawler.stats.as_metadata(),
        "finished_at": utc_now(),
    }
    expanded = graph.resumed_nodes + graph.fetched_nodes
    manifest = finish(attempt, checkpoint, {"edges.jsonl.gz": graph.edges, "nodes.jsonl.gz": graph.nodes}, summary,
                      failed=summary["nodes_failed"], total=expanded, max_failed_share=max_failed_share,
                      what=f"follow graph of artist {artist_id}: nodes")
    return graph, manifest["summary"]


RESOLUTIONS_S = {"10min": 600, "1h": 3600, "4h": 4 * 3600}


def time_resolution(edges: list[dict[str, Any]]) -> dict[str, Any]:
    """How well the crawl timed its follows: exact times, and the share of follows whose
    interval is at most 10 minutes / 1 hour / 4 hours wide."""
    n = len(edges)
    widths = [e["followed_at_max_ms"] - e["followed_at_min_ms"] for e in edges
              if e.get("followed_at_min_ms") is not None and e.get("followed_at_max_ms") is not None]
    out: dict[str, Any] = {"edges_exact_time": sum(1 for e in edges if e.get("followed_at_ms") is not None)}
    for name, seconds in RESOLUTIONS_S.items():
        out[f"share_interval_within_{name}"] = round(sum(1 for w in widths if w <= seconds * 1000) / n, 4) if n else 0.0
    return out


# ---------------------------------------------------------------------------- repost timelines
@dataclass
class RepostTimelines:
    """Tracks of an artist and their reposts, and where the per-track results came from."""

    tracks: list[dict[str, Any]]
    reposts: list[dict[str, Any]]
    resumed_tracks: int = 0  # tracks whose reposters came from the checkpoint
    fetched_tracks: int = 0  # tracks whose reposters this run fetched


async def artist_tracks(crawler: Crawler, artist_id: int, checkpoint: Checkpoint) -> list[dict[str, Any]]:
    """The artist's track list: from the checkpoint (stage ``tracks``), else fetched and saved."""
    if checkpoint.has("tracks"):
        return checkpoint.load("tracks")
    tracks = [t for t, _ in await collect(crawler, f"/users/{artist_id}/tracks", 200)]
    await checkpoint.save("tracks", tracks)
    return tracks


async def track_reposters(crawler: Crawler, track_id: int, page_size: int) -> dict[str, Any]:
    """One track's reposters, newest first, as ``[user id, cursor time]`` pairs, or its error."""
    try:
        items = await collect(crawler, f"/tracks/{track_id}/reposters", page_size)
        return {"id": track_id, "reposters": [[user["id"], t] for user, t in items], "error": None}
    except CollectionError as e:
        return {"id": track_id, "reposters": [], "error": str(e)}


def timeline_rows(tracks: list[dict[str, Any]], results: dict[int, dict[str, Any]]) -> tuple[list, list]:
    """(tracks, reposts) in track order; a track whose reposters failed carries ``error``."""
    out_tracks, reposts = [], []
    for track in tracks:
        result = results[track["id"]]
        out_tracks.append({**track, "error": result["error"]} if result["error"] else track)
        reposts.extend(
            {"track_id": track["id"], "user_id": user_id, "reposted_at_ms": t, "position": i}
            for i, (user_id, t) in enumerate(result["reposters"])
        )
    return out_tracks, reposts


async def crawl_repost_timelines(
    crawler: Crawler,
    artist_id: int,
    checkpoint: Checkpoint,
    *,
    page_size: int = 1,
    batch_size: int = 20,
    batches_in_flight: int = 4,
    log: Log = print,
) -> RepostTimelines:
    """Every track of the artist with its reposters and repost times, checkpointed: the
    track list once, then reposter lists in batches of ``batch_size`` tracks."""
    tracks = await artist_tracks(crawler, artist_id, checkpoint)
    results, resumed = await checkpointed_map(
        checkpoint, "reposters", [t["id"] for t in tracks], lambda tid: track_reposters(crawler, tid, page_size),
        batch_size=batch_size, batches_in_flight=batches_in_flight,
        what=f"artist {artist_id} repost timelines", log=log,
    )
    out_tracks, reposts = timeline_rows(tracks, results)
    return RepostTimelines(out_tracks, reposts, resumed, len(tracks) - resumed)


async def store_repost_timelines(
    store: ObjectStore, crawler: Crawler, artist_id: int, *, page_size: int = 1, max_failed_share: float = 1.0,
    log: Log = print, **options: Any
) -> tuple[RepostTimelines, dict[str, Any]]:
    """Crawl the artist's repost timelines into ``raw/repost_timelines/artist=<id>/``
    (tracks and reposts), resuming, replacing and refusing to publish as the follow graph does."""
    prefix = repost_timelines_prefix(artist_id)
    attempt, checkpoint = begin(store, prefix, {"artist": artist_id, "page_size": page_size}, log)
    async with crawler:
        timelines = await crawl_repost_timelines(crawler, artist_id, checkpoint, page_size=page_size, log=log,
                                                 **options)
    summary = {
        "artist": artist_id,
        "tracks": len(timelines.tracks),
        "reposts": len(timelines.reposts),
        "tracks_failed": sum(1 for t in timelines.tracks if t.get("error")),
        "resumed_tracks": timelines.resumed_tracks,
        "fetched_tracks": timelines.fetched_tracks,
        "crawl": crawler.stats.as_metadata(),
        "finished_at": utc_now(),
    }
    manifest = finish(attempt, checkpoint, {"tracks.jsonl.gz": timelines.tracks, "reposts.jsonl.gz": timelines.reposts},
                      summary, failed=summary["tracks_failed"], total=len(timelines.tracks),
                      max_failed_share=max_failed_share, what=f"repost timelines of artist {artist_id}: tracks")
    return timelines, manifest["summary"]
