"""Scenario: play logs land per day; the plays landing sensor requests one raw_plays run per
day (tagged with the day's file digest, never twice for the same files, again when a day's
files change), ignores catalog landing files, and a backfill over many days is one run
(raw_plays' single-run policy); the stream assets follow by declarative automation.
"""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import build_defs
from orchestration.landing import LANDING_TAG, PLAYS_LANDING_PREFIX, landing_days
from orchestration.sensors import landing_plays_sensor
from resources.object_store import LocalObjectStore


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def _sense(instance, store, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"object_store": store}) as context:
        result = landing_plays_sensor(context)
    return result.run_requests or [], result.cursor


def test_plays_sensor_requests_each_day_once_and_again_when_files_change(tmp_path, instance):
    store = LocalObjectStore(root=str(tmp_path / "lake"))
    for day in ("2024-02-01", "2024-02-02"):
        store.put_bytes(f"landing/plays/date={day}/part-00000.csv.gz", b"x")
    store.put_bytes("landing/catalog/date=2024-02-05/part-00000.csv", b"track_id\n")  # not plays
    requests, cursor = _sense(instance, store)
    assert [r.partition_key for r in requests] == ["2024-02-01", "2024-02-02"]
    assert all(r.tags[LANDING_TAG] == r.run_key and r.run_key.startswith(r.partition_key) for r in requests)
    assert _sense(instance, store, cursor)[0] == []
    job = build_defs({}).resolve_job_def("plays_landing")
    store.put_bytes("landing/plays/date=2024-02-03/part-00000.jsonl", b"{}\n")
    digest = landing_days(store, "2024-02-03", prefix=PLAYS_LANDING_PREFIX)["2024-02-03"]
    instance.create_run_for_job(job_def=job, run_config={},  # someone already launched it
                                tags={LANDING_TAG: f"2024-02-03:{digest}", "dagster/partition": "2024-02-03"})
    later, cursor = _sense(instance, store, cursor)
    assert later == [] and "2024-02-03" in cursor
    store.put_bytes("landing/plays/date=2024-02-02/part-00001.parquet", b"y")
    again, _ = _sense(instance, store, cursor)
    assert [r.partition_key for r in again] == ["2024-02-02"] and again[0].run_key != requests[1].run_key


def test_stream_assets_are_wired_for_automation_and_one_run_backfills():
    defs = build_defs({})
    graph = defs.resolve_asset_graph()
    raw = graph.get(dg.AssetKey("raw_plays"))
    assert raw.automation_condition is None  # started by the landing sensor
    assert raw.backfill_policy == dg.BackfillPolicy.single_run()
    for key in ("stream_accounts", "track_streams", "label_stream_fraud", "stream_fraud_report"):
        assert graph.get(dg.AssetKey(key)).automation_condition is not None, key
    parents = {p.to_user_string() for p in graph.get(dg.AssetKey("track_streams")).parent_keys}
    assert {"raw_plays", "stream_accounts", "track_fingerprints"} <= parents  # re-attributes on catalogue updates
    assert "fraud_networks" in {p.to_user_string() for p in graph.get(dg.AssetKey("label_stream_fraud")).parent_keys}
    assert {"plays_landing", "streams_detection"} <= {j.name for j in defs.resolve_all_job_defs()}
