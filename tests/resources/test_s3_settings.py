"""Scenario: the S3 object store and the numeric settings, configured as an operator would.

* Temporary credentials: with keys configured, the session token goes with every request
  (seen on the wire to moto's server over HTTP) and the store works.
* No keys configured: boto3's default chain is used (nothing explicit on the resource).
* A missing bucket or an unreachable endpoint fails the run when it starts, before any
  asset body runs, with a message naming OFFBEAT_S3_BUCKET / OFFBEAT_S3_ENDPOINT_URL.
* A malformed numeric setting raises an error naming its variable.
"""

from __future__ import annotations

import socket
import time
import uuid

import dagster as dg
import pytest

from resources.environment import SettingError, build_object_store, build_resources
from resources.object_store import ObjectStoreUnavailable, S3ObjectStore


def _s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {"OFFBEAT_OBJECT_STORE": "s3", "OFFBEAT_S3_BUCKET": bucket, "OFFBEAT_S3_ENDPOINT_URL": endpoint}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_temporary_credentials_send_the_session_token(s3_endpoint, monkeypatch):
    bucket = f"tmpcreds-{uuid.uuid4().hex[:8]}"
    S3ObjectStore(bucket=bucket, endpoint_url=s3_endpoint).ensure_bucket()
    env = {**_s3_env(s3_endpoint, bucket), "AWS_ACCESS_KEY_ID": "ASIATEMPORARY",
           "AWS_SECRET_ACCESS_KEY": "temporary-secret", "AWS_SESSION_TOKEN": "session-token-123"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    store = build_object_store(env)
    assert isinstance(store, S3ObjectStore)
    with dg.build_resources({"object_store": store}) as resources:
        live = resources.object_store
        assert live.aws_session_token == "session-token-123"  # the EnvVar, resolved at run time
        seen: list[tuple[str | None, str]] = []

        def capture(request, **_):
            token = request.headers.get("X-Amz-Security-Token")
            seen.append((token.decode() if isinstance(token, bytes) else token,
                         request.headers.get("Authorization", b"").decode()))

        live.client.meta.events.register("before-send.s3", capture)
        live.put_bytes("x/y", b"hello")
        assert live.get_bytes("x/y") == b"hello"
    assert len(seen) == 2
    assert all(tok == "session-token-123" for tok, _ in seen)
    assert all("Credential=ASIATEMPORARY/" in auth for _, auth in seen)
    assert "session-token-123" not in store.describe() and "temporary-secret" not in repr(store)


def test_without_configured_keys_boto3s_default_chain_is_used(s3_endpoint, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    env = _s3_env(s3_endpoint, "b")
    store = build_object_store(env)
    assert store.aws_access_key_id is None and store.aws_secret_access_key is None
    assert store.aws_session_token is None
    # the chain finds credentials from the environment at run time (conftest's test keys)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-chain")
    creds = store.client._request_signer._credentials
    assert creds.access_key == "from-the-chain"


def _run_with(store) -> tuple[dg.ExecuteInJobResult, list[str]]:
    ran: list[str] = []

    @dg.asset
    def touches_the_store(object_store: S3ObjectStore) -> None:
        ran.append("body")
        object_store.put_bytes("x", b"1")

    result = dg.materialize([touches_the_store], resources={"object_store": store}, raise_on_error=False)
    return result, ran


def _failure_message(result) -> str:
    events = [e for e in result.all_events if e.is_failure]
    assert events, "the run should have failed"
    return "\n".join(str(e.event_specific_data.error) for e in events if e.event_specific_data)


def test_missing_bucket_fails_the_run_at_start_naming_the_setting(s3_endpoint):
    store = build_object_store(_s3_env(s3_endpoint, f"absent-{uuid.uuid4().hex[:8]}"))
    result, ran = _run_with(store)
    assert not result.success and ran == []
    message = _failure_message(result)
    assert "OFFBEAT_S3_BUCKET" in message and "does not exist" in message
    with pytest.raises(ObjectStoreUnavailable, match="OFFBEAT_S3_BUCKET"):
        store.check_available()


def test_unreachable_endpoint_fails_the_run_within_seconds_naming_the_setting():
    store = build_object_store(_s3_env(f"http://127.0.0.1:{_closed_port()}", "b"))
    started = time.monotonic()
    result, ran = _run_with(store)
    assert not result.success and ran == []
    assert "OFFBEAT_S3_ENDPOINT_URL" in _failure_message(result)
    assert time.monotonic() - started < 20


def test_reachable_bucket_passes_the_start_check(s3_store):
    result, ran = _run_with(s3_store)
    assert result.success and ran == ["body"]
    assert s3_store.get_bytes("x") == b"1"


@pytest.mark.parametrize(
    "name, value",
    [
        ("OFFBEAT_SHUFFLE_PARTITIONS", "abc"),
        ("OFFBEAT_SHUFFLE_PARTITIONS", "0"),
        ("OFFBEAT_CRAWL_CONCURRENCY", "-3"),
        ("OFFBEAT_CRAWL_CONCURRENCY", "2.5"),
        ("OFFBEAT_CRAWL_RATE_LIMIT_RPS", "fast"),
        ("OFFBEAT_CRAWL_RATE_LIMIT_RPS", "-1"),
        ("OFFBEAT_CRAWL_RATE_LIMIT_RPS", "nan"),
    ],
)
def test_malformed_numeric_setting_names_its_variable(name, value):
    with pytest.raises(SettingError, match=name):
        build_resources({name: value})


def test_numeric_settings_are_read():
    res = build_resources({"OFFBEAT_SHUFFLE_PARTITIONS": " 3 ", "OFFBEAT_CRAWL_CONCURRENCY": "5",
                           "OFFBEAT_CRAWL_RATE_LIMIT_RPS": "2.5"})
    assert res["spark"].shuffle_partitions == 3
    assert res["platform_api"].concurrency == 5 and res["platform_api"].rate_limit_rps == 2.5


def test_spark_cluster_settings_are_read_and_malformed_ones_named():
    res = build_resources({
        "OFFBEAT_SPARK_CONF": '{"spark.hadoop.fs.s3a.path.style.access": true, "spark.executor.cores": 2}',
        "OFFBEAT_SPARK_CHECKPOINT_DIR": "s3a://bucket/checkpoints",
        "OFFBEAT_SPARK_EXECUTOR_MEMORY": "3g",
    })
    spark = res["spark"]
    assert spark.conf()["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert spark.conf()["spark.executor.cores"] == "2" and spark.conf()["spark.executor.memory"] == "3g"
    assert spark.checkpoint_dir == "s3a://bucket/checkpoints"
    for bad in ("{not json", '["spark.x"]', '{"fs.s3a.endpoint": "x"}', '{"spark.x": {"nested": 1}}'):
        with pytest.raises(SettingError, match="OFFBEAT_SPARK_CONF"):
            build_resources({"OFFBEAT_SPARK_CONF": bad})
