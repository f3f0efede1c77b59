"""Scenario: the catalog detection chain runs on a Spark standalone master and worker
started on 127.0.0.1 (infra/scripts/spark_standalone.sh, the one way tests start them) and
gives tables identical to local mode on the same catalog.

Run by `make test-standalone` (CI runs it after `make test`; the cluster is the
session-scoped `standalone_master` fixture in tests/conftest.py): the input is the small
handcrafted catalog with two planted networks and look-alikes (tests/catalog/test_networks.py),
so the distributed path (executors in their own JVM and Python workers, shuffles between
processes, reliable checkpoints) is checked on every change within the time budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from assets.catalog.detect import detect
from tests.catalog.catalogs import to_df
from tests.catalog.test_networks import build_catalog

TABLES = ("label_reuse", "label_similarity", "fraud_networks", "network_summary")

pytestmark = pytest.mark.standalone


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in df.columns:
        if df[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            df[col] = df[col].map(lambda v: tuple(v))
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_standalone_cluster_gives_identical_tables(spark, standalone_master, tmp_path):
    tracks_path = str(tmp_path / "tracks.parquet")
    to_df(spark, build_catalog()).coalesce(1).write.parquet(tracks_path)
    out = tmp_path / "standalone"
    child = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(__file__), "standalone_run.py"),
         standalone_master, tracks_path, str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "PYSPARK_PYTHON": sys.executable},
    )
    try:
        started = time.monotonic()
        local = detect(spark.read.parquet(tracks_path))  # local mode, meanwhile
        ours = {name: _sorted(local[name].toPandas()) for name in TABLES}
        print(f"local mode {time.monotonic() - started:.1f}s")
        stdout, stderr = child.communicate(timeout=300)
        print(stdout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert f"STANDALONE OK {standalone_master}" in stdout, stderr[-3000:]
    assert ours["fraud_networks"]["network_id"].nunique() == 2  # not two empty tables
    for name in TABLES:
        theirs = _sorted(spark.read.parquet(str(out / name)).toPandas())
        pd.testing.assert_frame_equal(ours[name], theirs, check_exact=True, obj=name)
