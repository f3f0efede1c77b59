"""Stream fraud detectors on hand-made play logs: each detector fires on the pattern it tests and
stays quiet on the honest pattern beside it; p-values match scipy computed on the driver."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from assets.streams.behaviour import no_rest, shared_device, threshold_skim
from assets.streams.blocks import dense_block
from assets.streams.config import StreamConfig
from assets.streams.detect import DETECTORS, stream_accounts

T0 = pd.Timestamp("2024-02-01", tz="UTC")


def _frame(spark, rows):
    df = pd.DataFrame(rows, columns=["user_id", "track_id", "played_at", "ms_played", "device_id", "ip_prefix"])
    df["played_at"] = df["played_at"].astype("datetime64[ms, UTC]")
    return spark.createDataFrame(df)


def _honest(r, users, days=3, per_day=30, tracks=400):
    rows = []
    for u in users:
        for d in range(days):
            t = T0 + dt.timedelta(days=d, hours=int(r.integers(8, 20)))
            for _ in range(per_day):
                ms = int(min(200_000, r.exponential(40_000))) if r.random() < 0.4 else 200_000
                rows.append((u, f"T{int(r.integers(tracks))}", t, ms, f"dev{u}", "isp1"))
                t += dt.timedelta(milliseconds=ms + 2000)
    return rows


def test_threshold_skim_matches_binomial_and_spares_skippers(spark):
    r = np.random.default_rng(1)
    rows = _honest(r, range(1, 41))
    for d in range(3):  # the bot: every play ends 30.5-33 s
        for i in range(40):
            rows.append((999, f"T{i}", T0 + dt.timedelta(days=d, minutes=i), int(r.uniform(30_500, 33_000)), "b", "x"))
    plays = _frame(spark, rows)
    cfg = StreamConfig()
    out, fig = threshold_skim(plays, cfg)
    o = out.toPandas().set_index("user_id")
    assert bool(o.loc[999, "threshold_skim_flagged"])
    assert o.drop(999)["threshold_skim_flagged"].sum() == 0
    # the bot's p-value is the binomial tail computed by hand, Bonferroni over the tested accounts
    expect = min(0.0, binom.logsf(119, 120, fig["threshold_skim_p0"]) / math.log(10) + math.log10(fig["threshold_skim_tested"]))
    assert o.loc[999, "threshold_skim_score"] == pytest.approx(1 - 10 ** expect)
    assert "120 of its 120 plays" in o.loc[999, "threshold_skim_evidence"]


def test_no_rest_flags_round_the_clock_not_night_listening(spark):
    r = np.random.default_rng(2)
    rows = _honest(r, range(1, 31), days=5)
    for d in range(5):
        for h in range(24):  # bot: every hour of every day
            rows.append((777, f"T{h}", T0 + dt.timedelta(days=d, hours=h, minutes=5), 60_000, "b", "x"))
        for h in list(range(0, 8)) + [18, 19]:  # sleeper: all night and an evening, rests by day
            rows.append((778, f"S{h}", T0 + dt.timedelta(days=d, hours=h, minutes=5), 300_000, "s", "y"))
    out, _ = no_rest(_frame(spark, rows), StreamConfig())
    o = out.toPandas().set_index("user_id")
    assert bool(o.loc[777, "no_rest_flagged"])
    assert 778 not in o.index or not bool(o.loc[778, "no_rest_flagged"])


def test_shared_device_households_vs_farm(spark):
    r = np.random.default_rng(3)
    rows = _honest(r, range(1, 301), days=1, per_day=2)
    df = pd.DataFrame(rows, columns=["user_id", "track_id", "played_at", "ms_played", "device_id", "ip_prefix"])
    # households: 40 devices of 2, 15 of 3, 6 of 4, one of 5
    hh = iter(range(1, 301))
    for size, count in ((2, 40), (3, 15), (4, 6), (5, 1)):
        for k in range(count):
            members = [next(hh) for _ in range(size)]
            df.loc[df["user_id"].isin(members), "device_id"] = f"home{size}-{k}"
    farm = [(5000 + i, "T1", T0, 200_000, "phone-1", "proxy") for i in range(25)]
    df = pd.concat([df, pd.DataFrame(farm, columns=df.columns)], ignore_index=True)
    out, fig = shared_device(_frame(spark, df.itertuples(index=False)), StreamConfig())
    o = out.toPandas().set_index("user_id")
    assert o.loc[list(range(5000, 5025)), "shared_device_flagged"].all()
    assert o.drop(list(range(5000, 5025)))["shared_device_flagged"].sum() == 0
    assert fig["shared_device_theta"] == pytest.approx((15 + 6) / (40 + 15))


def test_dense_block_twins_not_a_one_off_push(spark):
    r = np.random.default_rng(4)
    rows = _honest(r, range(1, 201), days=3, per_day=20, tracks=80)
    pool = [f"P{i}" for i in range(40)]
    for b in range(100, 160):  # 60 swarm accounts, same 40 tracks every day
        for d in range(3):
            for i in r.choice(40, 30, replace=False):
                rows.append((10_000 + b, pool[i], T0 + dt.timedelta(days=d, minutes=int(r.integers(1440))), 180_000,
                             f"s{b}", "x"))
    push = [f"Q{i}" for i in range(25)]
    for u in range(1, 81):  # a push: 80 listeners start the same playlist once
        for i, t in enumerate(push):
            rows.append((u, t, T0 + dt.timedelta(days=1, hours=12, minutes=i * 3), 180_000, f"dev{u}", "isp1"))
    cfg = StreamConfig(block_pivot_share=0.3)
    out, _ = dense_block(_frame(spark, rows), cfg)
    o = out.toPandas().set_index("user_id")
    swarm = [10_000 + b for b in range(100, 160)]
    assert o.reindex(swarm)["dense_block_flagged"].fillna(False).mean() >= 0.9
    assert o.drop(swarm, errors="ignore")["dense_block_flagged"].sum() == 0


def test_stream_accounts_contract(spark):
    r = np.random.default_rng(5)
    rows = _honest(r, range(1, 21), days=2, per_day=10)
    rows += [(999, f"T{i}", T0 + dt.timedelta(minutes=i), 31_000, "b", "x") for i in range(60)]
    acc = stream_accounts(_frame(spark, rows))
    assert acc.columns[:7] == ["user_id", "suspicion", "flagged", "detectors", "evidence", "plays", "royalty_plays"]
    assert [c for c in acc.columns[7:]] == [f"{d}_score" for d in DETECTORS]
    p = acc.toPandas().set_index("user_id")
    assert len(p) == 21 and p.loc[999, "plays"] == 60 and p.loc[999, "royalty_plays"] == 60
    assert bool(p.loc[999, "flagged"]) and "threshold_skim" in list(p.loc[999, "detectors"])
    assert p.loc[999, "evidence"].startswith("threshold_skim:")
    assert p.drop(999)["flagged"].sum() == 0 and (p["suspicion"].between(0, 1)).all()


@pytest.mark.integration  # the whole detection chain (about 20 Spark stages): 30-40 s
def test_a_block_flags_only_with_machine_flagged_members(spark):
    """Two blocks of the same shape (60 accounts each on its own 40 tracks, every day): a swarm
    where 8 accounts also skim the royalty line, and loopers of one playlist with nothing else
    odd. The swarm's block is corroborated and all of it flagged; the loopers' is not."""
    r = np.random.default_rng(6)
    rows = _honest(r, range(1, 201), days=3, per_day=20, tracks=80)
    for b in range(60):
        for d in range(3):
            for i in r.choice(40, 30, replace=False):
                ms = int(r.uniform(30_500, 33_000)) if b < 8 else 180_000
                rows.append((10_000 + b, f"P{i}", T0 + dt.timedelta(days=d, minutes=int(r.integers(1440))), ms,
                             f"s{b}", "x"))
                rows.append((20_000 + b, f"S{i}", T0 + dt.timedelta(days=d, hours=22, minutes=int(r.integers(400))),
                             300_000, f"l{b}", f"isp{b}"))
    cfg = StreamConfig(block_pivot_share=0.3)
    p = stream_accounts(_frame(spark, rows), cfg).toPandas().set_index("user_id")
    swarm, loopers = [10_000 + b for b in range(60)], [20_000 + b for b in range(60)]
    assert p.loc[swarm, "flagged"].mean() >= 0.9
    assert p.loc[[10_000 + b for b in range(8, 60)], "detectors"].apply(lambda d: "dense_block" in d).mean() >= 0.9
    assert "machine behaviour" in p.loc[10_050, "evidence"]
    assert p.loc[loopers, "flagged"].sum() == 0 and p.drop(swarm + loopers)["flagged"].sum() == 0
