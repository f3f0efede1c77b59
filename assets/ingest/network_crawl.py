"""Crawl an artist's follower network and repost timelines (no Dagster here).

Times come from the ``next_href`` cursor: its ``offset`` is the time of the page's last
item, so the last item of every page gets an exact time (with ``page_size=1`` every item
but the very last one does: the seed 001 method). Other items carry ``None``.

Both crawls are resumable (see ``assets/ingest/checkpoint.py``): per-node and per-track
results are checkpointed in batches under the artist's prefix, and a restarted crawl
fetches only what no batch holds yet. Results are always used in a fixed order (the BFS
frontier, the artist's track list), so a resumed crawl builds exactly the output of an
uninterrupted one. A node or track that failed after retries is checkpointed with its
error like any other result and is not fetched again on resume (as with the user crawl).
"""

from __future__ import annotations

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


# ---------------------------------------------------------------------------- follow graph
@dataclass
class FollowGraph:
    """Edges and nodes of an artist's network, and where the node results came from."""

    edges: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    resumed_nodes: int = 0  # expanded nodes whose lists came from the checkpoint
    fetched_nodes: int = 0  # expanded nodes fetched by this run


async def expand_node(crawler: Crawler, uid: int, page_size: int) -> dict[str, Any]:
    """One node's followers and followings as ``[user, cursor time]`` pairs, or its error."""
    try:
        followers = await collect(crawler, f"/users/{uid}/followers", page_size)
        followings = await collect(crawler, f"/users/{uid}/followings", page_size)
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
    follows the same artist many times shows up many times ("multi-follow"). Users first
    seen here become nodes of ``depth`` until ``max_nodes`` are known.
    """
    next_frontier: list[int] = []
    for result in results:
        uid = result["id"]
        nodes[uid]["error"] = result["error"]
        for user, t in result["followers"]:
            edges.append({"src": user["id"], "dst": uid, "followed_at_ms": t, "depth": depth, "seen_from": "followers"})
        for user, t in result["followings"]:
            edges.append({"src": uid, "dst": user["id"], "followed_at_ms": t, "depth": depth, "seen_from": "followings"})
        for user, _ in result["followers"] + result["followings"]:
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
    page_size: int = 200,
    max_nodes: int = 20_000,
    batch_size: int = 50,
    batches_in_flight: int = 4,
    log: Log = print,
) -> FollowGraph:
    """Everyone within ``hops`` follow steps of the artist, breadth first.

    Each hop's frontier is expanded in batches of ``batch_size`` nodes, each batch saved to
    ``checkpoint`` stage ``hop=<d>`` as it finishes; nodes already saved are not fetched.
    """
    edges: list[dict[str, Any]] = []
    nodes: dict[int, dict[str, Any]] = {artist_id: {"id": artist_id, "depth": 0, "user": None, "error": None}}
    frontier, resumed, fetched = [artist_id], 0, 0
    for depth in range(1, hops + 1):
        results, from_checkpoint = await checkpointed_map(
            checkpoint, f"hop={depth}", frontier, lambda uid: expand_node(crawler, uid, page_size),
            batch_size=batch_size, batches_in_flight=batches_in_flight,
            what=f"artist {artist_id} hop {depth}/{hops}", log=log,
        )
        resumed += from_checkpoint
        fetched += len(frontier) - from_checkpoint
        frontier = add_hop([results[uid] for uid in frontier], depth, nodes, edges, max_nodes)
    return FollowGraph(edges, list(nodes.values()), resumed, fetched)


async def store_follow_graph(
    store: ObjectStore, crawler: Crawler, artist_id: int, *, page_size: int = 200, max_failed_share: float = 1.0,
    log: Log = print, **options: Any
) -> tuple[FollowGraph, dict[str, Any]]:
    """Crawl the artist's follow graph into ``raw/follow_graph/artist=<id>/`` (edges and
    nodes), resuming a killed crawl or replacing a finished one; returns it and its summary.

    ``options`` go to ``crawl_follow_graph``. Saved node results depend only on the artist
    and ``page_size`` (hops and max_nodes just decide which nodes are expanded). More than
    ``max_failed_share`` of the expanded nodes failed: ``IncompleteCrawl``, nothing published.
    """
    prefix = follow_graph_prefix(artist_id)
    attempt, checkpoint = begin(store, prefix, {"artist": artist_id, "page_size": page_size}, log)
    async with crawler:
        graph = await crawl_follow_graph(crawler, artist_id, checkpoint, page_size=page_size, log=log, **options)
    summary = {
        "artist": artist_id,
        "edges": len(graph.edges),
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
