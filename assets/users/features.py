"""User features: the seed's 11 plus account age, fake batches, stock phrases, random
free-TLD domains, link-in-bio hubs, username/permalink patterns and the follow ratio.

Two steps: row features (``row_features``, pure pandas, one user at a time: the scoring
service's path for a posted user, on Spark through ``mapInPandas``; ``features_sql`` has
the same values as SQL expressions, not yet the default) and ``user_features`` (Spark: the counts that need the
whole user table, then the final columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from assets.users import domains, text
from assets.users.config import DEFAULT_CONFIG, UsersConfig

# The model's inputs, in order. COUNT_LIKE ones are log1p-transformed before scaling.
SEED_FEATURES = ("followers", "followings", "tracks", "url_provided", "description_profanities",
                 "url_title_profanities", "duplicate_descriptions", "duplicate_urls", "activity",
                 "subscription", "url_shortener")
EXTRA_FEATURES = ("account_age_days", "fake_batch_size", "stock_phrase_share", "url_link_hub", "random_free_domain",
                  "random_domain_name",
                  "abused_tld", "commercial_terms", "username_digit_share", "default_permalink", "permalink_unrelated", "follow_ratio")
FEATURES = SEED_FEATURES + EXTRA_FEATURES
COUNT_LIKE = ("followers", "followings", "tracks", "description_profanities", "url_title_profanities", "commercial_terms",
              "duplicate_descriptions", "duplicate_urls", "activity", "account_age_days", "fake_batch_size",
              "follow_ratio")
# Evidence kept beside the features (for reasons, the service and the overview).
EVIDENCE = ("description_key", "created_second", "created_at_iso", "shortener_domain", "random_domain",
            "profane_words", "domains")

ACTIVITY_FIELDS = ("likes_count", "reposts_count", "playlist_count", "comments_count", "playlist_likes_count")
PLAN_CODE = {"free": 0, "pro": 1, "pro_unlimited": 2, "other": 1}

ROW_SCHEMA = T.StructType(
    [T.StructField("user_id", T.LongType(), False)]
    + [T.StructField(f, T.DoubleType(), False) for f in
       ("followers", "followings", "tracks", "url_provided", "description_profanities", "url_title_profanities",
        "activity", "subscription", "url_shortener", "url_link_hub", "account_age_days", "random_free_domain", "random_domain_name",
        "abused_tld", "commercial_terms", "username_digit_share", "default_permalink", "permalink_unrelated", "follow_ratio")]
    + [T.StructField("description_key", T.StringType()),
       T.StructField("created_second", T.LongType()),
       T.StructField("created_at_iso", T.StringType()),
       T.StructField("phrases", T.ArrayType(T.StringType())),
       T.StructField("n_sentences", T.LongType()),
       T.StructField("url_keys", T.ArrayType(T.StringType())),
       T.StructField("domains", T.ArrayType(T.StringType())),
       T.StructField("shortener_domain", T.StringType()),
       T.StructField("random_domain", T.StringType()),
       T.StructField("profane_words", T.StringType())]
)
ROW_INPUT = ("user_id", "username", "permalink", "followers_count", "followings_count", "track_count",
             *ACTIVITY_FIELDS, "description", "plan", "created_epoch", "fetched_epoch", "urls", "titles")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").fillna(0).clip(lower=0).astype("float64")


def _list(v) -> list:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    return list(v)


def count_features(pdf: pd.DataFrame) -> pd.DataFrame:
    """user_id and the column-wise (vectorised) row features of ROW_INPUT rows: counts
    (null, text or negative -> 0), activity, subscription, account age and follow ratio."""
    out = pd.DataFrame({"user_id": pdf["user_id"].astype("int64")})
    out["followers"] = _num(pdf["followers_count"])
    out["followings"] = _num(pdf["followings_count"])
    out["tracks"] = _num(pdf["track_count"])
    out["activity"] = sum(_num(pdf[f]) for f in ACTIVITY_FIELDS)
    out["subscription"] = pdf["plan"].map(PLAN_CODE).fillna(0).astype("float64")
    created = pd.to_numeric(pdf["created_epoch"], errors="coerce")
    fetched = pd.to_numeric(pdf["fetched_epoch"], errors="coerce")
    out["account_age_days"] = ((fetched - created) / 86400.0).clip(lower=0).fillna(0).astype("float64")
    out["follow_ratio"] = out["followings"] / (out["followers"] + 1.0)
    return out


def row_features(pdf: pd.DataFrame, config: UsersConfig) -> pd.DataFrame:
    """Row-local features of users given as ROW_INPUT columns (one row per user).

    ``urls`` and ``titles`` are the web profiles' urls and titles (lists, may be empty);
    ``created_epoch``/``fetched_epoch`` epoch seconds (may be null). Null counts are 0.
    """
    shorteners, free, hubs = frozenset(config.shorteners), frozenset(config.free_tlds), frozenset(config.link_hubs)
    abused = free | frozenset(config.abused_tlds)
    out = count_features(pdf)
    created = pd.to_numeric(pdf["created_epoch"], errors="coerce")

    rows = []
    for desc, name, link, urls, titles in zip(pdf["description"], pdf["username"], pdf["permalink"],
                                              pdf["urls"], pdf["titles"], strict=True):
        urls = [u for u in _list(urls) if isinstance(u, str) and u.strip()]
        titles = [t for t in _list(titles) if isinstance(t, str) and t.strip()]
        doms, keys, short, rand, rand_any, cheap, hub = [], [], None, None, False, False, False
        for u in urls:
            d, suffix = domains.parts(u)
            random_label = domains.looks_random(domains.label_of(d, suffix))
            k = domains.url_key(u)
            if d and d not in doms:
                doms.append(d)
            if k and k not in keys:
                keys.append(k)
            if short is None and d in shorteners:
                short = d
            hub = hub or d in hubs
            if rand is None and random_label and suffix in free:
                rand = d
            rand_any = rand_any or random_label
            cheap = cheap or suffix in abused
        key = text.normalise(desc) or None
        profane = text.profane_words(desc) + [w for t in titles for w in text.profane_words(t)]
        rows.append((
            float(bool(urls)),
            float(text.profanity_count(desc)),
            float(sum(text.profanity_count(t) for t in titles)),
            float(short is not None),
            float(hub),
            float(rand is not None),
            float(rand_any),
            float(cheap),
            float(text.term_count(desc, config.commercial_terms) + text.term_count(name, config.commercial_terms)
                  + sum(text.term_count(t, config.commercial_terms) for t in titles)),
            text.digit_share(name),
            float(text.default_permalink(link)),
            float(text.permalink_unrelated(name, link)),
            key,
            text.short_phrases(desc, config.stock_phrase_max_words) if key else [],
            len(text.sentences(desc)),
            keys, doms, short, rand,
            ", ".join(dict.fromkeys(profane)) or None,
        ))
    cols = ["url_provided", "description_profanities", "url_title_profanities", "url_shortener", "url_link_hub",
            "random_free_domain", "random_domain_name", "abused_tld", "commercial_terms", "username_digit_share", "default_permalink", "permalink_unrelated",
            "description_key", "phrases", "n_sentences", "url_keys", "domains", "shortener_domain", "random_domain",
            "profane_words"]
    detail = pd.DataFrame(rows, columns=cols, index=pdf.index)
    for c in cols:
        out[c] = detail[c].values
    out["created_second"] = created.astype("Int64")
    out["created_at_iso"] = pd.to_datetime(created, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.loc[created.isna(), "created_at_iso"] = None
    return out[[f.name for f in ROW_SCHEMA.fields]]


def row_input(users: DataFrame) -> DataFrame:
    """The users table in ROW_INPUT shape (epoch seconds, profile urls and titles)."""
    return users.select(
        "user_id", "username", "permalink", "followers_count", "followings_count", "track_count",
        *ACTIVITY_FIELDS, "description", "plan",
        F.col("created_at").cast("long").alias("created_epoch"),
        F.col("fetched_at").cast("long").alias("fetched_epoch"),
        F.transform(F.coalesce("web_profiles", F.array()), lambda p: p["url"]).alias("urls"),
        F.transform(F.coalesce("web_profiles", F.array()), lambda p: p["title"]).alias("titles"),
    )


def spark_row_features(users: DataFrame, config: UsersConfig) -> DataFrame:
    """``row_features`` on Spark. The chain runs the Python reference through
    ``mapInPandas`` (``python_row_features``): the JVM expressions of ``features_sql`` are
    exact but slower (1M users: 1,172 s of features vs 50-70 s; 100k: 216-361 s vs 63 s
    under shared load; their final projection exceeds Janino's 64 KB method limit, so
    whole-stage codegen is disabled for it; bench/RESULTS.md)."""
    return python_row_features(users, config)


def jvm_row_features(users: DataFrame, config: UsersConfig) -> DataFrame:
    """``row_features`` as Spark SQL expressions (``features_sql``; exact, not yet fast)."""
    from assets.users.features_sql import sql_row_features

    return sql_row_features(row_input(users), config)


def python_row_features(users: DataFrame, config: UsersConfig) -> DataFrame:
    """``row_features`` on every row through ``mapInPandas`` (the reference)."""
    def apply(batches):
        for pdf in batches:
            yield row_features(pdf, config)

    return row_input(users).mapInPandas(apply, ROW_SCHEMA)


def table_features(rows: DataFrame, config: UsersConfig) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(user_features, user_urls, stock_phrases) from row features: the whole-table counts.

    * duplicate_descriptions: other users with the same (normalised, non-empty) description;
    * duplicate_urls: the most other users sharing one of the user's URLs;
    * fake_batch_size: other users created in the same second with the same description;
    * stock_phrase_share: for descriptions of two or more sentences, the share of them that
      are short (at most ``stock_phrase_max_words`` words) and used by at least
      ``stock_phrase_min_descriptions`` distinct descriptions (0 for one sentence).

    The counts are computed on narrow projections of the rows (ids and keys only) and only
    users with a non-zero count are joined back, in one join by user_id: the wide rows
    (evidence, arrays) are shuffled once at most, and not at all when the users with
    duplicates are few enough to broadcast.
    """
    rows = rows.persist()
    described = rows.where(F.col("description_key").isNotNull()).select("user_id", "description_key",
                                                                        "created_second")
    # descriptions and (second, description) batches: one exchange by description_key
    by_desc = Window.partitionBy("description_key")
    by_batch = Window.partitionBy("description_key", "created_second")
    dup_desc = (described.select(
        "user_id",
        (F.count("*").over(by_desc) - 1).alias("_dup_desc"),
        F.when(F.col("created_second").isNotNull(), F.count("*").over(by_batch) - 1).alias("_batch"))
        .where(F.col("_dup_desc") > 0))
    urls = rows.select("user_id", F.explode("url_keys").alias("url_key")).dropDuplicates()
    url_users = urls.groupBy("url_key").agg(F.count("*").alias("url_users"))
    user_urls = urls.join(url_users, "url_key")
    dup_url = (user_urls.where(F.col("url_users") > 1).groupBy("user_id")
               .agg((F.max("url_users") - 1).alias("_dup_urls")))
    phrased = rows.where(F.size("phrases") > 0)
    phrases = (phrased.select("description_key", "phrases").dropDuplicates(["description_key"])
               .select(F.explode("phrases").alias("phrase")).groupBy("phrase")
               .agg(F.count("*").alias("descriptions")))
    stock = phrases.where(F.col("descriptions") >= config.stock_phrase_min_descriptions)
    stock_n = (phrased.select("user_id", F.explode("phrases").alias("phrase"))
               .join(stock.select("phrase"), "phrase")  # a semi-join on a (small) phrase list
               .groupBy("user_id").agg(F.count("*").alias("_stock_n")))
    counts = (dup_desc.join(dup_url, "user_id", "full").join(stock_n, "user_id", "full"))
    feats = (rows.join(counts, "user_id", "left")
             .withColumn("duplicate_descriptions", F.coalesce("_dup_desc", F.lit(0)).cast("double"))
             .withColumn("duplicate_urls", F.coalesce("_dup_urls", F.lit(0)).cast("double"))
             .withColumn("fake_batch_size", F.coalesce("_batch", F.lit(0)).cast("double"))
             .withColumn("stock_phrase_share", F.when(
                 F.col("description_key").isNull() | (F.col("n_sentences") < 2), 0.0).otherwise(
                 F.least(F.lit(1.0), F.coalesce("_stock_n", F.lit(0)) / F.greatest("n_sentences", F.lit(1))))
                 .cast("double")))
    feats = feats.select("user_id", *FEATURES, *EVIDENCE)
    return feats, user_urls.select("user_id", "url_key", "url_users"), stock


def user_features(users: DataFrame, config: UsersConfig = DEFAULT_CONFIG) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(user_features, user_urls, stock_phrases) of a users table (see ``load.load_users``)."""
    return table_features(spark_row_features(users, config), config)
