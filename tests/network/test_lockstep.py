"""Lockstep detector: farms found at quiet moments, release-day fans and heavy fans spared,
candidate pairs equal a brute-force search, the null keeps each target's activity."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from assets.network.lockstep import LockstepConfig, _candidate_pairs, lockstep, target_key

DAY = 86_400_000
T0 = 1_600_000_000_000


def _scene(rng: np.random.Generator, farm_at_release: bool = False) -> tuple[pd.DataFrame, dict]:
    """60 targets with 40 ordinary followers each over two years; a farm of 8 follows 5
    targets within 5 minutes; 300 fans follow target 0 within an hour of its release;
    20 heavy fans follow 40 targets at ordinary times."""
    rows = []
    uid = itertools.count(1000)
    for x in range(60):
        for _ in range(40):
            rows.append((next(uid), x, T0 + int(rng.uniform(0, 730) * DAY)))
    release = T0 + 400 * DAY
    fans = [next(uid) for _ in range(300)]
    rows += [(f, 0, release + int(rng.uniform(0, 3_600_000))) for f in fans]
    heavy = [next(uid) for _ in range(20)]
    for h in heavy:
        rows += [(h, int(x), T0 + int(rng.uniform(0, 730) * DAY)) for x in rng.choice(60, 40, replace=False)]
    farm = list(range(1, 9))
    targets = [0, 11, 12, 13, 14] if farm_at_release else [21, 22, 23, 24, 25]
    for i, x in enumerate(targets):
        moment = release if farm_at_release and x == 0 else T0 + (100 + 37 * i) * DAY
        rows += [(m, x, moment + int(rng.uniform(0, 300_000))) for m in farm]
    ev = pd.DataFrame(rows, columns=["user_id", "x", "t_ms"])
    ev["target"] = target_key(ev["x"], "follow")
    return ev[["user_id", "target", "t_ms"]], {"farm": set(farm), "fans": set(fans), "heavy": set(heavy)}


def test_farm_flagged_fans_and_heavy_fans_not():
    ev, who = _scene(np.random.default_rng(1))
    res = lockstep(ev)
    flagged = set(res.loc[res["lockstep_flagged"], "user_id"])
    assert flagged == who["farm"]
    row = res[res["user_id"] == 1].iloc[0]
    assert row["targets_synced"] == 5 and row["group_size"] == 8 and "within" in row["lockstep_evidence"]


def test_null_keeps_target_activity():
    """The same farm acting inside a release-day burst of real fans is weaker evidence."""
    quiet = lockstep(_scene(np.random.default_rng(2))[0])
    burst = lockstep(_scene(np.random.default_rng(2), farm_at_release=True)[0])
    q = quiet.set_index("user_id").loc[1, "log10_p_adjusted"]
    b = burst.set_index("user_id").loc[1, "log10_p_adjusted"]
    assert b > q + 1


def test_candidate_pairs_equal_brute_force():
    rng = np.random.default_rng(3)
    n = 400
    user = rng.integers(0, 40, n)
    tgt = rng.integers(0, 8, n)
    t = rng.integers(0, 50_000, n)
    cfg = LockstepConfig(min_targets=2)
    got = {tuple(p) for p in _candidate_pairs(user, tgt, t, 2_000, cfg)}
    shared: dict[tuple[int, int], set] = {}
    for i, j in itertools.combinations(range(n), 2):
        if tgt[i] == tgt[j] and abs(int(t[i]) - int(t[j])) <= 2_000 and user[i] != user[j]:
            shared.setdefault((min(user[i], user[j]), max(user[i], user[j])), set()).add(tgt[i])
    assert got == {p for p, s in shared.items() if len(s) >= 2}


def test_no_times_no_groups():
    ev = pd.DataFrame({"user_id": [1, 2, 3], "target": [2, 2, 2], "t_ms": [None, None, None]})
    assert lockstep(ev).empty


def test_memory_guard_keeps_the_quiet_windows():
    ev, who = _scene(np.random.default_rng(4))
    res = lockstep(ev, LockstepConfig(max_pairs=20_000))  # the release-day burst alone has ~45k pairs
    assert set(res.loc[res["lockstep_flagged"], "user_id"]) == who["farm"]
