"""Attempts and atomic publication of raw-zone partitions (no Dagster here).

A crawl or import never writes over a partition's published copy. It writes into an
attempt prefix beside it and publishes by writing the partition's manifest last::

    raw/users/range=1-1000/_MANIFEST.json              {"attempt": B, "files": [...], ...}
    raw/users/range=1-1000/attempt=<A>/part-*.jsonl.gz  the copy readers use until B is published
    raw/users/range=1-1000/attempt=<B>/part-*.jsonl.gz  a re-crawl in progress (or killed)

One object write is atomic on a local directory and on S3, so readers
(``assets/ingest/raw_zone.py``) see the old complete copy or the new one. Only after the
new manifest is written are the old attempt, stray files and the checkpoint removed.

Attempt ids sort by creation time. When a partition's work starts (``open_attempt``):

* attempts older than the published one are leftovers of a kill between publishing and
  clean-up: removed;
* the newest attempt newer than the published one is an unfinished crawl: resumed (its
  saved chunks or checkpoint are reused), older unfinished ones are removed;
* otherwise a new attempt starts (re-running a finished partition replaces it).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assets.ingest.raw_zone import ATTEMPT, CHECKPOINT, MANIFEST, read_manifest
from resources.object_store import ObjectStore

Log = Callable[[str], None]
_ATTEMPT_DIR = re.compile(rf"^{ATTEMPT}([^/]+)/")


class IncompleteCrawl(RuntimeError):
    """The work finished but too much of it failed: the partition is not published."""

    def __init__(self, message: str, summary: dict[str, Any]):
        super().__init__(message)
        self.summary = summary


def utc_now() -> str:
    """Now as ISO-8601 UTC with milliseconds (``2026-11-24T05:22:03.558Z``): record and summary times."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_attempt_id() -> str:
    """``20261124T052203558123Z-1a2b3c``: sorts by creation time, unique."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


@dataclass(frozen=True)
class Attempt:
    """One try at writing a partition: files go under ``root`` until ``publish``."""

    store: ObjectStore
    prefix: str  # the partition, with its trailing slash
    id: str
    resumed: bool = False  # True if an unfinished attempt was picked up again

    @property
    def root(self) -> str:
        return f"{self.prefix}{ATTEMPT}{self.id}/"

    def key(self, name: str) -> str:
        return self.root + name

    def files(self) -> list[str]:
        """Names (relative to ``root``) of what this attempt has written so far."""
        return [k[len(self.root):] for k in self.store.list(self.root)]


def attempt_ids(store: ObjectStore, prefix: str) -> list[str]:
    """Ids of every attempt under the partition, oldest first."""
    ids = set()
    for key in store.list(prefix + ATTEMPT):
        m = _ATTEMPT_DIR.match(key[len(prefix):])
        if m:
            ids.add(m.group(1))
    return sorted(ids)


def open_attempt(store: ObjectStore, prefix: str, log: Log, *, resume: bool = True) -> Attempt:
    """The attempt to write the partition with (see the module docstring)."""
    manifest = read_manifest(store, prefix)
    published = manifest.get("attempt") if manifest else None
    ids = attempt_ids(store, prefix)
    stale = [a for a in ids if published is not None and a < published]
    pending = [a for a in ids if a != published and a not in stale]
    for a in stale:
        store.delete_prefix(f"{prefix}{ATTEMPT}{a}/")
        log(f"{prefix}: removed attempt {a}, replaced by the published {published}")
    if resume and pending:
        current = pending[-1]
        for a in pending[:-1]:
            store.delete_prefix(f"{prefix}{ATTEMPT}{a}/")
        log(f"{prefix}: resuming the unfinished attempt {current}"
            + (f" (the published copy {published} stays readable meanwhile)" if published else ""))
        return Attempt(store, prefix, current, resumed=True)
    for a in pending:
        store.delete_prefix(f"{prefix}{ATTEMPT}{a}/")
    attempt = Attempt(store, prefix, new_attempt_id())
    if published:
        log(f"{prefix}: published copy {published} exists; writing a new one beside it ({attempt.id})")
    return attempt


def publish(attempt: Attempt, files: list[str], summary: dict[str, Any]) -> dict[str, Any]:
    """Make ``files`` (names relative to the attempt root) the partition's complete copy:
    write the manifest (the one atomic step), then remove everything else under the
    partition (the previous copy, the attempt's checkpoint, stray files)."""
    store, prefix = attempt.store, attempt.prefix
    manifest = {
        "attempt": attempt.id,
        "files": [f"{ATTEMPT}{attempt.id}/{name}" for name in files],
        "published_at": utc_now(),
        "summary": summary,
    }
    store.put_bytes(prefix + MANIFEST, json.dumps(manifest, sort_keys=True).encode())
    keep = {prefix + MANIFEST, *(prefix + f for f in manifest["files"])}
    stray = [k for k in store.list(prefix) if k not in keep]
    dirs = {prefix + m.group(0) for k in stray if (m := _ATTEMPT_DIR.match(k[len(prefix):]))} - {attempt.root}
    dirs |= {attempt.root + CHECKPOINT} if any(k.startswith(attempt.root + CHECKPOINT) for k in stray) else set()
    for d in sorted(dirs):  # whole prefixes at once (S3 deletes them in batches)
        store.delete_prefix(d)
    for key in stray:
        if not any(key.startswith(d) for d in dirs):
            store.delete(key)
    return manifest
