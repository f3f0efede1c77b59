"""Sensors: landing days start raw_catalog runs, a watchlist adds artists, weekly re-crawls
are one backfill each, and the automation condition sensor runs everything downstream."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

# AssetGraphSubset is how a sensor requests a backfill (RunRequest.for_asset_graph_subset).
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

from assets.partitions import artists, catalog_days, play_days, user_id_ranges
from orchestration.jobs import artist_crawl_job, catalog_landing_job, plays_landing_job
from orchestration.landing import (
    PLAYS_LANDING_PREFIX,
    already_requested,
    landing_days,
    landing_run_request,
)
from resources.object_store import ObjectStore

ARTIST_WATCHLIST_KEY = "watchlists/artists.txt"
RECRAWL_TAG = "offbeat/recrawl"


@dg.sensor(job=catalog_landing_job, minimum_interval_seconds=60)
def landing_catalog_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStore):
    """Start a raw_catalog run for each landing day that appears (or whose files change),
    unless the 02:00 schedule (or anyone tagging the run the same way) already did."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    valid = set(catalog_days.get_partition_keys())
    requests, skipped = [], []
    for day, digest in sorted(landing_days(object_store).items()):
        if seen.get(day) == digest:
            continue
        if day not in valid:
            context.log.warning(f"landing day {day} is outside the catalog partitions; skipped")
            continue
        seen[day] = digest
        if already_requested(context.instance, catalog_landing_job.name, day, digest):
            skipped.append(day)
            continue
        requests.append(landing_run_request(day, digest))
    if skipped:
        context.log.info(f"already requested (schedule or earlier run): {skipped}")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True),
                           skip_reason=None if requests else "no new landing files")


@dg.sensor(job=plays_landing_job, minimum_interval_seconds=60)
def landing_plays_sensor(context: dg.SensorEvaluationContext, object_store: ObjectStore):
    """Start a raw_plays run for each landing day of play logs that appears (or whose files
    change); a (day, digest) that already has a run is not requested again."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    valid = set(play_days.get_partition_keys())
    requests = []
    for day, digest in sorted(landing_days(object_store, prefix=PLAYS_LANDING_PREFIX).items()):
        if seen.get(day) == digest:
            continue
        if day not in valid:
            context.log.warning(f"plays landing day {day} is outside the play-day partitions; skipped")
            continue
        seen[day] = digest
        if not already_requested(context.instance, plays_landing_job.name, day, digest):
            requests.append(landing_run_request(day, digest))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True),
                           skip_reason=None if requests else "no new play logs")


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


def last_weekly_tick(now: dt.datetime, weekday: int, hour: int) -> dt.datetime:
    """The latest ``weekday`` (Monday = 0) at ``hour``:00 UTC at or before ``now``."""
    now = now.astimezone(dt.UTC)
    tick = (now - dt.timedelta(days=(now.weekday() - weekday) % 7)).replace(hour=hour, minute=0, second=0,
                                                                             microsecond=0)
    return tick if tick <= now else tick - dt.timedelta(days=7)


def weekly_backfill_sensor(name: str, asset_keys: list[str], partitions_def: dg.DynamicPartitionsDefinition,
                           weekday: int, hour: int, description: str) -> dg.SensorDefinition:
    """A sensor that, once a week, requests ONE backfill of every known partition of ``asset_keys``.

    A schedule can only request runs (one per partition); a sensor can request a backfill, which
    the backfill daemon runs within the instance's concurrency pools. The cursor holds the last
    weekly tick served; the first evaluation only records the current tick (no re-crawl on deploy).
    """

    @dg.sensor(name=name, minimum_interval_seconds=600, description=description)
    def _sensor(context: dg.SensorEvaluationContext):
        tick = last_weekly_tick(dt.datetime.now(dt.UTC), weekday, hour)
        if not context.cursor:
            return dg.SensorResult(cursor=tick.isoformat(), skip_reason=f"first evaluation; next re-crawl after "
                                   f"{(tick + dt.timedelta(days=7)).isoformat()}")
        if dt.datetime.fromisoformat(context.cursor) >= tick:
            return dg.SkipReason(f"re-crawl of {tick.isoformat()} already requested")
        keys = context.instance.get_dynamic_partitions(partitions_def.name)
        if not keys:
            return dg.SensorResult(cursor=tick.isoformat(), skip_reason=f"no {partitions_def.name} partitions yet")
        subset = partitions_def.subset_with_partition_keys(keys)
        graph_subset = AssetGraphSubset(partitions_subsets_by_asset_key={dg.AssetKey(k): subset for k in asset_keys})
        request = dg.RunRequest.for_asset_graph_subset(graph_subset, tags={RECRAWL_TAG: tick.date().isoformat()})
        return dg.SensorResult(run_requests=[request], cursor=tick.isoformat())

    return _sensor


weekly_artist_recrawl = weekly_backfill_sensor(
    "weekly_artist_recrawl", ["raw_follow_graph", "raw_repost_timelines"], artists, weekday=0, hour=3,
    description="Every Monday 03:00 UTC: one backfill re-crawling every watched artist's network and reposts.",
)
weekly_user_recrawl = weekly_backfill_sensor(
    "weekly_user_recrawl", ["raw_users"], user_id_ranges, weekday=0, hour=4,
    description="Every Monday 04:00 UTC: one backfill re-crawling every known user-id range.",
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    "offbeat_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs fingerprints after a landing day, and detection, users, network and reports once "
                "after their inputs update (assets/automation.py).",
)
