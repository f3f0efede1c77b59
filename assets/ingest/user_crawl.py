"""Crawl one range of user ids into ``raw/users/range=<key>/`` (no Dagster here).

Every id of the range ends as exactly one record: ``fetched``, ``gone`` (404) or ``failed``
with its last error after retries. Output is written in chunks into the range's attempt
prefix (``assets/ingest/publish.py``), each chunk file named by the ids it covers and
written atomically, so:

* a crawl killed midway and started again fetches only the ids no chunk covers yet, and
  leaves no duplicates (resume);
* a crawl of a range that finished earlier starts a new attempt beside the published
  copy, which readers keep using until the new one is complete (re-running a partition
  replaces it, and a failed or killed re-crawl loses nothing);
* a crawl whose share of failed ids is above ``max_failed_share`` is not published: the
  chunks holding failures are dropped (the next run fetches them again) and
  ``IncompleteCrawl`` is raised.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from assets.ingest.progress import Progress
from assets.ingest.publish import IncompleteCrawl, open_attempt, publish, utc_now
from assets.ingest.raw_zone import partition_prefix, published_partition
from resources.crawler import Crawler
from resources.object_store import ObjectStore

USER_STATUSES = ("fetched", "gone", "failed")
_PART = re.compile(r"part-(\d+)-(\d+)\.jsonl\.gz$")


def range_prefix(range_key: str) -> str:
    """``raw/users/range=<key>/``: the partition (its published copy: ``raw_zone``)."""
    return partition_prefix("users", range_key)


def part_name(first: int, last: int) -> str:
    return f"part-{first:09d}-{last:09d}.jsonl.gz"


def part_spans(store: ObjectStore, root: str) -> list[tuple[int, int, str]]:
    """(first, last, key) of every chunk file under ``root`` (an attempt), in id order."""
    spans = []
    for key in store.list(root):
        m = _PART.search(key)
        if m and "/" not in key[len(root):]:
            spans.append((int(m.group(1)), int(m.group(2)), key))
    return sorted(spans)


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
    """The records of the range's published copy (empty if it was never published)."""
    return [r for key in published_partition(store, "users", range_key) or [] for r in store.read_jsonl_gz(key)]


async def crawl_range(
    store: ObjectStore,
    crawler: Crawler,
    range_key: str,
    first: int,
    last: int,
    *,
    chunk_size: int = 200,
    chunks_in_flight: int = 4,
    max_failed_share: float = 1.0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Crawl ids first..last (resuming, replacing or refusing, see the module docstring);
    returns the summary stored in the range's manifest."""
    attempt = open_attempt(store, range_prefix(range_key), log)
    spans = part_spans(store, attempt.root)
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
            await asyncio.to_thread(store.write_jsonl_gz, attempt.key(part_name(ids[0], ids[-1])), records)
            counts.update(r["status"] for r in records)
            progress.advance(len(ids))

    async with crawler:
        await asyncio.gather(*(run_chunk(c) for c in chunks))
    spans = part_spans(store, attempt.root)
    failed_parts = []
    by_status: Counter = Counter()
    for _a, _b, key in spans:
        statuses = Counter(r["status"] for r in store.read_jsonl_gz(key))
        by_status.update(statuses)
        if statuses.get("failed"):
            failed_parts.append(key)
    share = by_status.get("failed", 0) / total if total else 0.0
    summary = {
        "range": range_key,
        "ids": total,
        "fetched_now": todo,
        "resumed": total - todo,
        "by_status_now": {s: counts.get(s, 0) for s in USER_STATUSES},
        "by_status": {s: by_status.get(s, 0) for s in USER_STATUSES},
        "failed_share": round(share, 5),
        "max_failed_share": max_failed_share,
        "users_per_s": round(progress.rate, 1),
        "crawl": crawler.stats.as_metadata(),
        "finished_at": utc_now(),
    }
    if share > max_failed_share:
        for key in failed_parts:
            store.delete(key)
        raise IncompleteCrawl(
            f"users {range_key}: {by_status['failed']} of {total} ids failed after retries ({share:.1%} > "
            f"max_failed_share {max_failed_share:.1%}); not published, the previous copy (if any) stays; "
            f"{len(failed_parts)} chunks with failures dropped so the next run fetches them again",
            summary,
        )
    publish(attempt, [key[len(attempt.root):] for _a, _b, key in spans], summary)
    return summary
