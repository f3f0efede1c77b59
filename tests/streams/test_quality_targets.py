"""The issue's detection targets on one small simulator seed, through the bench's own scoring
(``bench/streams_quality.py``): per planted scheme precision >= 0.95 and recall >= 0.90 on
accounts, each legitimate look-alike flagged <= 0.5%, clean royalty plays of every label
within 1% of the truth. (The full-size figures: ``python -m bench streams_quality``.) Three
days, 1,500 honest users, the schemes at scale 0.03 (351 swarm accounts, 20 to 80 per other
scheme, 15 to 180 per look-alike). Two days are too few (tried: 800 honest users, 2 days, scale 0.02:
that draw's swarm played full tracks, showed no machine behaviour to corroborate its block
and was missed)."""

from __future__ import annotations

import pytest

from bench.streams_quality import LOOKALIKES, SCHEMES, evaluate, met
from simulator.plays import PlaysConfig, generate_plays

pytestmark = pytest.mark.integration  # not in make test: make test-integration (CI runs it)


@pytest.mark.slow  # about 2 minutes: the whole detection chain (some 20 Spark stages) on 131k plays
def test_targets_met_on_a_small_simulator_seed(spark):
    # The suite shares one 2 GiB driver: tables earlier tests left cached made this run run out of
    # heap (java.lang.OutOfMemoryError in the full suite); start from an empty cache.
    spark.catalog.clearCache()
    plays, truth, tracks = generate_plays(PlaysConfig(seed=11, days=3, honest_users=1500, scheme_scale=0.03,
                                                      tracks_per_day=1500))
    res = evaluate(spark, plays, truth, tracks)
    o = res["ours"]
    assert all(o[s]["accounts"] > 0 for s in SCHEMES) and all(o[k]["accounts"] > 0 for k in LOOKALIKES)
    assert met(res) == [], met(res)
