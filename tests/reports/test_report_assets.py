"""The report assets on real Spark, reading warehouse tables written from the synthetic
inputs (the catalog chain that feeds the catalog report runs in the e2e test and in `make
demo`): the catalog report lists exactly the flagged labels with their reused titles
(checked against plain Python over the fingerprints) and every network; the spam, network
and overview reports render from their tables; each asset links its report by a URI that
resolves to the file, and a report whose inputs do not exist yet says so instead of
failing. Then the spam report compares itself with the previous run."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pandas as pd
import pytest

from assets.reports import assets as report_assets
from resources.catalog_rules import CatalogRulesResource
from resources.model_store import ModelStore
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from tests.reports import synthetic


def _path(meta) -> Path:
    uri = meta["report"].value
    assert uri.startswith("file://")
    return Path(urlparse(uri).path)


@pytest.fixture(scope="module")
def env(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    store = LocalObjectStore(root=str(root / "lake"))
    resources = {"object_store": store, "spark": SparkResource(), "warehouse": Warehouse(uri=str(root / "warehouse")),
                 "catalog_rules": CatalogRulesResource()}
    return store, resources


def _write(spark, wh: Warehouse, name: str, pdf: pd.DataFrame) -> None:
    wh.write_table(spark.createDataFrame(pdf), name)


def catalog_warehouse(spark, wh: Warehouse) -> pd.DataFrame:
    """The catalog tables (contract columns) for the synthetic labels, with tracks whose
    fingerprints repeat across albums so reused titles and upload hours are computable."""
    t = synthetic.catalog_tables()
    rows = []
    for i, label in enumerate(t["flagged"]["label_id"]):
        for j in range(12):  # fingerprint j sits in j % 3 + 1 albums: reused when in 2+
            for a in range(j % 3 + 1):
                rows.append({"track_id": f"{label}-{j}-{a}", "label_id": label, "album_id": f"{label}-al{a}",
                             "fingerprint": f"{synthetic.HAN_TITLE} {j:02d}" if j % 4 == 0 else f"gentle rain {j:02d}",
                             "eligible": not (j == 11 and a == 1), "upload_hour": 473_352 + (i + j) % 5})
    fps = pd.DataFrame(rows)
    _write(spark, wh, "track_fingerprints", fps)
    reuse = t["flagged"].drop(columns=["reused_titles"]).assign(flagged=True)
    reuse = pd.concat([reuse, reuse.head(1).assign(label_id="UNFLAGGED", flagged=False)], ignore_index=True)
    _write(spark, wh, "label_reuse", reuse)
    _write(spark, wh, "fraud_networks", t["networks"])
    _write(spark, wh, "label_similarity", t["edges"])
    _write(spark, wh, "network_summary", t["summary"])
    _write(spark, wh, "exempt_would_flag", t["exempt"])
    _write(spark, wh, "label_audio_similarity", t["audio_edges"])
    _write(spark, wh, "audio_matches", t["audio_matches"])
    return fps


def test_catalog_report_lists_every_flagged_label_with_evidence(env, spark):
    store, resources = env
    wh = resources["warehouse"]
    fps = catalog_warehouse(spark, wh)
    result = dg.materialize([report_assets.catalog_fraud_report], resources=resources)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    mat = result.asset_materializations_for_node("catalog_fraud_report")[0]
    html = _path(mat.metadata).read_text()
    assert "Catalog fraud report" in html and synthetic.HAN_TITLE in html
    flagged = {r.label_id for r in wh.read(spark, "label_reuse").where("flagged").collect()}
    listed = pd.read_csv(io.BytesIO(store.get_bytes("reports/catalog/flagged_labels.csv")), dtype=str)
    assert set(listed["label_id"]) == flagged and len(listed) == len(flagged) > 0
    networks = {r.network_id for r in wh.read(spark, "fraud_networks").collect()}
    assert networks and all(f"id='net-{n}'" in html for n in networks)
    # Reused titles: plain Python over the eligible fingerprints (albums per fingerprint >= 2),
    # most albums first, then most tracks, then the fingerprint.
    albums, tracks = defaultdict(set), defaultdict(int)
    for r in fps[fps["eligible"]].itertuples():
        albums[(r.label_id, r.fingerprint)].add(r.album_id)
        tracks[(r.label_id, r.fingerprint)] += 1
    for row in listed.itertuples():
        mine = sorted((-len(a), -tracks[k], k[1]) for k, a in albums.items() if k[0] == row.label_id and len(a) >= 2)
        assert row.reused_titles == ", ".join(fp for _, _, fp in mine[:3])
    assert mat.metadata["flagged_labels"].value == len(flagged)
    assert mat.metadata["plot"].value.endswith(".png")
    assert json.loads(store.get_bytes("reports/catalog/summary.json"))["figures"]["networks"] == len(networks)
    # audio evidence: the audio-only network's card lists its re-uploaded pairs; a label's own remaster is left out
    card = html.split("id='net-L00009'", 1)[1].split("<div class='card'", 1)[0]
    assert "Audio evidence" in card and "T1000" in card and "T0101" not in html
    assert len(pd.read_csv(io.BytesIO(store.get_bytes("reports/catalog/audio_matches.csv")))) == 4


def test_network_spam_overview_reports_from_warehouse_tables(env, spark):
    store, resources = env
    wh = resources["warehouse"]
    net = synthetic.network_inputs()
    instance = dg.DagsterInstance.ephemeral()
    assets = [report_assets.network_report, report_assets.spam_report, report_assets.platform_overview_report]
    # Nothing upstream yet: every report renders and names what is missing.
    first = dg.materialize(assets, resources=resources, instance=instance)
    assert first.success
    missing = {e.asset_key.path[-1]: e.event_specific_data.materialization.metadata["missing_inputs"].value
               for e in first.get_asset_materialization_events()}
    assert "follow_bots" in missing["network_report"] and "spam_scores" in missing["spam_report"]

    bots = net["bots"].assign(detectors=net["bots"]["detectors"].map(list))
    _write(spark, wh, "follow_bots", bots)
    _write(spark, wh, "network_metrics", net["metrics"])
    _write(spark, wh, "clean_counts", net["clean"])
    _write(spark, wh, "repost_hourly", net["timelines"])
    _write(spark, wh, "repost_spikes", net["spikes"])
    _write(spark, wh, "maven_candidates", net["mavens"])
    spam = synthetic.spam_inputs()
    _write(spark, wh, "spam_scores", spam["scores"])
    models = ModelStore(store, "spam_model")
    version = models.save(b"model bytes", {"features": ["followers"]}, {
        "accuracy": 0.97, "spam_roc_auc": 0.99,
        "per_class": {"spam": {"precision": 0.98, "recall": 0.93, "f1": 0.95, "support": 100}},
        "confusion_matrix": {"labels": ["fans", "spam"], "rows_true_cols_predicted": [[90, 3], [7, 93]]}})
    models.promote(version, reason="test")
    for key, table in report_assets.OVERVIEW_TABLES.items():
        _write(spark, wh, table, synthetic.overview_tables()[key])
    second = dg.materialize(assets, resources=resources, instance=instance)
    assert second.success
    meta = {e.asset_key.path[-1]: e.event_specific_data.materialization.metadata
            for e in second.get_asset_materialization_events()}
    assert meta["network_report"]["missing_inputs"].value == []
    assert meta["network_report"]["flagged_bots"].value == int(net["bots"]["flagged"].sum())
    assert "Motif profiles" in _path(meta["network_report"]).read_text()
    n_spam = int((spam["scores"]["predicted_class"] == "spam").sum())
    assert meta["spam_report"]["spam_users"].value == n_spam
    assert meta["spam_report"]["model_version"].value == version
    assert meta["spam_report"]["spam_precision"].value == 0.98
    assert store.exists("reports/spam/confusion.png")
    assert meta["spam_report"]["drift_against"].value == "previous run"  # the first run's summary.json
    assert "Drift against the last run" in _path(meta["spam_report"]).read_text()
    assert meta["platform_overview_report"]["missing_inputs"].value == []
    overview = _path(meta["platform_overview_report"]).read_text()
    assert "Top 25 linked domains" in overview and "bit.ly" in overview
