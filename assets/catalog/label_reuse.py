"""Per-label fingerprint reuse over eligible tracks, as a Spark transform (``label_reuse``).

Equal to ``reference.label_reuse``: one row per label with at least one eligible track;
``albums``/``tracks``/``fingerprints`` count that label's eligible tracks, a fingerprint is
*reused* when it appears in at least ``min_albums_per_fingerprint`` distinct albums of the
label, ``reuse_ratio`` is the share of the label's eligible tracks whose fingerprint is
reused (int/int division in double, bit-identical to Python's), and a label is ``flagged``
with at least ``min_reused_fingerprints`` reused fingerprints and ``reuse_ratio >=
min_reuse_ratio``. A null ``album_id`` counts as one album, as in the reference. Tracks
with a null ``label_id`` belong to no label and are left out (the reference would group
them under ``None``; the catalog contract has no such tracks).

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

from resources.catalog_contract import DEFAULT_RULES, CatalogRules


def reuse_stats(fingerprints_df: DataFrame, rules: CatalogRules = DEFAULT_RULES) -> DataFrame:
    """Per label, the reuse statistics with genre exemptions on (suffix ``_e``: the
    contract) and off (suffix ``_i``), in one pass over the tracks.

    Tracks eligible now are a subset of those eligible with genre exemptions off, so one
    filter on ``eligible_ignoring_genre`` and conditional aggregates give both. The tracks
    are shuffled once, by label (label, fingerprint, album, eligible only); every
    aggregation after that ((label, fingerprint, album) -> (label, fingerprint) -> label,
    and (label, album) -> label) runs inside its partition, with no distinct-count
    expansion. ``label_reuse`` and ``exempt_would_flag`` both select from it: compute it
    once and pass it to both (``stats=``) when writing both.
    """
    k = F.lit(rules.min_albums_per_fingerprint)
    tracks = fingerprints_df.where(F.col("eligible_ignoring_genre"))
    # Only the columns the per-label counts need cross the shuffle by label.
    by_label = tracks.select(
        "label_id", "fingerprint", "album_id", F.col("eligible").cast("int").alias("e")
    ).repartition("label_id")
    # A null album_id is one album (a group key), like Python's set() of album ids.
    per_album = by_label.groupBy("label_id", "fingerprint", "album_id").agg(
        F.sum("e").alias("c_e"), F.count(F.lit(1)).alias("c_i")
    )
    per_fp = per_album.groupBy("label_id", "fingerprint").agg(
        F.sum("c_e").alias("n_e"),
        F.count(F.when(F.col("c_e") > 0, F.lit(1))).alias("albums_e"),
        F.sum("c_i").alias("n_i"),
        F.count(F.lit(1)).alias("albums_i"),
    )
    fp_stats = per_fp.groupBy("label_id").agg(
        F.count(F.when(F.col("n_e") > 0, F.lit(1))).alias("fingerprints_e"),
        F.count(F.when(F.col("albums_e") >= k, F.lit(1))).alias("reused_fingerprints_e"),
        F.sum(F.when(F.col("albums_e") >= k, F.col("n_e")).otherwise(F.lit(0))).alias(
            "reused_tracks_e"
        ),
        F.sum("n_e").alias("tracks_e"),
        F.count(F.lit(1)).alias("fingerprints_i"),
        F.count(F.when(F.col("albums_i") >= k, F.lit(1))).alias("reused_fingerprints_i"),
        F.sum(F.when(F.col("albums_i") >= k, F.col("n_i")).otherwise(F.lit(0))).alias(
            "reused_tracks_i"
        ),
        F.sum("n_i").alias("tracks_i"),
    )
    albums = (
        per_album.groupBy("label_id", "album_id")
        .agg(F.sum("c_e").alias("c_e"))
        .groupBy("label_id")
        .agg(
            F.count(F.when(F.col("c_e") > 0, F.lit(1))).alias("albums_e"),
            F.count(F.lit(1)).alias("albums_i"),
        )
    )
    # Names and exempt genres: aggregated before the shuffle (one row per label and task).
    exempt = F.col("exclusion_reason") == F.lit("exempt_genre")
    label_stats = tracks.groupBy("label_id").agg(
        F.max("label_name").alias("label_name"),
        F.count(F.when(exempt, F.lit(1))).alias("exempt_tracks"),
        F.array_sort(F.collect_set(F.when(exempt, F.col("genre")))).alias("exempt_genres"),
    )
    out = label_stats.join(albums, "label_id").join(fp_stats, "label_id")
    for m in ("e", "i"):
        ratio = F.col(f"reused_tracks_{m}").cast("double") / F.col(f"tracks_{m}").cast("double")
        out = out.withColumn(
            f"reuse_ratio_{m}", F.when(F.col(f"tracks_{m}") > 0, ratio)
        ).withColumn(
            f"flagged_{m}",
            (F.col(f"tracks_{m}") > 0)
            & (F.col(f"reused_fingerprints_{m}") >= F.lit(rules.min_reused_fingerprints))
            & (F.col(f"reuse_ratio_{m}") >= F.lit(float(rules.min_reuse_ratio))),
        )
    return out


def _mode_columns(m: str) -> list[Column]:
    return [
        F.col("label_id"),
        F.col("label_name"),
        F.col(f"albums_{m}").cast("long").alias("albums"),
        F.col(f"tracks_{m}").cast("long").alias("tracks"),
        F.col(f"fingerprints_{m}").cast("long").alias("fingerprints"),
        F.col(f"reused_fingerprints_{m}").cast("long").alias("reused_fingerprints"),
        F.col(f"reuse_ratio_{m}").alias("reuse_ratio"),
    ]


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


def label_reuse(
    fingerprints_df: DataFrame, rules: CatalogRules = DEFAULT_RULES, *, stats: DataFrame | None = None
) -> DataFrame:
    """The ``label_reuse`` table from ``track_fingerprints`` rows (eligible ones are used).

    Columns: label_id, label_name, albums, tracks, fingerprints, reused_fingerprints,
    reuse_ratio, flagged (contract), reused_tracks, reasons, exempt_would_flag.
    """
    stats = (reuse_stats(fingerprints_df, rules) if stats is None else stats).where(
        F.col("tracks_e") > 0
    )
    return stats.select(
        *_mode_columns("e"),
        F.col("flagged_e").alias("flagged"),
        F.col("reused_tracks_e").cast("long").alias("reused_tracks"),
        F.col("flagged_i").alias("flagged_ignoring_genre"),
    ).select(
        "label_id",
        "label_name",
        "albums",
        "tracks",
        "fingerprints",
        "reused_fingerprints",
        "reuse_ratio",
        "flagged",
        "reused_tracks",
        reasons_column(rules).alias("reasons"),
        (~F.col("flagged") & F.col("flagged_ignoring_genre")).alias("exempt_would_flag"),
    )


def exempt_would_flag(
    fingerprints_df: DataFrame, rules: CatalogRules = DEFAULT_RULES, *, stats: DataFrame | None = None
) -> DataFrame:
    """Labels flagged if the genre exemptions were off, but not flagged now.

    Columns: label_id, label_name, albums, tracks, fingerprints, reused_fingerprints,
    reuse_ratio, reused_tracks (all computed with genre exemptions off), exempt_tracks
    (the label's tracks excluded only for their genre), exempt_genres (sorted distinct
    genres of those, as written), eligible_tracks (tracks eligible now), reasons.
    """
    stats = (reuse_stats(fingerprints_df, rules) if stats is None else stats).where(
        F.col("flagged_i") & ~F.col("flagged_e")
    )
    return stats.select(
        *_mode_columns("i"),
        F.col("reused_tracks_i").cast("long").alias("reused_tracks"),
        F.col("exempt_tracks").cast("long").alias("exempt_tracks"),
        "exempt_genres",
        F.col("tracks_e").cast("long").alias("eligible_tracks"),
    ).withColumn("reasons", reasons_column(rules, "would be flagged without genre exemptions"))
