"""K-Means on scaled features, k at the knee of the inertia curve, clusters named from what
separates them.

Fitting runs on a bounded random sample (scikit-learn); assigning every user runs on Spark
(``mapInPandas``) with the fitted pipeline, so the cost that grows with users is Spark's.
Counts are log1p-transformed before standard scaling (they span six orders of magnitude).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from assets.users.features import COUNT_LIKE

# Spam indicators (higher = more spam-like) and legitimacy signals, for naming. The
# legitimacy signals are the audience an account has (followers) and its engagement with
# others' content (likes, reposts, comments, playlists: "activity"); publishing is NOT one
# (spam accounts publish too). Cf. the "human" indicators of Camisani-Calzolari (2012) as
# evaluated by Cresci et al., "Fame for sale", 2015.
SPAM_SIGNALS = ("description_profanities", "url_title_profanities", "url_shortener", "duplicate_urls",
                "fake_batch_size", "stock_phrase_share", "random_free_domain", "random_domain_name",
                "abused_tld", "commercial_terms", "default_permalink", "follow_ratio")
LEGIT_SIGNALS = ("followers", "activity")
# Spam signals that are flags or shares (a cluster mean is the share of members showing it).
SHARE_SIGNALS = ("url_shortener", "random_free_domain", "random_domain_name", "abused_tld", "default_permalink",
                 "stock_phrase_share")
BASE_NAMES = ("Superstars", "Regular Musicians", "Fans", "Spam")


def class_of(name: str) -> str:
    """The predicted class of a cluster name: 'Regular Musicians (x)' -> 'regular_musicians'."""
    base = name.split(" (")[0].rstrip("0123456789 ")
    return base.lower().replace(" ", "_")


class LogCounts(BaseEstimator, TransformerMixin):
    """log1p of the columns at ``idx`` (counts), other columns unchanged; picklable."""

    def __init__(self, idx: tuple[int, ...] = ()):
        self.idx = idx

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = np.asarray(X, dtype="float64").copy()
        idx = list(self.idx)
        X[:, idx] = np.log1p(np.clip(X[:, idx], 0, None))
        return X


def preprocessor(features: tuple[str, ...]) -> Pipeline:
    """log1p on count-like columns, then standard scaling (fitted on the sample)."""
    idx = tuple(i for i, f in enumerate(features) if f in COUNT_LIKE)
    return Pipeline([("log", LogCounts(idx)), ("scale", StandardScaler())])


def kneedle_scores(ks: list[int], inertias: list[float]) -> np.ndarray:
    """Kneedle's difference curve (Satopaa et al. 2011) of a decreasing convex curve: how far
    each point lies below the chord from the first to the last point, both axes scaled to
    [0, 1] (so the scores do not depend on the units of the inertia)."""
    x = np.asarray(ks, dtype=float)
    y = np.asarray(inertias, dtype=float)
    if len(x) < 3 or y.max() == y.min():
        return np.zeros(len(x))
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y.min()) / (y.max() - y.min())
    return (1 - xn) - yn


def knee(ks: list[int], inertias) -> int:
    """The knee of the inertia curve: Kneedle, with the one-standard-error rule when the
    curve was measured on several independent replicates.

    ``inertias``: one curve (a value per k) or replicate curves (one row per replicate,
    e.g. K-Means on disjoint random parts of the sample). One curve: the k with the
    largest Kneedle score. Replicates: the Kneedle score of each replicate is averaged,
    and the knee is the SMALLEST k whose mean score is within one standard error of the
    best mean score (the one-standard-error rule of Breiman et al. 1984 / Hastie,
    Tibshirani & Friedman, ESL 7.10: among models the data cannot tell apart, the most
    parsimonious). When the curve has no sharp knee (scores flat over a range of k), the
    plain argmax lands anywhere on the plateau depending on K-Means' random starts and on
    which rare users happen to be sampled; the rule returns the start of the plateau instead.
    """
    curves = np.atleast_2d(np.asarray(inertias, dtype=float))
    scores = np.vstack([kneedle_scores(ks, c) for c in curves])
    mean = scores.mean(axis=0)
    best = int(np.argmax(mean))
    if len(scores) < 2:
        return int(ks[best])
    se = scores[:, best].std(ddof=1) / np.sqrt(len(scores))
    return int(ks[int(np.flatnonzero(mean >= mean[best] - se)[0])])


@dataclass
class Elbow:
    """The inertia curve (summed over the replicates: the inertia of the whole sample when
    each replicate part is clustered on its own), the chosen k and, per replicate and k,
    the inertia of that part."""

    ks: list[int]
    inertias: list[float]
    k: int
    sample_size: int
    models: dict = field(default_factory=dict, repr=False)
    replicates: list[list[float]] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        t = pd.DataFrame({"k": self.ks, "inertia": self.inertias, "chosen": [k == self.k for k in self.ks]})
        if len(self.replicates) > 1:
            scores = np.vstack([kneedle_scores(self.ks, c) for c in self.replicates])
            t["knee_score"] = scores.mean(axis=0).round(4)
            t["knee_score_se"] = (scores.std(axis=0, ddof=1) / np.sqrt(len(scores))).round(4)
        return t


def fit_elbow(sample: pd.DataFrame, features: tuple[str, ...], k_min: int = 2, k_max: int = 10,
              seed: int = 0, n_init: int = 4, replicates: int = 4, min_part: int = 5_000) -> tuple[Pipeline, Elbow]:
    """Pick k at the knee of the inertia curve (``knee``), then fit K-Means with that k on
    the whole scaled sample.

    The curve is measured on ``replicates`` disjoint random parts of the sample (K-Means
    for k = k_min..k_max on each part; about the cost of one curve on the whole sample), so
    the knee comes with its own standard error. Each part keeps at least ``min_part`` users
    (so a group of 1% of users still has some 50 members in every part for K-Means to
    find); a smaller sample is one part: the plain Kneedle on the whole sample's curve.
    """
    prep = preprocessor(features)
    X = prep.fit_transform(sample[list(features)].to_numpy(dtype="float64"))
    k_max = max(k_min, min(k_max, len(np.unique(X, axis=0)) - 1))
    n_parts = int(max(1, min(replicates, len(X) // max(min_part, 20 * k_max))))
    order = np.random.default_rng(seed).permutation(len(X))
    parts = [X[np.sort(order[r::n_parts])] for r in range(n_parts)]
    k_max = max(k_min, min([k_max] + [len(np.unique(p, axis=0)) - 1 for p in parts]))
    ks = list(range(k_min, k_max + 1))
    curves = [[float(KMeans(n_clusters=k, n_init=n_init, random_state=seed + r).fit(p).inertia_) for k in ks]
              for r, p in enumerate(parts)]  # best of n_init k-means++ starts per k and part
    k = knee(ks, curves)
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)
    pipe = Pipeline([("prep", prep), ("kmeans", km)])
    inertias = [float(v) for v in np.sum(curves, axis=0)]
    return pipe, Elbow(ks=ks, inertias=inertias, k=k, sample_size=len(sample), models={k: km}, replicates=curves)


UNIT = float(np.log1p(1.0))  # one flag, one word, one other account: the smallest unit of a signal


def _minmax(s: pd.Series, floor: float = 0.0) -> pd.Series:
    """(s - min) / (max - min), the range taken as at least ``floor``."""
    lo, hi = s.min(), s.max()
    span = max(hi - lo, floor)
    return (s - lo) / span if span > 0 else s * 0.0


def name_clusters(centroids: pd.DataFrame) -> pd.Series:
    """Names of clusters from their centroids (index = cluster id, columns = features, in
    original units, plus ``size``). Only ranks between clusters matter:

    * each signal (log1p of the centroid) is min-max scaled across clusters (0 = lowest
      cluster, 1 = highest), the range taken as at least one unit (log1p(1): one flag,
      one profane word, one other account per member on average), so that clusters
      differing by a fraction of a unit (a fans cluster where 3% of members sit in a
      same-second batch: mean 0.3) do not look as far apart as members with and without;
    * a cluster is Spam when a spam signal is at least half-way up (>= 0.5), above its
      strongest legitimacy signal and shown by its typical member (a count of one or more
      per member on average, a flag or share on half of the members or more): a fans
      cluster holding a few same-second batches (mean batch size 0.7) is not a spam
      cluster, a cluster of shops is. Any number of clusters may be Spam, none included
      (no cluster is forced to be Spam: the labelling functions and the label model still
      find spam users then, see ``model``);
    * of the rest, "creators" are clusters whose members publish (a track or more on
      average). With two or more creators (and a third cluster left for fans), the
      creator with the most followers is Superstars; the largest other creator is
      Regular Musicians; the largest remaining cluster is Fans; further clusters are
      named after the named cluster they are closest to, with their top trait.
    """
    c = centroids.copy()
    spam_cols = [s for s in SPAM_SIGNALS if s in c.columns]
    legit_cols = [s for s in LEGIT_SIGNALS if s in c.columns]
    norm = pd.DataFrame({col: _minmax(np.log1p(c[col].clip(lower=0)), UNIT) for col in spam_cols + legit_cols},
                        index=c.index)
    spam = norm[spam_cols].max(axis=1) if spam_cols else pd.Series(0.0, index=c.index)
    legit = norm[legit_cols].max(axis=1) if legit_cols else pd.Series(0.0, index=c.index)
    names = pd.Series("", index=c.index, dtype=object)
    # a Spam cluster needs a spam trait its typical member shows (not a minority lifting
    # the mean): a count of at least one per member, a flag or share on half of them
    shown = pd.DataFrame({col: c[col] >= (0.5 if col in SHARE_SIGNALS else 1.0) for col in spam_cols}, index=c.index)
    spam_shown = norm[spam_cols].where(shown).max(axis=1).fillna(0.0) if spam_cols else spam
    spam_ids = set(c.index[(spam_shown >= 0.5) & (spam_shown > legit)])
    for i in spam_ids:
        names[i] = "Spam"
    rest = [i for i in c.index if i not in spam_ids]
    tracks = c["tracks"] if "tracks" in c.columns else pd.Series(0.0, index=c.index)
    creators = [i for i in rest if tracks[i] >= 1.0]  # clusters whose members publish
    if len(creators) >= 2 and len(rest) >= 3 and "followers" in c.columns:
        top = max(creators, key=lambda i: c.loc[i, "followers"])
        names[top] = "Superstars"
        rest.remove(top)
        creators.remove(top)
    if creators:
        top = max(creators, key=lambda i: c.loc[i, "size"])
        names[top] = "Regular Musicians"
        rest.remove(top)
    if rest:
        top = max(rest, key=lambda i: c.loc[i, "size"])
        names[top] = "Fans"
        rest.remove(top)
    named = [i for i in c.index if names[i] and names[i] != "Spam"]
    for i in rest:  # extra clusters: nearest named non-spam cluster, plus their top trait
        cols = legit_cols + [s for s in ("tracks", "followings", "account_age_days") if s in c.columns]
        z = np.log1p(c[cols].clip(lower=0))
        near = min(named, key=lambda j: float(((z.loc[i] - z.loc[j]) ** 2).sum())) if named else i
        trait = (z.loc[i] - z.loc[named].mean()).idxmax() if named else cols[0]
        names[i] = f"{names[near] or 'Fans'} (more {trait.replace('_', ' ')})"
    # identical names get a counter so every cluster name is unique
    seen: dict[str, int] = {}
    for i in c.index:
        n = names[i]
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n} {seen[n]}"
    return names


def assign(features: DataFrame, pipe: Pipeline, feature_names: tuple[str, ...]) -> DataFrame:
    """(user_id, cluster, distance) for every user, on Spark."""
    schema = T.StructType([T.StructField("user_id", T.LongType()), T.StructField("cluster", T.IntegerType()),
                           T.StructField("distance", T.DoubleType())])
    cols = list(feature_names)

    def apply(batches):
        for pdf in batches:
            X = pipe.named_steps["prep"].transform(pdf[cols].to_numpy(dtype="float64"))
            d = pipe.named_steps["kmeans"].transform(X)
            yield pd.DataFrame({"user_id": pdf["user_id"].astype("int64"), "cluster": d.argmin(axis=1).astype("int32"),
                                "distance": d.min(axis=1)})

    return features.select("user_id", *cols).mapInPandas(apply, schema)


def centroids(features: DataFrame, clusters: DataFrame, feature_names: tuple[str, ...]) -> pd.DataFrame:
    """Mean of each feature per cluster (original units) and cluster sizes, over all users."""
    agg = (features.join(clusters.select("user_id", "cluster"), "user_id")
           .groupBy("cluster").agg(F.count("*").alias("size"), *[F.avg(f).alias(f) for f in feature_names]))
    return agg.toPandas().set_index("cluster").sort_index()
