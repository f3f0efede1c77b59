"""The catalog feed: contract check, determinism, S3, and truth vs the brute-force contract."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from collections import defaultdict

import pandas as pd
import pyarrow.parquet as pq
import pytest

from resources.object_store import LocalObjectStore
from simulator.catalog import COLUMNS, catalog_truth, generate_catalog, write_catalog
from tests.catalog.reference import CatalogRules, fraud_networks, jaccard, label_reuse

ARGS = {"seed": 2, "days": 3, "tracks_per_day": 2000, "start_date": "2024-01-01"}


def read_back(store) -> list[tuple[str, int, dict]]:
    """(key, row number, record) of every landing row, read from the store like a consumer."""
    out = []
    for key in store.list("landing/catalog/"):
        data = store.get_bytes(key)
        if key.endswith(".parquet"):
            df = pq.read_table(io.BytesIO(data)).to_pandas()
        else:
            df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
        assert list(df.columns) == COLUMNS
        df = df.astype(object).where(df.notna(), None)
        out += [(key, i, rec) for i, rec in enumerate(df.to_dict("records"))]
    return out


def problem(rec: dict, partition: str, seen: set[str]) -> str | None:
    """Why a row breaks the input contract (or is mojibake), or None when it is valid."""
    if rec["track_id"] in seen:
        return "duplicate_track_id"
    if not rec["title"]:
        return "title"
    if not rec["label_id"] or not rec["album_id"]:
        return "missing_label"
    try:
        ts = dt.datetime.fromisoformat(rec["uploaded_at"].replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return "bad_timestamp"
    if ts.tzinfo is None or ts.astimezone(dt.UTC).date().isoformat() != partition:
        return "partition"
    try:
        if rec["title"].encode("latin-1").decode("utf-8") != rec["title"]:
            return "mojibake"
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return None


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory):
    store = LocalObjectStore(root=str(tmp_path_factory.mktemp("lake")))
    summary = write_catalog(store, **ARGS)
    assert summary["rows"] >= 6000 and summary["networks"] >= 6
    return read_back(store)


def test_contract_and_bad_rows_exact(local_rows):
    truth = catalog_truth(**ARGS)
    planted = {(b["key"], b["row"]): b["kind"] for b in truth.bad_rows}
    assert len(planted) == pytest.approx(0.01 * 6000, abs=5)
    assert set(planted.values()) == {"empty_title", "missing_title", "missing_label", "bad_timestamp",
                                     "duplicate_track_id", "mojibake"}
    seen: set[str] = set()
    for key, i, rec in local_rows:
        why = problem(rec, key.split("date=")[1][:10], seen)
        seen.add(rec["track_id"])
        assert (why is not None) == ((key, i) in planted), (key, i, rec, why)
        assert why != "partition", rec
    assert {"parquet", "csv"} == {k.rsplit(".", 1)[1] for k, _, _ in local_rows}
    assert all(rec["isrc"] for _, _, rec in local_rows)


def test_truth_matches_brute_force_contract(local_rows):
    """Drop bad rows the contract's way and recompute the networks with the reference."""
    seen, valid = set(), []
    for _, _, rec in local_rows:
        if rec["track_id"] in seen:
            continue
        seen.add(rec["track_id"])
        ok_ts = True
        try:
            dt.datetime.fromisoformat(rec["uploaded_at"].replace("Z", "+00:00"))
        except ValueError:
            ok_ts = False
        if rec["title"] and rec["label_id"] and ok_ts:
            valid.append(rec)
    truth = catalog_truth(**ARGS)
    networks = fraud_networks(valid)
    assert networks == truth.networks
    roles = {lab["label_id"]: lab for lab in truth.labels}
    # no look-alike or near-miss label in a network, every planted fraud label flagged
    assert not [lab for lab in networks if roles[lab]["kind"] != "network"]
    reuse = label_reuse(valid, CatalogRules())
    for lab in roles.values():
        if lab["role"] == "fraud":
            assert reuse[lab["label_id"]].flagged, lab
    # near-miss groups: all flagged, pairwise 0.6-0.78
    groups = defaultdict(list)
    for lab in roles.values():
        if lab["group_id"]:
            groups[lab["group_id"]].append(lab["label_id"])
    assert groups
    for members in groups.values():
        for a in members:
            for b in members:
                if a < b:
                    assert 0.6 <= jaccard(reuse[a].fingerprint_set, reuse[b].fingerprint_set) <= 0.78
    # chains: some network has two members linked only through others
    chain = False
    by_net = defaultdict(list)
    for lab, net in networks.items():
        by_net[net].append(lab)
    for members in by_net.values():
        if any(jaccard(reuse[a].fingerprint_set, reuse[b].fingerprint_set) < 0.8 for a in members for b in members):
            chain = True
    assert chain
    assert {lab["script"] for lab in roles.values() if lab["kind"] == "network"} >= {"latin", "arabic", "chinese", "korean", "cyrillic"}
    # look-alikes present, and they would be flagged without the genre exemption
    kinds = {lab["kind"] for lab in roles.values() if lab["role"] == "legit"}
    assert kinds == {"classical", "karaoke", "sound_effects", "major_distributor", "podcast", "compilation"}
    loose = label_reuse(valid, CatalogRules(), ignore_genre=True)
    assert any(loose[lab].flagged for lab, r in roles.items() if r["kind"] == "classical")


