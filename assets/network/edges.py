"""The follow edge table: crawled follow graphs and landed edge lists as one directed table.

``follow_edges(follower_id, followee_id, followed_at, last_followed_at, artist_id,
multiplicity, source)``: one row per (artist partition, follower, followee) for crawls, and
per (landed file, follower, followee) for landed edge lists (``artist_id`` null).

* Within one artist's crawl an edge may be listed twice (in the followers list of the
  followee and in the followings list of the follower); those are sightings of one
  follow, so multiplicity is the largest number of times the edge appears in any ONE list
  (a multi-follow bot appears once per follow in the artist's followers list), never a sum.
* In a landed edge list a repeated row is a repeated follow: multiplicity counts rows.
* ``followed_at`` is the earliest known follow time (null when no list gave one: a crawl
  with ``page_size`` above 1 only learns the time of each page's last item).
* The same follow seen in several artists' crawls has one row per artist (each artist's
  network is complete); the detectors use ``distinct_edges`` (one row per pair).

Landed rows are validated; bad ones go to quarantine with a ``reason``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

RAW_EDGE_SCHEMA = T.StructType([
    T.StructField("src", T.LongType()),
    T.StructField("dst", T.LongType()),
    T.StructField("followed_at_ms", T.LongType()),
    T.StructField("depth", T.IntegerType()),
    T.StructField("seen_from", T.StringType()),
])
OUT_COLUMNS = ["follower_id", "followee_id", "followed_at", "last_followed_at", "artist_id", "multiplicity", "source"]
_POSITIVE_INT = r"^\s*\+?0*[1-9][0-9]{0,17}\s*$"  # fits a signed 64-bit integer


def read_crawled_edges(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Raw crawl edge files (``edges.jsonl.gz`` under ``.../artist=<id>/``) with their artist."""
    if not paths:
        return spark.createDataFrame([], RAW_EDGE_SCHEMA).withColumn("artist_id", F.lit(None).cast("long"))
    df = spark.read.schema(RAW_EDGE_SCHEMA).json(paths)
    return df.withColumn("artist_id", F.regexp_extract(F.input_file_name(), r"artist=(\d+)", 1).cast("long"))


def crawl_sightings(raw: DataFrame) -> DataFrame:
    """Per (artist, follower, followee): multiplicity (largest count in one list) and times."""
    listing = F.when(F.col("seen_from") == "followings", F.col("src")).otherwise(F.col("dst"))
    per_list = (
        raw.where(F.col("src").isNotNull() & F.col("dst").isNotNull())
        .withColumn("listing", listing)
        .groupBy("artist_id", "seen_from", "listing", "src", "dst")
        .agg(F.count("*").alias("n"), F.min("followed_at_ms").alias("t0"), F.max("followed_at_ms").alias("t1"))
    )
    return per_list.groupBy("artist_id", F.col("src").alias("follower_id"), F.col("dst").alias("followee_id")).agg(
        F.max("n").cast("int").alias("multiplicity"),
        F.min("t0").alias("t0"),
        F.max("t1").alias("t1"),
        F.lit("crawl").alias("source"),
    )


def validate_landed(df: DataFrame, file_name: str) -> tuple[DataFrame, DataFrame]:
    """(good rows: follower_id, followee_id, t_ms, source; rejected rows with ``reason``).

    ``df`` holds one landed file read as strings (``followed_at`` may be absent). Rules:
    both ids positive integers, no self-follow, ``followed_at`` empty or ISO 8601.
    """
    cols = set(df.columns)
    missing = [c for c in ("follower_id", "followee_id") if c not in cols]
    if missing:
        raise ValueError(f"{file_name}: missing required column(s) {', '.join(missing)}")
    if "followed_at" not in cols:
        df = df.withColumn("followed_at", F.lit(None).cast("string"))
    s = df.select(*[F.col(c).cast("string").alias(c) for c in ("follower_id", "followee_id", "followed_at")])
    ts_text = F.trim(F.col("followed_at"))
    has_ts = ts_text.isNotNull() & (ts_text != "")
    parsed = F.coalesce(
        F.try_to_timestamp(ts_text, F.lit("yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX")),
        F.try_to_timestamp(ts_text, F.lit("yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]")),
        F.try_to_timestamp(ts_text, F.lit("yyyy-MM-dd HH:mm:ss[.SSSSSS]")),
        F.try_to_timestamp(ts_text, F.lit("yyyy-MM-dd")),
    )
    ok_id = lambda c: F.col(c).isNotNull() & F.col(c).rlike(_POSITIVE_INT)  # noqa: E731
    reason = (
        F.when(~ok_id("follower_id"), F.lit("follower_id is not a positive integer"))
        .when(~ok_id("followee_id"), F.lit("followee_id is not a positive integer"))
        .when(F.trim(F.col("follower_id")).cast("long") == F.trim(F.col("followee_id")).cast("long"),
              F.lit("self-follow (follower_id equals followee_id)"))
        .when(has_ts & parsed.isNull(), F.lit("followed_at is not an ISO 8601 time"))
    )
    checked = s.withColumn("reason", reason).withColumn("t_ms", F.unix_millis(parsed))
    good = checked.where(F.col("reason").isNull()).select(
        F.trim(F.col("follower_id")).cast("long").alias("follower_id"),
        F.trim(F.col("followee_id")).cast("long").alias("followee_id"),
        "t_ms",
        F.lit(f"landing:{file_name}").alias("source"),
    )
    bad = checked.where(F.col("reason").isNotNull()).select(
        "follower_id", "followee_id", "followed_at", "reason", F.lit(file_name).alias("source_file"))
    return good, bad


def landed_sightings(good: DataFrame) -> DataFrame:
    """Per (follower, followee, file): a repeated row is a repeated follow."""
    return good.groupBy("follower_id", "followee_id", "source").agg(
        F.count("*").cast("int").alias("multiplicity"), F.min("t_ms").alias("t0"), F.max("t_ms").alias("t1"),
    ).withColumn("artist_id", F.lit(None).cast("long"))


def follow_edges(crawled: DataFrame, landed: DataFrame | None = None) -> DataFrame:
    """The edge table from crawl sightings (``crawl_sightings``) and landed sightings."""
    parts = crawled.select("artist_id", "follower_id", "followee_id", "multiplicity", "t0", "t1", "source")
    if landed is not None:
        parts = parts.unionByName(landed.select(*parts.columns))
    return parts.select(
        "follower_id", "followee_id",
        F.timestamp_millis("t0").alias("followed_at"), F.timestamp_millis("t1").alias("last_followed_at"),
        F.col("artist_id").cast("long").alias("artist_id"), F.col("multiplicity").cast("int").alias("multiplicity"),
        "source",
    )


def distinct_edges(edges: DataFrame) -> DataFrame:
    """One row per (follower, followee) over every source: largest multiplicity, earliest
    time in epoch ms (``t_ms``): what the bot detectors read."""
    return edges.groupBy("follower_id", "followee_id").agg(
        F.max("multiplicity").alias("multiplicity"), F.min(F.unix_millis("followed_at")).alias("t_ms"))
