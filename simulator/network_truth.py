"""Ground truth of the follow graph and repost timelines, for scoring the network detectors.

Every planted group of ``graph.block_plan`` (multi-follow bots, farms by variant, hijacked
accounts, heavy fans, release-day fans), viral repost cascades, and mavens per artist.
``write_crawl`` writes the raw zone an artist crawl with ``hops=1`` and ``page_size=1``
would write (``assets/ingest/network_crawl.py``), straight from the graph functions: the
network quality benchmark uses it for hundreds of artists without an HTTP round trip per
follow (a test checks it against a real crawl of the simulator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator import graph
from simulator import population as P

BOT_KINDS = ("multifollow_bots", "farm_classic", "farm_wide", "farm_camouflaged", "hijacked")


def blocks_of(users: int, first_id: int = 1) -> range:
    return range(max(0, first_id) // P.BLOCK, users // P.BLOCK + 1)


def planted_groups(seed: int, users: int, first_id: int = 1) -> pd.DataFrame:
    """One row per (group, member): group, kind, bot (bool), user_id, targets, window_s."""
    rows = []
    for b in blocks_of(users, first_id):
        for g in graph.block_plan(seed, b).groups:
            for m in g["members"]:
                if first_id <= m <= users:
                    rows.append((g["group"], g["kind"], g["bot"], int(m), tuple(g["targets"]), g["window_s"]))
    return pd.DataFrame(rows, columns=["group", "kind", "bot", "user_id", "targets", "window_s"])


def bot_kinds(seed: int, users: int, first_id: int = 1) -> pd.Series:
    """user_id -> kind of every planted bot (multi-follow, farm members by variant, hijacked)."""
    g = planted_groups(seed, users, first_id)
    g = g[g["bot"]].drop_duplicates("user_id")
    return g.set_index("user_id")["kind"]


def visible_bots(seed: int, users: int, crawled_artists: list[int], first_id: int = 1) -> pd.DataFrame:
    """Planted bots (group, kind, user_id) with at least one planted follow of a crawled
    artist: the bots a crawl of ``crawled_artists`` can show at all."""
    crawled = set(map(int, crawled_artists))
    g = planted_groups(seed, users, first_id)
    g = g[g["bot"]]
    keep = []
    for row in g.itertuples():
        planted = graph.block_plan(seed, row.user_id // P.BLOCK).out.get(row.user_id, ())
        keep.append(any(d in crawled for _, d in planted))
    return g[keep].drop_duplicates("user_id")[["group", "kind", "user_id"]]


def artists_in(seed: int, users: int, first_id: int = 1) -> list[int]:
    ids = np.arange(max(1, first_id), users + 1, dtype=np.int64)
    return ids[np.isin(P.class_codes(seed, ids), P.ARTIST_CODES)].tolist()


def viral_tracks(seed: int, artists: list[int], users: int) -> pd.DataFrame:
    """(track_id, artist_id, viral_at_ms) of the tracks with a planted viral cascade."""
    rows = []
    for a in map(int, artists):
        for _, tid in graph.tracks(seed, a, users):
            v = graph.viral_moment(seed, tid)
            if v is not None:
                rows.append((tid, a, v))
    return pd.DataFrame(rows, columns=["track_id", "artist_id", "viral_at_ms"])


def mavens_by_artist(seed: int, artists: list[int], users: int, min_tracks: int = 2) -> pd.DataFrame:
    """(artist_id, user_id, tracks_reposted): mavens who reposted ``min_tracks`` or more of
    the artist's tracks with a known time (a maven with fewer leaves nothing to detect
    across tracks; a page_size=1 crawl learns no time for a track's oldest repost)."""
    rows = []
    for a in map(int, artists):
        counts: dict[int, int] = {}
        for _, tid in graph.tracks(seed, a, users):
            for u, t in _with_cursor_times(graph.reposters(seed, tid, users)):
                if t is not None and P.code_of(seed, u) == P.MAVEN:
                    counts[u] = counts.get(u, 0) + 1
        rows.extend((a, u, c) for u, c in counts.items() if c >= min_tracks)
    return pd.DataFrame(rows, columns=["artist_id", "user_id", "tracks_reposted"])


def _with_cursor_times(items: graph.Items) -> list[tuple[int, int | None]]:
    """A page_size=1 crawl learns every item's time from next_href except the last one's."""
    return [(uid, ms if i < len(items) - 1 else None) for i, (ms, uid) in enumerate(items)]


def follow_records(seed: int, artist: int, users: int) -> tuple[list[dict], list[dict]]:
    """(edges, nodes) records as an artist's follow graph crawl (hops=1, page_size=1) writes them."""
    edges = [{"src": u, "dst": artist, "followed_at_ms": t, "depth": 1, "seen_from": "followers"}
             for u, t in _with_cursor_times(graph.followers(seed, artist, users))]
    edges += [{"src": artist, "dst": u, "followed_at_ms": t, "depth": 1, "seen_from": "followings"}
              for u, t in _with_cursor_times(graph.followings(seed, artist, users))]
    nodes = [{"id": artist, "depth": 0, "user": None, "error": None}]
    seen = {artist}
    for e in edges:
        other = e["src"] if e["seen_from"] == "followers" else e["dst"]
        if other not in seen:
            seen.add(other)
            nodes.append({"id": other, "depth": 1, "user": {"id": other, "kind": "user"}, "error": None})
    return edges, nodes


def repost_records(seed: int, artist: int, users: int) -> tuple[list[dict], list[dict]]:
    """(tracks, reposts) records as an artist's repost timelines crawl (page_size=1) writes them."""
    tracks, reposts = [], []
    for _, tid in graph.tracks(seed, artist, users):
        tracks.append(graph.track(seed, tid, users))
        reposts += [{"track_id": tid, "user_id": u, "reposted_at_ms": t, "position": i}
                    for i, (u, t) in enumerate(_with_cursor_times(graph.reposters(seed, tid, users)))]
    return tracks, reposts


def crawl_records(seed: int, artist: int, users: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """(edges, nodes, tracks, reposts) records as the artist crawls (hops=1, page_size=1) write them."""
    return (*follow_records(seed, artist, users), *repost_records(seed, artist, users))


def write_crawl(store, seed: int, artists: list[int], users: int, repost_artists: list[int] | None = None) -> None:
    """Write ``raw/follow_graph`` partitions of ``artists`` and ``raw/repost_timelines``
    partitions of ``repost_artists`` (default: the same artists) as files dropped directly
    under each partition (``raw_zone.published_files`` reads them)."""
    for a in map(int, artists):
        edges, nodes = follow_records(seed, a, users)
        store.write_jsonl_gz(f"raw/follow_graph/artist={a}/edges.jsonl.gz", edges)
        store.write_jsonl_gz(f"raw/follow_graph/artist={a}/nodes.jsonl.gz", nodes)
    for a in map(int, artists if repost_artists is None else repost_artists):
        tracks, reposts = repost_records(seed, a, users)
        store.write_jsonl_gz(f"raw/repost_timelines/artist={a}/tracks.jsonl.gz", tracks)
        store.write_jsonl_gz(f"raw/repost_timelines/artist={a}/reposts.jsonl.gz", reposts)
