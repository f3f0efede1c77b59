"""What stream fraud costs: royalty plays per track and label, the share from flagged accounts.

Pure Spark, no Dagster, nothing whole on the driver. A play is royalty-eligible at
``ms_played >= min_royalty_ms``; a royalty play is "flagged" when its account is flagged
in ``stream_accounts``; clean = royalty - flagged (the adjusted basis of the payout).

Attribution happens here, at compute time: plays keep the catalogue's ``track_id`` whether
or not the catalogue knows it yet, and ``track_streams`` joins them against the catalogue
of this moment (``label_id`` null while the track is unknown; once the catalogue has the
track, the next computation attributes all its plays, old ones included).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

TRACK_STREAMS = ("track_id", "label_id", "plays", "royalty_plays", "flagged_royalty_plays", "clean_royalty_plays")
LABEL_STREAM_FRAUD = ("label_id", "royalty_plays", "flagged_royalty_plays", "fraud_share", "flagged_accounts",
                      "network_id")


def catalogue_tracks(fingerprints: DataFrame) -> DataFrame:
    """``track_id -> label_id`` from the catalogue (``track_fingerprints``): one row per
    track; a track re-delivered on a later day takes the label of its latest delivery."""
    if "upload_date" in fingerprints.columns:
        return fingerprints.groupBy("track_id").agg(
            F.max_by("label_id", F.struct("upload_date", "label_id")).alias("label_id"))
    return fingerprints.groupBy("track_id").agg(F.max("label_id").alias("label_id"))


def _royalty_plays(plays: DataFrame, accounts: DataFrame, min_royalty_ms: int) -> DataFrame:
    """(user_id, track_id, royalty, flagged) per play; ``flagged`` from ``accounts``."""
    flagged = accounts.where(F.col("flagged")).select("user_id", F.lit(True).alias("_flagged"))
    return (
        plays.select("user_id", F.col("track_id").cast("string").alias("track_id"),
                     (F.col("ms_played") >= F.lit(min_royalty_ms)).alias("royalty"))
        .join(flagged, "user_id", "left")
        .select("user_id", "track_id", "royalty", F.coalesce("_flagged", F.lit(False)).alias("flagged"))
    )


def track_streams(plays: DataFrame, accounts: DataFrame, tracks: DataFrame, min_royalty_ms: int) -> DataFrame:
    """Per track with plays: plays, royalty plays, those from flagged accounts, the clean rest;
    ``label_id`` from ``tracks`` (``catalogue_tracks``), null for tracks not in the catalogue yet."""
    per_track = _royalty_plays(plays, accounts, min_royalty_ms).groupBy("track_id").agg(
        F.count(F.lit(1)).alias("plays"),
        F.sum(F.col("royalty").cast("long")).alias("royalty_plays"),
        F.sum((F.col("royalty") & F.col("flagged")).cast("long")).alias("flagged_royalty_plays"),
    )
    labels = tracks.select(F.col("track_id").cast("string").alias("track_id"), "label_id")
    return per_track.join(labels, "track_id", "left").select(
        "track_id", "label_id", F.col("plays").cast("long"), F.col("royalty_plays").cast("long"),
        F.col("flagged_royalty_plays").cast("long"),
        (F.col("royalty_plays") - F.col("flagged_royalty_plays")).cast("long").alias("clean_royalty_plays"),
    )


def flagged_label_accounts(plays: DataFrame, accounts: DataFrame, tracks: DataFrame,
                           min_royalty_ms: int) -> DataFrame:
    """(label_id, user_id, flagged_royalty_plays): each flagged account with at least one
    royalty play of the label's tracks. Flagged accounts are few, so this is small."""
    labels = tracks.select(F.col("track_id").cast("string").alias("track_id"), "label_id")
    return (
        _royalty_plays(plays, accounts, min_royalty_ms).where(F.col("royalty") & F.col("flagged"))
        .join(labels, "track_id")
        .groupBy("label_id", "user_id").agg(F.count(F.lit(1)).cast("long").alias("flagged_royalty_plays"))
    )


def label_stream_fraud(track_streams_df: DataFrame, label_accounts: DataFrame, networks: DataFrame | None) -> DataFrame:
    """Per label with attributed plays: royalty plays, flagged royalty plays, ``fraud_share``
    (flagged / royalty; 0 when the label has no royalty plays), ``flagged_accounts`` (distinct
    flagged accounts that earned it royalty plays) and the label's catalog fraud ``network_id``
    (null when it is in none); also ``tracks``, ``plays`` and ``clean_royalty_plays``."""
    per_label = track_streams_df.where(F.col("label_id").isNotNull()).groupBy("label_id").agg(
        F.count(F.lit(1)).cast("long").alias("tracks"),
        F.sum("plays").cast("long").alias("plays"),
        F.sum("royalty_plays").cast("long").alias("royalty_plays"),
        F.sum("flagged_royalty_plays").cast("long").alias("flagged_royalty_plays"),
        F.sum("clean_royalty_plays").cast("long").alias("clean_royalty_plays"),
    )
    accounts = label_accounts.groupBy("label_id").agg(F.count(F.lit(1)).cast("long").alias("flagged_accounts"))
    out = per_label.join(accounts, "label_id", "left")
    if networks is not None:
        out = out.join(networks.select("label_id", "network_id"), "label_id", "left")
    else:
        out = out.withColumn("network_id", F.lit(None).cast("long"))
    return out.select(
        "label_id", "royalty_plays", "flagged_royalty_plays",
        F.when(F.col("royalty_plays") > 0, F.col("flagged_royalty_plays") / F.col("royalty_plays"))
        .otherwise(F.lit(0.0)).alias("fraud_share"),
        F.coalesce("flagged_accounts", F.lit(0)).cast("long").alias("flagged_accounts"),
        "network_id", "tracks", "plays", "clean_royalty_plays",
    )


def network_stream_fraud(label_fraud: DataFrame, label_accounts: DataFrame) -> DataFrame:
    """Per catalog fraud network with plays: labels, royalty plays, flagged royalty plays,
    fraud_share and distinct flagged accounts over all its labels (an account streaming
    several labels of a network counts once): "these N labels in network 7 earned X% of
    their royalty plays from M accounts"."""
    in_network = label_fraud.where(F.col("network_id").isNotNull())
    sums = in_network.groupBy("network_id").agg(
        F.count(F.lit(1)).cast("long").alias("labels"),
        F.sum("royalty_plays").cast("long").alias("royalty_plays"),
        F.sum("flagged_royalty_plays").cast("long").alias("flagged_royalty_plays"),
    )
    accounts = (label_accounts.join(in_network.select("label_id", "network_id"), "label_id")
                .groupBy("network_id").agg(F.countDistinct("user_id").cast("long").alias("flagged_accounts")))
    return sums.join(accounts, "network_id", "left").select(
        "network_id", "labels", "royalty_plays", "flagged_royalty_plays",
        F.when(F.col("royalty_plays") > 0, F.col("flagged_royalty_plays") / F.col("royalty_plays"))
        .otherwise(F.lit(0.0)).alias("fraud_share"),
        F.coalesce("flagged_accounts", F.lit(0)).cast("long").alias("flagged_accounts"),
    )


def network_sentence(row) -> str:
    """'these 40 labels in network 7 earned 92.0% of their royalty plays from 1,100 flagged accounts'."""
    net = row["network_id"]
    net = int(net) if isinstance(net, float) and net.is_integer() else net
    return (f"these {int(row['labels']):,} labels in network {net} earned {100 * row['fraud_share']:.1f}% "
            f"of their royalty plays from {int(row['flagged_accounts']):,} flagged accounts")
