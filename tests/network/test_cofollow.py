"""cofollow (structure-only farm detection) against a brute-force numpy reference, and the
farm / interest-community distinction it exists for."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

from assets.network.cofollow import CofollowConfig, cofollow

FARM = list(range(5000, 5025))
FARM_TARGETS = list(range(300, 310))
FANS = list(range(6000, 6060))
SCENE = list(range(200, 215))


def _graph(seed: int = 0, mutual: float = 0.0) -> pd.DataFrame:
    """Ordinary accounts; an interest community (60 fans, each following a share of one
    scene's 15 artists drawn from 0.1..0.95: a tail of partial fans); a farm (25 accounts,
    each following 9-10 of the same 10 accounts plus 3 of the popular ones)."""
    rng = np.random.default_rng(seed)
    rows = []
    pop = rng.zipf(1.6, size=2000) % 150
    for u in range(1000, 1400):
        rows += [(u, int(x)) for x in rng.choice(pop, rng.integers(3, 12))]
    for u in FANS:
        p = rng.uniform(0.1, 0.95)
        rows += [(u, x) for x in SCENE if rng.random() < p]
        rows += [(u, int(x)) for x in rng.choice(150, 4, replace=False)]
    for u in FARM:
        rows += [(u, x) for x in FARM_TARGETS if rng.random() < 0.92]
        rows += [(u, int(x)) for x in rng.choice(5, 3, replace=False)]
    rows += [(7000 + i, x) for i, x in enumerate(FARM_TARGETS)]  # one organic fan per farm target
    rows += [(u, v) for u in FARM for v in FARM if u != v and rng.random() < mutual]  # farm members follow each other
    return pd.DataFrame(rows, columns=["follower_id", "followee_id"]).drop_duplicates()


def reference(e: pd.DataFrame, cfg: CofollowConfig) -> pd.DataFrame:
    """The same figures by brute force: dense matrices, every target pair, every account."""
    e = e[e["follower_id"] != e["followee_id"]].drop_duplicates()
    us, ui = np.unique(e["follower_id"], return_inverse=True)
    xs, xi = np.unique(e["followee_id"], return_inverse=True)
    a = np.zeros((len(us), len(xs)), dtype=np.int64)
    a[ui, xi] = 1
    k = a.sum(0)
    d = a.sum(1)
    elig = (k >= cfg.min_target_followers) & (k <= cfg.max_target_followers)
    ap = a * elig[None, :]
    ap = ap * (ap.sum(1) <= cfg.max_follows_paired)[:, None]
    n = ap.T @ ap
    np.fill_diagonal(n, 0)
    jac = n / np.maximum(1, k[:, None] + k[None, :] - n)
    adj = (n >= cfg.min_shared_followers) & (jac >= cfg.min_target_jaccard)
    _, lab = connected_components(adj, directed=False)
    rows = []
    for c in np.unique(lab):
        t_idx = np.flatnonzero(lab == c)
        if len(t_idx) < cfg.min_core_targets or not adj[t_idx].any():
            continue
        t0 = len(t_idx)  # reciprocal accounts (following >= tail_share of their own core) leave the core
        own = np.array([a[np.searchsorted(us, xs[i]), t_idx].sum() if np.isin(xs[i], us) else 0 for i in t_idx])
        rest = t_idx[own < t0 * cfg.tail_share]
        if len(rest) >= cfg.min_core_targets:
            t_idx = rest
        cnt = a[:, t_idx].sum(1)
        g = cnt >= len(t_idx) * cfg.core_share
        tail = (cnt >= len(t_idx) * cfg.tail_share) & ~g
        share = np.sort(a[g][:, t_idx].sum(0) / k[t_idx])
        lower_median = share[math.ceil(0.5 * len(share)) - 1]
        rows.append({"core_id": int(xs[lab == c].min()), "core_targets": len(t_idx),
                     "reciprocal_accounts": t0 - len(t_idx), "group_accounts": int(g.sum()),
                     "tail_accounts": int(tail.sum()), "exclusivity": float(lower_median),
                     "block_follows": int(cnt[g].sum()),
                     "expected_follows": float(d[g].sum()) * float(k[t_idx].sum()) / len(e),
                     "members": set(us[g].tolist())})
    return pd.DataFrame(rows).sort_values("core_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def found(spark):
    e = _graph()
    cfg = CofollowConfig()
    flagged, cores = cofollow(spark.createDataFrame(e), cfg)
    return e, cfg, flagged, cores


def test_matches_brute_force(found):
    _assert_matches_reference(*found)


def _assert_matches_reference(e, cfg, flagged, cores):
    ref = reference(e, cfg)
    assert len(ref) >= 2  # the farm's core and the scene's core are both tested
    got = cores.set_index("core_id")
    assert sorted(got.index) == ref["core_id"].tolist()
    for r in ref.itertuples():
        g = got.loc[r.core_id]
        assert (g.core_targets, g.reciprocal_accounts, g.group_accounts, g.tail_accounts, g.block_follows) == (
            r.core_targets, r.reciprocal_accounts, r.group_accounts, r.tail_accounts, r.block_follows)
        assert g.exclusivity == pytest.approx(r.exclusivity)
        assert g.expected_follows == pytest.approx(r.expected_follows)
    passed = set(got.index[got["passed"]])
    want = set().union(*[m for m, c in zip(ref["members"], ref["core_id"], strict=True) if c in passed])
    assert set(flagged["user_id"]) == want


def test_farm_flagged_community_not(found):
    _, _, flagged, cores = found
    assert set(flagged["user_id"]) == set(FARM)
    scene = cores[cores["core_id"] == min(SCENE)].iloc[0]
    assert not scene["passed"] and "tail of partial followers" in scene["reason"]
    farm_core = cores[cores["passed"]].iloc[0]
    assert farm_core["core_targets"] >= len(FARM_TARGETS)  # the farm's targets (a camouflage account may join)
    ev = flagged["cofollow_evidence"].iloc[0]
    assert f"of the same {int(farm_core['core_targets'])} accounts" in ev and "configuration model" in ev
    assert (flagged["cofollow_score"] > 0.99).all()


def test_nothing_found_is_a_finding(spark):
    e = pd.DataFrame({"follower_id": [1, 2, 3], "followee_id": [2, 3, 1]})
    flagged, cores = cofollow(spark.createDataFrame(e))
    assert flagged.empty and cores.empty


def test_components_on_spark_agree_with_driver(spark, found):
    """Above max_driver_pairs the components are found by label propagation on Spark.
    The driver-side run is the module's (same graph, default config), not a second one."""
    e, cfg, driver, _ = found
    assert cfg == CofollowConfig()
    dist, _ = cofollow(spark.createDataFrame(e), CofollowConfig(max_driver_pairs=0))
    assert set(driver["user_id"]) == set(dist["user_id"]) == set(FARM)


def test_mutual_follow_farm_flagged(spark):
    """Farm members that also follow each other (each other member with probability 0.5)
    would join their own core as targets with near-identical audiences and dilute it (25
    members beside 10 targets: each member then follows ~50% of a 35-account core and
    falls into its tail). They are reciprocal accounts: they leave the core, the farm is
    found as without the mutual follows, and the evidence says the group follows itself."""
    e = _graph(mutual=0.5)
    cfg = CofollowConfig()
    flagged, cores = cofollow(spark.createDataFrame(e), cfg)
    _assert_matches_reference(e, cfg, flagged, cores)
    assert set(flagged["user_id"]) == set(FARM)
    farm_core = cores[cores["passed"]].iloc[0]
    assert farm_core["reciprocal_accounts"] > 0
    assert "follow the core themselves" in flagged["cofollow_evidence"].iloc[0]
    scene = cores[cores["core_id"] == min(SCENE)].iloc[0]
    assert not scene["passed"]
