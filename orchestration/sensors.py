"""Sensors: new landing days start raw_catalog runs; a watchlist adds artists."""

import hashlib

import dagster as dg

from assets.partitions import artists, catalog_days
from orchestration.jobs import artist_crawl_job, catalog_daily_job, catalog_detection_job
from resources.object_store import ObjectStore

ARTIST_WATCHLIST_KEY = "watchlists/artists.txt"


def landing_days(object_store: ObjectStore) -> dict[str, str]:
    """day -> fingerprint of its landing files (changes when a file is added or replaced)."""
    files: dict[str, list[str]] = {}
    for key in object_store.list("landing/catalog/date="):
        day = key.split("date=", 1)[1].split("/", 1)[0]
        files.setdefault(day, []).append(key)
    return {day: hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:12] for day, keys in files.items()}


@dg.sensor(job=catalog_daily_job, minimum_interval_seconds=60)
def landing_catalog_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStore):
    """Start a raw_catalog run for each landing day that appears (or whose files change)."""
    valid = set(catalog_days.get_partition_keys())
    for day, digest in sorted(landing_days(object_store).items()):
        if day not in valid:
            context.log.warning(f"landing day {day} is outside the catalog partitions; skipped")
            continue
        yield dg.RunRequest(run_key=f"{day}:{digest}", partition_key=day)


@dg.sensor(job=artist_crawl_job, minimum_interval_seconds=300)
def artist_watchlist_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStore):
    """Add the artist ids listed in the object store's watchlist as partitions and crawl them."""
    if not object_store.exists(ARTIST_WATCHLIST_KEY):
        return dg.SkipReason(f"no watchlist at {ARTIST_WATCHLIST_KEY}")
    wanted = [line.strip() for line in object_store.get_bytes(ARTIST_WATCHLIST_KEY).decode().splitlines()]
    wanted = [w for w in wanted if w and not w.startswith("#")]
    bad = [w for w in wanted if not w.isdigit()]
    if bad:
        context.log.error(f"watchlist lines that are not artist ids were ignored: {bad[:10]}")
    known = set(context.instance.get_dynamic_partitions(artists.name))
    new = sorted({w for w in wanted if w.isdigit()} - known)
    return dg.SensorResult(
        dynamic_partitions_requests=[artists.build_add_request(new)] if new else [],
        run_requests=[dg.RunRequest(partition_key=a) for a in new],
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[catalog_daily_job],
    request_job=catalog_detection_job,
    minimum_interval_seconds=60,
)
def catalog_detection_after_daily(context: dg.RunStatusSensorContext):
    """After a day's catalog is fingerprinted, refresh detection over all history."""
    return dg.RunRequest(run_key=f"after-{context.dagster_run.run_id}")
