"""Scenario: the whole code location loads the way `dagster dev` loads it, and every asset
carries what people need in the UI: a business description, a group, kinds and an owner.
"""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from orchestration.definitions import build_defs


def test_definitions_load_and_every_asset_is_documented():
    defs = build_defs({})
    dg.Definitions.validate_loadable(defs)
    specs = list(defs.resolve_all_asset_specs())
    assert specs, "no assets defined"
    for spec in specs:
        name = spec.key.to_user_string()
        assert spec.description and len(spec.description) > 30, f"{name}: needs a business description"
        assert spec.group_name and spec.group_name != "default", f"{name}: needs a group"
        assert spec.kinds, f"{name}: needs kinds"
        assert spec.owners, f"{name}: needs an owner"
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {"catalog_landing", "catalog_fingerprints", "catalog_detection", "user_crawl", "artist_crawl"} <= jobs


def test_no_job_mixes_backfill_policies():
    """Loading the code location and resolving every job warns about nothing of the kind
    (a job mixing policies would resolve a backfill to one run per partition)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs = build_defs({})
        defs.resolve_all_job_defs()  # jobs are resolved (and would warn) here
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "BackfillPolic" in m], messages
    graph = defs.resolve_asset_graph()
    for job in defs.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        policies = {graph.get(k).backfill_policy for k in job.asset_layer.selected_asset_keys
                    if graph.get(k).is_partitioned}
        assert len(policies) <= 1, f"{job.name} mixes backfill policies {policies}"


def test_detection_follows_fingerprints_by_automation_not_run_status_sensors():
    defs = build_defs({})
    graph = defs.resolve_asset_graph()
    for key in ("track_fingerprints", "label_reuse", "exempt_would_flag", "label_similarity", "fraud_networks",
                "network_summary"):
        assert graph.get(dg.AssetKey(key)).automation_condition is not None, key
    assert graph.get(dg.AssetKey("raw_catalog")).automation_condition is None  # started by sensor/schedule
    sensors = {s.name: s for s in defs.sensors}
    automation = [s for s in sensors.values() if isinstance(s, dg.AutomationConditionSensorDefinition)]
    assert len(automation) == 1 and automation[0].default_status == dg.DefaultSensorStatus.RUNNING
    assert not [s for s in sensors.values() if isinstance(s, dg.RunStatusSensorDefinition)]
    # The lineage of exempt_would_flag is declared (a multi-asset with label_reuse).
    assert graph.get(dg.AssetKey("exempt_would_flag")).parent_keys == {dg.AssetKey("track_fingerprints")}


def test_s3_backend_is_chosen_from_the_environment_and_demands_a_bucket():
    import pytest

    from resources.environment import build_resources
    from resources.object_store import LocalObjectStore, S3ObjectStore

    assert isinstance(build_resources({})["object_store"], LocalObjectStore)
    store = build_resources({"OFFBEAT_OBJECT_STORE": "s3", "OFFBEAT_S3_BUCKET": "b",
                             "OFFBEAT_S3_ENDPOINT_URL": "http://127.0.0.1:9"})["object_store"]
    assert isinstance(store, S3ObjectStore) and store.endpoint_url == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="OFFBEAT_S3_BUCKET"):
        build_resources({"OFFBEAT_OBJECT_STORE": "s3"})


def test_the_dagster_cli_loads_the_workspace(tmp_path):
    import os

    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_instance_config_limits_runs_and_the_platform_api_pool(tmp_path):
    """infra/dagster/dagster.yaml is valid for Dagster (loaded as an instance), uses the
    `concurrency:` block (no legacy run_coordinator) and the crawl assets share its pool."""
    import os
    import shutil

    import yaml

    src = os.path.join(os.path.dirname(__file__), "..", "..", "infra", "dagster", "dagster.yaml")
    assert "run_coordinator" not in yaml.safe_load(open(src))
    shutil.copy(src, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 4
        assert config.pool_config.default_pool_limit == 2
    graph = build_defs({}).resolve_asset_graph()
    for key in ("raw_users", "raw_follow_graph", "raw_repost_timelines"):
        assert graph.get(dg.AssetKey(key)).pools == {"platform_api"}, key


def test_tables_analysts_read_carry_freshness_policies():
    from assets.freshness import ANALYST_TABLES
    from orchestration.definitions import build_defs

    graph = build_defs({}).resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert set(ANALYST_TABLES) <= keys, set(ANALYST_TABLES) - keys
    for name, policy in ANALYST_TABLES.items():
        assert graph.get(dg.AssetKey(name)).freshness_policy == policy, name
    assert graph.get(dg.AssetKey("raw_catalog")).freshness_policy is None
