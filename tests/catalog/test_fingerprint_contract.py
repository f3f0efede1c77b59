"""The fingerprint_contract check (blocking, on track_fingerprints) passes on what the
transform writes and fails, naming the violation, on each way the written table can be
wrong: a token_count that does not match its fingerprint, an eligible track below
min_title_tokens, a track fingerprinted twice, a raw track missing, a row with no raw track.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from assets.catalog.checks import fingerprint_contract_violations
from assets.catalog.fingerprint import track_fingerprints
from resources.catalog_contract import DEFAULT_RULES

SCHEMA = ("track_id string, title string, album_id string, label_id string, label_name string, "
          "distributor string, genre string, content_type string, uploaded_at timestamp")
TITLES = ["Gentle Rain", "Rain", "Deep Sleep Waves", "", None, "雨の音", "Calm Ocean Night"]


@pytest.fixture(scope="module")
def written(spark):
    at = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    raw = spark.createDataFrame(
        [(f"t{i}", t, "a1", "l1", "L", "TuneHub", "ambient", "music", at) for i, t in enumerate(TITLES)], SCHEMA)
    return raw.select("track_id"), track_fingerprints(raw, DEFAULT_RULES).cache()


def test_passes_on_the_transforms_output(written):
    raw_ids, fps = written
    assert fps.where("eligible").count() > 0 and fps.where("not eligible").count() > 0  # both kinds present
    assert fingerprint_contract_violations(fps, raw_ids, DEFAULT_RULES) == {
        "token_count_mismatch": 0, "eligible_below_min_tokens": 0, "duplicate_rows": 0,
        "raw_tracks_not_fingerprinted": 0, "fingerprints_without_raw_track": 0}


@pytest.mark.parametrize("name,corrupt", [
    ("token_count_mismatch", lambda df: df.withColumn(
        "token_count", F.when(F.col("track_id") == "t0", F.lit(5)).otherwise(F.col("token_count")))),
    ("eligible_below_min_tokens", lambda df: df.withColumn(
        "eligible", F.when(F.col("track_id") == "t1", F.lit(True)).otherwise(F.col("eligible")))),
    ("duplicate_rows", lambda df: df.unionByName(df.where("track_id = 't2'"))),
    ("raw_tracks_not_fingerprinted", lambda df: df.where("track_id != 't6'")),
    ("fingerprints_without_raw_track", lambda df: df.unionByName(
        df.where("track_id = 't2'").withColumn("track_id", F.lit("stray")))),
])
def test_fails_on_bad_data(written, name, corrupt):
    raw_ids, fps = written
    violations = fingerprint_contract_violations(corrupt(fps), raw_ids, DEFAULT_RULES)
    assert violations[name] == 1, violations
    assert sum(violations.values()) == 1, violations
