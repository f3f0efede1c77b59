"""Lockstep co-listening on a hand-made play log: a scripted group in step on several days is
flagged; the look-alikes beside it are not: a playlist push that starts 60 listeners on the
same tracks at the same minute (one day), a sleep playlist 30 people loop every night from
their own bedtimes (across midnight), and ordinary listeners. Pair figures equal a brute-force count over all
pairs of plays; the p-value is the binomial tail computed on the driver. Accounts looping one
short playlist all night (tracks of one length, so a pair that meets stays in phase for the
night) meet within seconds by chance, on several tracks and nights: the pair's expected co-play
hours (equal to a count by plain Python) explain it, and none is flagged."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from assets.streams.config import StreamConfig
from assets.streams.lockstep import lockstep, lockstep_pairs, pair_expectation

T0 = pd.Timestamp("2024-02-01", tz="UTC")
FARM = range(900, 912)
PUSH = range(500, 560)
SLEEP = range(600, 630)


def _frame(spark, rows):
    df = pd.DataFrame(rows, columns=["user_id", "track_id", "played_at", "ms_played"])
    df["played_at"] = df["played_at"].astype("datetime64[ms, UTC]")
    return spark.createDataFrame(df)


def _log(seed=7):
    r = np.random.default_rng(seed)
    rows = []
    for u in range(1, 121):  # ordinary listeners: own hours, popular tracks shared
        for d in range(4):
            t = T0 + dt.timedelta(days=d, hours=int(r.integers(7, 22)), seconds=int(r.integers(3600)))
            for _ in range(20):
                ms = int(r.choice([12_000, 95_000, 200_000]))
                rows.append((u, f"T{int(r.zipf(1.6)) % 300}", t, ms))
                t += dt.timedelta(milliseconds=ms + 1500)
    for d in range(3):  # the farm: a script starts the same 10 tracks for 12 accounts, every day
        start = T0 + dt.timedelta(days=d, hours=3)
        for i in range(10):
            for u in FARM:
                rows.append((u, f"F{i}", start + dt.timedelta(seconds=i * 40 + int(r.integers(0, 8))), 35_000))
    start = T0 + dt.timedelta(days=1, hours=18)  # a playlist push: 60 listeners start it at once, once
    for u in PUSH:
        for i in range(12):
            rows.append((u, f"P{i}", start + dt.timedelta(seconds=i * 180 + int(r.integers(0, 5))), 180_000))
    for u in SLEEP:  # a sleep playlist looped every night, from each listener's own bedtime
        for d in range(4):
            t = T0 + dt.timedelta(days=d, hours=22, seconds=int(r.integers(0, 7200)))
            for i in range(30):
                rows.append((u, f"S{i % 10}", t, 240_000))
                t += dt.timedelta(seconds=240)
    return rows


def _brute_pairs(rows, cfg, pivots):
    """Every pair of royalty plays of one track, by plain Python."""
    plays = [(u, t, ts.timestamp()) for u, t, ts, ms in rows if ms >= cfg.min_royalty_ms]
    by_track = {}
    for u, t, ts in plays:
        by_track.setdefault(t, []).append((u, ts))
    out = {}
    for t, ps in by_track.items():
        for (u, a), (v, b) in itertools.product(ps, ps):
            if u != v and v in pivots and abs(a - b) <= cfg.lockstep_window_s:
                tr, times = out.setdefault((u, v), (set(), []))
                tr.add(t)
                times.append(a)
    return {k: (len(a), round((max(b) - min(b)) / 3600, 6)) for k, (a, b) in out.items()}


def test_lockstep_pairs_equal_brute_force(spark):
    rows = _log()
    cfg = StreamConfig(lockstep_pivot_share=0.3)
    got = lockstep_pairs(_frame(spark, rows), cfg).toPandas()
    pivots = set(got["v"])
    assert len(pivots) > 10
    # every pivot candidate that played anything is in the sample by its hash only
    want = _brute_pairs(rows, cfg, pivots)
    assert {(int(a.user_id), int(a.v)): (int(a.tracks), round(a.span_h, 6)) for a in got.itertuples()} == want


def test_lockstep_flags_the_script_not_pushes_sleepers_or_listeners(spark):
    rows = _log()
    cfg = StreamConfig(lockstep_pivot_share=1.0)  # small log: every account is a pivot
    out, fig = lockstep(_frame(spark, rows), cfg)
    o = out.toPandas().set_index("user_id")
    flagged = set(o.index[o["lockstep_flagged"]])
    assert flagged == set(FARM)
    assert not flagged & (set(PUSH) | set(SLEEP))
    # the p-value of a farm account: 11 partners in step out of the n it co-plays with
    u = FARM[0]
    n = int(o.loc[u, "lockstep_evidence"].split(" of the ")[1].split(" ")[0])
    expect = min(0.0, binom.logsf(10, n, fig["lockstep_rate"]) / math.log(10) + math.log10(fig["lockstep_tested"]))
    assert o.loc[u, "lockstep_score"] == pytest.approx(1 - 10 ** expect)
    assert "in step with 11 of the" in o.loc[u, "lockstep_evidence"] and "over up to 48 hours" in o.loc[u, "lockstep_evidence"]


def test_lockstep_finds_nothing_in_honest_listening(spark):
    rows = [r for r in _log() if r[0] not in FARM]
    out, fig = lockstep(_frame(spark, rows), StreamConfig(lockstep_pivot_share=1.0))
    assert out.where("lockstep_flagged").count() == 0
    assert fig["lockstep_tested"] > 100  # the push and shared popular tracks are tested, and pass


LOOP = range(700, 712)


def _loopers(seed=5):
    """12 accounts loop 4 tracks of 4 minutes in shuffle, 6 hours a night from their own bedtimes
    (all tracks of one length: two loopers whose bedtimes differ by a multiple of 4 minutes, within
    seconds, co-play whenever shuffle picks the same track)."""
    r = np.random.default_rng(seed)
    rows = []
    for u in LOOP:
        for d in range(3):
            t = T0 + dt.timedelta(days=d, hours=22, seconds=int(r.integers(0, 3600)))
            for _ in range(90):
                rows.append((u, f"L{int(r.integers(4))}", t, 240_000))
                t += dt.timedelta(seconds=240)
    return rows


def _brute_expectation(rows, cfg, pairs):
    w = cfg.lockstep_window_s
    cells = {}
    for u, t, ts, ms in rows:
        if ms >= cfg.min_royalty_ms:
            cells.setdefault((u, t, math.floor(ts.timestamp() / 3600)), []).append(ts)
    out = {}
    for u, v in pairs:
        lam = {}
        for (uu, t, h), ps in cells.items():
            if uu == u:
                near = sum(len(cells.get((v, t, h + d), [])) for d in (-1, 0, 1))
                if near:
                    lam[h] = lam.get(h, 0.0) + len(ps) * (1 - math.exp(-2 * w * near / 10800))
        out[(u, v)] = sum(1 - math.exp(-x) for x in lam.values())
    return out


def test_shuffled_loopers_meet_by_chance_and_are_not_flagged(spark):
    rows = _log() + _loopers()
    cfg = StreamConfig(lockstep_pivot_share=1.0)
    plays = _frame(spark, rows)
    pairs = lockstep_pairs(plays, cfg).toPandas()
    shape = pairs[(pairs["tracks"] >= cfg.lockstep_min_tracks) & (pairs["span_h"] >= cfg.lockstep_min_span_hours)]
    loop = shape[shape["user_id"].isin(LOOP) & shape["v"].isin(LOOP)]
    assert len(loop) >= 10  # by shape alone (the null before) these pairs were in step
    got = pair_expectation(plays, plays.sparkSession.createDataFrame(shape[["user_id", "v"]]), cfg).toPandas()
    want = _brute_expectation(rows, cfg, list(zip(shape["user_id"], shape["v"], strict=True)))
    assert {(int(a.user_id), int(a.v)): round(a.expected, 9) for a in got.itertuples()} == \
        {k: round(x, 9) for k, x in want.items()}
    e = loop.merge(got, on=["user_id", "v"])
    assert (e["hours"] <= 2 * e["expected"]).all()  # chance explains them
    out, _ = lockstep(plays, cfg)
    o = out.toPandas().set_index("user_id")
    flagged = set(o.index[o["lockstep_flagged"]])
    assert flagged == set(FARM)  # the script stays far beyond chance beside them
    assert "clock hours where independent listening would give" in o.loc[FARM[0], "lockstep_evidence"]
