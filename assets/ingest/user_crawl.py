"""Crawl one range of user ids into ``raw/users/range=<key>/`` (no Dagster here).

Every id of the range ends as exactly one record: ``fetched``, ``gone`` (404) or ``failed``
with its last error after retries. Output is written in chunks, each chunk file named by
the ids it covers and published atomically, so:

* a crawl killed midway and started again fetches only the ids no chunk covers yet, and
  leaves no duplicates (resume);
* a crawl of a range that finished earlier (its ``_SUCCESS.json`` exists) starts afresh
  and replaces the old files (re-running a partition replaces it).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from assets.ingest.checkpoint import SUCCESS, replace_if_complete, utc_now
from assets.ingest.progress import Progress
from resources.crawler import Crawler
from resources.object_store import ObjectStore

RAW_USERS = "raw/users"
USER_STATUSES = ("fetched", "gone", "failed")
_PART = re.compile(r"part-(\d+)-(\d+)\.jsonl\.gz$")


def range_prefix(range_key: str) -> str:
    return f"{RAW_USERS}/range={range_key}/"


def part_key(range_key: str, first: int, last: int) -> str:
    return f"{range_prefix(range_key)}part-{first:09d}-{last:09d}.jsonl.gz"


def success_key(range_key: str) -> str:
    return range_prefix(range_key) + SUCCESS


def part_spans(store: ObjectStore, range_key: str) -> list[tuple[int, int, str]]:
    """(first, last, key) of every chunk file already in the range."""
    spans = []
    for key in store.list(range_prefix(range_key)):
        m = _PART.search(key)
        if m:
            spans.append((int(m.group(1)), int(m.group(2)), key))
    return spans


def missing_chunks(first: int, last: int, done: Iterable[tuple[int, int]], chunk_size: int) -> list[list[int]]:
    """Ids of first..last not covered by ``done`` spans, as runs of at most chunk_size."""
    covered = set()
    for a, b in done:
        covered.update(range(a, b + 1))
    chunks, current = [], []
    for uid in range(first, last + 1):
        if uid in covered:
            if current:
                chunks.append(current)
                current = []
            continue
        current.append(uid)
        if len(current) == chunk_size:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def _record(uid: int, status: str, user=None, web_profiles=None, error=None, attempts=0) -> dict[str, Any]:
    return {
        "id": uid,
        "status": status,
        "fetched_at": utc_now(),
        "user": user,
        "web_profiles": web_profiles if web_profiles is not None else [],
        "error": error,
        "attempts": attempts,
    }


async def fetch_user(crawler: Crawler, uid: int) -> dict[str, Any]:
    """One id: ``/users/{id}`` then ``/users/{id}/web-profiles``; always returns a record."""
    r = await crawler.get(f"/users/{uid}")
    if r.outcome == "gone":
        return _record(uid, "gone", attempts=r.attempts)
    if r.outcome == "failed":
        return _record(uid, "failed", error=f"user: {r.error}", attempts=r.attempts)
    user = r.data
    if not isinstance(user, dict) or user.get("id") != uid:
        return _record(uid, "failed", error="user: unexpected payload (no matching id)", attempts=r.attempts)
    w = await crawler.get(f"/users/{uid}/web-profiles")
    attempts = r.attempts + w.attempts
    if w.outcome == "gone":  # deleted between the two calls
        return _record(uid, "gone", attempts=attempts)
    if w.outcome == "failed" or not isinstance(w.data, list):
        error = w.error or "unexpected payload (not a list)"
        return _record(uid, "failed", user=user, error=f"web-profiles: {error}", attempts=attempts)
    return _record(uid, "fetched", user=user, web_profiles=w.data, attempts=attempts)


def read_range(store: ObjectStore, range_key: str) -> list[dict[str, Any]]:
    records = []
    for _first, _last, key in sorted(part_spans(store, range_key)):
        records.extend(store.read_jsonl_gz(key))
    return records


async def crawl_range(
    store: ObjectStore,
    crawler: Crawler,
    range_key: str,
    first: int,
    last: int,
    *,
    chunk_size: int = 200,
    chunks_in_flight: int = 4,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Crawl ids first..last (resuming or replacing, see the module docstring)."""
    replace_if_complete(store, range_prefix(range_key), log)
    spans = part_spans(store, range_key)
    chunks = missing_chunks(first, last, [(a, b) for a, b, _ in spans], chunk_size)
    total = last - first + 1
    todo = sum(len(c) for c in chunks)
    if spans:
        log(f"range {range_key}: resuming, {total - todo} ids already stored in {len(spans)} chunks")
    counts: Counter = Counter()
    progress = Progress(total=todo, what=f"users {range_key}", log=log)
    gate = asyncio.Semaphore(chunks_in_flight)

    async def run_chunk(ids: list[int]) -> None:
        async with gate:
            records = await asyncio.gather(*(fetch_user(crawler, uid) for uid in ids))
            await asyncio.to_thread(store.write_jsonl_gz, part_key(range_key, ids[0], ids[-1]), records)
            counts.update(r["status"] for r in records)
            progress.advance(len(ids))

    async with crawler:
        await asyncio.gather(*(run_chunk(c) for c in chunks))
    summary = {
        "range": range_key,
        "ids": total,
        "fetched_now": todo,
        "resumed": total - todo,
        "by_status_now": {s: counts.get(s, 0) for s in USER_STATUSES},
        "users_per_s": round(progress.rate, 1),
        "crawl": crawler.stats.as_metadata(),
        "finished_at": utc_now(),
    }
    store.put_bytes(success_key(range_key), json.dumps(summary, sort_keys=True).encode())
    return summary
