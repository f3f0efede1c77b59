"""Exact Jaccard similarity between label fingerprint sets, without hot-key pair explosion.

``label_similarity`` is an exact set-similarity self-join (prefix filtering, as in
ppjoin / Vernica et al.), equal to the brute-force ``reference.similarity_edges``:

* Global token order: ascending document frequency (number of sets holding the
  fingerprint), ties by the fingerprint string. Ranking happens inside each set (a window
  per label over the global key ``(df, fingerprint)``), so no global sort is needed.
* Threshold as an exact fraction ``num/den`` (the shortest decimal that round-trips the
  float, ``Fraction(repr(t))``: 0.8 is 4/5, not 0.8000000000000000444).
* Prefix filtering: a set of size n keeps its first ``n - ceil(t*n) + 1`` tokens, with
  ``ceil(t*n) = (num*n + den - 1) div den`` in integers. Two sets with Jaccard >= t share
  at least ``ceil(t*max(|A|,|B|))`` tokens, so their prefixes share a token.
* Size filtering: ``t*|B| <= |A| <= |B|``, as ``den*|A| >= num*|B|`` for ``|A| <= |B|``.
* Candidates: distinct pairs sharing a prefix token and passing the size filter. A generic
  fingerprint (high df) sorts last, so it is in almost no prefix and never yields its
  thousands-squared pairs.
* Verification: the shared count of each candidate from a join of the full sets restricted
  to candidates; edge when ``den*shared >= num*(size_a + size_b - shared)`` (exact integer
  test). ``jaccard`` is ``shared / union`` in double, the value the reference computes.

The reference compares floats, ``shared/union >= t``. The two tests agree unless
``shared/union`` lies below the decimal threshold by less than half a unit in the last place
of a double, which needs a union above ~10^12 fingerprints for a threshold with a few
decimals: never for label sets. (With an exact fraction both 4/5 and 8/10 are edges at
t=0.8, and 0.7*10 = 7.000000000000001 cannot drop a candidate.)

The seed's method (self-join on fingerprint over every pair) is a benchmark baseline and
lives in bench/baselines.py.
"""

from __future__ import annotations

from fractions import Fraction

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

OUTPUT_COLUMNS = ("label_a", "label_b", "shared", "size_a", "size_b", "jaccard")


def threshold_fraction(threshold: float) -> Fraction:
    """The threshold as the exact fraction of its shortest round-tripping decimal."""
    frac = Fraction(repr(float(threshold)))
    if frac < 0:
        raise ValueError(f"similarity threshold must be >= 0, got {threshold}")
    return frac


def flagged_label_sets(fingerprints_df: DataFrame, label_reuse_df: DataFrame) -> DataFrame:
    """Distinct (label_id, fingerprint) of the eligible tracks of flagged labels."""
    flagged = label_reuse_df.filter(F.col("flagged")).select("label_id")
    return (
        fingerprints_df.filter(F.col("eligible"))
        .select("label_id", "fingerprint")
        .join(flagged, "label_id", "left_semi")
        .distinct()
    )


def _dec(value: int | Column) -> Column:
    """An integer literal or column as decimal(38,0): products cannot overflow a long."""
    if isinstance(value, int):
        return F.lit(str(value)).cast("decimal(38,0)")
    return value.cast("decimal(38,0)")


def _distinct_sets(label_sets_df: DataFrame) -> DataFrame:
    return (
        label_sets_df.select("label_id", "fingerprint")
        .where(F.col("label_id").isNotNull() & F.col("fingerprint").isNotNull())
        .distinct()
    )


def _ranked(sets: DataFrame, frac: Fraction) -> DataFrame:
    """Every (label_id, fingerprint) with df, size, pos (1-based rank in the global
    rarest-first order within its set) and prefix_len."""
    num, den = frac.numerator, frac.denominator
    by_fp = Window.partitionBy("fingerprint")
    by_label = Window.partitionBy("label_id")
    order = by_label.orderBy(F.col("df").asc(), F.col("fingerprint").asc())
    # ceil(num*size/den) in exact integers (decimal(38,0) cannot overflow; `div` floors).
    min_overlap = F.expr(
        f"(CAST('{num}' AS DECIMAL(38,0)) * CAST(size AS DECIMAL(38,0))"
        f" + CAST('{den - 1}' AS DECIMAL(38,0))) div CAST('{den}' AS DECIMAL(38,0))"
    )
    return (
        sets.withColumn("df", F.count(F.lit(1)).over(by_fp))
        .withColumn("size", F.count(F.lit(1)).over(by_label))
        .withColumn("pos", F.row_number().over(order))
        .withColumn("prefix_len", F.col("size") - min_overlap + F.lit(1))
    )


def _candidates(label_sets_df: DataFrame, threshold: float):
    """(sets, ranked, candidates(label_a, label_b, size_a, size_b), fraction)."""
    frac = threshold_fraction(threshold)
    num, den = frac.numerator, frac.denominator
    sets = _distinct_sets(label_sets_df)
    ranked = _ranked(sets, frac)
    prefix = ranked.where(F.col("pos") <= F.col("prefix_len"))
    a = prefix.select(
        F.col("label_id").alias("label_a"), "fingerprint", F.col("size").alias("size_a")
    )
    b = prefix.select(
        F.col("label_id").alias("label_b"), "fingerprint", F.col("size").alias("size_b")
    )
    small = F.least(F.col("size_a"), F.col("size_b"))
    large = F.greatest(F.col("size_a"), F.col("size_b"))
    candidates = (
        a.join(b, "fingerprint")
        .where(F.col("label_a") < F.col("label_b"))
        .where(_dec(den) * _dec(small) >= _dec(num) * _dec(large))
        .select("label_a", "label_b", "size_a", "size_b")
        .distinct()
    )
    return sets, ranked, candidates, frac


def label_similarity(label_sets_df: DataFrame, threshold: float = 0.8) -> DataFrame:
    """Edges (label_a < label_b) with exact Jaccard >= threshold, by prefix filtering.

    ``label_sets_df``: (label_id, fingerprint) rows of the flagged labels (duplicates are
    dropped). Returns label_a, label_b, shared, size_a, size_b (longs), jaccard (double).
    Verification intersects the candidates' full sets, held as one array per label.
    """
    sets, _, candidates, frac = _candidates(label_sets_df, threshold)
    arrays = sets.groupBy("label_id").agg(F.collect_list("fingerprint").alias("fps"))
    pairs = (
        candidates.join(
            arrays.select(F.col("label_id").alias("label_a"), F.col("fps").alias("fps_a")),
            "label_a",
        )
        .join(
            arrays.select(F.col("label_id").alias("label_b"), F.col("fps").alias("fps_b")),
            "label_b",
        )
        .withColumn("shared", F.size(F.array_intersect("fps_a", "fps_b")).cast("long"))
    )
    return _finish(pairs, frac.numerator, frac.denominator)


def _finish(pairs: DataFrame, num: int, den: int) -> DataFrame:
    union = F.col("size_a") + F.col("size_b") - F.col("shared")
    return (
        pairs.where(F.col("shared") > 0)
        .where(_dec(den) * _dec(F.col("shared")) >= _dec(num) * _dec(union))
        .select(
            "label_a",
            "label_b",
            F.col("shared").cast("long").alias("shared"),
            F.col("size_a").cast("long").alias("size_a"),
            F.col("size_b").cast("long").alias("size_b"),
            (F.col("shared").cast("double") / union.cast("double")).alias("jaccard"),
        )
    )
