"""Clean counts: follower and repost counts with flagged bots removed, beside the raw ones.

One table, ``level`` = ``artist`` (per crawled artist: its followers) or ``track`` (per
track of a crawled artist: its reposters). ``raw_follows`` is what the platform's list
shows (a multi-follow bot counts once per follow); ``raw_followers`` counts accounts.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

COLUMNS = ["level", "artist_id", "track_id", "raw_follows", "raw_followers", "flagged_followers", "clean_followers",
           "raw_reposts", "flagged_reposters", "clean_reposts"]


def clean_counts(edges: DataFrame, bots: DataFrame, reposts: DataFrame | None = None) -> DataFrame:
    """``edges``: follow_edges; ``bots``: (user_id, flagged); ``reposts``: (artist_id, track_id, user_id)."""
    flagged = bots.where(F.col("flagged")).select(F.col("user_id").alias("uid")).distinct().withColumn("bot", F.lit(1))
    artists = edges.where(F.col("artist_id").isNotNull()).select("artist_id").distinct()
    pair = edges.groupBy("follower_id", "followee_id").agg(F.max("multiplicity").alias("m"))
    fol = (pair.join(artists, pair["followee_id"] == artists["artist_id"])
           .join(flagged, F.col("follower_id") == F.col("uid"), "left"))
    per_artist = fol.groupBy("artist_id").agg(
        F.sum("m").cast("long").alias("raw_follows"),
        F.count("*").alias("raw_followers"),
        F.sum(F.coalesce("bot", F.lit(0))).cast("long").alias("flagged_followers"),
    ).withColumn("clean_followers", F.col("raw_followers") - F.col("flagged_followers"))
    per_artist = artists.join(per_artist, "artist_id", "left").na.fill(0, ["raw_follows", "raw_followers",
                                                                          "flagged_followers", "clean_followers"])
    out = per_artist.select(F.lit("artist").alias("level"), "artist_id", F.lit(None).cast("long").alias("track_id"),
                            "raw_follows", "raw_followers", "flagged_followers", "clean_followers",
                            *[F.lit(None).cast("long").alias(c) for c in ("raw_reposts", "flagged_reposters",
                                                                          "clean_reposts")])
    if reposts is not None:
        rp = (reposts.select("artist_id", "track_id", "user_id").distinct()
              .join(flagged, F.col("user_id") == F.col("uid"), "left"))
        per_track = rp.groupBy("artist_id", "track_id").agg(
            F.count("user_id").alias("raw_reposts"),
            F.sum(F.coalesce("bot", F.lit(0))).cast("long").alias("flagged_reposters"),
        ).withColumn("clean_reposts", F.col("raw_reposts") - F.col("flagged_reposters"))
        out = out.unionByName(per_track.select(
            F.lit("track").alias("level"), "artist_id", "track_id",
            *[F.lit(None).cast("long").alias(c) for c in ("raw_follows", "raw_followers", "flagged_followers",
                                                          "clean_followers")],
            "raw_reposts", "flagged_reposters", "clean_reposts"))
    return out.select(*COLUMNS)
