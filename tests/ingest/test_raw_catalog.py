"""Scenario: a distributor drops catalog files (Parquet and CSV) into landing; raw_catalog
validates each day. Every bad row is quarantined with a reason (accepted + quarantined =
input), a day with too many rejects fails its blocking check, re-running a day replaces
that day only, and three days run as a backfill through the Dagster instance.
"""

from __future__ import annotations

import io

import dagster as dg
import pandas as pd
import pytest

from assets.ingest.assets import raw_catalog
from assets.ingest.catalog_landing import looks_like_mojibake, split_catalog


def _rows(day: str, n: int, prefix: str = "t") -> list[dict]:
    return [
        {"track_id": f"{prefix}{day}-{i}", "title": f"Gentle Rain {i}", "album_id": f"al{i % 3}",
         "label_id": "lab1", "label_name": "Label One", "distributor": "indie", "genre": "ambient",
         "content_type": None if i % 2 else "music", "uploaded_at": f"{day}T0{i % 10}:00:00Z", "isrc": f"X{i}"}
        for i in range(n)
    ]


BAD = [
    ({"title": ""}, "missing title"),
    ({"title": None}, "missing title"),
    ({"label_id": None}, "missing label_id"),
    ({"uploaded_at": "yesterday at noon"}, "unparseable uploaded_at"),
    ({"uploaded_at": "2024-03-05T10:00:00Z"}, "not on the landing day"),
    ({"title": "CafÃ© del Mar"}, "mojibake"),
]


def _put(store, key, df):
    buf = io.BytesIO()
    if key.endswith(".parquet"):
        df.to_parquet(buf, index=False)
    else:
        df.to_csv(buf, index=False)
    store.put_bytes(key, buf.getvalue())


def test_split_catalog_quarantines_every_kind_of_bad_row():
    day = "2024-03-01"
    good = _rows(day, 10)
    bad = [{**good[0], "track_id": f"bad{i}", **change} for i, (change, _) in enumerate(BAD)]
    dup = {**good[1], "title": "another title"}  # repeated track id: first row kept
    accepted, rejected = split_catalog(pd.DataFrame(good + bad + [dup]), day)
    assert len(accepted) + len(rejected) == len(good) + len(bad) + 1
    assert sorted(accepted["track_id"]) == sorted(r["track_id"] for r in good)
    assert accepted.set_index("track_id").loc[good[1]["track_id"], "title"] == good[1]["title"]
    reasons = dict(zip(rejected["track_id"], rejected["reason"], strict=True))
    for i, (_, expected) in enumerate(BAD):
        assert expected in reasons[f"bad{i}"]
    assert "duplicate track_id" in reasons[good[1]["track_id"]]
    assert set(accepted["content_type"]) == {"music"}  # default when missing
    assert "isrc" in accepted.columns  # extra columns carried


def test_mojibake_detection_spares_real_accents_and_scripts():
    assert looks_like_mojibake("CafÃ© del Mar") and looks_like_mojibake("Ð\u009fÑ\u0080Ð¸Ð²ÐµÑ\u0082")
    for fine in ["Café del Mar", "Привет", "東京の雨", "مطر", "plain ascii", "Ångström"]:
        assert not looks_like_mojibake(fine)


def test_three_day_backfill_then_rerun_of_one_day_replaces_only_it(local_store, tmp_path):
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    for day in days:
        _put(local_store, f"landing/catalog/date={day}/part-0.parquet", pd.DataFrame(_rows(day, 200)))
        _put(local_store, f"landing/catalog/date={day}/part-1.csv", pd.DataFrame(_rows(day, 100, prefix="c")))
    instance = dg.DagsterInstance.ephemeral()
    job = dg.Definitions(assets=[raw_catalog], resources={"object_store": local_store}).resolve_implicit_global_asset_job_def()
    # A backfill over three days, as the UI launches it: one run per partition.
    for day in days:
        assert job.execute_in_process(partition_key=day, instance=instance).success
    status = instance.get_status_by_partition(dg.AssetKey("raw_catalog"), days, raw_catalog.partitions_def)
    assert all(s == dg.AssetPartitionStatus.MATERIALIZED for s in status.values())

    def day_rows(day):
        return pd.read_parquet(io.BytesIO(local_store.get_bytes(f"raw/catalog/date={day}/part-00000.parquet")))

    assert [len(day_rows(d)) for d in days] == [300, 300, 300]
    before = {d: local_store.get_bytes(f"raw/catalog/date={d}/part-00000.parquet") for d in days}
    # The distributor re-sends day 2 with fewer tracks: re-running replaces that day only.
    local_store.delete(f"landing/catalog/date={days[1]}/part-1.csv")
    assert job.execute_in_process(partition_key=days[1], instance=instance).success
    assert len(day_rows(days[1])) == 200
    assert list(local_store.list(f"raw/catalog/date={days[1]}/")) == [f"raw/catalog/date={days[1]}/part-00000.parquet"]
    for d in (days[0], days[2]):
        assert local_store.get_bytes(f"raw/catalog/date={d}/part-00000.parquet") == before[d]


def test_systemic_rejects_fail_the_blocking_check_and_rows_are_kept(object_store):
    day = "2024-03-04"
    rows = _rows(day, 50) + [{**r, "title": ""} for r in _rows(day, 5, prefix="e")]
    _put(object_store, f"landing/catalog/date={day}/drop.parquet", pd.DataFrame(rows))
    result = dg.materialize([raw_catalog], partition_key=day, resources={"object_store": object_store},
                            raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["catalog_contract"].passed
    assert not checks["rejected_share"].passed and checks["rejected_share"].severity == dg.AssetCheckSeverity.ERROR
    quarantined = list(object_store.read_jsonl_gz(f"quarantine/catalog/date={day}/rejected.jsonl.gz"))
    assert len(quarantined) == 5 and {q["reason"] for q in quarantined} == {"missing title"}
    mat = result.asset_materializations_for_node("raw_catalog")[0]
    assert mat.metadata["input_rows"].value == 55 and mat.metadata["dagster/row_count"].value == 50


@pytest.mark.parametrize("content", [b"\x00\x01 not parquet"])
def test_unreadable_landing_file_is_reported_not_dropped(local_store, content):
    day = "2024-03-05"
    local_store.put_bytes(f"landing/catalog/date={day}/broken.parquet", content)
    result = dg.materialize([raw_catalog], partition_key=day, resources={"object_store": local_store},
                            raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["rejected_share"].passed
    (q,) = local_store.read_jsonl_gz(f"quarantine/catalog/date={day}/rejected.jsonl.gz")
    assert q["source_file"].endswith("broken.parquet") and "unreadable file" in q["reason"]
    assert local_store.exists(f"landing/catalog/date={day}/broken.parquet")
