"""Scenario: the stream chain (a landing day of plays validated into the plays table, the
detectors, track_streams, label_stream_fraud, network_stream_fraud) runs on a Spark
standalone master and worker on 127.0.0.1 and gives the same tables as local mode on the
same small simulated day (executors in their own JVM and Python workers, shuffles between
processes). The cluster is the session-scoped `standalone_master` fixture of
tests/conftest.py (infra/scripts/spark_standalone.sh), shared with
tests/pipeline/test_spark_standalone.py; run by `make test-standalone`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from resources.object_store import LocalObjectStore
from tests.streams.chain import TABLES, run_chain

pytestmark = pytest.mark.standalone
DAY = "2024-01-01"


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in df.columns:
        if df[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            df[col] = df[col].map(lambda v: tuple(v))
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _land(spark, lake) -> None:
    from simulator.plays import PlaysConfig, generate_plays, write_plays

    plays, _, tracks = generate_plays(PlaysConfig(seed=3, days=2, start_date=DAY, honest_users=400,
                                                  scheme_scale=0.05, catalog_seed=2, catalog_days=1,
                                                  tracks_per_day=4000))
    write_plays(LocalObjectStore(root=str(lake)), plays)
    spark.createDataFrame(tracks[["track_id", "label_id"]]).write.parquet(str(lake / "catalogue"))
    labels = sorted(tracks["label_id"].dropna().unique())[:3]
    spark.createDataFrame(pd.DataFrame({"network_id": [1] * len(labels), "label_id": labels})).write.parquet(
        str(lake / "networks"))


def test_stream_chain_on_a_standalone_cluster_equals_local_mode(spark, standalone_master, tmp_path):
    lake = tmp_path / "lake"
    _land(spark, lake)
    out = tmp_path / "standalone"
    child = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(__file__), "standalone_run.py"), standalone_master,
         str(lake), DAY, str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd(), "PYSPARK_PYTHON": sys.executable},
    )
    try:
        started = time.monotonic()
        figures = run_chain(spark, str(lake), DAY, str(tmp_path / "local"))
        print(f"local mode {time.monotonic() - started:.1f}s")
        stdout, stderr = child.communicate(timeout=400)
        print(stdout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert f"STANDALONE OK {standalone_master}" in stdout, stderr[-3000:]
    assert figures["accepted"] > 1000
    for name in TABLES:
        ours = _sorted(spark.read.parquet(str(tmp_path / "local" / name)).toPandas())
        theirs = _sorted(spark.read.parquet(str(out / name)).toPandas())
        assert len(ours) > 0, name
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9, obj=name)
