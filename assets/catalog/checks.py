"""The fingerprint contract as a check (pure: DataFrames in, violation counts out).

A written ``track_fingerprints`` partition set is right when every raw track of its days
appears exactly once, each row's ``token_count`` is the number of tokens of its
``fingerprint`` (0 for the empty fingerprint), and no eligible row has fewer than
``min_title_tokens`` tokens. Any violation means the transform or the write is broken, so
the asset check that uses it is blocking.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from resources.catalog_contract import CatalogRules


def fingerprint_contract_violations(fingerprints: DataFrame, raw_track_ids: DataFrame,
                                    rules: CatalogRules) -> dict[str, int]:
    """Counts of each violation (all 0 when the contract holds).

    ``fingerprints``: the written rows of the days checked; ``raw_track_ids``: one column
    ``track_id``, the raw tracks of the same days.
    """
    tokens = F.when(F.col("fingerprint") == "", F.lit(0)).otherwise(F.size(F.split("fingerprint", " ")))
    row = fingerprints.agg(
        F.count("*").alias("rows"),
        F.countDistinct("track_id").alias("distinct_ids"),
        F.sum((F.col("fingerprint").isNull() | (F.col("token_count") != tokens)).cast("int")).alias("bad_count"),
        F.sum((F.col("eligible") & (F.col("token_count") < rules.min_title_tokens)).cast("int")).alias("short"),
    ).first()
    raw_ids = raw_track_ids.select("track_id").distinct()
    written_ids = fingerprints.select("track_id").distinct()
    return {
        "token_count_mismatch": int(row.bad_count or 0),
        "eligible_below_min_tokens": int(row.short or 0),
        "duplicate_rows": int((row.rows or 0) - (row.distinct_ids or 0)),
        "raw_tracks_not_fingerprinted": raw_ids.join(written_ids, "track_id", "left_anti").count(),
        "fingerprints_without_raw_track": written_ids.join(raw_ids, "track_id", "left_anti").count(),
    }
