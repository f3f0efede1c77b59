"""Scenario: the network report's farm section. ``farm_follows`` picks the largest farms of
flagged accounts (grouped by their detector group) and their shared targets from a small
follow graph on Spark, equal to a brute-force pandas reference; the rendered report shows
each farm's accounts, targets and timing (a picture per farm, timed or not), and the page
opens in headless Chromium with the farm pictures drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assets.reports.network_farms import farm_follows
from assets.reports.network_report import render_network_report
from tests.reports import browser, synthetic


def _graph():
    bots = [(u, True, "g1", None, ["lockstep"]) for u in range(1, 9)]  # farm of 8
    bots += [(u, True, None, 4, ["dense_block"]) for u in range(20, 24)]  # farm of 4 (a dense block)
    bots += [(30, True, None, None, ["multifollow"]), (31, False, None, None, [])]  # no group / not flagged
    edges = []
    for u in range(1, 9):
        for t in (100, 101, 102):  # every member follows the three targets ...
            edges.append((u, t, 1_000 * t + u, 1_000 * t + u + 50, 10))
        edges.append((u, 200 + u, None, None, 10))  # ... and one account of its own
    edges.append((1, 100, 1_000 * 100 + 1, 1_000 * 100 + 1, 11))  # seen from a second artist's crawl
    for u in range(20, 24):
        edges += [(u, 300, None, None, 12), (u, 301, None, None, 12)]
    edges += [(30, 100, None, None, 10), (31, 100, None, None, 10)]
    return bots, edges


def _reference(bots, edges, max_farms=3, min_share=0.5):
    b = pd.DataFrame(bots, columns=["user_id", "flagged", "lockstep_group", "dense_block_id", "detectors"])
    b = b[b["flagged"]]
    b["farm"] = np.where(b["lockstep_group"].notna(), "lockstep_group:" + b["lockstep_group"].astype(str),
                         np.where(b["dense_block_id"].notna(),
                                  "dense_block_id:" + b["dense_block_id"].astype("Int64").astype(str), None))
    b = b[b["farm"].notna()]
    e = pd.DataFrame(edges, columns=["follower_id", "followee_id", "lo", "hi", "artist_id"])
    out = set()
    sizes = b.groupby("farm").size().sort_values(ascending=False)
    for farm, size in sizes.head(max_farms).items():
        members = set(b.loc[b["farm"] == farm, "user_id"])
        mine = e[e["follower_id"].isin(members)].drop_duplicates(["follower_id", "followee_id"])
        counts = mine.groupby("followee_id").size()
        shared = counts[counts >= max(2, int(np.ceil(size * min_share)))].index
        out |= {(farm, int(r.follower_id), int(r.followee_id)) for r in mine[mine["followee_id"].isin(shared)].itertuples()}
    return out


def test_farm_follows_equals_a_brute_force_reference(spark):
    bots, edges = _graph()
    bdf = spark.createDataFrame(bots, "user_id long, flagged boolean, lockstep_group string, dense_block_id int, "
                                      "detectors array<string>")
    edf = spark.createDataFrame(
        [(s, d, lo, hi, a) for s, d, lo, hi, a in edges],
        "follower_id long, followee_id long, lo long, hi long, artist_id long").selectExpr(
        "follower_id", "followee_id", "timestamp_millis(lo) as followed_at_min", "timestamp_millis(hi) as followed_at_max",
        "timestamp_millis(case when lo = hi then lo end) as followed_at", "artist_id", "1 as multiplicity")
    got = farm_follows(bdf, edf)
    assert {(r.farm, r.user_id, r.followee_id) for r in got.itertuples()} == _reference(bots, edges)
    g1 = got[got["farm"] == "lockstep_group:g1"]
    assert set(g1["members"]) == {8} and set(g1["followee_id"]) == {100, 101, 102}
    row = g1[(g1["user_id"] == 1) & (g1["followee_id"] == 100)].iloc[0]
    assert (row["t_min_ms"], row["t_max_ms"]) == (100_001, 100_001)  # intersected over the two crawls
    assert list(got["farm"].drop_duplicates()) == ["lockstep_group:g1", "dense_block_id:4"]  # largest first


def test_farm_section_shows_accounts_targets_and_timing():
    inputs = synthetic.network_inputs()
    report = render_network_report(**inputs)
    html = report.html.decode()
    assert "<h2 id='farms'>Bot farms</h2>" in html
    assert "Farm 1: lockstep_group:g1 · 12 accounts" in html and "Farm 2: dense_block_id:3 · 5 accounts" in html
    assert "5001, 5002" in html and "7001, 7002" in html  # the accounts
    f = inputs["farms"][inputs["farms"]["followee_id"] == 101].dropna(subset=["t_min_ms"])
    first = pd.to_datetime(f["t_min_ms"].min(), unit="ms", utc=True)
    hours = (f["t_max_ms"].max() - f["t_min_ms"].min()) / 3_600_000
    assert f"<td>{first:%Y-%m-%d %H:%M} UTC, within {hours:.1f} h</td>" in html  # when farm 1 followed target 101
    assert hours < 0.25
    assert "farm_1.png" in report.files and "farm_2.png" in report.files
    assert report.figures["bot_farms"] == 2
    empty = render_network_report(**{**inputs, "farms": inputs["farms"].iloc[:0]}).html.decode()
    assert "No farm (a group of two or more flagged accounts) found." in empty


@pytest.mark.skipif(browser.chromium() is None, reason="headless Chromium not installed: `make browser`")
def test_farm_pictures_drawn_in_chromium(tmp_path):
    html = render_network_report(**synthetic.network_inputs()).html
    probe = browser.probe(html, tmp_path)
    alts = [i for i in probe["images"] if "farm" in i.get("alt", "")]
    assert len(alts) == 2 and all(i["complete"] and i["naturalWidth"] > 0 for i in alts)
