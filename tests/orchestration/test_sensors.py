"""Scenario: every sensor and schedule evaluated against a real Dagster instance.

- A landing day is requested once, whether the landing sensor or the 02:00 schedule sees it
  first (runs carry the day's file digest; the other one skips); replaced files are
  requested again.
- The artist watchlist adds new artists as partitions and crawls only those.
- The weekly re-crawls request ONE backfill over every known partition (accepted by the
  instance as one backfill), once per week.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from dagster._core.execution.backfill import PartitionBackfill

from assets.partitions import artists, user_id_ranges
from orchestration.definitions import build_defs
from orchestration.landing import LANDING_TAG
from orchestration.schedules import catalog_daily_schedule
from orchestration.sensors import (
    ARTIST_WATCHLIST_KEY,
    artist_watchlist_sensor,
    landing_catalog_sensor,
    last_weekly_tick,
    weekly_artist_recrawl,
    weekly_user_recrawl,
)
from resources.object_store import LocalObjectStore


@pytest.fixture(scope="module")
def defs():
    return build_defs({})


@pytest.fixture(scope="module")
def landing_job(defs):
    return defs.resolve_job_def("catalog_landing")


@pytest.fixture
def instance(tmp_path):
    """A real persistent instance (schedule contexts need an instance reference)."""
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def store(tmp_path):
    store = LocalObjectStore(root=str(tmp_path / "lake"))
    for day in ("2024-01-01", "2024-01-02"):
        store.put_bytes(f"landing/catalog/date={day}/part-00000.csv", b"track_id,title\n")
    return store


def _sense(instance, store, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"object_store": store}) as context:
        result = landing_catalog_sensor(context)
    return result.run_requests or [], result.cursor


def _schedule(instance, store, day: str):
    """Evaluate the 02:00 schedule on the morning after ``day``."""
    at = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) + dt.timedelta(days=1, hours=2)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=at, resources={"object_store": store},
                                   repository_def=build_defs({}).get_repository_def()) as context:
        return catalog_daily_schedule.evaluate_tick(context)


def _launch(instance, job, request: dg.RunRequest) -> None:
    """Record the run the daemon would launch for ``request`` (queued, not yet executed)."""
    instance.create_run_for_job(job_def=job, run_config={},
                                tags={**request.tags, "dagster/partition": request.partition_key})


def test_landing_sensor_requests_each_day_once(store, instance):
    requests, cursor = _sense(instance, store)
    assert [r.partition_key for r in requests] == ["2024-01-01", "2024-01-02"]
    assert all(r.tags[LANDING_TAG] == r.run_key and r.run_key.startswith(r.partition_key) for r in requests)
    assert _sense(instance, store, cursor)[0] == []
    # A replaced/added file changes the day's digest: that day (only) is requested again.
    store.put_bytes("landing/catalog/date=2024-01-02/part-00001.csv", b"track_id,title\n")
    again, _ = _sense(instance, store, cursor)
    assert [r.partition_key for r in again] == ["2024-01-02"] and again[0].run_key != requests[1].run_key


def test_sensor_first_then_schedule_skips_the_day(store, landing_job, instance):
    requests, _ = _sense(instance, store)
    for r in requests:
        _launch(instance, landing_job, r)
    tick = _schedule(instance, store, "2024-01-01")
    assert not tick.run_requests and "already requested" in tick.skip_message


def test_schedule_first_then_sensor_skips_the_day(store, landing_job, instance):
    requests, cursor = _sense(instance, store)
    for r in requests:
        _launch(instance, landing_job, r)
    store.put_bytes("landing/catalog/date=2024-01-03/part-00000.parquet", b"x")
    tick = _schedule(instance, store, "2024-01-03")
    [scheduled] = tick.run_requests
    assert scheduled.partition_key == "2024-01-03" and scheduled.tags[LANDING_TAG].startswith("2024-01-03:")
    _launch(instance, landing_job, scheduled)
    later, cursor = _sense(instance, store, cursor)
    assert later == [] and "2024-01-03" in cursor  # seen, not requested twice


def test_schedule_skips_a_day_without_landing_files(store, instance):
    tick = _schedule(instance, store, "2024-01-05")
    assert not tick.run_requests and "no landing files for 2024-01-05" in tick.skip_message


def test_watchlist_adds_new_artists_and_crawls_only_those(tmp_path, instance):
    instance.add_dynamic_partitions(artists.name, ["7"])
    store = LocalObjectStore(root=str(tmp_path / "lake"))
    store.put_bytes(ARTIST_WATCHLIST_KEY, b"# watched\n7\n12\nnot-an-id\n\n30\n")
    with dg.build_sensor_context(instance=instance, resources={"object_store": store}) as context:
        result = artist_watchlist_sensor(context)
    assert sorted(r.partition_key for r in result.run_requests) == ["12", "30"]
    [add] = result.dynamic_partitions_requests
    assert sorted(add.partition_keys) == ["12", "30"]
    empty = LocalObjectStore(root=str(tmp_path / "empty"))
    with dg.build_sensor_context(instance=instance, resources={"object_store": empty}) as context:
        skipped = artist_watchlist_sensor(context)
    assert isinstance(skipped, dg.SkipReason)


def test_last_weekly_tick():
    monday_3am = dt.datetime(2024, 1, 8, 3, tzinfo=dt.UTC)
    assert last_weekly_tick(monday_3am, 0, 3) == monday_3am
    assert last_weekly_tick(monday_3am - dt.timedelta(seconds=1), 0, 3) == monday_3am - dt.timedelta(days=7)
    assert last_weekly_tick(dt.datetime(2024, 1, 12, 9, tzinfo=dt.UTC), 0, 3) == monday_3am


@pytest.mark.parametrize("sensor,partitions,assets", [
    (weekly_artist_recrawl, artists, {"raw_follow_graph", "raw_repost_timelines"}),
    (weekly_user_recrawl, user_id_ranges, {"raw_users"}),
], ids=["artists", "user_ranges"])
def test_weekly_recrawl_is_one_backfill_over_every_partition(sensor, partitions, assets, instance):
    keys = [str(i) for i in range(1, 41)] if partitions is artists else \
        [f"{i * 1000 + 1:09d}-{(i + 1) * 1000:09d}" for i in range(40)]
    instance.add_dynamic_partitions(partitions.name, keys)

    first = sensor(dg.build_sensor_context(instance=instance))
    assert not first.run_requests and first.cursor  # deploy: no re-crawl, the week is recorded
    assert isinstance(sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor)), dg.SkipReason)

    last_week = (dt.datetime.fromisoformat(first.cursor) - dt.timedelta(days=7)).isoformat()
    result = sensor(dg.build_sensor_context(instance=instance, cursor=last_week))
    [request] = result.run_requests
    subset = request.asset_graph_subset
    assert request.requires_backfill_daemon()
    assert {k.to_user_string() for k in subset.asset_keys} == assets
    for key in subset.asset_keys:
        assert sorted(subset.partitions_subsets_by_asset_key[key].get_partition_keys()) == sorted(keys)
    assert result.cursor == first.cursor
    # The instance accepts it as one backfill, as the sensor daemon submits it.
    instance.add_backfill(PartitionBackfill.from_asset_graph_subset(
        backfill_id="weekly", asset_graph_subset=subset, backfill_timestamp=0.0, tags=request.tags,
        dynamic_partitions_store=instance, title=None, description=None, run_config=None))
    [backfill] = instance.get_backfills()
    assert backfill.asset_backfill_data.target_subset.num_partitions_and_non_partitioned_assets == len(keys) * len(assets)
