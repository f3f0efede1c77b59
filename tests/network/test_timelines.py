"""Repost spikes and maven candidates on synthetic timelines; the exact permutation tail."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy.stats import poisson

from assets.network.timelines import (
    _poisson_binomial_sf,
    hourly_series,
    maven_candidates,
    spike_onsets,
    spikes,
)

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
    # the null: on each track a random reposter starts a spike with probability onsets / reposters
    f = s.assign(onset=spike_onsets(s)).groupby("track_id")["onset"].mean().to_numpy()
    assert (f > 0).all() and (f < s.groupby("track_id")["precedes_spike"].mean().to_numpy()).all()
    assert abs(m.loc[7, "count_p_value"] - _poisson_binomial_sf(f, 5)) < 1e-15
    assert abs(m.loc[7, "count_p_value"] - np.prod(f)) < 1e-15  # all 5 of 5 tracks: the product


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["track_id", "user_id", "reposted_at_ms"]).assign(artist_id=1)


def _led_track(rng, track: int, uid0: int, start: int, burst: int = 80) -> list[tuple]:
    """Quiet background over 60 days, then the maven (9) at ``start``, fan 8 one second
    later, and a burst of ``burst`` reposts within ~10 minutes after them."""
    rows = [(track, uid0 + i, int(rng.uniform(0, 60 * 24) * H)) for i in range(40)]
    rows += [(track, 9, start), (track, 8, start + 1_000)]
    rows += [(track, uid0 + 100 + i, start + 2_000 + int(rng.exponential(300_000))) for i in range(burst)]
    return rows


def test_the_repost_that_starts_the_burst_outranks_the_fan_right_after_it():
    """The tie of the old statistic: on both tracks a fan reposts a second after the maven,
    so a burst follows its repost too (both "precede the spike", both at the capped spike
    strength: a tie the user-id order broke in the fan's favour). Only the maven starts it."""
    rng = np.random.default_rng(2)
    rows = _led_track(rng, 1, 10_000, 20 * 24 * H) + _led_track(rng, 2, 20_000, 35 * 24 * H)
    s = spikes(_frame(rows), window_ms=900_000)
    both = s[s["user_id"].isin([9, 8])]
    assert both["precedes_spike"].all()  # both are followed by the burst ...
    onset = spike_onsets(s)
    assert set(s.loc[onset, "user_id"]) == {9}  # ... but only the maven starts it
    assert onset.sum() == 2  # one spike per track, started once
    m = maven_candidates(s).set_index("user_id")
    assert m.loc[9, "rank"] == 1 and m.loc[9, "tracks_preceding_spike"] == 2
    assert 8 not in m.index or m.loc[8, "rank"] > m.loc[9, "rank"]
    # the fan and the burst members (inside the maven's spike) are no candidates at all
    assert set(m.index) == {9}


def test_spike_onsets_equal_the_brute_force_definition():
    """An onset: a repost preceding a spike with no earlier preceding repost of the same
    track within one window before it (overlapping spikes chain into one)."""
    rng = np.random.default_rng(3)
    rows = []
    for k in range(8):  # background, a few bursts of random size, some overlapping
        rows += [(k, 1_000 * k + i, int(rng.uniform(0, 10 * 24) * H)) for i in range(int(rng.integers(5, 80)))]
        for b in range(int(rng.integers(0, 4))):
            t0 = int(rng.uniform(0, 10 * 24) * H)
            rows += [(k, 100_000 + 1_000 * k + 100 * b + i, t0 + int(rng.exponential(rng.choice([300_000, 1_800_000]))))
                     for i in range(int(rng.integers(3, 40)))]
    w = 900_000
    s = spikes(_frame(rows), window_ms=w)
    assert s.groupby("track_id")["reposted_at_ms"].apply(lambda t: t.is_unique).all()
    onset = spike_onsets(s)
    brute = []
    for r in s.itertuples():
        earlier = s[(s["track_id"] == r.track_id) & s["precedes_spike"] & (s["reposted_at_ms"] < r.reposted_at_ms)
                    & (s["reposted_at_ms"] >= r.reposted_at_ms - w)]
        brute.append(bool(r.precedes_spike) and earlier.empty)
    assert onset.tolist() == brute
    assert 0 < onset.sum() < s["precedes_spike"].sum()


def test_a_burst_is_not_its_own_baseline():
    """A track crawled an hour after a maven's repost: its whole timed history is that burst
    (delays ~20 min, cut at the crawl). The track's lifetime rate counting the burst would
    hide it; the rate without the tested window does not. A steady track of the same size
    and span has no spike."""
    rng = np.random.default_rng(1)
    start, w = 10 * 24 * H, 900_000
    d = rng.exponential(1_200_000, 60)
    burst = [(1, 7, start)] + [(1, 100 + i, start + int(x)) for i, x in enumerate(d[d < H])]
    steady = [(2, 200 + i, start + int(x)) for i, x in enumerate(np.linspace(0, H, len(burst)))]
    s = spikes(_frame(burst + steady), window_ms=w)
    first = s[s["track_id"] == 1].sort_values("reposted_at_ms").iloc[0]
    assert first["user_id"] == 7 and first["precedes_spike"]
    assert not s.loc[s["track_id"] == 2, "precedes_spike"].any()
    # the baseline: reposts outside the tested window over the rest of the span
    t = np.sort(s.loc[s["track_id"] == 1, "reposted_at_ms"].to_numpy())
    n, after = len(t), int(((t > t[0]) & (t <= t[0] + w)).sum())
    assert first["after"] == after
    assert abs(first["baseline"] - max(1.0, (n - after) * w / max(t[-1] - t[0] - w, w))) < 1e-12
    # the inclusive lifetime rate (the burst inside its own baseline) would not reject at the same level
    inclusive = n * w / max(t[-1] - t[0], w)
    assert poisson.logsf(after - 1, inclusive) > math.log(0.01 / n) > poisson.logsf(after - 1, first["baseline"])
