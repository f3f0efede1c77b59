"""Shared fixtures: one Spark session per test run, a real S3 endpoint over HTTP.

The S3 endpoint is moto's standalone server started as a separate process on a free
127.0.0.1 port; tests talk to it with boto3 over real HTTP (no Python-level mocks).
"""

from __future__ import annotations

import os
import sys
import uuid

import pytest

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Dummy credentials for the local S3 endpoint only.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from infra.scripts.s3_endpoint import start_s3_endpoint  # noqa: E402
from resources.object_store import LocalObjectStore, S3ObjectStore  # noqa: E402
from resources.spark import SparkResource  # noqa: E402

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> str:
    if not os.path.isdir(SHARED):
        pytest.fail(f"../shared (fixtures) not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local SparkSession for the whole run (about 6 s to start), 2 shuffle partitions."""
    resource = SparkResource(
        master="local[2]",
        shuffle_partitions=2,
        driver_memory="2g",
        checkpoint_dir=str(tmp_path_factory.mktemp("checkpoints")),
    )
    session = resource.get_session()
    yield session
    resource.stop()


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
