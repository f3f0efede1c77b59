"""Scenario: the production deployment files are valid and agree with the code, checked
without a cluster.

* Both instance configs (local infra/dagster/dagster.yaml, production
  infra/dagster/production/dagster.yaml) pass Dagster's own instance-config schema, and
  the classes the production one names import and accept their config.
* infra/helm/values.yaml, merged over the chart's default values as Helm does, validates
  against the chart's values schema (the vendored copy, external $refs stripped).
* infra/compose.yaml names the services, image, workspace, module, location and
  environment variables the code uses; its settings build the resources.
* The hadoop-aws version (Helm, Dockerfile) is the Hadoop version pip's pyspark ships.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import class_from_code_pointer

from resources.environment import build_resources, spark_conf_setting
from resources.object_store import S3ObjectStore

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
PRODUCTION = INFRA / "dagster" / "production" / "dagster.yaml"
VENDOR = REPO.parent / "shared" / "vendor" / "dagster-helm"
PRODUCT = ("orchestration", "assets", "resources", "simulator")


def _yaml(path: Path):
    return yaml.safe_load(path.read_text())


def _instance(tmp_path: Path, config: dict | str) -> dict:
    home = tmp_path / f"home-{len(list(tmp_path.iterdir()))}"
    home.mkdir()
    text = config if isinstance(config, str) else yaml.safe_dump(config)
    (home / "dagster.yaml").write_text(text)
    value, _cls = dagster_instance_config(str(home))
    return value


def _env_refs(node) -> set[str]:
    """Every {env: NAME} in a Dagster config."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_env_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_refs(v) for v in node)) if node else set()
    return set()


def _code_env_names() -> set[str]:
    """Environment variable names the product code mentions (string literals)."""
    names: set[str] = set()
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            names |= set(re.findall(r"[\"']((?:OFFBEAT|AWS|SPARK|DAGSTER)_[A-Z0-9_]+)[\"']", path.read_text()))
    return names


def _pyproject_dagster() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]


def _location_name() -> str:
    return _yaml(REPO / "workspace.yaml")["load_from"][0]["python_file"]["location_name"]


def _pyspark_hadoop_version() -> str:
    import pyspark

    jars = os.listdir(os.path.join(os.path.dirname(pyspark.__file__), "jars"))
    versions = {m.group(1) for j in jars if (m := re.fullmatch(r"hadoop-client-api-([\d.]+)\.jar", j))}
    assert len(versions) == 1, jars
    return versions.pop()


# ---- instance configs -----------------------------------------------------------------
@pytest.mark.parametrize("path", [INFRA / "dagster" / "dagster.yaml", PRODUCTION], ids=["local", "production"])
def test_instance_config_validates_with_dagsters_schema(tmp_path, path):
    value = _instance(tmp_path, path.read_text())
    assert value["telemetry"]["enabled"] is False
    assert "concurrency" in value and "run_coordinator" not in value  # no legacy limits


def test_production_instance_has_postgres_s3_logs_limits_monitoring_retries(tmp_path):
    config = _yaml(PRODUCTION)
    value = _instance(tmp_path, PRODUCTION.read_text())
    # storage: PostgreSQL, every connection setting from the environment
    pg = value["storage"]["postgres"]["postgres_db"]
    assert all(isinstance(pg[k], dict) and set(pg[k]) == {"env"} for k in ("hostname", "port", "db_name", "username", "password"))
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    for storage in (PostgresRunStorage, PostgresEventLogStorage, PostgresScheduleStorage):
        result = validate_config(storage.config_type(), {"postgres_db": config["storage"]["postgres"]["postgres_db"]})
        assert result.success, (storage, result.errors)
    # compute logs in S3 with a configurable endpoint; run launcher: classes import and accept their config
    for key in ("compute_logs", "run_launcher"):
        klass = class_from_code_pointer(config[key]["module"], config[key]["class"])
        result = validate_config(klass.config_type(), config[key].get("config", {}))
        assert result.success, (key, result.errors)
    assert config["compute_logs"]["class"] == "S3ComputeLogManager"
    assert config["compute_logs"]["config"]["endpoint_url"] == {"env": "OFFBEAT_S3_ENDPOINT_URL"}
    assert config["compute_logs"]["config"]["bucket"] == {"env": "OFFBEAT_S3_BUCKET"}
    # limits, monitoring, retries
    assert value["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    assert value["concurrency"]["pools"]["default_limit"] >= 1
    assert value["run_monitoring"]["enabled"] and value["run_retries"]["enabled"]
    assert value["run_retries"]["max_retries"] >= 1


def test_the_schema_check_bites(tmp_path):
    config = _yaml(PRODUCTION)
    for broken in (
        {**config, "run_monitoring": {**config["run_monitoring"], "poll_interval": 60}},  # misspelt key
        {**config, "concurrency": {"runs": {"max_concurrent_runs": "four"}}},
        {**config, "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator",
                                       "config": {"max_concurrent_runs": 4}}},  # legacy limits beside concurrency
    ):
        with pytest.raises(DagsterInvalidConfigError):
            _instance(tmp_path, broken)


