"""The one place that decides the environment: which backends the resources use.

Called when the Definitions are built (``orchestration/definitions.py``), never at import
of an asset module, and with an explicit mapping in tests. Every setting is an environment
variable documented in README.md ("Configuration"). Secrets (AWS keys, the API client id)
are passed as ``dg.EnvVar`` so Dagster resolves them at run time and never displays them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from resources.catalog_rules import CatalogRulesResource
from resources.object_store import LocalObjectStore, ObjectStore, S3ObjectStore
from resources.platform_api import PlatformAPI
from resources.spark import SparkResource
from resources.warehouse import Warehouse


def data_dir(environ: Mapping[str, str]) -> str:
    return environ.get("OFFBEAT_DATA_DIR", "data")


def build_object_store(environ: Mapping[str, str]) -> ObjectStore:
    backend = environ.get("OFFBEAT_OBJECT_STORE", "local").lower()
    if backend == "local":
        return LocalObjectStore(root=os.path.join(data_dir(environ), "lake"))
    if backend == "s3":
        bucket = environ.get("OFFBEAT_S3_BUCKET")
        if not bucket:
            raise ValueError("OFFBEAT_OBJECT_STORE=s3 needs OFFBEAT_S3_BUCKET")
        secrets: dict[Any, Any] = {}
        if "AWS_ACCESS_KEY_ID" in environ:
            secrets["aws_access_key_id"] = dg.EnvVar("AWS_ACCESS_KEY_ID")
            secrets["aws_secret_access_key"] = dg.EnvVar("AWS_SECRET_ACCESS_KEY")
        return S3ObjectStore(
            bucket=bucket,
            prefix=environ.get("OFFBEAT_S3_PREFIX", ""),
            endpoint_url=environ.get("OFFBEAT_S3_ENDPOINT_URL") or None,
            region_name=environ.get("AWS_REGION", "us-east-1"),
            **secrets,
        )
    raise ValueError(f"OFFBEAT_OBJECT_STORE must be 'local' or 's3', not {backend!r}")


def build_resources(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resources for the Definitions, from ``environ`` (default: ``os.environ``)."""
    environ = os.environ if environ is None else environ
    base = data_dir(environ)
    return {
        "object_store": build_object_store(environ),
        "spark": SparkResource(
            master=environ.get("SPARK_MASTER", "local[*]"),
            shuffle_partitions=int(environ.get("OFFBEAT_SHUFFLE_PARTITIONS", "8")),
            driver_memory=environ.get("OFFBEAT_SPARK_DRIVER_MEMORY", "4g"),
            checkpoint_dir=os.path.join(base, "spark-checkpoints"),
        ),
        "platform_api": PlatformAPI(
            base_url=environ.get("OFFBEAT_API_BASE_URL", "http://127.0.0.1:8765"),
            client_id=dg.EnvVar("OFFBEAT_CLIENT_ID"),
            concurrency=int(environ.get("OFFBEAT_CRAWL_CONCURRENCY", "64")),
            rate_limit_rps=float(environ.get("OFFBEAT_CRAWL_RATE_LIMIT_RPS", "0")),
        ),
        "catalog_rules": CatalogRulesResource(),
        "warehouse": Warehouse(uri=environ.get("OFFBEAT_WAREHOUSE_URI", os.path.join(base, "warehouse"))),
    }
