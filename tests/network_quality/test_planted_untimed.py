"""A farm in a REAL follow snapshot without times (issue 18's case): 150 accounts that each
follow the same 25 artists plus 8 popular ones, planted in Last.fm's real user -> artist
graph (``bench/planted_farms.py``) and dropped without any follow time. ``follow_bots``
with the structure-only ``cofollow`` detector must find it (precision >= 0.95, recall >=
0.90) and spare the real accounts, the heaviest real followers and release-day fans (<=
0.5% each); the detectors before cofollow find none of it. All shapes and backgrounds:
``python -m bench network_quality``."""

from __future__ import annotations

from bench import planted_farms as PF
from bench.network_quality import PLANTED_TARGETS, evaluate_planted, planted_report


def test_untimed_farm_in_real_lastfm_snapshot(spark):
    shape = PF.FarmShape("issue18_150x25_camo8", 150, 25, camouflage=8)
    out = evaluate_planted("lastfm", [shape], timed=False, seed=3, spark=spark)
    print(planted_report(out))
    o = out["ours"]
    assert out["bots"] == 150
    assert o["precision"] >= PLANTED_TARGETS["precision"]
    assert o["recall"] >= PLANTED_TARGETS["recall"]
    assert o["real_flagged_share"] <= PLANTED_TARGETS["real_flagged_max"]
    assert out["legit_flagged_share_max"] <= PLANTED_TARGETS["legit_flagged_max"]
    assert out["before_cofollow"]["recall"] < 0.5  # what the timed detectors leave on a snapshot
