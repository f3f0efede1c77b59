"""Scenario: model versions saved, listed, loaded and promoted on both object-store
backends (local directory and a real S3 endpoint over HTTP), with the run config each
version was trained with."""

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


def test_run_config_is_stored_with_the_version(object_store):
    """The config a model was trained with comes back with it; older versions have none."""
    ms = ModelStore(object_store, "spam_model")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    old = ms.save(b"old", {"features": ["a"]}, {"agreement": 0.9}, now=t0)
    cfg = {"shorteners": ["sho.rt"], "seed": 4, "hidden_layers": [8]}
    new = ms.save(b"new", {"features": ["a"]}, {"agreement": 0.95}, now=t0 + dt.timedelta(seconds=1), config=cfg)
    assert ms.versions() == [old, new]
    assert ms.load(old).config is None and ms.config_of(old) is None
    ms.promote(new, reason="with config")
    assert ms.load_promoted().config == cfg and ms.config_of(new) == cfg
