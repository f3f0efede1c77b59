"""Scenario: a platform lands two days of plays (gzip CSV with an extra column and two bad
rows, JSON Lines with plays of a track the catalogue does not know yet). One run validates
both days (single-run backfill); the plays table holds them by day, the bad rows sit in
quarantine with their reasons. Re-running a day replaces only that day; a day that is half
garbage fails its blocking check. Then the stream chain runs on Spark through Dagster:
stream_accounts, track_streams, label_stream_fraud (with the catalog network beside each
label) and the report; with a hand-made set of flagged accounts the money tables equal a
plain-Python reference and plays of the unknown track stay unattributed and counted.
"""

from __future__ import annotations

import gzip
import io
import json
import random

import dagster as dg
import pandas as pd
import pytest

from assets.reports.assets import stream_fraud_report
from assets.streams.assets import label_stream_fraud, raw_plays, stream_accounts, track_streams
from resources.spark import SparkResource
from resources.warehouse import Warehouse

D1, D2, D3 = "2024-02-01", "2024-02-02", "2024-02-03"
TRACKS = {f"T{i}": f"L{i % 4}" for i in range(12)}  # what the catalogue knows
UNKNOWN = "TX"


def _plays(day: str, n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append({"user_id": rnd.randint(1, 40), "track_id": rnd.choice([*TRACKS, UNKNOWN]),
                    "played_at": f"{day}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00Z",
                    "ms_played": rnd.choice([5_000, 29_999, 30_000, 31_000, 200_000]),
                    "device_id": f"d{rnd.randint(1, 30)}", "country": "se", "app": f"a{i}"})
    return out


def _csv_gz(rows: list[dict]) -> bytes:
    return gzip.compress(pd.DataFrame(rows).to_csv(index=False).encode())


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture()
def world(local_store, tmp_path, spark):
    warehouse = Warehouse(uri=str(tmp_path / "warehouse"))
    resources = {"object_store": local_store, "warehouse": warehouse, "spark": SparkResource()}
    cat = spark.createDataFrame([(t, lab, "2024-01-01") for t, lab in TRACKS.items()],
                                "track_id string, label_id string, upload_date string")
    warehouse.write_table(cat, "track_fingerprints")
    warehouse.write_table(spark.createDataFrame([(3, "L1"), (3, "L2")], "network_id long, label_id string"),
                          "fraud_networks")
    return local_store, warehouse, resources


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_landing_days_validated_replaced_and_blocked(world, spark):
    store, warehouse, resources = world
    day1 = _plays(D1, 300, 1) + [{**_plays(D1, 1, 9)[0], "ms_played": -5, "app": "neg"},
                                 {**_plays(D1, 1, 8)[0], "user_id": None, "app": "nouser"}]
    store.put_bytes(f"landing/plays/date={D1}/part-0.csv.gz", _csv_gz(day1))
    store.put_bytes(f"landing/plays/date={D2}/part-0.jsonl", _jsonl(_plays(D2, 150, 2)))
    job = dg.Definitions(assets=[raw_plays], resources=resources).resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": D1, "dagster/asset_partition_range_end": D2})
    assert result.success
    meta = result.asset_materializations_for_node("raw_plays")[0].metadata
    assert meta["dagster/row_count"].value == 450 and meta["quarantined_rows"].value == 2
    assert meta["rejected_by_reason"].value == {"negative ms_played": 1, "missing user_id": 1}
    assert meta["plays_of_tracks_not_in_catalogue"].value == sum(
        r["track_id"] == UNKNOWN for r in day1[:300] + _plays(D2, 150, 2))
    assert "app" in meta["carried_columns"].value
    assert _checks(result) == {"rejected_share": True, "plays_contract": True}
    plays = warehouse.read(spark, "plays")
    assert {r.day: r["count"] for r in plays.groupBy("day").count().collect()} == {D1: 300, D2: 150}
    quarantined = list(store.read_jsonl_gz(f"quarantine/plays/date={D1}/rejected-00000.jsonl.gz"))
    assert sorted((q["app"], q["reason"]) for q in quarantined) == [("neg", "negative ms_played"),
                                                                     ("nouser", "missing user_id")]
    assert all(q["source_file"] == f"landing/plays/date={D1}/part-0.csv.gz" for q in quarantined)

    # A re-delivered day 1 replaces day 1 only (and its quarantine).
    store.put_bytes(f"landing/plays/date={D1}/part-0.csv.gz", _csv_gz(_plays(D1, 120, 3)))
    assert job.execute_in_process(instance=instance, partition_key=D1).success
    plays = warehouse.read(spark, "plays")
    assert {r.day: r["count"] for r in plays.groupBy("day").count().collect()} == {D1: 120, D2: 150}
    assert list(store.list(f"quarantine/plays/date={D1}/")) == []

    # Half garbage re-delivered for day 1: the blocking check fails, which fails the run
    # (downstream does not run); the new rows are not published, so the previous day 1 stays
    # readable; the bad rows are quarantined for a person to look at.
    bad = _plays(D1, 20, 4) + [{**r, "played_at": "last tuesday"} for r in _plays(D1, 20, 5)]
    store.put_bytes(f"landing/plays/date={D1}/part-0.csv.gz", _csv_gz(bad))
    result = job.execute_in_process(instance=instance, partition_key=D1, raise_on_error=False)
    assert not result.success and _checks(result)["rejected_share"] is False
    assert result.asset_materializations_for_node("raw_plays")[0].metadata["published"].value is False
    plays = warehouse.read(spark, "plays")
    assert {r.day: r["count"] for r in plays.groupBy("day").count().collect()} == {D1: 120, D2: 150}
    assert sorted(r.app for r in plays.where(plays.day == D1).collect()) == sorted(r["app"] for r in _plays(D1, 120, 3))
    assert sum(1 for k in store.list(f"quarantine/plays/date={D1}/rejected-") for _ in store.read_jsonl_gz(k)) == 20


@pytest.mark.integration
def test_a_day_without_plays_is_a_finding_not_a_failure(world, spark):
    """No landing files at all, then a file with a header and no rows: both runs succeed
    with zero plays reported, on a warehouse that has no plays yet, and so does the stream
    chain downstream (no accounts, no royalties: empty tables, not a failed run)."""
    store, warehouse, resources = world
    job = dg.Definitions(assets=[raw_plays, stream_accounts, track_streams, label_stream_fraud, stream_fraud_report],
                         resources=resources).resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, partition_key=D3)
    assert result.success and all(_checks(result).values())
    meta = result.asset_materializations_for_node("raw_plays")[0].metadata
    assert meta["dagster/row_count"].value == 0 and meta["landing_files"].value == 0
    assert meta["days_without_plays"].value == [D3] and meta["published"].value is True
    store.put_bytes(f"landing/plays/date={D3}/part-0.csv", b"user_id,track_id,played_at,ms_played\n")
    result = job.execute_in_process(instance=instance, partition_key=D3)
    assert result.success and all(_checks(result).values())
    meta = result.asset_materializations_for_node("raw_plays")[0].metadata
    assert meta["dagster/row_count"].value == 0 and meta["landing_files"].value == 1
    for table in ("stream_accounts", "track_streams", "label_stream_fraud"):
        assert warehouse.read(spark, table).count() == 0, table
        assert result.asset_materializations_for_node(table)[0].metadata["dagster/row_count"].value == 0
    assert result.asset_materializations_for_node("stream_fraud_report")


