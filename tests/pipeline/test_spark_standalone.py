"""Scenario: the catalog detection chain runs on a Spark standalone master and worker
started on 127.0.0.1 (infra/scripts/spark_standalone.sh) and gives tables identical to
local mode on the same simulator catalog.

Opt-in (`make test-standalone`): it takes minutes on 2 cores, past the budget of `make test`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

from assets.catalog.detect import detect
from assets.ingest.catalog_landing import split_catalog
from simulator.catalog import generate_catalog

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "infra", "scripts", "spark_standalone.sh")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


pytestmark = pytest.mark.standalone


@pytest.fixture(scope="module")
def standalone_master(tmp_path_factory):
    env = {**os.environ, "SPARK_PID_DIR": str(tmp_path_factory.mktemp("pids")),
           "SPARK_LOG_DIR": str(tmp_path_factory.mktemp("logs")), "PYSPARK_PYTHON": sys.executable}
    port = _free_port()
    out = subprocess.run(["bash", SCRIPT, "start", str(port), "2"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    yield f"spark://127.0.0.1:{port}"
    subprocess.run(["bash", SCRIPT, "stop"], capture_output=True, env=env, timeout=120)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in df.columns:
        if df[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            df[col] = df[col].map(lambda v: tuple(v))
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_standalone_cluster_gives_identical_tables(spark, standalone_master, tmp_path):
    raw = generate_catalog(seed=5, days=2, tracks_per_day=2000, start_date="2024-02-01", bad_row_rate=0.0)
    frames = [split_catalog(day_rows, day)[0] for day, day_rows in raw.groupby(raw["uploaded_at"].str[:10])]
    tracks = pd.concat(frames, ignore_index=True).drop_duplicates("track_id")
    tracks_path = str(tmp_path / "tracks.parquet")
    tracks.astype({c: "string" for c in tracks.columns if c != "uploaded_at"}).to_parquet(
        tracks_path, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    out = tmp_path / "standalone"
    run = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "standalone_run.py"),
                          standalone_master, tracks_path, str(out)],
                         capture_output=True, text=True, timeout=400,
                         env={**os.environ, "PYTHONPATH": os.getcwd(), "PYSPARK_PYTHON": sys.executable})
    assert "STANDALONE OK spark://127.0.0.1" in run.stdout, run.stderr[-3000:]
    local = detect(spark.read.parquet(tracks_path))
    networks = local["fraud_networks"].toPandas()
    assert len(networks) >= 4  # the comparison is not between two empty tables
    for name in ("label_reuse", "label_similarity", "fraud_networks", "network_summary"):
        ours = _sorted(local[name].toPandas())
        theirs = _sorted(spark.read.parquet(str(out / name)).toPandas())
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True, obj=name)
