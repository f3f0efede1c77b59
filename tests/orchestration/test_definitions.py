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
    assert {"catalog_daily", "user_crawl", "artist_crawl"} <= jobs


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
