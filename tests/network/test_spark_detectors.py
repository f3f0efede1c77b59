"""Scenario: the bot detectors run on Spark (nothing collected whole) and must give what the
pandas references give on inputs both can hold: multi-follow exactly, lockstep exactly on
exact times (same accounts, p-values to 1e-9, evidence), lockstep pair mining with
interval-censored times and salted hot cells equal to a brute-force search, and the
dense-block co-follow test exactly on the same blocks.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from assets.network.blocks import (
    SUMMARY_SCHEMA,
    BlockConfig,
    _members_df,
    cofollow_test,
    cofollow_test_spark,
)
from assets.network.fraudar import fraudar
from assets.network.lockstep import (
    LockstepConfig,
    _pairs_spark,
    _timed_events,
    lockstep,
    lockstep_spark,
)
from assets.network.multifollow import multi_follow, multi_follow_spark
from tests.network.test_fraudar import plant
from tests.network.test_lockstep import _scene


def test_multi_follow_spark_equals_pandas(spark):
    rng = np.random.default_rng(0)
    n = 400
    edges = pd.DataFrame({"follower_id": rng.integers(1, 30, n), "followee_id": rng.integers(100, 130, n)})
    edges = edges.drop_duplicates(["follower_id", "followee_id"]).reset_index(drop=True)
    edges["multiplicity"] = np.where(rng.random(len(edges)) < 0.3, rng.integers(2, 6, len(edges)), 1)
    want = multi_follow(edges).sort_values("user_id").reset_index(drop=True)
    got = multi_follow_spark(spark.createDataFrame(edges)).toPandas().sort_values("user_id").reset_index(drop=True)
    assert len(want) > 10 and (want["repeated_targets"] > 3).any()
    pd.testing.assert_frame_equal(got, want.astype(got.dtypes.to_dict()), check_dtype=False)


def test_lockstep_spark_equals_pandas_on_exact_times(spark):
    """Farm inside a release-day burst (the null at work) at two scales: same rows as pandas."""
    ev, who = _scene(np.random.default_rng(1), farm_at_release=True)
    cfg = LockstepConfig(scales_s=(600, 3600))
    want = lockstep(ev, cfg).set_index("user_id").sort_index()
    got = lockstep_spark(spark.createDataFrame(ev), cfg).toPandas().set_index("user_id").sort_index()
    assert list(got.index) == list(want.index) and set(got.index[got["lockstep_flagged"]]) == who["farm"]
    for c in ("targets_synced", "targets_tested", "group_size", "lockstep_scale_s", "lockstep_flagged"):
        assert (got[c] == want[c]).all(), c
    assert np.allclose(got["log10_p_adjusted"], want["log10_p_adjusted"], rtol=0, atol=1e-9)
    assert (got["lockstep_evidence"] == want["lockstep_evidence"]).all()
    assert got["lockstep_group"].str.fullmatch(r"lockstep-(600|3600)s-1").all()  # named by the smallest member


def _brute_pairs(ev: pd.DataFrame, delta: int, min_targets: int) -> set[tuple[int, int]]:
    """Pairs whose intervals on >= min_targets targets fit together in delta (interval rule)."""
    ev = ev[ev["hi"] - ev["lo"] <= delta]
    shared: dict[tuple[int, int], set] = {}
    rows = list(ev.itertuples())
    for a, b in itertools.combinations(rows, 2):
        if a.target == b.target and a.user_id != b.user_id and max(a.hi, b.hi) - min(a.lo, b.lo) <= delta:
            shared.setdefault((min(a.user_id, b.user_id), max(a.user_id, b.user_id)), set()).add(a.target)
    return {p for p, s in shared.items() if len(s) >= min_targets}


def test_interval_pairs_equal_brute_force_with_salted_hot_cells(spark):
    rng = np.random.default_rng(3)
    n = 500
    lo = rng.integers(0, 40_000, n)
    width = np.where(rng.random(n) < 0.5, 0, rng.integers(0, 3_000, n))  # half exact, half censored
    raw = pd.DataFrame({"user_id": rng.integers(0, 40, n), "target": rng.integers(0, 6, n),
                        "t_min_ms": lo, "t_max_ms": lo + width})
    ev_df = _timed_events(spark.createDataFrame(raw)).cache()
    ev = ev_df.toPandas()
    assert len(ev) < len(raw)  # repeated (user, target): the earliest interval is kept
    want = _brute_pairs(ev, 2_000, 2)
    cfg = LockstepConfig(min_targets=2)
    plain = {tuple(r) for r in _pairs_spark(ev_df, 2_000, cfg).toPandas().to_numpy()}
    salted = {tuple(r) for r in _pairs_spark(ev_df, 2_000, LockstepConfig(min_targets=2, salt_above=3)).toPandas().to_numpy()}
    assert len(want) > 20 and plain == want and salted == want


def test_interval_farm_flagged_wide_intervals_not_used(spark):
    """A farm known only by 2-minute intervals is flagged; the same farm known by day-wide
    intervals is not timed at a 10-minute scale (its intervals are left out)."""
    ev, who = _scene(np.random.default_rng(5))
    farm = ev["user_id"].isin(who["farm"])
    narrow = ev.assign(t_min_ms=ev["t_ms"] - np.where(farm, 60_000, 0), t_max_ms=ev["t_ms"] + np.where(farm, 60_000, 0))
    cfg = LockstepConfig(scales_s=(600,))
    res = lockstep_spark(spark.createDataFrame(narrow[["user_id", "target", "t_min_ms", "t_max_ms"]]), cfg).toPandas()
    assert set(res.loc[res["lockstep_flagged"], "user_id"]) == who["farm"]
    wide = narrow.assign(t_min_ms=np.where(farm, narrow["t_ms"] - 43_200_000, narrow["t_min_ms"]),
                         t_max_ms=np.where(farm, narrow["t_ms"] + 43_200_000, narrow["t_max_ms"]))
    res = lockstep_spark(spark.createDataFrame(wide[["user_id", "target", "t_min_ms", "t_max_ms"]]), cfg).toPandas()
    assert not res["user_id"].isin(who["farm"]).any()


def test_cofollow_test_spark_equals_pandas(spark):
    rng = np.random.default_rng(5)
    s, d, bots, _ = plant(rng, n_users=400, n_artists=150, m=2500, bots=20, targets=15, camouflage=10)
    pairs = np.unique(np.stack([s, d], 1), axis=0)
    found = fraudar(s, d, blocks=2, min_rows=3)
    cfg = BlockConfig(blocks=2)
    want = cofollow_test(found, pairs[:, 0], pairs[:, 1], cfg).set_index("user_id").sort_index()
    summary = spark.createDataFrame([(i, len(b.rows), len(b.cols), float(b.score)) for i, b in enumerate(found)],
                                    SUMMARY_SCHEMA)
    edges = spark.createDataFrame(pd.DataFrame({"follower_id": s, "followee_id": d}))  # duplicates count once
    got = cofollow_test_spark(edges, _members_df(spark, found), summary, cfg).toPandas().set_index("user_id").sort_index()
    assert list(got.index) == list(want.index) and set(bots) <= set(got.index[got["block_flagged"]])
    has = got["partner_id"].notna()
    assert has.mean() > 0.9
    for c in ("block_id", "block_rows", "block_cols", "block_flagged"):
        assert (got[c] == want[c]).all(), c
    assert (got.loc[has, "partner_id"] == want.loc[has, "partner_id"]).all()
    assert (got.loc[has, "shared"] == want.loc[has, "shared"]).all()
    for c in ("expected_shared", "log10_p_adjusted"):
        assert np.allclose(got.loc[has, c], want.loc[has, c], rtol=1e-9, atol=1e-12), c
    assert got["block_density"].to_numpy() == pytest.approx(want["block_density"].to_numpy(), rel=1e-12)
