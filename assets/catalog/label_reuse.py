"""Per-label fingerprint reuse over eligible tracks, as a Spark transform (``label_reuse``).

Equal to ``reference.label_reuse``: one row per label with at least one eligible track;
``albums``/``tracks``/``fingerprints`` count that label's eligible tracks, a fingerprint is
*reused* when it appears in at least ``min_albums_per_fingerprint`` distinct albums of the
label, ``reuse_ratio`` is the share of the label's eligible tracks whose fingerprint is
reused (int/int division in double, bit-identical to Python's), and a label is ``flagged``
with at least ``min_reused_fingerprints`` reused fingerprints and ``reuse_ratio >=
min_reuse_ratio``. A null ``album_id`` counts as one album, as in the reference.

Extra columns: ``label_name`` (the greatest non-null name seen for the label: the input
may carry several spellings), ``reused_tracks``, ``reasons`` (why the label was or was not
flagged, in words with the numbers and thresholds), and ``exempt_would_flag`` (the label is
not flagged but would be if the genre exemptions were off).

``exempt_would_flag`` (the function) is the report's list of labels hiding behind a genre:
every label flagged by ``reference.label_reuse(..., ignore_genre=True)`` but not flagged now,
including labels with no eligible track at all (all their tracks in an exempt genre), which
``label_reuse`` cannot list since the contract leaves labels without eligible tracks out.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from assets.catalog.reference import CatalogRules

DEFAULT_RULES = CatalogRules()


def _reuse_stats(tracks: DataFrame, rules: CatalogRules) -> DataFrame:
    """label_id, label_name, albums, tracks, fingerprints, reused_fingerprints, reused_tracks,
    reuse_ratio, flagged over the given (already filtered) tracks."""
    per_fp = tracks.groupBy("label_id", "fingerprint").agg(
        F.count(F.lit(1)).alias("fp_tracks"),
        # struct(): a null album_id is one album, like Python's set() of album ids.
        F.countDistinct(F.struct("album_id")).alias("fp_albums"),
    )
    reused = per_fp.withColumn(
        "reused", F.col("fp_albums") >= F.lit(rules.min_albums_per_fingerprint)
    )
    fp_stats = reused.groupBy("label_id").agg(
        F.count(F.lit(1)).alias("fingerprints"),
        F.sum(F.col("reused").cast("long")).alias("reused_fingerprints"),
        F.sum(F.when(F.col("reused"), F.col("fp_tracks")).otherwise(F.lit(0))).alias(
            "reused_tracks"
        ),
    )
    label_stats = tracks.groupBy("label_id").agg(
        F.max("label_name").alias("label_name"),
        F.countDistinct(F.struct("album_id")).alias("albums"),
        F.count(F.lit(1)).alias("tracks"),
    )
    ratio = F.col("reused_tracks").cast("double") / F.col("tracks").cast("double")
    return (
        label_stats.join(fp_stats, "label_id", "inner")
        .withColumn("reuse_ratio", ratio)
        .withColumn(
            "flagged",
            (F.col("reused_fingerprints") >= F.lit(rules.min_reused_fingerprints))
            & (F.col("reuse_ratio") >= F.lit(float(rules.min_reuse_ratio))),
        )
        .select(
            "label_id",
            "label_name",
            F.col("albums").cast("long").alias("albums"),
            F.col("tracks").cast("long").alias("tracks"),
            F.col("fingerprints").cast("long").alias("fingerprints"),
            F.col("reused_fingerprints").cast("long").alias("reused_fingerprints"),
            F.col("reused_tracks").cast("long").alias("reused_tracks"),
            "reuse_ratio",
            "flagged",
        )
    )


def reasons_column(rules: CatalogRules, prefix_if_flagged: str = "flagged") -> Column:
    """Why a label was (not) flagged, e.g. ``flagged: 37 reused fingerprints >= 10 and reuse
    ratio 0.82 >= 0.3`` or ``not flagged: 3 reused fingerprints < 10; reuse ratio 0.12 < 0.3``."""
    n_min = rules.min_reused_fingerprints
    r_min = rules.min_reuse_ratio
    n = F.col("reused_fingerprints")
    ratio = F.format_number(F.col("reuse_ratio"), 2)
    count_ok = n >= F.lit(n_min)
    ratio_ok = F.col("reuse_ratio") >= F.lit(float(r_min))
    count_txt_ok = F.format_string(f"%d reused fingerprints >= {n_min}", n)
    count_txt_bad = F.format_string(f"%d reused fingerprints < {n_min}", n)
    ratio_txt_ok = F.concat(F.lit("reuse ratio "), ratio, F.lit(f" >= {r_min}"))
    ratio_txt_bad = F.concat(F.lit("reuse ratio "), ratio, F.lit(f" < {r_min}"))
    return (
        F.when(
            count_ok & ratio_ok,
            F.concat(F.lit(f"{prefix_if_flagged}: "), count_txt_ok, F.lit(" and "), ratio_txt_ok),
        )
        .when(
            ~count_ok & ~ratio_ok,
            F.concat(F.lit("not flagged: "), count_txt_bad, F.lit("; "), ratio_txt_bad),
        )
        .when(~count_ok, F.concat(F.lit("not flagged: "), count_txt_bad))
        .otherwise(F.concat(F.lit("not flagged: "), ratio_txt_bad))
    )


def _ignoring_genre(fingerprints_df: DataFrame, rules: CatalogRules) -> DataFrame:
    return _reuse_stats(fingerprints_df.filter(F.col("eligible_ignoring_genre")), rules)


def label_reuse(fingerprints_df: DataFrame, rules: CatalogRules = DEFAULT_RULES) -> DataFrame:
    """The ``label_reuse`` table from ``track_fingerprints`` rows (eligible ones are used).

    Columns: label_id, label_name, albums, tracks, fingerprints, reused_fingerprints,
    reuse_ratio, flagged (contract), reused_tracks, reasons, exempt_would_flag.
    """
    stats = _reuse_stats(fingerprints_df.filter(F.col("eligible")), rules)
    ignoring = _ignoring_genre(fingerprints_df, rules).select(
        "label_id", F.col("flagged").alias("flagged_ignoring_genre")
    )
    return (
        stats.join(ignoring, "label_id", "left")
        .withColumn("reasons", reasons_column(rules))
        .withColumn(
            "exempt_would_flag",
            ~F.col("flagged") & F.coalesce(F.col("flagged_ignoring_genre"), F.lit(False)),
        )
        .select(
            "label_id",
            "label_name",
            "albums",
            "tracks",
            "fingerprints",
            "reused_fingerprints",
            "reuse_ratio",
            "flagged",
            "reused_tracks",
            "reasons",
            "exempt_would_flag",
        )
    )


def exempt_would_flag(fingerprints_df: DataFrame, rules: CatalogRules = DEFAULT_RULES) -> DataFrame:
    """Labels flagged if the genre exemptions were off, but not flagged now.

    Columns: label_id, label_name, albums, tracks, fingerprints, reused_fingerprints,
    reuse_ratio, reused_tracks (all computed with genre exemptions off), exempt_tracks
    (the label's tracks excluded only for their genre), exempt_genres (sorted distinct
    genres of those, as written), eligible_tracks (tracks eligible now), reasons.
    """
    ignoring = _ignoring_genre(fingerprints_df, rules).filter(F.col("flagged"))
    per_label = fingerprints_df.groupBy("label_id").agg(
        F.sum(F.col("eligible").cast("long")).alias("eligible_tracks"),
        F.sum((F.col("exclusion_reason") == "exempt_genre").cast("long")).alias("exempt_tracks"),
        F.array_sort(
            F.collect_set(F.when(F.col("exclusion_reason") == "exempt_genre", F.col("genre")))
        ).alias("exempt_genres"),
    )
    now = _reuse_stats(fingerprints_df.filter(F.col("eligible")), rules).select(
        "label_id", F.col("flagged").alias("flagged_now")
    )
    return (
        ignoring.join(now, "label_id", "left")
        .filter(~F.coalesce(F.col("flagged_now"), F.lit(False)))
        .join(per_label, "label_id", "left")
        .withColumn("reasons", reasons_column(rules, "would be flagged without genre exemptions"))
        .select(
            "label_id",
            "label_name",
            "albums",
            "tracks",
            "fingerprints",
            "reused_fingerprints",
            "reuse_ratio",
            "reused_tracks",
            "exempt_tracks",
            "exempt_genres",
            "eligible_tracks",
            "reasons",
        )
    )
