"""Shared fixtures: one Spark session per test run, a real S3 endpoint over HTTP.

The S3 endpoint is moto's standalone server started as a separate process on a free
127.0.0.1 port; tests talk to it with boto3 over real HTTP (no Python-level mocks).

Tests never write into the repository tree: every place a run would write by default
(``OFFBEAT_DATA_DIR``, ``DAGSTER_HOME``, Spark's ``spark.sql.warehouse.dir``, Hypothesis'
example database) points into one temporary directory for the session, and
``tests/test_repository_tree.py`` (run last) checks that the tree was left as it was.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SESSION_TMP = tempfile.mkdtemp(prefix="offbeat-tests-")
atexit.register(shutil.rmtree, SESSION_TMP, True)
# Overrides what the Makefile exports (DAGSTER_HOME=./data/dagster_home): tests get their own.
os.environ["OFFBEAT_DATA_DIR"] = os.path.join(SESSION_TMP, "data")
os.environ["DAGSTER_HOME"] = os.path.join(SESSION_TMP, "dagster_home")
os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Dummy credentials for the local S3 endpoint only.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

# Hypothesis keeps its example database and constants cache in ./.hypothesis by default.
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(SESSION_TMP, "hypothesis")
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

set_hypothesis_home_dir(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])

from infra.scripts.s3_endpoint import start_s3_endpoint  # noqa: E402
from resources.object_store import LocalObjectStore, S3ObjectStore  # noqa: E402
from resources.spark import SparkResource  # noqa: E402

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared"))


# ---- the repository tree is left as it was ------------------------------------------
_TOOL_CACHES = ("__pycache__", ".pytest_cache", ".ruff_cache")
# Untracked files with these suffixes are people's new source files (the checkout is shared
# while people work), not test output; ignored files always count.
_SOURCE_SUFFIXES = (".py", ".md", ".yaml", ".yml", ".toml", ".json", ".txt", ".sh", ".cfg",
                    ".html", ".css", ".js", ".ttf", ".otf", ".lock", "Dockerfile")


def repository_tree_snapshot() -> dict[str, tuple[str, int, int]]:
    """Ignored files, and untracked non-source files, of the checkout (outside .venv and
    tool caches): path -> (git status, size, mtime)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "-z", "--", ".",
         ":(exclude).venv"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode()
    snap = {}
    for entry in filter(None, out.split("\0")):
        status, path = entry[:2], entry[3:]
        if status not in ("??", "!!") or any(p in _TOOL_CACHES for p in path.split("/")):
            continue
        if status == "??" and path.endswith(_SOURCE_SUFFIXES):
            continue
        if path.startswith("data/bench/"):  # benchmarks' input cache (`make bench`), not tests
            continue
        try:
            st = os.stat(os.path.join(REPO, path))
            snap[path] = (status, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            continue
    return snap


def pytest_sessionstart(session):
    session.config._offbeat_tree_before = repository_tree_snapshot()


def pytest_collection_modifyitems(session, config, items):
    """The repository-tree check runs after every other test."""
    last = [i for i in items if i.nodeid.startswith("tests/test_repository_tree.py")]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session")
def tree_before(request) -> dict[str, tuple[str, int, int]]:
    return request.config._offbeat_tree_before


@pytest.fixture(scope="session")
def shared_dir() -> str:
    if not os.path.isdir(SHARED):
        pytest.fail(f"../shared (fixtures) not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local SparkSession for the whole run (about 6 s to start), 2 shuffle partitions.

    The suite runs hundreds of queries in this one JVM. Spark's default codegen cache (100
    classes) is kept: a cache of 10,000 generated classes, tried for speed (about 6% less JVM
    CPU on the network tests), grew the driver heap over the whole run until the streams
    targets test failed with java.lang.OutOfMemoryError (CI, stop 25).

    Whole-stage code generation is off here: the suite's tables are tens to thousands of rows,
    so compiling each plan's fused Java code costs more than it saves (measured on five of the
    Spark-heaviest test files, side by side: 298 s with it, 216 s without; turning adaptive
    execution off as well was slower, 285 s). Results are the same either way; the product's
    default (on) runs in `make test-standalone`, `make test-e2e` and `make demo`."""
    resource = SparkResource(
        master="local[2]",
        shuffle_partitions=2,
        driver_memory="3g",
        checkpoint_dir=str(tmp_path_factory.mktemp("checkpoints")),
        extra_conf={"spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse")),
                    "spark.sql.codegen.wholeStage": "false"},
    )
    session = resource.get_session()
    yield session
    resource.stop()


@pytest.fixture(scope="session")
def standalone_master(tmp_path_factory):
    """URL of one Spark standalone master + worker on 127.0.0.1 for the whole run (shared by
    the `standalone` tests, which `make test-standalone` runs), started and stopped by
    infra/scripts/spark_standalone.sh."""
    script = os.path.join(REPO, "infra", "scripts", "spark_standalone.sh")
    env = {**os.environ, "SPARK_PID_DIR": str(tmp_path_factory.mktemp("pids")),
           "SPARK_LOG_DIR": str(tmp_path_factory.mktemp("logs")),
           "SPARK_WORKER_DIR": str(tmp_path_factory.mktemp("work")),
           "SPARK_WORKER_MEMORY": "1g", "PYSPARK_PYTHON": sys.executable}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run(["bash", script, "start", str(port), "2"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    try:
        yield f"spark://127.0.0.1:{port}"
    finally:  # the daemons are stopped by the pids in SPARK_PID_DIR
        subprocess.run(["bash", script, "stop"], capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="session")
def s3_endpoint():
    """URL of moto's S3 server, running in its own process on 127.0.0.1."""
    proc, url = start_s3_endpoint()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_store(s3_endpoint) -> S3ObjectStore:
    store = S3ObjectStore(
        bucket=f"offbeat-test-{uuid.uuid4().hex[:12]}",
        prefix="lake",
        endpoint_url=s3_endpoint,
        multipart_threshold_bytes=5 << 20,
    )
    store.ensure_bucket()
    return store


@pytest.fixture
def local_store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path / "lake"))


@pytest.fixture(params=["local", "s3"])
def object_store(request):
    """The same test runs against both backends."""
    return request.getfixturevalue(f"{request.param}_store")
