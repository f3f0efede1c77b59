"""The follow edge table: crawled follow graphs and landed edge lists as one directed table.

``follow_edges(follower_id, followee_id, followed_at, last_followed_at, followed_at_min,
followed_at_max, artist_id, multiplicity, source)``: one row per (artist partition,
follower, followee) for crawls, and per (landed file, follower, followee) for landed edge
lists (``artist_id`` null).

* Within one artist's crawl an edge may be listed twice (in the followers list of the
  followee and in the followings list of the follower); those are sightings of one
  follow, so multiplicity is the largest number of times the edge appears in any ONE list
  (a multi-follow bot appears once per follow in the artist's followers list), never a sum.
* In a landed edge list a repeated row is a repeated follow: multiplicity counts rows.
* ``followed_at`` is the earliest known exact follow time (null when no list gave one: a
  crawl with ``page_size`` above 1 only learns the exact time of each page's last item).
* ``followed_at_min`` / ``followed_at_max``: an interval that holds the (first) follow's
  time (interval-censored, from the crawl's cursors; equal where the time is exact; null
  where unbounded). Within one list the first follow lies in [min of the lows, min of the
  highs] of its sightings; two lists that show the same follow intersect their intervals.
  Raw files without intervals (older crawls) read as exact-or-unbounded.
* The same follow seen in several artists' crawls has one row per artist (each artist's
  network is complete); the detectors use ``distinct_edges`` (one row per pair, over every
  source, intervals intersected).

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
    T.StructField("followed_at_min_ms", T.LongType()),
    T.StructField("followed_at_max_ms", T.LongType()),
    T.StructField("depth", T.IntegerType()),
    T.StructField("seen_from", T.StringType()),
])
OUT_COLUMNS = ["follower_id", "followee_id", "followed_at", "last_followed_at", "followed_at_min", "followed_at_max",
               "artist_id", "multiplicity", "source"]
_POSITIVE_INT = r"^\s*\+?0*[1-9][0-9]{0,17}\s*$"  # fits a signed 64-bit integer


def read_crawled_edges(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Raw crawl edge files (``edges.jsonl.gz`` under ``.../artist=<id>/``) with their artist."""
    if not paths:
        return spark.createDataFrame([], RAW_EDGE_SCHEMA).withColumn("artist_id", F.lit(None).cast("long"))
    df = spark.read.schema(RAW_EDGE_SCHEMA).json(paths)
    return df.withColumn("artist_id", F.regexp_extract(F.input_file_name(), r"artist=(\d+)", 1).cast("long"))


def _lowest_or_unbounded(col: str) -> F.Column:
    """min(col) over the group, or null (unbounded) when any row is null."""
    return F.when(F.count("*") == F.count(col), F.min(col))


def _intersect(lo: str, hi: str) -> tuple[F.Column, F.Column]:
    """Aggregate expressions intersecting intervals [lo, hi] of one event over a group (null
    bounds are unbounded); when the intervals disagree (empty intersection) their hull."""
    i_lo, i_hi = F.max(lo), F.min(hi)
    empty = i_lo.isNotNull() & i_hi.isNotNull() & (i_lo > i_hi)
    return F.when(empty, _lowest_or_unbounded(lo)).otherwise(i_lo), F.when(empty, F.max(hi)).otherwise(i_hi)


def crawl_sightings(raw: DataFrame) -> DataFrame:
    """Per (artist, follower, followee): multiplicity (largest count in one list), exact
    times (``t0`` earliest, ``t1`` latest) and the first follow's interval (``lo``, ``hi``)."""
    if "followed_at_min_ms" not in raw.columns:
        raw = raw.withColumn("followed_at_min_ms", F.col("followed_at_ms"))
    if "followed_at_max_ms" not in raw.columns:
        raw = raw.withColumn("followed_at_max_ms", F.col("followed_at_ms"))
    exact = F.col("followed_at_ms")
    raw = raw.withColumn("lo_ms", F.coalesce(exact, F.col("followed_at_min_ms"))).withColumn(
        "hi_ms", F.coalesce(exact, F.col("followed_at_max_ms")))
    listing = F.when(F.col("seen_from") == "followings", F.col("src")).otherwise(F.col("dst"))
    per_list = (
        raw.where(F.col("src").isNotNull() & F.col("dst").isNotNull())
        .withColumn("listing", listing)
        .groupBy("artist_id", "seen_from", "listing", "src", "dst")
        .agg(F.count("*").alias("n"), F.min("followed_at_ms").alias("t0"), F.max("followed_at_ms").alias("t1"),
             _lowest_or_unbounded("lo_ms").alias("lo"), F.min("hi_ms").alias("hi"))
    )
    lo, hi = _intersect("lo", "hi")
    return per_list.groupBy("artist_id", F.col("src").alias("follower_id"), F.col("dst").alias("followee_id")).agg(
        F.max("n").cast("int").alias("multiplicity"),
        F.min("t0").alias("t0"),
        F.max("t1").alias("t1"),
        lo.alias("lo"),
        hi.alias("hi"),
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
        _lowest_or_unbounded("t_ms").alias("lo"), F.min("t_ms").alias("hi"),
    ).withColumn("artist_id", F.lit(None).cast("long"))


def follow_edges(crawled: DataFrame, landed: DataFrame | None = None) -> DataFrame:
    """The edge table from crawl sightings (``crawl_sightings``) and landed sightings."""
    cols = ["artist_id", "follower_id", "followee_id", "multiplicity", "t0", "t1", "lo", "hi", "source"]
    parts = _with_bounds(crawled).select(*cols)
    if landed is not None:
        parts = parts.unionByName(_with_bounds(landed).select(*cols))
    return parts.select(
        "follower_id", "followee_id",
        F.timestamp_millis("t0").alias("followed_at"), F.timestamp_millis("t1").alias("last_followed_at"),
        F.timestamp_millis("lo").alias("followed_at_min"), F.timestamp_millis("hi").alias("followed_at_max"),
        F.col("artist_id").cast("long").alias("artist_id"), F.col("multiplicity").cast("int").alias("multiplicity"),
        "source",
    )


def _with_bounds(df: DataFrame) -> DataFrame:
    """Sightings without interval columns (exact times only) get ``lo = hi = t0``."""
    for c in ("lo", "hi"):
        if c not in df.columns:
            df = df.withColumn(c, F.col("t0"))
    return df


def distinct_edges(edges: DataFrame) -> DataFrame:
    """One row per (follower, followee) over every source: largest multiplicity, earliest
    exact time in epoch ms (``t_ms``) and the first follow's interval intersected over the
    sources (``t_min_ms``, ``t_max_ms``; null bounds are unbounded): what the bot detectors
    read. A table without interval columns gives ``t_min_ms = t_max_ms = t_ms``."""
    if "followed_at_min" not in edges.columns:
        edges = edges.withColumn("followed_at_min", F.col("followed_at"))
    if "followed_at_max" not in edges.columns:
        edges = edges.withColumn("followed_at_max", F.col("followed_at"))
    e = edges.withColumn("lo_ms", F.unix_millis("followed_at_min")).withColumn("hi_ms", F.unix_millis("followed_at_max"))
    lo, hi = _intersect("lo_ms", "hi_ms")
    return e.groupBy("follower_id", "followee_id").agg(
        F.max("multiplicity").alias("multiplicity"), F.min(F.unix_millis("followed_at")).alias("t_ms"),
        lo.alias("t_min_ms"), hi.alias("t_max_ms"))
