"""The raw zone's published copies: the one place that knows where complete data is.

Every crawl or import writes a partition of the raw zone under its dataset root::

    raw/users/range=<first>-<last>/          crawled user ranges
    raw/user_imports/source=<dump file>/     imported user dumps (same record layout)
    raw/follow_graph/artist=<id>/            edges.jsonl.gz, nodes.jsonl.gz
    raw/repost_timelines/artist=<id>/        tracks.jsonl.gz, reposts.jsonl.gz

A writer fills an attempt prefix (``<partition>/attempt=<id>/``) and publishes it by
writing ``<partition>/_MANIFEST.json`` last: ``{"attempt": id, "files": [names relative
to the partition], ...}``. One object write is atomic on a local directory and on S3, so
a reader sees the previous complete copy or the new one, never a half-crawled one; an
unfinished or killed attempt is invisible here.

Partitions without a manifest are read as they lie (the design's "files another tool
drops there are picked up"): the ``*.jsonl.gz`` files directly under the partition,
unless the partition shows a crawl of the pre-manifest layout that never finished (a
``_checkpoint/`` or crawler-named user parts without ``_SUCCESS.json``). Attempt and
checkpoint prefixes are never returned.

Downstream assets read the raw zone only through ``published_files``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from resources.object_store import ObjectStore

DATASETS: dict[str, tuple[str, str]] = {
    # dataset: (root, partition field)
    "users": ("raw/users/", "range"),
    "user_imports": ("raw/user_imports/", "source"),
    "follow_graph": ("raw/follow_graph/", "artist"),
    "repost_timelines": ("raw/repost_timelines/", "artist"),
}
MANIFEST = "_MANIFEST.json"
LEGACY_SUCCESS = "_SUCCESS.json"  # complete marker of the pre-manifest layout
ATTEMPT = "attempt="
CHECKPOINT = "_checkpoint/"
_CRAWLED_USER_PART = re.compile(r"^part-\d+-\d+\.jsonl\.gz$")


def partition_prefix(dataset: str, key: str) -> str:
    """``raw/<dataset>/<field>=<key>/`` (with the trailing slash)."""
    root, field = _dataset(dataset)
    if not key or "/" in key:
        raise ValueError(f"invalid partition key {key!r} for {dataset}")
    return f"{root}{field}={key}/"


def _dataset(dataset: str) -> tuple[str, str]:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(f"unknown raw dataset {dataset!r}: one of {sorted(DATASETS)}") from None


def read_manifest(store: ObjectStore, prefix: str) -> dict[str, Any] | None:
    """The partition's manifest, or None if it has never been published."""
    try:
        return json.loads(store.get_bytes(prefix + MANIFEST))
    except FileNotFoundError:
        return None


def _published(store: ObjectStore, dataset: str, prefix: str, names: list[str]) -> list[str] | None:
    """Keys of one partition's complete copy (``names``: its keys relative to ``prefix``)."""
    if MANIFEST in names:
        manifest = read_manifest(store, prefix)
        if manifest is not None:
            return [prefix + name for name in manifest["files"]]
    direct = sorted(n for n in names if "/" not in n and n.endswith(".jsonl.gz"))
    if LEGACY_SUCCESS in names:
        return [prefix + n for n in direct]
    unfinished = any(n.startswith((CHECKPOINT, ATTEMPT)) for n in names) or (
        dataset == "users" and any(_CRAWLED_USER_PART.match(n) for n in direct)
    )
    if unfinished or not direct:
        return None
    return [prefix + n for n in direct]


def published_files(store: ObjectStore, dataset: str) -> dict[str, list[str]]:
    """Partition key -> object keys of that partition's complete copy, for one dataset
    (``users``, ``user_imports``, ``follow_graph`` or ``repost_timelines``).

    Partitions with nothing complete (first crawl still running or killed) are absent.
    One listing of the dataset root, plus one small read per manifest.
    """
    root, field = _dataset(dataset)
    names: dict[str, list[str]] = defaultdict(list)
    head = f"{field}="
    for key in store.list(root):
        rest = key[len(root):]
        part, _, name = rest.partition("/")
        if part.startswith(head) and name:
            names[part[len(head):]].append(name)
    out = {}
    for key in sorted(names):
        files = _published(store, dataset, f"{root}{head}{key}/", names[key])
        if files:
            out[key] = files
    return out


def published_partition(store: ObjectStore, dataset: str, key: str) -> list[str] | None:
    """Object keys of one partition's complete copy, or None if none is published."""
    prefix = partition_prefix(dataset, key)
    names = [k[len(prefix):] for k in store.list(prefix)]
    return _published(store, dataset, prefix, names) if names else None
