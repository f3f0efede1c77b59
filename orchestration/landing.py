"""Which catalog landing days exist, and whether a day's landing files were already requested.

The landing sensor and the 02:00 schedule both start `catalog_landing` runs; a run carries
the tag ``offbeat/landing = <day>:<digest of the day's files>``, and neither requests a
(day, digest) that already has a run in the instance, whoever launched it. New or replaced
files change the digest, so a re-delivered day is validated again.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from resources.object_store import ObjectStore

LANDING_TAG = "offbeat/landing"
LANDING_PREFIX = "landing/catalog/date="
PLAYS_LANDING_PREFIX = "landing/plays/date="


def landing_days(object_store: ObjectStore, day: str | None = None, prefix: str = LANDING_PREFIX) -> dict[str, str]:
    """day -> digest of its landing files (changes when a file is added or replaced); one day
    only when ``day`` is given. ``prefix``: the catalog's landing zone by default."""
    files: dict[str, list[str]] = {}
    for key in object_store.list(prefix + (f"{day}/" if day else "")):
        day = key.split("date=", 1)[1].split("/", 1)[0]
        files.setdefault(day, []).append(key)
    return {day: hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:12] for day, keys in files.items()}


def landing_key(day: str, digest: str) -> str:
    return f"{day}:{digest}"


def already_requested(instance: dg.DagsterInstance, job_name: str, day: str, digest: str) -> bool:
    """True when any run of ``job_name`` (queued, running, done or failed) carries this day's digest."""
    runs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=job_name, tags={LANDING_TAG: landing_key(day, digest)}), limit=1
    )
    return bool(runs)


def landing_run_request(day: str, digest: str) -> dg.RunRequest:
    key = landing_key(day, digest)
    return dg.RunRequest(run_key=key, partition_key=day, tags={LANDING_TAG: key})
