"""Checkpoints for crawls that write one partition at the end (no Dagster here).

A crawl such as an artist's follow graph produces its output files only once everything
is fetched. To survive a kill midway it saves its work in batches under its attempt's
``_checkpoint/`` prefix (see ``assets/ingest/publish.py`` for attempts), one gzip JSON
Lines part per batch, each written atomically through the object store (so it works the
same on a local directory and on S3)::

    <partition>/attempt=<id>/_checkpoint/params.json                 what the saved results depend on
    <partition>/attempt=<id>/_checkpoint/<stage>/part-00000.jsonl.gz one record per finished item

The lifecycle of a partition, the same as the user crawl's ranges:

* ``begin``: resume the partition's unfinished attempt, or start a new one beside the
  published copy (which stays readable until the new one is published). Saved batches
  made with other ``params`` are dropped.
* ``checkpointed_map``: fetch the items of a stage that no saved batch covers yet.
* ``finish``: if too large a share of the items failed, drop the batches holding the
  failures (the next run fetches them again) and raise ``IncompleteCrawl``; otherwise
  write the output files into the attempt and publish it (manifest last), which removes
  the old copy and the checkpoint.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any

from assets.ingest.progress import Progress
from assets.ingest.publish import Attempt, IncompleteCrawl, open_attempt, publish, utc_now
from assets.ingest.raw_zone import CHECKPOINT
from resources.object_store import ObjectStore

__all__ = ["Attempt", "Checkpoint", "IncompleteCrawl", "begin", "checkpointed_map", "finish", "utc_now"]
_PART = re.compile(r"/part-(\d+)\.jsonl\.gz$")


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


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

    def drop_failed(self, stage: str) -> int:
        """Remove the saved parts of ``stage`` that hold a record with an ``error`` (a
        later run fetches those items again); returns how many parts were removed."""
        dropped = 0
        for _n, key in self._parts(stage):
            if any(r.get("error") for r in self.store.read_jsonl_gz(key)):
                self.store.delete(key)
                dropped += 1
        self._next_part.pop(stage, None)
        return dropped

    def stages(self) -> list[str]:
        """Every stage with saved parts."""
        return sorted({k[len(self.root):].split("/", 1)[0] for k in self.store.list(self.root) if _PART.search(k)})

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


def begin(store: ObjectStore, prefix: str, params: dict[str, Any], log: Callable[[str], None]) -> tuple[Attempt, Checkpoint]:
    """Start or resume the crawl of the partition under ``prefix`` (see the module docstring)."""
    attempt = open_attempt(store, prefix, log)
    checkpoint = Checkpoint(store, attempt.root)
    checkpoint.open(params, log)
    return attempt, checkpoint


def finish(
    attempt: Attempt,
    checkpoint: Checkpoint,
    outputs: dict[str, list[dict[str, Any]]],
    summary: dict[str, Any],
    *,
    failed: int,
    total: int,
    max_failed_share: float,
    what: str,
) -> dict[str, Any]:
    """Publish the outputs as the partition's complete copy, unless more than
    ``max_failed_share`` of the ``total`` items failed (then ``IncompleteCrawl``)."""
    share = failed / total if total else 0.0
    summary = {**summary, "failed_share": round(share, 5), "max_failed_share": max_failed_share}
    if share > max_failed_share:
        dropped = sum(checkpoint.drop_failed(stage) for stage in checkpoint.stages())
        raise IncompleteCrawl(
            f"{what}: {failed} of {total} failed after retries ({share:.1%} > max_failed_share "
            f"{max_failed_share:.1%}); not published, the previous copy (if any) stays; "
            f"{dropped} checkpoint batches with failures dropped so the next run fetches them again",
            summary,
        )
    for name, records in outputs.items():
        attempt.store.write_jsonl_gz(attempt.key(name), records)
    return publish(attempt, list(outputs), summary)
