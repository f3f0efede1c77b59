"""Benchmark-only baselines for the catalog chain (not product code).

``seed_self_join_similarity`` is the seed's label-similarity method (self-join every
flagged set on fingerprint, count shared, filter) with the product's output and exact
threshold test; ``candidate_pair_counts`` gives both methods' candidate counts. They reuse
the product's set preparation and threshold test from assets/catalog/similarity.py so the
comparison differs only in how candidate pairs are found.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.catalog.similarity import _candidates, _distinct_sets, _finish, threshold_fraction


def seed_self_join_similarity(label_sets_df: DataFrame, threshold: float = 0.8) -> DataFrame:
    """The seed's method: self-join every set on fingerprint, count shared, filter.

    Same output and the same exact threshold test as ``label_similarity``; builds one row per
    (pair, shared fingerprint), so a fingerprint held by k labels costs k*(k-1)/2 rows.
    """
    frac = threshold_fraction(threshold)
    sets = _distinct_sets(label_sets_df)
    sizes = sets.groupBy("label_id").agg(F.count(F.lit(1)).alias("size"))
    a = sets.select(F.col("label_id").alias("label_a"), "fingerprint")
    b = sets.select(F.col("label_id").alias("label_b"), "fingerprint")
    shared = (
        a.join(b, "fingerprint")
        .where(F.col("label_a") < F.col("label_b"))
        .groupBy("label_a", "label_b")
        .agg(F.count(F.lit(1)).alias("shared"))
    )
    pairs = shared.join(
        sizes.select(F.col("label_id").alias("label_a"), F.col("size").alias("size_a")), "label_a"
    ).join(
        sizes.select(F.col("label_id").alias("label_b"), F.col("size").alias("size_b")), "label_b"
    )
    return _finish(pairs, frac.numerator, frac.denominator)


def candidate_pair_counts(
    label_sets_df: DataFrame, threshold: float = 0.8, *, seed_pairs: bool = True
) -> dict:
    """Candidate counts of both methods, for the benchmark.

    ``seed_join_rows``: rows the seed's self-join materialises (sum over fingerprints of
    k*(k-1)/2 for the k labels holding it, computed without building them);
    ``seed_candidate_pairs``: distinct label pairs sharing any fingerprint (the pairs the
    seed verifies; built only when ``seed_pairs``, which runs the seed's join);
    ``prefix_join_rows``: rows of the prefix self-join; ``prefix_candidate_pairs``:
    distinct candidates after prefix and size filtering (what gets verified).
    """
    sets, ranked, candidates, _ = _candidates(label_sets_df, threshold)
    pairs_of = lambda k: F.sum(F.col(k) * (F.col(k) - 1) / 2).cast("long")  # noqa: E731
    row = (
        ranked.groupBy("fingerprint")
        .agg(
            F.first("df").alias("k"),
            F.count(F.when(F.col("pos") <= F.col("prefix_len"), 1)).alias("p"),
        )
        .agg(pairs_of("k").alias("seed"), pairs_of("p").alias("prefix"))
        .first()
    )
    out = {
        "seed_join_rows": int(row["seed"] or 0),
        "prefix_join_rows": int(row["prefix"] or 0),
        "prefix_candidate_pairs": candidates.count(),
    }
    if seed_pairs:
        a = sets.select(F.col("label_id").alias("label_a"), "fingerprint")
        b = sets.select(F.col("label_id").alias("label_b"), "fingerprint")
        out["seed_candidate_pairs"] = (
            a.join(b, "fingerprint")
            .where(F.col("label_a") < F.col("label_b"))
            .select("label_a", "label_b")
            .distinct()
            .count()
        )
    return out
