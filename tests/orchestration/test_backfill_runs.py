"""Scenario: an operator backfills 5 catalog days (raw_catalog + track_fingerprints, as the
UI's asset backfill does) through a Dagster instance. The backfill daemon's own iteration
launches the runs: one raw_catalog run per day and ONE fingerprint run for the 5 days.
Between daemon iterations the automation condition sensor's logic is evaluated on the real
Definitions against the same instance: nothing downstream is requested while the backfill
is in progress, exactly one detection run is requested once it completes, and none after.
A day arriving afterwards requests that day's fingerprints alone (detection waits for them).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid

import dagster as dg
import pytest
from dagster._core.definitions.automation_tick_evaluation_context import build_run_requests
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.backfill import execute_backfill_iteration

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
DETECTION = {"label_reuse", "exempt_would_flag", "label_similarity", "fraud_networks", "network_summary"}
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture
def location(spark, tmp_path, monkeypatch):
    """The code location loaded in-process (its runs share the test's Spark session)."""
    monkeypatch.setenv("OFFBEAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OFFBEAT_SHUFFLE_PARTITIONS", "2")
    monkeypatch.delenv("OFFBEAT_OBJECT_STORE", raising=False)
    monkeypatch.delenv("OFFBEAT_WAREHOUSE_URI", raising=False)
    sys.modules.pop("tests.orchestration.location", None)
    from tests.orchestration import location as module

    yield module
    sys.modules.pop("tests.orchestration.location", None)


def _tick(defs, instance, cursor):
    """One evaluation of the automation condition sensor: its run requests, built the way the
    sensor builds them (emit_backfills, as AutomationConditionSensorDefinition defaults)."""
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    requests = build_run_requests(list(result._requested_subsets), defs.resolve_asset_graph(), None,
                                  emit_backfills=True)
    return result, requests


def _keys(request: dg.RunRequest) -> set[str]:
    if request.asset_graph_subset is not None:
        return {k.to_user_string() for k in request.asset_graph_subset.asset_keys}
    return {k.to_user_string() for k in request.asset_selection or []}


def test_five_day_backfill_is_one_fingerprint_run_and_one_detection_run(location, tmp_path):
    from simulator.catalog import write_catalog

    defs = location.defs
    write_catalog(defs.resources["object_store"], seed=5, days=len(DAYS), tracks_per_day=800,
                  start_date=DAYS[0], bad_row_rate=0.0)
    target = InProcessWorkspaceLoadTarget(InProcessCodeLocationOrigin(
        LoadableTargetOrigin(executable_path=sys.executable, module_name="tests.orchestration.location", attribute="defs",
                             working_directory=ROOT),
        location_name="offbeat",
    ))
    (tmp_path / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home"), synchronous_run_coordinator=True,
                              synchronous_run_launcher=True) as instance, \
            create_test_daemon_workspace_context(target, instance) as workspace:
        asset_graph = workspace.create_request_context().asset_graph
        backfill_id = f"bf{uuid.uuid4().hex[:8]}"
        instance.add_backfill(PartitionBackfill.from_asset_partitions(
            backfill_id=backfill_id, asset_graph=asset_graph, partition_names=DAYS,
            asset_selection=[dg.AssetKey("raw_catalog"), dg.AssetKey("track_fingerprints")],
            backfill_timestamp=time.time(), tags={}, dynamic_partitions_store=instance,
            all_partitions=False, title=None, description=None, run_config=None,
        ))
        result, requests = _tick(defs, instance, None)
        assert requests == []
        during = []
        logger = logging.getLogger("test_backfill")
        for _ in range(8):  # each iteration launches what is ready (runs execute synchronously)
            list(execute_backfill_iteration(workspace, logger))
            backfill = instance.get_backfill(backfill_id)
            if backfill.status != BulkActionStatus.REQUESTED:
                break
            result, requests = _tick(defs, instance, result.cursor)
            during.extend(requests)
        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, backfill.status

        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        by_assets: dict[str, list] = {}
        for r in runs:
            by_assets.setdefault(",".join(sorted(k.to_user_string() for k in r.asset_selection)), []).append(r)
        assert sorted(r.tags["dagster/partition"] for r in by_assets["raw_catalog"]) == DAYS
        [fingerprint_run] = by_assets["track_fingerprints"]  # one run for the five days
        assert fingerprint_run.tags["dagster/asset_partition_range_start"] == DAYS[0]
        assert fingerprint_run.tags["dagster/asset_partition_range_end"] == DAYS[-1]
        assert set(by_assets) == {"raw_catalog", "track_fingerprints"}

        # While the backfill ran, automation requested nothing (fingerprints were in progress).
        assert during == []
        # After it: one detection run, nothing else; then nothing more.
        result, after = _tick(defs, instance, result.cursor)
        assert len(after) == 1, after
        assert after[0].asset_graph_subset is None and after[0].partition_key is None
        assert DETECTION <= _keys(after[0]) and "track_fingerprints" not in _keys(after[0])
        if "catalog_fraud_report" in {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}:
            assert "catalog_fraud_report" in _keys(after[0])
        result, again = _tick(defs, instance, result.cursor)
        assert again == []

        # A day's files arrive again (the landing sensor's run): that day's fingerprints are
        # requested alone; detection waits for them (no run racing the fingerprint run).
        landing = defs.resolve_job_def("catalog_landing")
        assert landing.execute_in_process(instance=instance, partition_key=DAYS[2]).success
        result, arrival = _tick(defs, instance, result.cursor)
        assert [(_keys(r), r.partition_key) for r in arrival] == [({"track_fingerprints"}, DAYS[2])]
