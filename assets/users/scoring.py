"""Score every user with a model on Spark (``mapInPandas``): probability, class, spam type
and the top evidence in words."""

from __future__ import annotations

import math

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from assets.users.features import EVIDENCE, FEATURES
from assets.users.model import SPAM, SpamModel

SCORES_SCHEMA = T.StructType([
    T.StructField("user_id", T.LongType(), False),
    T.StructField("spam_probability", T.DoubleType()),
    T.StructField("predicted_class", T.StringType()),
    T.StructField("spam_type", T.StringType()),
    T.StructField("reasons", T.StringType()),
    T.StructField("model_version", T.StringType()),
])
SPAM_TYPES = ("pornographic", "fake_batch", "seo", "other")


def _n(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def _plural(n: float, word: str) -> str:
    n = int(n)
    return f"{n} {word}{'' if n == 1 else 's'}"


def spam_type(row: dict) -> str:
    """pornographic | fake_batch | seo | other, from the evidence of one (spam) user."""
    profane = _n(row.get("description_profanities")) + _n(row.get("url_title_profanities"))
    if profane > 0:
        return "pornographic"
    if _n(row.get("fake_batch_size")) >= 1:
        return "fake_batch"
    if _n(row.get("commercial_terms")) >= 1:
        return "seo"
    if (_n(row.get("random_free_domain")) or _n(row.get("random_domain_name")) or _n(row.get("url_shortener"))
            or _n(row.get("abused_tld"))):
        return "pornographic"
    if _n(row.get("duplicate_urls")) >= 1 or (_n(row.get("duplicate_descriptions")) >= 1 and _n(row.get("url_provided"))):
        return "seo"
    if _n(row.get("stock_phrase_share")) >= 0.5:
        return "fake_batch"
    return "other"


def reasons(row: dict, limit: int = 3) -> str:
    """The strongest evidence in words, most telling first, '; '-separated."""
    out = []
    profane = _n(row.get("description_profanities"))
    if profane:
        words = row.get("profane_words") or ""
        out.append(f"{_plural(profane, 'profane word')} in description" + (f" ({words})" if words else ""))
    if _n(row.get("url_title_profanities")):
        out.append(f"{_plural(_n(row.get('url_title_profanities')), 'profane word')} in link titles")
    batch = _n(row.get("fake_batch_size"))
    if batch:
        out.append(f"created with {int(batch)} other{'' if batch == 1 else 's'} at "
                   f"{row.get('created_at_iso') or 'the same second'}, same description")
    if row.get("shortener_domain"):
        out.append(f"shortener link {row['shortener_domain']}")
    if row.get("random_domain"):
        out.append(f"random-looking domain {row['random_domain']} on a free TLD")
    elif _n(row.get("random_domain_name")):
        out.append("random-looking domain name")
    if _n(row.get("abused_tld")) and not row.get("random_domain"):
        out.append("link on a free or much-abused TLD")
    if _n(row.get("commercial_terms")):
        out.append(f"{_plural(_n(row.get('commercial_terms')), 'commercial term')} (business promotion)")
    if _n(row.get("duplicate_urls")):
        out.append(f"link shared with {_plural(_n(row.get('duplicate_urls')), 'other user')}")
    if _n(row.get("duplicate_descriptions")):
        out.append(f"description shared with {_plural(_n(row.get('duplicate_descriptions')), 'other user')}")
    if _n(row.get("stock_phrase_share")) >= 0.5:
        out.append(f"description of stock phrases ({_n(row.get('stock_phrase_share')):.0%})")
    followings, followers = _n(row.get("followings")), _n(row.get("followers"))
    if followings >= 50 and followings > 10 * (followers + 1):
        out.append(f"follows {int(followings)} accounts, {_plural(followers, 'follower')}")
    if _n(row.get("default_permalink")):
        out.append("default permalink")
    if not out:
        tracks = _n(row.get("tracks"))
        out.append(f"no spam evidence ({_plural(tracks, 'track')}, {_plural(followers, 'follower')})")
    return "; ".join(out[:limit])


def score_frame(model: SpamModel, pdf: pd.DataFrame) -> pd.DataFrame:
    """Scores of user-feature rows (pandas): the same code serves Spark and the service."""
    p_spam, pred = model.spam_probability(pdf)
    records = pdf.to_dict(orient="records")
    is_spam = pred == SPAM
    return pd.DataFrame({
        "user_id": pdf["user_id"].astype("int64").to_numpy(),
        "spam_probability": p_spam.astype("float64"),
        "predicted_class": pred.astype(str),
        "spam_type": [spam_type(r) if s else None for r, s in zip(records, is_spam, strict=True)],
        "reasons": [reasons(r) for r in records],
        "model_version": model.version or "unversioned",
    })


def score_users(features: DataFrame, model: SpamModel) -> DataFrame:
    """spam_scores for every row of ``user_features`` (Spark, mapInPandas)."""
    cols = ["user_id", *dict.fromkeys([*model.features, *FEATURES, *[c for c in EVIDENCE if c != "domains"]])]
    cols = [c for c in cols if c in features.columns]

    def apply(batches):
        for pdf in batches:
            yield score_frame(model, pdf)

    return features.select(*cols).mapInPandas(apply, SCORES_SCHEMA)
