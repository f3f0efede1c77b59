"""Scenario: the scoring service answers over real HTTP on 127.0.0.1 for a known id, a
posted api-v2 user, malformed input and unknown ids, picks up a newly promoted model
while serving, and featurises posted users with the config that model was trained with."""

from __future__ import annotations

import json

import httpx
import pytest

from assets.users.model import SpamModel
from assets.users.service import ScoringService, serve
from resources.model_store import ModelStore


@pytest.fixture(scope="module")
def service(users_run):
    res = users_run["resources"]
    svc = ScoringService(res["object_store"], res["warehouse"].uri, reload_seconds=0.0)
    server = serve(svc, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client, svc, users_run
    server.shutdown()
    server.server_close()


def test_known_id_matches_the_batch_score(service, spark):
    client, _svc, run = service
    scores = run["resources"]["warehouse"].read(spark, "spam_scores").toPandas().set_index("user_id")
    uid = int(scores[scores["predicted_class"] == "spam"].index[0])
    r = client.get(f"/users/{uid}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == uid and body["source"] == "warehouse"
    assert body["predicted_class"] == scores.loc[uid, "predicted_class"]
    assert body["spam_probability"] == pytest.approx(scores.loc[uid, "spam_probability"], abs=1e-6)
    assert body["reasons"] == scores.loc[uid, "reasons"]


def test_posted_user_scores_like_its_warehouse_row(service, spark):
    """A user posted with the same fields as in the warehouse gets the same features."""
    client, _svc, run = service
    scores = run["resources"]["warehouse"].read(spark, "spam_scores").toPandas().set_index("user_id")
    user = next(u for u in run["users"] if "same description" in scores.loc[u["id"], "reasons"])
    r = client.post("/score", content=json.dumps(user))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "posted"
    stored = client.get(f"/users/{user['id']}").json()
    for f in ("fake_batch_size", "duplicate_descriptions", "stock_phrase_share", "followers", "url_shortener"):
        assert body["features"][f] == pytest.approx(stored["features"][f]), f
    assert body["predicted_class"] == stored["predicted_class"]


def test_posted_new_user_without_profiles(service):
    client, _svc, _run = service
    r = client.post("/score", json={"id": 987654321, "followers_count": 3, "followings_count": 700,
                                    "description": "Музыка для души", "created_at": "2024-01-01T00:00:00Z"})
    assert r.status_code == 200, r.text
    assert 0.0 <= r.json()["spam_probability"] <= 1.0


@pytest.mark.parametrize(("body", "needle"), [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "one JSON object"),
    (json.dumps({"id": "12"}), "'id' must be a positive integer"),
    (json.dumps({"id": 5, "followers_count": "many"}), "'followers_count'"),
    (json.dumps({"id": 5, "web_profiles": "bit.ly"}), "'web_profiles'"),
    (json.dumps({"id": 5, "created_at": "yesterday"}), "'created_at'"),
])
def test_bad_posts_are_400(service, body, needle):
    client, _svc, _run = service
    r = client.post("/score", content=body)
    assert r.status_code == 400
    assert needle in r.json()["error"]


def test_unknown_and_invalid_ids(service):
    client, _svc, _run = service
    r = client.get("/users/123")
    assert r.status_code == 404 and "not a live user" in r.json()["error"]
    assert client.get("/users/abc").status_code == 400
    assert client.get("/nope").status_code == 404


def test_model_swap_while_serving(service):
    client, svc, run = service
    store = ModelStore(run["resources"]["object_store"], "spam_model")
    before = client.get("/health").json()["model_version"]
    assert before == store.promoted_version()
    current = SpamModel.from_bytes(store.load(before).model_bytes)
    new_version = store.save(current.to_bytes() + b"", {**current.schema(), "note": "retrained"},
                             {"accuracy": 1.0})
    store.promote(new_version, reason="test swap")
    try:
        assert client.get("/health").json()["model_version"] == new_version
        uid = run["users"][0]["id"]
        assert client.get(f"/users/{uid}").json()["model_version"] == new_version
    finally:
        store.promote(before, reason="restore")


def test_posted_users_are_featurised_with_the_promoted_models_config(service):
    """The service serves with the run config the promoted model was trained with (stored
    beside the version), not with the defaults: a version trained with a shortener list
    without bit.ly and its own commercial terms sees a posted user differently."""
    client, _svc, run = service
    store = ModelStore(run["resources"]["object_store"], "spam_model")
    before = store.promoted_version()
    trained = store.load(before)
    assert trained.config is not None and trained.config["cluster_sample_size"] == 3000
    assert client.get("/health").json()["config"] == "the promoted version"
    user = {"id": 987654322, "followers_count": 1, "followings_count": 40, "description": "guitar lessons here",
            "web_profiles": [{"url": "https://bit.ly/abc", "title": "site"}]}
    shorteners = [s for s in trained.config["shorteners"] if s != "bit.ly"]
    custom = store.save(trained.model_bytes, trained.schema, trained.metrics,
                        config={**trained.config, "shorteners": shorteners, "commercial_terms": ["guitar lessons"]})
    bare = store.save(trained.model_bytes, trained.schema, trained.metrics)  # stored no config
    try:
        default_view = client.post("/score", json=user).json()["features"]
        assert default_view["url_shortener"] == 1.0 and default_view["commercial_terms"] == 0.0
        store.promote(custom, reason="test: another config")
        r = client.post("/score", json=user)
        assert r.status_code == 200, r.text
        assert r.json()["model_version"] == custom
        assert r.json()["features"]["url_shortener"] == 0.0 and r.json()["features"]["commercial_terms"] == 1.0
        store.promote(bare, reason="test: no config")
        assert client.get("/health").json()["config"].startswith("defaults")
        assert client.post("/score", json=user).json()["features"]["url_shortener"] == 1.0
    finally:
        store.promote(before, reason="restore")
