"""Scenario: two platforms import their users, one overrun by spam (80% of 2,500 accounts),
one almost clean (0.5% of 4,000: 20 spam accounts). Neither stops at a check: the chain
runs to spam_scores on both, every user is scored once, and what the clusters found is
metadata (a finding), not a failed run."""

from __future__ import annotations

import pytest

from simulator.users import user_dump
from tests.users.chain_runs import checks, materialise_chain, metadata

POPULATIONS = {"spam_80pct": (2500, 0.80, 21), "spam_half_pct": (4000, 0.005, 22)}


pytestmark = pytest.mark.integration  # not in make test: make test-integration (CI runs it)


@pytest.fixture(scope="module", params=list(POPULATIONS))
def population(request, spark, tmp_path_factory):
    n, share, seed = POPULATIONS[request.param]
    users, truth = user_dump(seed=seed, n_users=n, spam_share=share)
    result, resources = materialise_chain(tmp_path_factory.mktemp(request.param), users)
    return {"name": request.param, "n": n, "share": share, "truth": truth, "result": result, "resources": resources}


def test_runs_to_spam_scores(population, spark):
    result = population["result"]
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert result.success, f"failed steps: {failed}"
    got = checks(result)
    for name in ("feature_ranges", "no_degenerate_clusters", "model_promotion"):
        assert got[name].passed, (name, got[name].metadata)
    clusters = metadata(result, "user_clusters")
    assert isinstance(clusters["spam_cluster_found"], bool)  # a finding, stated either way
    model = metadata(result, "spam_model")
    assert model["scoring_version"] == model["version"]  # first model: promoted, bar or not
    scores = population["resources"]["warehouse"].read(spark, "spam_scores").toPandas()
    n = population["n"]
    assert len(scores) == n and scores["user_id"].nunique() == n
    assert scores["spam_probability"].between(0, 1).all() and scores["predicted_class"].notna().all()
    assert set(scores["model_version"]) == {model["version"]}
    assert metadata(result, "spam_scores")["dagster/row_count"] == n

