"""Scenario: the simulator's distributor feed lands three days of catalog (Parquet and CSV,
bad rows, planted fraud networks, near-miss groups and legitimate look-alikes). The daily
ingest runs per day, track_fingerprints runs the three days as ONE single-run backfill,
then detection runs over all history. Every planted network is recovered exactly, no
near-miss group merges, no look-alike lands in a network, every bad row is quarantined.
"""

from __future__ import annotations

import dagster as dg
import pytest

from assets.catalog import assets as catalog_assets
from assets.ingest.assets import raw_catalog
from resources.catalog_rules import CatalogRulesResource
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from simulator.catalog import catalog_truth, write_catalog

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
FEED = dict(seed=2, days=3, tracks_per_day=2000, start_date=DAYS[0], fmt="mixed", bad_row_rate=0.004)


pytestmark = pytest.mark.integration  # not in make test: make test-integration (CI runs it)


@pytest.fixture(scope="module")
def pipeline(spark, tmp_path_factory):
    from resources.object_store import LocalObjectStore

    root = tmp_path_factory.mktemp("pipeline")
    store = LocalObjectStore(root=str(root / "lake"))
    write_catalog(store, **FEED)
    resources = {
        "object_store": store,
        "spark": SparkResource(),  # attaches to the test session; never stops it
        "warehouse": Warehouse(uri=str(root / "warehouse")),
        "catalog_rules": CatalogRulesResource(),
    }
    defs = dg.Definitions(assets=[raw_catalog, *dg.load_assets_from_modules([catalog_assets])], resources=resources)
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_implicit_global_asset_job_def()
    results = {}
    for day in DAYS:
        results[day] = job.execute_in_process(partition_key=day, instance=instance,
                                              asset_selection=[dg.AssetKey("raw_catalog")])
    # A single-run backfill of three days, the way the Dagster daemon launches one.
    results["fingerprints"] = job.execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey("track_fingerprints")],
        tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]},
    )
    detection = [dg.AssetKey(k) for k in ("label_reuse", "exempt_would_flag", "label_similarity", "fraud_networks",
                                          "network_summary")]
    results["detection"] = dg.materialize(
        [*dg.load_assets_from_modules([catalog_assets])], selection=detection, instance=instance, resources=resources,
    )
    return store, resources["warehouse"], results, catalog_truth(**FEED)


def test_every_run_succeeds_and_checks_pass(pipeline):
    _, _, results, _ = pipeline
    for name, result in results.items():
        assert result.success, name
        assert all(c.passed for c in result.get_asset_check_evaluations()), name
    fp_mats = results["fingerprints"].asset_materializations_for_node("track_fingerprints")
    # One run covered the three days (one Spark job): a materialisation per day, same figures.
    assert sorted(m.partition for m in fp_mats) == DAYS
    assert all(m.metadata["days"].value == 3 for m in fp_mats)


def test_bad_rows_are_quarantined_and_nothing_is_dropped(pipeline):
    store, _, results, truth = pipeline
    for day in DAYS:
        mat = results[day].asset_materializations_for_node("raw_catalog")[0]
        m = mat.metadata
        assert m["input_rows"].value == m["dagster/row_count"].value + m["quarantined_rows"].value
    quarantined = {q["track_id"] for d in DAYS for q in store.read_jsonl_gz(f"quarantine/catalog/date={d}/rejected.jsonl.gz")}
    bad = {(b["track_id"], b["kind"]) for b in truth.bad_rows}
    assert {kind for _, kind in bad} >= {"missing_title", "empty_title", "missing_label", "bad_timestamp", "mojibake",
                                        "duplicate_track_id"}
    assert {tid for tid, _ in bad} <= quarantined


def test_planted_networks_are_recovered_exactly(pipeline, spark):
    _, warehouse, _, truth = pipeline
    found = {r.label_id: r.network_id for r in warehouse.read(spark, "fraud_networks").collect()}
    assert found == truth.networks
    kinds = {lab["label_id"]: lab["kind"] for lab in truth.labels}
    assert not [lab for lab in found if kinds.get(lab) in ("near_miss", "classical", "karaoke", "sound_effects",
                                                         "major_distributor", "podcast", "compilation")]
    summary = warehouse.read(spark, "network_summary").collect()
    assert sorted(r.network_id for r in summary) == sorted(set(truth.networks.values()))
    for r in summary:
        assert r.labels == sum(1 for n in truth.networks.values() if n == r.network_id)
        assert 0.8 <= r.min_similarity <= r.avg_similarity <= 1.0
