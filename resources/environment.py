"""The one place that decides the environment: which backends the resources use.

Called when the Definitions are built (``orchestration/definitions.py``), never at import
of an asset module, and with an explicit mapping in tests. Every setting is an environment
variable documented in README.md ("Configuration"). Secrets (AWS keys, the API client id)
are passed as ``dg.EnvVar`` so Dagster resolves them at run time and never displays them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from resources.catalog_rules import CatalogRulesResource
from resources.object_store import LocalObjectStore, ObjectStore, S3ObjectStore
from resources.platform_api import PlatformAPI
from resources.spark import SparkResource
from resources.warehouse import Warehouse


class SettingError(ValueError):
    """An environment variable holds a value the project cannot use (names the variable)."""


def int_setting(environ: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not an integer (default {default})") from None
    if value < minimum:
        raise SettingError(f"{name}={value} must be at least {minimum} (default {default})")
    return value


def float_setting(environ: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number (default {default})") from None
    if not value >= minimum or value == float("inf"):  # also rejects nan
        raise SettingError(f"{name}={raw} must be a finite number >= {minimum} (default {default})")
    return value


def spark_conf_setting(environ: Mapping[str, str], name: str = "OFFBEAT_SPARK_CONF") -> dict[str, str]:
    """Extra ``spark.*`` settings as a JSON object of strings, e.g. the s3a settings of a
    cluster: ``{"spark.hadoop.fs.s3a.endpoint": "http://minio:9000"}``."""
    raw = environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        conf = json.loads(raw)
    except json.JSONDecodeError as e:
        raise SettingError(f"{name} is not valid JSON ({e.msg} at char {e.pos})") from None
    if not isinstance(conf, dict) or not all(
        isinstance(k, str) and k.startswith("spark.") and isinstance(v, str | int | float | bool)
        for k, v in conf.items()
    ):
        raise SettingError(f'{name} must be a JSON object of spark.* keys to values, e.g. {{"spark.x": "1"}}')
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in conf.items()}


def data_dir(environ: Mapping[str, str]) -> str:
    return environ.get("OFFBEAT_DATA_DIR", "data")


def build_object_store(environ: Mapping[str, str]) -> ObjectStore:
    backend = environ.get("OFFBEAT_OBJECT_STORE", "local").lower()
    if backend == "local":
        return LocalObjectStore(root=os.path.join(data_dir(environ), "lake"))
    if backend == "s3":
        bucket = environ.get("OFFBEAT_S3_BUCKET")
        if not bucket:
            raise SettingError("OFFBEAT_OBJECT_STORE=s3 needs OFFBEAT_S3_BUCKET")
        # Keys configured: pass them (and the session token of temporary credentials) as
        # EnvVars, resolved at run time and never displayed. Otherwise boto3's default chain.
        secrets: dict[Any, Any] = {}
        if environ.get("AWS_ACCESS_KEY_ID"):
            if not environ.get("AWS_SECRET_ACCESS_KEY"):
                raise SettingError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            secrets["aws_access_key_id"] = dg.EnvVar("AWS_ACCESS_KEY_ID")
            secrets["aws_secret_access_key"] = dg.EnvVar("AWS_SECRET_ACCESS_KEY")
            if environ.get("AWS_SESSION_TOKEN"):
                secrets["aws_session_token"] = dg.EnvVar("AWS_SESSION_TOKEN")
        return S3ObjectStore(
            bucket=bucket,
            prefix=environ.get("OFFBEAT_S3_PREFIX", ""),
            endpoint_url=environ.get("OFFBEAT_S3_ENDPOINT_URL") or None,
            region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            **secrets,
        )
    raise SettingError(f"OFFBEAT_OBJECT_STORE must be 'local' or 's3', not {backend!r}")


def build_resources(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resources for the Definitions, from ``environ`` (default: ``os.environ``)."""
    environ = os.environ if environ is None else environ
    base = data_dir(environ)
    return {
        "object_store": build_object_store(environ),
        "spark": SparkResource(
            master=environ.get("SPARK_MASTER", "local[*]"),
            shuffle_partitions=int_setting(environ, "OFFBEAT_SHUFFLE_PARTITIONS", 8),
            driver_memory=environ.get("OFFBEAT_SPARK_DRIVER_MEMORY", "4g"),
            executor_memory=environ.get("OFFBEAT_SPARK_EXECUTOR_MEMORY", "2g"),
            # On a cluster: storage every executor reaches (s3a://..., hdfs://...).
            checkpoint_dir=environ.get("OFFBEAT_SPARK_CHECKPOINT_DIR")
            or os.path.join(base, "spark-checkpoints"),
            extra_conf=spark_conf_setting(environ),
        ),
        "platform_api": PlatformAPI(
            base_url=environ.get("OFFBEAT_API_BASE_URL", "http://127.0.0.1:8765"),
            client_id=dg.EnvVar("OFFBEAT_CLIENT_ID"),
            concurrency=int_setting(environ, "OFFBEAT_CRAWL_CONCURRENCY", 64),
            rate_limit_rps=float_setting(environ, "OFFBEAT_CRAWL_RATE_LIMIT_RPS", 0.0),
        ),
        "catalog_rules": CatalogRulesResource(),
        "warehouse": Warehouse(uri=environ.get("OFFBEAT_WAREHOUSE_URI", os.path.join(base, "warehouse"))),
    }