# ---- Helm -----------------------------------------------------------------------------
def _strip_external_refs(node):
    if isinstance(node, dict):
        return {k: _strip_external_refs(v) for k, v in node.items()
                if not (k == "$ref" and isinstance(v, str) and v.startswith("http"))}
    if isinstance(node, list):
        return [_strip_external_refs(v) for v in node]
    return node


def _helm_merge(base, override):
    """Helm's values merge: maps merge key by key, everything else (lists too) is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _helm_merge(base.get(k), v) if k in base else v
        return out
    return copy.deepcopy(override)


@pytest.fixture(scope="module")
def chart():
    if not (VENDOR / "values.schema.json").is_file():
        pytest.fail(f"the chart's schema copy is missing: {VENDOR}")
    schema = _strip_external_refs(json.loads((VENDOR / "values.schema.json").read_text()))
    return jsonschema.Draft7Validator(schema), _yaml(VENDOR / "values.yaml")


def _errors(validator, values) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]


def test_helm_values_validate_against_the_chart_schema(chart):
    validator, defaults = chart
    assert _errors(validator, defaults) == []  # the schema copy accepts the chart's own defaults
    ours = _yaml(INFRA / "helm" / "values.yaml")
    assert _errors(validator, _helm_merge(defaults, ours)) == []
    broken = _helm_merge(defaults, {"computeLogManager": {"type": "S3ComputeLogManager", "config": {"s3": {}}}})
    assert _errors(validator, broken)  # and it does reject a wrong block


def test_helm_values_agree_with_the_code(tmp_path):
    values = _yaml(INFRA / "helm" / "values.yaml")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == _pyproject_dagster()["module_name"]
    assert args[args.index("--location-name") + 1] == _location_name() == _pyproject_dagster()["code_location_name"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    unknown = {n for n in env if n not in _code_env_names()}
    assert not unknown, f"Helm sets variables no code reads: {sorted(unknown)}"
    conf = spark_conf_setting(env)
    assert conf["spark.jars.packages"] == f"org.apache.hadoop:hadoop-aws:{_pyspark_hadoop_version()}"
    assert env["OFFBEAT_WAREHOUSE_URI"].startswith("s3a://") and env["SPARK_MASTER"].startswith("spark://")
    resources = build_resources({**env, "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
    assert isinstance(resources["object_store"], S3ObjectStore)
    assert resources["spark"].conf()["spark.hadoop.fs.s3a.endpoint"] == env["OFFBEAT_S3_ENDPOINT_URL"]
    # the instance settings rendered from additionalInstanceConfig pass Dagster's schema
    value = _instance(tmp_path, values["additionalInstanceConfig"])
    assert value["concurrency"]["pools"]["default_limit"] >= 1
    assert values["dagsterDaemon"]["runCoordinator"]["enabled"] is False  # concurrency: owns the limits
    assert values["computeLogManager"]["type"] == "S3ComputeLogManager"


# ---- compose, image -------------------------------------------------------------------
def _interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?message} with test values."""
    return re.sub(r"\$\{([A-Z0-9_]+)(?::[-?]([^}]*))?\}", lambda m: f"test-{m.group(1).lower()}", value)


