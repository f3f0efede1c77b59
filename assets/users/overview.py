"""The seed's descriptive figures as tables: plans, track-count buckets, engagement,
following vs followers, top linked domains (shorteners marked)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.users.config import DEFAULT_CONFIG, UsersConfig

TRACK_BUCKETS = ((0, 0, "0"), (1, 10, "1-10"), (11, 100, "11-100"), (101, 500, "101-500"),
                 (501, 1000, "501-1000"), (1001, None, "1001+"))
COUNT_BUCKETS = ((0, 0, "0"), (1, 10, "1-10"), (11, 100, "11-100"), (101, 1000, "101-1000"),
                 (1001, None, "1001+"))


def _bucket(col, buckets) -> F.Column:
    expr = None
    for lo, hi, name in buckets:
        cond = (col >= lo) if hi is None else col.between(lo, hi)
        expr = F.when(cond, name) if expr is None else expr.when(cond, name)
    return expr.otherwise("unknown")


def _share(df: DataFrame, by: str, order: list[str] | None = None, total: int | None = None) -> DataFrame:
    total = df.count() if total is None else total
    out = df.groupBy(by).agg(F.count("*").alias("users")).withColumn(
        "share_pct", F.round(F.col("users") * 100.0 / F.lit(max(total, 1)), 4))
    if order:
        out = out.withColumn("_o", F.array_position(F.array(*[F.lit(o) for o in order]), F.col(by))).orderBy("_o").drop("_o")
    return out


def plans(users: DataFrame) -> DataFrame:
    return _share(users.select("plan"), "plan").orderBy(F.desc("users"))


def track_buckets(users: DataFrame) -> DataFrame:
    col = F.coalesce(F.col("track_count"), F.lit(0))
    return _share(users.select(_bucket(col, TRACK_BUCKETS).alias("tracks")), "tracks", [b[2] for b in TRACK_BUCKETS])


def engagement(users: DataFrame) -> DataFrame:
    """Users by activity bucket (likes + reposts + playlists + comments + playlist likes)."""
    act = sum(F.coalesce(F.col(c), F.lit(0)) for c in
              ("likes_count", "reposts_count", "playlist_count", "comments_count", "playlist_likes_count"))
    return _share(users.select(_bucket(act, COUNT_BUCKETS).alias("activity")), "activity",
                  [b[2] for b in COUNT_BUCKETS])


def following_vs_followers(users: DataFrame) -> DataFrame:
    """A 2-D histogram: followings bucket x followers bucket (the seed's scatter)."""
    fo = _bucket(F.coalesce(F.col("followings_count"), F.lit(0)), COUNT_BUCKETS).alias("followings")
    fr = _bucket(F.coalesce(F.col("followers_count"), F.lit(0)), COUNT_BUCKETS).alias("followers")
    total = max(users.count(), 1)
    return (users.select(fo, fr).groupBy("followings", "followers").agg(F.count("*").alias("users"))
            .withColumn("share_pct", F.round(F.col("users") * 100.0 / total, 4)).orderBy(F.desc("users")))


def top_domains(user_urls_domains: DataFrame, n: int = 25, config: UsersConfig = DEFAULT_CONFIG) -> DataFrame:
    """The ``n`` registered domains linked by the most users; shorteners marked.

    ``user_urls_domains``: (user_id, domains array) as in ``user_features``.
    """
    d = user_urls_domains.select("user_id", F.explode("domains").alias("domain")).dropDuplicates()
    return (d.groupBy("domain").agg(F.count("*").alias("users"))
            .withColumn("shortener", F.col("domain").isin(list(config.shorteners)))
            .orderBy(F.desc("users"), "domain").limit(n))


def population_overview(users: DataFrame, user_features: DataFrame, config: UsersConfig = DEFAULT_CONFIG
                        ) -> dict[str, DataFrame]:
    """Table name -> DataFrame, each written to the warehouse as ``population_<name>``."""
    return {
        "plans": plans(users),
        "track_buckets": track_buckets(users),
        "engagement": engagement(users),
        "following_vs_followers": following_vs_followers(users),
        "top_domains": top_domains(user_features.select("user_id", "domains"), 25, config),
    }
