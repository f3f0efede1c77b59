"""Upload synchrony against the week-cyclic null (assets/catalog/synchrony.py).

Scenarios: the statistic equals a brute-force count; labels that upload in the same clock
hours week after week (one operator) are significant at 0.01; the same labels with their
upload times shuffled are not; honest labels that all release on Fridays at 00:00 UTC (a
shared weekly rhythm, each label on its own Fridays) are not; the Spark path gives the same
p-values whatever the partitioning.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from assets.catalog.synchrony import (
    HOURS_PER_WEEK,
    synchronised_tracks,
    synchrony_test,
    upload_synchrony_tests,
)

WEEK0 = 2_800  # a week number around 2023 (hours since the epoch / 168)


def brute_force(hours, labels, counts, runs):
    out = defaultdict(float)
    by_hour = defaultdict(lambda: defaultdict(float))
    for h, lab, c, r in zip(hours, labels, counts, runs, strict=True):
        by_hour[(r, h)][lab] += c
    for (r, _h), per_label in by_hour.items():
        if len(per_label) >= 2:
            out[r] += sum(per_label.values())
    return [out[r] for r in range(max(runs) + 1)]


def test_statistic_equals_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n = int(rng.integers(1, 60))
        hours = rng.integers(0, 12, n)
        labels = rng.integers(0, 5, n)
        counts = rng.integers(1, 4, n).astype(float)
        runs = rng.integers(0, 3, n)
        runs[0] = 2
        got = synchronised_tracks(hours, labels, counts, runs)
        assert list(got) == pytest.approx(brute_force(hours, labels, counts, runs))


def sessions(rows):
    return pd.DataFrame(rows, columns=["label_id", "upload_hour", "tracks"])


def operator_network(rng, labels=6, weeks=10, per_week=3):
    """Every label uploads in the operator's hours: per week a few random clock hours, shared."""
    rows = []
    for w in range(weeks):
        for h in rng.choice(HOURS_PER_WEEK, per_week, replace=False):
            for lab in range(labels):
                if rng.random() < 0.8:  # not every label in every push
                    rows.append((f"L{lab}", (WEEK0 + w) * HOURS_PER_WEEK + int(h), int(rng.integers(1, 4))))
    return sessions(rows)


def test_operator_network_is_significant():
    rng = np.random.default_rng(11)
    for _ in range(3):
        r = synchrony_test(operator_network(rng), permutations=999, seed=1)
        assert r["p_value"] <= 0.01
        assert r["observed_share"] > r["null_share"]


def test_shuffled_upload_times_are_not_significant():
    """The same sessions, each moved to an independent random hour of its week: the test
    keeps its level: about 1% of such networks significant at 0.01 (at most 5 of 100, the
    99.9% quantile of Binomial(100, 0.01)), p-values spread over (0, 1]."""
    rng = np.random.default_rng(12)
    ps = []
    for i in range(100):
        s = operator_network(rng)
        week = s["upload_hour"] // HOURS_PER_WEEK
        s["upload_hour"] = (week * HOURS_PER_WEEK + rng.integers(0, HOURS_PER_WEEK, len(s))).astype(np.int64)
        ps.append(synchrony_test(s, permutations=199, seed=i)["p_value"])
    ps = np.asarray(ps)
    assert (ps <= 0.01).sum() <= 5
    assert 0.3 < np.median(ps) < 0.7


def test_friday_releases_are_not_significant():
    """Honest labels release on Fridays 00:00 UTC, each on its own Fridays: a shared weekly
    rhythm puts them in the same clock hours, which the null expects."""
    rng = np.random.default_rng(13)
    friday = 24  # the epoch (hour 0) was a Thursday 00:00 UTC: hour-of-week 24 is Friday 00:00
    ps = []
    for i in range(50):
        rows = [(f"H{lab}", (WEEK0 + int(w)) * HOURS_PER_WEEK + friday, int(rng.integers(1, 13)))
                for lab in range(8) for w in rng.choice(30, 8, replace=False)]
        ps.append(synchrony_test(sessions(rows), permutations=199, seed=i)["p_value"])
    assert (np.asarray(ps) <= 0.01).sum() <= 3  # 99.9% quantile of Binomial(50, 0.01)


def test_single_week_network_has_nothing_to_permute():
    s = sessions([("A", WEEK0 * HOURS_PER_WEEK + 5, 3), ("B", WEEK0 * HOURS_PER_WEEK + 5, 2)])
    assert synchrony_test(s)["p_value"] == 1.0


def test_spark_path_independent_of_partitioning(spark):
    rng = np.random.default_rng(14)
    parts = []
    for nid in ("n1", "n2", "n3"):
        net = operator_network(rng, labels=4, weeks=6) if nid != "n2" else operator_network(rng, labels=4, weeks=6)
        if nid == "n2":  # shuffled times
            week = net["upload_hour"] // HOURS_PER_WEEK
            net["upload_hour"] = week * HOURS_PER_WEEK + rng.integers(0, HOURS_PER_WEEK, len(net))
        for r in net.itertuples():
            parts += [(nid, f"{nid}-{r.label_id}", int(r.upload_hour))] * int(r.tracks)
    tracks = pd.DataFrame(parts, columns=["network_id", "label_id", "upload_hour"])
    df = spark.createDataFrame(tracks)
    a = upload_synchrony_tests(df.repartition(1), 199, seed=5).toPandas().sort_values("network_id")
    b = upload_synchrony_tests(df.repartition(7, "label_id"), 199, seed=5).toPandas().sort_values("network_id")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    p = dict(zip(a["network_id"], a["upload_synchrony_p"], strict=True))
    assert p["n1"] <= 0.01 and p["n3"] <= 0.01 and p["n2"] > 0.01