def _reference(plays: pd.DataFrame, flagged: set[int]) -> tuple[dict, dict]:
    roy = plays[plays["ms_played"] >= 30_000]
    tracks = {}
    for t, g in plays.groupby("track_id"):
        r = roy[roy["track_id"] == t]
        f = int(r["user_id"].isin(flagged).sum())
        tracks[t] = (TRACKS.get(t), len(g), len(r), f, len(r) - f)
    labels = {}
    for lab in sorted({v[0] for v in tracks.values() if v[0]}):
        r = roy[roy["track_id"].map(TRACKS.get) == lab]
        f = r[r["user_id"].isin(flagged)]
        labels[lab] = (len(r), len(f), f["user_id"].nunique(), 3 if lab in ("L1", "L2") else None)
    return tracks, labels


@pytest.mark.integration
def test_stream_chain_through_dagster_matches_the_reference(world, spark):
    store, warehouse, resources = world
    store.put_bytes(f"landing/plays/date={D1}/part-0.csv.gz", _csv_gz(_plays(D1, 400, 6)))
    dg.materialize([raw_plays], partition_key=D1, resources=resources)
    chain = [raw_plays, stream_accounts, track_streams, label_stream_fraud, stream_fraud_report]
    result = dg.materialize(chain, resources=resources,
                            selection=["stream_accounts", "track_streams", "label_stream_fraud", "stream_fraud_report"])
    assert result.success
    assert all(_checks(result).values()), _checks(result)
    accounts = warehouse.read(spark, "stream_accounts").toPandas()
    plays = warehouse.read(spark, "plays").toPandas()
    assert sorted(accounts["user_id"]) == sorted(plays["user_id"].unique())
    meta = result.asset_materializations_for_node("track_streams")[0].metadata
    assert meta["unattributed_plays"].value == int((plays["track_id"] == UNKNOWN).sum()) > 0
    assert store.exists("reports/streams/index.html")

    # With a hand-made set of flagged accounts the money tables equal the reference.
    flagged = {3, 7, 11, 19, 23}
    hand = accounts.assign(flagged=accounts["user_id"].isin(flagged))
    warehouse.write_table(spark.createDataFrame(hand), "stream_accounts")
    result = dg.materialize(chain, resources=resources, selection=["track_streams", "label_stream_fraud"])
    assert result.success and all(_checks(result).values())
    want_tracks, want_labels = _reference(plays, flagged)
    got_tracks = {r.track_id: (r.label_id, r.plays, r.royalty_plays, r.flagged_royalty_plays, r.clean_royalty_plays)
                  for r in warehouse.read(spark, "track_streams").collect()}
    assert got_tracks == want_tracks
    got_labels = {r.label_id: (r.royalty_plays, r.flagged_royalty_plays, r.flagged_accounts, r.network_id)
                  for r in warehouse.read(spark, "label_stream_fraud").collect()}
    assert got_labels == want_labels
    net = warehouse.read(spark, "network_stream_fraud").first()
    assert net.network_id == 3 and net.labels == 2
    roy = plays[(plays["ms_played"] >= 30_000) & plays["track_id"].map(TRACKS.get).isin(["L1", "L2"])]
    assert net.flagged_accounts == roy.loc[roy["user_id"].isin(flagged), "user_id"].nunique()
    text = result.asset_materializations_for_node("label_stream_fraud")[0].metadata["networks"].value
    assert "labels in network 3 earned" in text
    html = io.BytesIO(store.get_bytes("reports/streams/index.html")).read().decode()
    assert "Stream fraud" in html

    # The catalogue catches up with the unknown track: the same plays are attributed to its label.
    cat = spark.createDataFrame([(t, lab, "2024-01-01") for t, lab in {**TRACKS, UNKNOWN: "L0"}.items()],
                                "track_id string, label_id string, upload_date string")
    warehouse.write_table(cat, "track_fingerprints")
    result = dg.materialize(chain, resources=resources, selection=["track_streams"])
    assert result.success and all(_checks(result).values())
    assert result.asset_materializations_for_node("track_streams")[0].metadata["unattributed_plays"].value == 0
    tx = warehouse.read(spark, "track_streams").where(f"track_id = '{UNKNOWN}'").first()
    assert (tx.label_id, tx.plays, tx.royalty_plays) == ("L0", *want_tracks[UNKNOWN][1:3])