def test_synchronized_bursts(local_rows):
    truth = catalog_truth(**ARGS)
    net = {lab["label_id"]: lab["network_id"] for lab in truth.labels if lab["network_id"]}
    hours = defaultdict(set)
    for _key, _, rec in local_rows:
        if rec["label_id"] in net:
            ts = dt.datetime.fromisoformat(rec["uploaded_at"].replace("Z", "+00:00")).astimezone(dt.UTC)
            hours[(net[rec["label_id"]], ts.date())].add(ts.hour)
    assert hours and all(len(h) == 1 for h in hours.values())


def test_hot_keys_are_shared_by_many_labels():
    df = generate_catalog(**ARGS)
    labels = df[df["title"] == "Rain Sounds"]["label_id"].nunique()
    assert labels >= 20


def test_same_seed_same_files(tmp_path):
    a, b = LocalObjectStore(root=str(tmp_path / "a")), LocalObjectStore(root=str(tmp_path / "b"))
    small = {**ARGS, "days": 2, "tracks_per_day": 2500}
    write_catalog(a, **small)
    write_catalog(b, **small)
    keys = list(a.list("landing/"))
    assert keys == list(b.list("landing/")) and keys
    assert all(a.get_bytes(k) == b.get_bytes(k) for k in keys)
    assert not generate_catalog(**{**small, "seed": 3}).equals(generate_catalog(**small))


def test_feed_writes_to_both_backends(object_store):
    summary = write_catalog(object_store, seed=2, days=2, tracks_per_day=2000, fmt="csv")
    keys = list(object_store.list("landing/catalog/"))
    assert keys == sorted(summary["files"]) and all(k.endswith(".csv") for k in keys)
    assert sum(len(rows) for rows in [read_back(object_store)]) == summary["rows"]


def test_cli_catalog_and_truth(tmp_path):
    env_cmd = [sys.executable, "-m", "simulator"]
    out = tmp_path / "lake"
    p = subprocess.run([*env_cmd, "catalog", "--seed", "2", "--days", "2", "--tracks-per-day", "2000",
                        "--format", "parquet", "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert len(list(out.glob("landing/catalog/date=*/part-00000.parquet"))) == 2
    p = subprocess.run([*env_cmd, "truth", "--seed", "2", "--users", "3000", "--days", "2", "--tracks-per-day", "2000",
                        "--out", str(tmp_path / "t.json")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    import json

    doc = json.loads((tmp_path / "t.json").read_text())
    assert {"user_classes", "bot_ids", "maven_ids", "fraud_label_ids", "networks", "near_miss_groups",
            "lookalike_labels", "bad_rows"} <= set(doc)
    p = subprocess.run([*env_cmd, "catalog", "--days", "1", "--tracks-per-day", "100", "--out", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "4,000" in p.stderr
