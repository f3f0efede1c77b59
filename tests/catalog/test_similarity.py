"""label_similarity (prefix-filtered exact set-similarity join) against brute force.

Scenario: flagged labels whose fingerprint sets carry heavy hot keys (a few generic titles
in almost every set, like "white noise" in every sleep label), planted near-duplicate groups
(one master library behind several fronts, with small edits), and unrelated labels. The
Spark join must equal reference.similarity_edges exactly, at thresholds where float rounding
bites (t=0.8 with sizes 4/5 and 8/10, t=0.7 with 7/10, t=0.3 with 3/10), while building far
fewer candidate pairs than the seed's self-join.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.catalog.similarity import label_similarity, threshold_fraction
from bench.baselines import candidate_pair_counts, seed_self_join_similarity
from tests.catalog import reference as ref

HOT = [f"hot {i}" for i in range(4)]


def hot_key_sets(seed: int, n_labels: int = 80) -> dict[str, frozenset[str]]:
    rnd = random.Random(seed)
    sets: dict[str, frozenset[str]] = {}
    masters = [[f"m{g} t{i}" for i in range(rnd.randint(5, 30))] for g in range(6)]
    for _ in range(n_labels):
        label = f"L{rnd.randrange(10**6):06d}"
        if rnd.random() < 0.6:  # a front of a master library, lightly edited
            master = rnd.choice(masters)
            keep = [t for t in master if rnd.random() > rnd.choice([0.0, 0.05, 0.15, 0.3])]
            own = [f"{label} own {k}" for k in range(rnd.choice([0, 0, 1, 2, 4]))]
            tokens = keep + own
        else:
            tokens = [f"rare {rnd.randrange(400)}" for _ in range(rnd.randint(1, 25))]
        tokens += [h for h in HOT if rnd.random() < 0.9]  # hot keys in most sets
        sets[label] = frozenset(tokens)
    return sets


def rows(sets: dict[str, frozenset[str]]) -> list[tuple[str, str]]:
    return [(label, fp) for label, fps in sets.items() for fp in fps]


def as_df(spark, sets):
    return spark.createDataFrame(rows(sets), "label_id string, fingerprint string")


def spark_edges(df) -> list[tuple]:
    return sorted(tuple(r) for r in df.collect())


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9, 0.95])
def test_equals_brute_force_on_hot_key_sets(spark, threshold):
    sets = hot_key_sets(seed=int(threshold * 10))
    got = spark_edges(label_similarity(as_df(spark, sets), threshold))
    want = sorted(ref.similarity_edges(sets, threshold))
    assert got == want
    assert want, "the scenario must produce edges"


def rounding_sets() -> dict[str, frozenset[str]]:
    """Pairs whose Jaccard is exactly the threshold (or a hair below), where t*n in floats
    is not an integer (0.7*10 = 7.000000000000001) or the ratio is a repeating binary."""
    base = [f"tok {i:02d}" for i in range(100)]

    def pair(name, size_a, size_b, shared):
        only_a = [f"{name} a {i}" for i in range(size_a - shared)]
        only_b = [f"{name} b {i}" for i in range(size_b - shared)]
        common = [f"{name} {t}" for t in base[:shared]]
        return {f"{name}-a": frozenset(common + only_a), f"{name}-b": frozenset(common + only_b)}

    sets = {}
    for name, sa, sb, sh in [
        ("p45", 4, 5, 4),
        ("p810", 8, 10, 8),
        ("p99", 9, 9, 8),
        ("p710", 7, 10, 7),
        ("p310", 3, 10, 3),
        ("p35", 3, 5, 3),
        ("p79", 79, 100, 79),
        ("p80", 80, 100, 80),
        ("p3x", 30, 30, 18),
        ("p67", 6, 7, 6),
        ("p1414", 14, 14, 13),
        ("p23", 2, 3, 2),
        ("p46", 4, 6, 4),
    ]:
        sets.update(pair(name, sa, sb, sh))
    return sets


@pytest.mark.parametrize(
    "threshold,expected",
    [
        (0.8, {"p45", "p810", "p99", "p80", "p67", "p1414"}),
        (0.7, {"p45", "p810", "p99", "p710", "p80", "p79", "p67", "p1414"}),
        (0.3, None),
        (2 / 3, None),  # a 16-digit decimal threshold: exact fraction with a huge denominator
    ],
)
def test_exact_at_float_rounding_boundaries(spark, threshold, expected):
    sets = rounding_sets()
    got = spark_edges(label_similarity(as_df(spark, sets), threshold))
    want = sorted(ref.similarity_edges(sets, threshold))
    assert got == want
    if expected is not None:
        assert {a.split("-")[0] for a, *_ in got} == expected
    if threshold == 2 / 3:
        assert {"p23", "p46"} <= {a.split("-")[0] for a, *_ in got}


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3),
        st.frozensets(st.sampled_from(HOT + [f"f{i}" for i in range(12)]), min_size=1, max_size=10),
        min_size=2,
        max_size=40,
    ),
    st.sampled_from([0.25, 0.5, 0.6, 2 / 3, 0.75, 0.8, 0.9, 1.0]),
)
def test_equals_brute_force_on_generated_sets(spark, sets, threshold):
    got = spark_edges(label_similarity(as_df(spark, sets), threshold))
    assert got == sorted(ref.similarity_edges(sets, threshold))


def test_threshold_fraction():
    assert threshold_fraction(0.8) == threshold_fraction(8 / 10) == pytest.approx(0.8)
    assert (threshold_fraction(0.8).numerator, threshold_fraction(0.8).denominator) == (4, 5)
    assert threshold_fraction(0.7) * 10 == 7


def test_seed_method_equals_and_candidate_counts_drop_on_hot_keys(spark):
    # 120 labels, 4 hot keys in almost all: the seed self-join pairs (nearly) everything.
    sets = hot_key_sets(seed=42, n_labels=120)
    df = as_df(spark, sets).cache()
    try:
        want = sorted(ref.similarity_edges(sets, 0.8))
        assert spark_edges(seed_self_join_similarity(df, 0.8)) == want
        counts = candidate_pair_counts(df, 0.8)
    finally:
        df.unpersist()
    n = len(sets)
    assert counts["seed_candidate_pairs"] > 0.7 * n * (n - 1) / 2
    assert counts["seed_join_rows"] >= counts["seed_candidate_pairs"]
    assert counts["prefix_candidate_pairs"] >= len(want)
    assert counts["prefix_candidate_pairs"] * 10 <= counts["seed_candidate_pairs"], counts
    assert counts["prefix_join_rows"] * 10 <= counts["seed_join_rows"], counts
    print("candidate counts", counts, "edges", len(want))
