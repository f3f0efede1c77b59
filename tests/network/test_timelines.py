"""Repost spikes and maven candidates on synthetic timelines; the exact permutation tail."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from assets.network.timelines import _poisson_binomial_sf, hourly_series, maven_candidates, spikes

H = 3_600_000


def _track(rng, track: int, maven: int | None, uid0: int) -> list[tuple]:
    """60 background reposts over 60 days; a maven's repost followed by 40 within 20 min."""
    rows = [(track, uid0 + i, int(rng.uniform(0, 60 * 24) * H)) for i in range(60)]
    if maven is not None:
        t = int(rng.uniform(5, 50) * 24 * H)
        rows.append((track, maven, t))
        rows += [(track, uid0 + 100 + i, t + int(rng.exponential(600_000))) for i in range(40)]
    return rows


def test_maven_ranks_first():
    rng = np.random.default_rng(0)
    rows = []
    for k in range(6):
        rows += _track(rng, k, 7 if k < 4 else None, 10_000 * (k + 1))
    rows += [(k, 8, int(rng.uniform(0, 60 * 24) * H)) for k in range(6)]  # a regular fan of every track
    r = pd.DataFrame(rows, columns=["track_id", "user_id", "reposted_at_ms"]).assign(artist_id=1)
    s = spikes(r, window_ms=900_000)
    assert s[(s["user_id"] == 7)]["precedes_spike"].all()
    assert s["precedes_spike"].mean() < 0.1
    m = maven_candidates(s)
    top = m[m["rank"] == 1].iloc[0]
    assert top["user_id"] == 7 and top["tracks_preceding_spike"] == 4 and top["p_value"] < 1e-3
    assert 8 not in set(m["user_id"])
    series = hourly_series(r)
    assert series["reposts"].sum() == len(r)


def test_poisson_binomial_tail_equals_enumeration():
    p = np.array([0.1, 0.5, 0.25, 0.9, 0.3])
    for k in range(len(p) + 1):
        brute = sum(np.prod([pi if b else 1 - pi for pi, b in zip(p, bits, strict=True)])
                    for bits in itertools.product([0, 1], repeat=len(p)) if sum(bits) >= k)
        assert abs(_poisson_binomial_sf(p, k) - brute) < 1e-12


def test_count_p_value_is_the_exact_permutation_tail():
    rng = np.random.default_rng(1)
    rows = []
    for k in range(5):
        rows += _track(rng, k, 7, 10_000 * (k + 1))
    s = spikes(pd.DataFrame(rows, columns=["track_id", "user_id", "reposted_at_ms"]).assign(artist_id=1), 900_000)
    m = maven_candidates(s).set_index("user_id")
    f = s.groupby("track_id")["precedes_spike"].mean().to_numpy()
    assert abs(m.loc[7, "count_p_value"] - _poisson_binomial_sf(f, 5)) < 1e-15
