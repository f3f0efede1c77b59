"""Repost timelines, spikes and maven candidates (seed 001's open question).

* Time series: reposts per track per hour (``hourly_series``).
* Spikes: for every repost at time ``t`` of a track, the reposts in ``(t, t + window]``
  against the track's baseline just before it: the largest of the reposts in
  ``(t - window, t]``, the day before scaled to one window, and the track's lifetime rate
  without the tested window (a burst is never its own baseline) (Poisson upper tail,
  Bonferroni over the track's reposts). A repost "precedes a spike" when that test rejects:
  a burst follows it.
* Onsets: every early member of a burst precedes the rest of it, so a spike is credited to
  the repost that starts it (``spike_onsets``): a preceding repost not inside the window of
  an earlier preceding repost of the same track. A maven leads the crowd; the crowd (the
  fan who reposts a minute after the maven, too) is the spike.
* Maven candidates, per artist: users whose repost starts a spike on at least
  ``min_tracks`` of the artist's tracks. Significance against randomly chosen reposters of
  the same tracks (a permutation test, computed exactly): on each track the user reposted,
  a uniformly random reposter of that track starts a spike with probability ``f_track``
  (the track's onsets over its reposters): the user's count against that Poisson-binomial
  distribution (``count_p_value``, exact), and the summed strength of the spikes it starts
  against the same draws (``p_value``, normal tail of the exact mean and variance), which
  ranks per artist.

Nothing here depends on burst sizes or rates: the window is the analyst's, the baseline
is each track's own, and onsets come from the spike table alone. Pure pandas per artist
(the asset fans artists out over Spark with ``applyInPandas``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm, poisson

HOUR_MS = 3_600_000
MAVEN_COLUMNS = ["artist_id", "user_id", "tracks_reposted", "tracks_preceding_spike", "expected_preceding",
                 "count_p_value", "p_value", "significance", "rank", "evidence"]
SPIKE_COLUMNS = ["artist_id", "track_id", "user_id", "reposted_at_ms", "after", "baseline", "precedes_spike",
                 "log10_p"]


def hourly_series(reposts: pd.DataFrame) -> pd.DataFrame:
    """(artist_id, track_id, hour_ms, reposts) for hours with at least one repost."""
    r = reposts.dropna(subset=["reposted_at_ms"])
    hour = (r["reposted_at_ms"].astype("int64") // HOUR_MS) * HOUR_MS
    return r.assign(hour_ms=hour).groupby(["artist_id", "track_id", "hour_ms"], as_index=False).size().rename(
        columns={"size": "reposts"})


def spikes(reposts: pd.DataFrame, window_ms: int = HOUR_MS, lookback_ms: int = 24 * HOUR_MS,
           alpha: float = 0.01) -> pd.DataFrame:
    """Per timed repost: reposts after it within ``window_ms``, its baseline, and whether a
    spike starts right after it (``precedes_spike``)."""
    r = reposts.dropna(subset=["reposted_at_ms"]).astype({"reposted_at_ms": "int64"})
    parts = []
    for track, g in r.sort_values(["track_id", "reposted_at_ms", "user_id"], kind="stable").groupby("track_id",
                                                                                                   sort=False):
        t = g["reposted_at_ms"].to_numpy()
        n = len(t)
        after = np.searchsorted(t, t + window_ms, side="right") - np.arange(n) - 1
        before_w = np.arange(n) + 1 - np.searchsorted(t, t - window_ms, side="right")
        before_day = np.arange(n) + 1 - np.searchsorted(t, t - lookback_ms, side="right")
        # the track's lifetime rate without the window under test (a burst must not be its own baseline)
        rest_life = np.maximum(float(t[-1] - t[0]) - (np.minimum(t + window_ms, t[-1]) - t), float(window_ms))
        baseline = np.maximum.reduce([before_w.astype(float), before_day * window_ms / lookback_ms,
                                      (n - after) * window_ms / rest_life])
        log_p = poisson.logsf(after - 1, np.maximum(baseline, 1e-9)) / math.log(10)
        parts.append(pd.DataFrame({
            "artist_id": g["artist_id"].to_numpy(), "track_id": track, "user_id": g["user_id"].to_numpy(),
            "reposted_at_ms": t, "after": after, "baseline": baseline,
            "precedes_spike": log_p <= math.log10(alpha / n), "log10_p": log_p,
        }))
    if not parts:
        return pd.DataFrame(columns=SPIKE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[SPIKE_COLUMNS]


def _poisson_binomial_sf(p: np.ndarray, k: int) -> float:
    """P(sum of independent Bernoulli(p_i) >= k), exact (dynamic programming)."""
    dist = np.zeros(len(p) + 1)
    dist[0] = 1.0
    for i, pi in enumerate(p):
        dist[1: i + 2] = dist[1: i + 2] * (1 - pi) + dist[: i + 1] * pi
        dist[0] *= 1 - pi
    return float(min(1.0, dist[k:].sum()))


def spike_onsets(spk: pd.DataFrame) -> pd.Series:
    """Per row of ``spikes``: does this repost START a spike (True), rather than sit inside one?

    A repost precedes a spike when a burst follows it, so every early member of a burst does
    too (the fan who reposts a minute after the maven sees nearly the same burst after it).
    The spike belongs to the repost that starts it: a preceding repost is an onset when no
    earlier preceding repost of the same track has it inside its own window (its ``after``
    reposts). Chained, a burst whose flagged reposts overlap is one spike with one onset; a
    new onset needs a window of its own. Uses only the spike table (no window parameter).
    """
    s = spk.sort_values(["track_id", "reposted_at_ms", "user_id"], kind="stable")
    pos = s.groupby("track_id", sort=False).cumcount().to_numpy()
    reach = pd.Series(np.where(s["precedes_spike"].to_numpy(bool), pos + s["after"].to_numpy(np.int64), -1),
                      index=s.index)  # the last position inside each preceding repost's window
    track = s["track_id"].to_numpy()
    covered = reach.groupby(track, sort=False).cummax().groupby(track, sort=False).shift(1, fill_value=-1).to_numpy()
    onset = s["precedes_spike"].to_numpy(bool) & (covered < pos)
    return pd.Series(onset, index=s.index).reindex(spk.index)


def maven_candidates(spk: pd.DataFrame, min_tracks: int = 2, cap: float = 30.0) -> pd.DataFrame:
    """Per artist, users who START spikes on ``min_tracks``+ tracks, ranked by significance.

    Credit goes to the repost that starts a spike (``spike_onsets``), not to reposts inside
    the burst: a maven leads the crowd, the crowd is the spike. Statistic: the sum over the
    user's tracks of the strength of the spike its repost starts (``min(cap, -log10 p)``, 0
    when it starts none). Null: the same sum for a random reposter of each of those tracks
    (the permutation distribution: on each track a random reposter starts a spike with
    probability ``f`` = onsets / reposters); its mean and variance are exact, the p-value is
    the normal upper tail (a z-score ranks the candidates). ``count_p_value``: the exact
    permutation tail of the number of tracks alone. ``tracks_preceding_spike`` counts the
    tracks on which the user's repost started a spike.
    """
    if spk.empty:
        return pd.DataFrame(columns=MAVEN_COLUMNS)
    onset = spike_onsets(spk)
    s = spk.assign(onset=onset, strength=np.where(onset, np.minimum(cap, -spk["log10_p"]), 0.0))
    per_track = s.groupby("track_id").agg(mu=("strength", "mean"), var=("strength", "var"), f=("onset", "mean"))
    s = s.merge(per_track.astype(float).fillna(0.0), left_on="track_id", right_index=True)
    g = s.groupby(["artist_id", "user_id"]).agg(
        tracks_reposted=("track_id", "size"), tracks_preceding_spike=("onset", "sum"),
        expected_preceding=("f", "sum"), stat=("strength", "sum"), mu=("mu", "sum"), var=("var", "sum"),
    ).reset_index()
    out = g[g["tracks_preceding_spike"] >= min_tracks].copy()
    if out.empty:
        return pd.DataFrame(columns=MAVEN_COLUMNS)
    f_of = s.groupby(["artist_id", "user_id"])["f"].apply(np.asarray)
    out["count_p_value"] = [_poisson_binomial_sf(f_of.loc[(a, u)], int(k)) for a, u, k in
                            zip(out["artist_id"], out["user_id"], out["tracks_preceding_spike"], strict=True)]
    z = (out["stat"] - out["mu"]) / np.sqrt(np.maximum(out["var"], 1e-12))
    out["significance"] = z
    out["p_value"] = norm.sf(z)
    out = out.sort_values(["artist_id", "significance", "user_id"], ascending=[True, False, True])
    out["rank"] = out.groupby("artist_id").cumcount() + 1
    out["evidence"] = [
        f"repost started a spike on {r.tracks_preceding_spike} of {r.tracks_reposted} tracks (random reposters of "
        f"the same tracks: {r.expected_preceding:.1f}); spike strength z = {r.significance:.1f}, p = {r.p_value:.1e}"
        for r in out.itertuples()
    ]
    return out[MAVEN_COLUMNS].reset_index(drop=True)
