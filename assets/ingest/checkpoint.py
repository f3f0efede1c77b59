"""Checkpoints for crawls that write one partition at the end (no Dagster here).

A crawl such as an artist's follow graph produces its output files only once everything
is fetched. To survive a kill midway it saves its work in batches under the partition's
``_checkpoint/`` prefix, one gzip JSON Lines part per batch, each published atomically
through the object store (so it works the same on a local directory and on S3)::

    <prefix>_checkpoint/params.json                 what the saved results depend on
    <prefix>_checkpoint/<stage>/part-00000.jsonl.gz one record per finished item

The lifecycle of a partition, the same as the user crawl's ranges:

* ``begin``: a partition whose ``_SUCCESS.json`` exists finished earlier, so it is removed
  and crawled afresh (re-running a partition replaces it). Otherwise saved batches are
  kept (resume), unless they were made with other ``params`` (then they are dropped).
* ``checkpointed_map``: fetch the items of a stage that no saved batch covers yet.
* ``finish``: write the output files, then ``_SUCCESS.json``, then remove the checkpoint.
  A kill between those steps is harmless: before ``_SUCCESS.json`` the next run resumes
  from the complete checkpoint and fetches nothing; after it, the next run starts afresh.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from assets.ingest.progress import Progress
from resources.object_store import ObjectStore

SUCCESS = "_SUCCESS.json"
CHECKPOINT = "_checkpoint/"
_PART = re.compile(r"/part-(\d+)\.jsonl\.gz$")


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


def utc_now() -> str:
    """Now as ISO-8601 UTC with milliseconds (``2026-11-24T05:22:03.558Z``): record and summary times."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def replace_if_complete(store: ObjectStore, prefix: str, log: Callable[[str], None]) -> bool:
    """A partition whose ``_SUCCESS.json`` exists finished earlier: remove it all so the
    crawl starts afresh (re-running a partition replaces it). True if it was removed."""
    if not store.exists(prefix + SUCCESS):
        return False
    store.delete(prefix + SUCCESS)  # first: a kill midway leaves a partition that resumes
    removed = store.delete_prefix(prefix)
    log(f"{prefix} was complete: replacing it ({removed} old files removed)")
    return True


class Checkpoint:
    """Finished batches of one partition's crawl, kept under ``<prefix>_checkpoint/``."""

    def __init__(self, store: ObjectStore, prefix: str):
        self.store = store
        self.root = prefix + CHECKPOINT
        self._next_part: dict[str, int] = {}

    def _parts(self, stage: str) -> list[tuple[int, str]]:
        """(number, key) of every saved part of a stage, in part order."""
        found = []
        for key in self.store.list(f"{self.root}{stage}/"):
            m = _PART.search(key)
            if m:
                found.append((int(m.group(1)), key))
        return sorted(found)

    def open(self, params: dict[str, Any], log: Callable[[str], None]) -> None:
        """Keep saved batches made with the same ``params``; drop them otherwise."""
        key = self.root + "params.json"
        if self.store.exists(key):
            saved = json.loads(self.store.get_bytes(key))
            if saved == params:
                return
            removed = self.store.delete_prefix(self.root)
            log(f"checkpoint {self.root} was made with {saved}, not {params}: dropped {removed} files")
        self.store.put_bytes(key, _json(params))

    def has(self, stage: str) -> bool:
        return bool(self._parts(stage))

    def load(self, stage: str) -> list[dict[str, Any]]:
        """Every record saved for a stage, in the order the parts were written."""
        parts = self._parts(stage)
        self._next_part[stage] = parts[-1][0] + 1 if parts else 0
        return [r for _n, key in parts for r in self.store.read_jsonl_gz(key)]

    async def save(self, stage: str, records: list[dict[str, Any]]) -> str:
        """Publish one batch as the stage's next part (atomic: all of it or nothing)."""
        n = self._next_part.get(stage)
        if n is None:
            parts = self._parts(stage)
            n = parts[-1][0] + 1 if parts else 0
        self._next_part[stage] = n + 1  # claimed before the write, so batches never share a name
        key = f"{self.root}{stage}/part-{n:05d}.jsonl.gz"
        await asyncio.to_thread(self.store.write_jsonl_gz, key, records)
        return key


def batches(items: Sequence[Any], size: int) -> list[list[Any]]:
    """``items`` cut into consecutive runs of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def checkpointed_map(
    checkpoint: Checkpoint,
    stage: str,
    keys: Iterable[Hashable],
    fetch: Callable[[Any], Awaitable[dict[str, Any]]],
    *,
    batch_size: int,
    batches_in_flight: int,
    what: str,
    log: Callable[[str], None],
) -> tuple[dict[Any, dict[str, Any]], int]:
    """``fetch(key)`` for every key no saved batch of ``stage`` holds yet; returns
    ({key: record} for every key, how many came from the checkpoint).

    Each record must carry its key as ``"id"``. Batches are saved as they finish, in any
    order; callers that need an order (a BFS frontier) read the result in key order.
    """
    keys = list(keys)
    wanted = set(keys)
    done = {r["id"]: r for r in checkpoint.load(stage) if r["id"] in wanted}
    todo = [k for k in keys if k not in done]
    resumed = len(done)
    if resumed:
        log(f"{what}: resuming, {resumed}/{len(keys)} already checkpointed")
    progress = Progress(len(todo), what, log)
    gate = asyncio.Semaphore(batches_in_flight)

    async def run(batch: list[Any]) -> None:
        async with gate:
            records = await asyncio.gather(*(fetch(k) for k in batch))
            await checkpoint.save(stage, records)
            done.update((r["id"], r) for r in records)
            progress.advance(len(batch))

    await asyncio.gather(*(run(b) for b in batches(todo, batch_size)))
    return done, resumed


def begin(store: ObjectStore, prefix: str, params: dict[str, Any], log: Callable[[str], None]) -> Checkpoint:
    """Start or resume the crawl of the partition under ``prefix`` (see the module docstring)."""
    replace_if_complete(store, prefix, log)
    checkpoint = Checkpoint(store, prefix)
    checkpoint.open(params, log)
    return checkpoint


def finish(store: ObjectStore, prefix: str, outputs: dict[str, list[dict[str, Any]]], summary: dict[str, Any]) -> None:
    """Write the output files, mark the partition complete, then drop its checkpoint."""
    for name, records in outputs.items():
        store.write_jsonl_gz(prefix + name, records)
    store.put_bytes(prefix + SUCCESS, _json(summary))
    store.delete_prefix(prefix + CHECKPOINT)