def test_compose_names_services_images_and_settings_the_code_uses():
    compose = _yaml(INFRA / "compose.yaml")
    services = compose["services"]
    assert {"postgres", "minio", "spark-master", "spark-worker", "offbeat-code", "dagster-webserver",
            "dagster-daemon"} <= set(services)
    ours = ("spark-master", "spark-worker", "offbeat-code", "dagster-webserver", "dagster-daemon")
    assert {services[s]["image"] for s in ours} == {"offbeat:latest"}
    build = services["offbeat-code"]["build"]
    assert (INFRA / build["context"] / build["dockerfile"]).resolve() == (INFRA / "Dockerfile").resolve()
    # the code location serves the module and location the workspace and pyproject name
    command = services["offbeat-code"]["command"]
    assert command[command.index("--module-name") + 1] == _pyproject_dagster()["module_name"]
    assert command[command.index("--location-name") + 1] == _location_name()
    workspace = _yaml(INFRA / "dagster" / "production" / "workspace.yaml")["load_from"][0]["grpc_server"]
    assert workspace["host"] == "offbeat-code" and str(workspace["port"]) == command[command.index("--port") + 1]
    assert workspace["location_name"] == _location_name()
    for s in ("dagster-webserver", "dagster-daemon"):
        assert "infra/dagster/production/workspace.yaml" in services[s]["command"]
    # environment: every Offbeat variable is one the code reads, every {env:} of the
    # production instance config is set, and the settings build the resources
    code_names = _code_env_names()
    for s in ("offbeat-code", "dagster-webserver", "dagster-daemon"):
        env = {k: _interpolate(str(v)) for k, v in services[s]["environment"].items()}
        unknown = {n for n in env if n.startswith("OFFBEAT_") and n not in code_names}
        assert not unknown, f"{s} sets variables no code reads: {sorted(unknown)}"
        missing = _env_refs(_yaml(PRODUCTION)) - set(env)
        assert not missing, f"{s} lacks variables the production dagster.yaml reads: {sorted(missing)}"
        resources = build_resources(env)
        store = resources["object_store"]
        assert isinstance(store, S3ObjectStore) and store.endpoint_url == "http://minio:9000"
        assert store.bucket == "offbeat" and resources["warehouse"].uri.startswith("s3a://offbeat/")
        assert resources["spark"].master == "spark://spark-master:7077"
        assert resources["spark"].conf()["spark.driver.host"] == "offbeat-code"
    # the Spark master address the code uses is the master service
    master = services["spark-master"]["command"]
    assert master[master.index("--host") + 1] == "spark-master" and master[master.index("--port") + 1] == "7077"
    assert "spark://spark-master:7077" in services["spark-worker"]["command"]
    # PostgreSQL credentials agree
    env = services["dagster-daemon"]["environment"]
    pg = services["postgres"]["environment"]
    assert (env["DAGSTER_PG_HOST"], env["DAGSTER_PG_DB"], env["DAGSTER_PG_USER"]) == ("postgres", pg["POSTGRES_DB"], pg["POSTGRES_USER"])
    assert env["DAGSTER_PG_PASSWORD"] == pg["POSTGRES_PASSWORD"]


def test_dockerfile_builds_what_the_deployment_runs():
    text = (INFRA / "Dockerfile").read_text()
    for src in re.findall(r"^COPY (\S+) ", text, flags=re.M):
        assert (REPO / src).exists(), f"Dockerfile copies {src}, which does not exist"
    assert f"ARG HADOOP_AWS_VERSION={_pyspark_hadoop_version()}" in text
    assert "infra/dagster/production/dagster.yaml /opt/dagster/home/dagster.yaml" in text
    assert "ENV DAGSTER_HOME=/opt/dagster/home" in text
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in (p.rstrip("*") for p in packages):
        assert f"COPY {package} ./{package}" in text, f"the image lacks the package {package}"
    assert '"--module-name", "orchestration.definitions", "--location-name", "offbeat"' in text
    assert shutil.which("bash")  # noqa: S101 - the scripts the image and tests use are bash
