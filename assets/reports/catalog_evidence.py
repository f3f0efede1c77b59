"""Evidence for the catalog-fraud report, computed on Spark (DataFrame in, DataFrame out).

Both outputs are small (one row per flagged label; one row per network and upload hour),
so the report renders them with pandas.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

TOP_REUSED_TITLES = 3


def reused_titles(fingerprints: DataFrame, flagged: DataFrame, min_albums: int,
                  top_n: int = TOP_REUSED_TITLES) -> DataFrame:
    """(label_id, reused_titles): per flagged label, its ``top_n`` reused fingerprints (in
    ``min_albums`` or more distinct albums of the label) by albums, then tracks, then text."""
    eligible = fingerprints.where(F.col("eligible")).join(flagged.select("label_id"), "label_id")
    per_fp = eligible.groupBy("label_id", "fingerprint").agg(
        F.countDistinct("album_id").alias("albums"), F.count(F.lit(1)).alias("tracks"))
    rank = Window.partitionBy("label_id").orderBy(F.desc("albums"), F.desc("tracks"), F.asc("fingerprint"))
    return (per_fp.where(F.col("albums") >= F.lit(min_albums))
            .withColumn("r", F.row_number().over(rank)).where(F.col("r") <= top_n)
            .groupBy("label_id")
            .agg(F.array_sort(F.collect_list(F.struct("r", "fingerprint"))).alias("t"))
            .select("label_id", F.col("t.fingerprint").alias("reused_titles")))


def network_upload_hours(fingerprints: DataFrame, networks: DataFrame) -> DataFrame:
    """(network_id, upload_hour, labels, tracks): eligible tracks of the member labels per
    UTC hour (hours since the epoch) and how many member labels uploaded in that hour."""
    return (fingerprints.where(F.col("eligible") & F.col("upload_hour").isNotNull())
            .join(F.broadcast(networks.select("network_id", "label_id")), "label_id")
            .groupBy("network_id", "upload_hour")
            .agg(F.countDistinct("label_id").alias("labels"), F.count(F.lit(1)).alias("tracks")))
