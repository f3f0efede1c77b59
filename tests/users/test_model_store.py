"""Scenario: model versions saved, listed, loaded and promoted on both object-store
backends (local directory and a real S3 endpoint over HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest

from resources.model_store import ModelStore


def test_versions_and_promotion(object_store):
    ms = ModelStore(object_store, "spam_model")
    assert ms.versions() == [] and ms.promoted() is None and ms.load_promoted() is None
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    v1 = ms.save(b"model-one", {"features": ["a"]}, {"accuracy": 0.9}, now=t0)
    v2 = ms.save(b"model-two", {"features": ["a", "b"]}, {"accuracy": 0.95}, now=t0 + dt.timedelta(seconds=1))
    assert ms.versions() == [v1, v2]
    assert ms.promoted_version() is None  # saving never promotes
    ms.promote(v1, reason="first")
    assert ms.load_promoted().model_bytes == b"model-one"
    p = ms.promote(v2, reason="better")
    assert p["previous"] == v1
    got = ms.load_promoted()
    assert (got.version, got.schema["features"], got.metrics["accuracy"]) == (v2, ["a", "b"], 0.95)
    with pytest.raises(FileNotFoundError):
        ms.promote("20990101T000000000000Z-deadbeef00")


def test_incomplete_version_is_invisible(local_store):
    ms = ModelStore(local_store, "m")
    local_store.put_bytes("models/m/versions/v0/model.pkl", b"x")  # no schema/metrics: a crashed save
    assert ms.versions() == []
    with pytest.raises(FileNotFoundError):
        ms.promote("v0")
