"""Users from raw records: the latest record per id, typed, one row per live user.

Raw records follow DESIGN.md "Contract: raw users" (crawls and imports alike):
``{"id", "status", "fetched_at", "user": {...api-v2...} | null, "web_profiles": [...]}``.
For each id the latest record that says something about the account decides: ``fetched``
(live) or ``gone`` (deleted). A ``failed`` record says nothing new, so an earlier fetched
record still stands; ids whose every record failed are counted as failed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

COUNT_FIELDS = ("followers_count", "followings_count", "track_count", "likes_count", "playlist_count",
                "playlist_likes_count", "reposts_count", "comments_count")

_PRODUCT = T.StructType([T.StructField("product", T.StructType([T.StructField("id", T.StringType())]))])
WEB_PROFILE = T.StructType([
    T.StructField("url", T.StringType()),
    T.StructField("network", T.StringType()),
    T.StructField("service", T.StringType()),  # older dumps call network "service"
    T.StructField("title", T.StringType()),
    T.StructField("username", T.StringType()),
])
USER = T.StructType(
    [T.StructField("id", T.LongType()), T.StructField("username", T.StringType()),
     T.StructField("permalink", T.StringType()), T.StructField("full_name", T.StringType())]
    + [T.StructField(f, T.LongType()) for f in COUNT_FIELDS]
    + [T.StructField("description", T.StringType()), T.StructField("city", T.StringType()),
       T.StructField("country_code", T.StringType()), T.StructField("created_at", T.StringType()),
       T.StructField("last_modified", T.StringType()),
       T.StructField("creator_subscriptions", T.ArrayType(_PRODUCT)),
       T.StructField("creator_subscription", _PRODUCT),
       T.StructField("badges", T.StructType([T.StructField("pro", T.BooleanType()),
                                             T.StructField("pro_unlimited", T.BooleanType()),
                                             T.StructField("verified", T.BooleanType())])),
       T.StructField("verified", T.BooleanType()),
       T.StructField("web_profiles", T.ArrayType(WEB_PROFILE))]
)
RAW_RECORD = T.StructType([
    T.StructField("id", T.LongType()),
    T.StructField("status", T.StringType()),
    T.StructField("fetched_at", T.StringType()),
    T.StructField("user", USER),
    T.StructField("web_profiles", T.ArrayType(WEB_PROFILE)),
    T.StructField("error", T.StringType()),
])

USERS_COLUMNS = ("user_id", "username", "permalink", *COUNT_FIELDS, "description", "city", "country_code",
                 "created_at", "last_modified", "plan", "verified", "web_profiles", "fetched_at")


def read_raw_records(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Raw-user JSON Lines files (gzip or plain) as a DataFrame with the contract's schema."""
    if not paths:
        return spark.createDataFrame([], RAW_RECORD)
    return spark.read.schema(RAW_RECORD).option("mode", "PERMISSIVE").json(paths)


def _ts(col):
    return F.to_timestamp(col)


def _plan(user):
    """free | pro | pro_unlimited | other, from the subscription product or the badges."""
    product = F.lower(F.coalesce(user["creator_subscription"]["product"]["id"],
                                 F.element_at(user["creator_subscriptions"], 1)["product"]["id"]))
    return (F.when(product.contains("unlimited") | (user["badges"]["pro_unlimited"] == F.lit(True)), "pro_unlimited")
            .when(product.contains("pro") | (user["badges"]["pro"] == F.lit(True)), "pro")
            .when(product.isNull() | (product == "free"), "free")
            .otherwise("other"))


def latest_records(raw_records: DataFrame) -> DataFrame:
    """One record per id: the latest fetched/gone record, else the latest failed one."""
    informative = F.col("status").isin("fetched", "gone").cast("int")
    w = Window.partitionBy("id").orderBy(informative.desc(), _ts(F.col("fetched_at")).desc_nulls_last())
    return (raw_records.where(F.col("id").isNotNull() & (F.col("id") > 0))
            .withColumn("_rank", F.row_number().over(w)).where("_rank = 1").drop("_rank"))


def status_counts(raw_records: DataFrame) -> dict[str, int]:
    """Ids by the status that decides them: fetched (live), gone, failed."""
    rows = latest_records(raw_records).groupBy("status").count().collect()
    out = {"fetched": 0, "gone": 0, "failed": 0}
    for r in rows:
        out[r["status"] if r["status"] in out else "other"] = out.get(r["status"], 0) + r["count"]
    return out


def load_users(spark: SparkSession, raw_records: DataFrame) -> DataFrame:
    """The live users: latest record per id with status fetched, typed (see USERS_COLUMNS)."""
    del spark  # the signature is the chain's contract; the frame carries its session
    live = latest_records(raw_records).where((F.col("status") == "fetched") & F.col("user").isNotNull())
    u = F.col("user")
    profiles = F.coalesce(F.col("web_profiles"), u["web_profiles"], F.array().cast(T.ArrayType(WEB_PROFILE)))
    profiles = F.transform(profiles, lambda p: F.struct(
        p["url"].alias("url"), F.coalesce(p["network"], p["service"]).alias("network"),
        p["title"].alias("title")))
    return live.select(
        F.col("id").alias("user_id"),
        u["username"].alias("username"),
        u["permalink"].alias("permalink"),
        *[u[f].alias(f) for f in COUNT_FIELDS],
        u["description"].alias("description"),
        u["city"].alias("city"),
        u["country_code"].alias("country_code"),
        _ts(u["created_at"]).alias("created_at"),
        _ts(u["last_modified"]).alias("last_modified"),
        _plan(u).alias("plan"),
        F.coalesce(u["verified"], u["badges"]["verified"], F.lit(False)).alias("verified"),
        profiles.alias("web_profiles"),
        _ts(F.col("fetched_at")).alias("fetched_at"),
    )


def users_from_api_objects(spark: SparkSession, users: list[dict]) -> DataFrame:
    """api-v2 user objects (with an optional ``web_profiles`` list inside) as live users,
    fetched now unless an object says when (``_fetched_at``), as an import stamps its rows."""
    import json
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = [json.dumps({"id": u.get("id"), "status": "fetched", "fetched_at": u.get("_fetched_at") or now,
                           "user": u, "web_profiles": u.get("web_profiles")}) for u in users]
    raw = spark.read.schema(RAW_RECORD).json(spark.sparkContext.parallelize(records, 1))
    return load_users(spark, raw)
