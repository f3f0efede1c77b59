"""Correlation-based feature subset selection (CFS; Hall 1999), as the seed did.

merit(S) = k * mean|r_cf| / sqrt(k + k(k-1) * mean|r_ff|) over the k features of S.
Feature-class correlation for a nominal class is Hall's weighted point-biserial
correlation: sum over classes c of p(c) * |corr(f, [class == c])|. Feature-feature
correlation is |Pearson|. Count features are log1p-transformed first (as the clustering
sees them). Search: best-first forward selection that stops after ``patience``
expansions without a better subset (Hall's default is 5).

Correlations come from a pandas frame (the chain passes a bounded uniform sample of the
users: a fixed cost whatever their number) or, for a Spark frame, from one aggregation
(sums and cross-products) over all its rows; both use the same formulas.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.users.features import COUNT_LIKE


@dataclass
class Selection:
    kept: list[str]
    dropped: list[str]
    merit_table: pd.DataFrame  # step, added, subset size, merit
    feature_class: dict[str, float]
    feature_feature: pd.DataFrame

    def as_dict(self) -> dict:
        return {"kept": self.kept, "dropped": self.dropped,
                "merit_table": self.merit_table.to_dict(orient="records"),
                "feature_class": self.feature_class}


def _col(f: str):
    c = F.col(f).cast("double")
    return F.log1p(F.greatest(c, F.lit(0.0))) if f in COUNT_LIKE else c


def _from_moments(features: list[str], n: float, sums: np.ndarray, products: np.ndarray,
                  per_class: list[tuple[float, np.ndarray]]) -> tuple[pd.Series, pd.DataFrame]:
    """(r_cf, |r_ff|) from n, the feature sums, the cross-product matrix and, per class,
    (users, feature sums)."""
    mean = sums / n
    cov = products / n - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        rff = np.nan_to_num(np.abs(cov / np.outer(sd, sd)))
    rcf = np.zeros(len(features))
    for n_c, s_c in per_class:
        p = n_c / n
        if p <= 0 or p >= 1:
            continue
        for i in range(len(features)):
            if sd[i] == 0:
                continue
            cov_fc = s_c[i] / n - mean[i] * p  # E[f * 1c] - E[f] p
            rcf[i] += p * abs(cov_fc / (sd[i] * math.sqrt(p * (1 - p))))
    return pd.Series(rcf, index=features), pd.DataFrame(rff, index=features, columns=features)


def correlations_frame(pdf: pd.DataFrame, features: list[str], label: str) -> tuple[pd.Series, pd.DataFrame]:
    """``correlations`` of a pandas frame (numpy)."""
    X = np.column_stack([np.log1p(np.clip(pdf[f].to_numpy("float64"), 0, None)) if f in COUNT_LIKE
                         else pdf[f].to_numpy("float64") for f in features]) if len(pdf) else np.zeros((0, len(features)))
    per_class = [(float(len(idx)), X[idx].sum(axis=0)) for _c, idx in pdf.groupby(label).indices.items()]
    return _from_moments(features, float(max(len(X), 1)), X.sum(axis=0), X.T @ X, per_class)


def correlations(df: DataFrame, features: list[str], label: str) -> tuple[pd.Series, pd.DataFrame]:
    """(feature-class r_cf, |feature-feature| matrix) from one pass over ``df``."""
    cols = {f: _col(f) for f in features}
    aggs = [F.count("*").alias("n")]
    aggs += [F.sum(c).alias(f"s_{f}") for f, c in cols.items()]
    aggs += [F.sum(cols[a] * cols[b]).alias(f"p_{i}_{j}")
             for (i, a), (j, b) in itertools.combinations_with_replacement(enumerate(features), 2)]
    tot = df.agg(*aggs).first().asDict()
    per_class = (df.groupBy(label).agg(F.count("*").alias("n"), *[F.sum(c).alias(f"s_{f}") for f, c in cols.items()])
                 .toPandas())
    k = len(features)
    products = np.zeros((k, k))
    for i, j in itertools.combinations_with_replacement(range(k), 2):
        products[i, j] = products[j, i] = tot[f"p_{i}_{j}"] or 0.0
    sums = np.array([tot[f"s_{f}"] or 0.0 for f in features])
    per = [(float(r["n"]), np.array([r[f"s_{f}"] or 0.0 for f in features])) for _, r in per_class.iterrows()]
    return _from_moments(features, float(max(tot["n"], 1)), sums, products, per)


def merit(subset: list[str], rcf: pd.Series, rff: pd.DataFrame) -> float:
    k = len(subset)
    if k == 0:
        return 0.0
    mean_cf = float(rcf[subset].mean())
    mean_ff = float(np.mean([rff.loc[a, b] for a, b in itertools.combinations(subset, 2)])) if k > 1 else 0.0
    return k * mean_cf / math.sqrt(k + k * (k - 1) * mean_ff)


def cfs(rcf: pd.Series, rff: pd.DataFrame, patience: int = 5) -> tuple[list[str], pd.DataFrame]:
    """Best-first forward search; returns (best subset in order of addition, merit table)."""
    features = list(rcf.index)
    current: list[str] = []
    best, best_merit, stale = [], 0.0, 0
    rows = []
    while len(current) < len(features) and stale < patience:
        cand = [(merit(current + [f], rcf, rff), f) for f in features if f not in current]
        m, f = max(cand)
        current = current + [f]
        rows.append({"step": len(current), "added": f, "merit": round(m, 6), "r_cf": round(float(rcf[f]), 6)})
        if m > best_merit + 1e-12:
            best, best_merit, stale = list(current), m, 0
        else:
            stale += 1
    table = pd.DataFrame(rows)
    if not table.empty:
        table["kept"] = table["step"] <= len(best)
    return best, table


def select_features(df: DataFrame | pd.DataFrame, features: list[str] | tuple[str, ...], label: str,
                    patience: int = 5) -> Selection:
    """CFS over ``features`` of ``df`` (pandas or Spark) against the nominal column ``label``."""
    features = list(features)
    pick = correlations_frame if isinstance(df, pd.DataFrame) else correlations
    rcf, rff = pick(df, features, label)
    kept, table = cfs(rcf, rff, patience)
    kept = [f for f in features if f in kept]
    return Selection(kept=kept, dropped=[f for f in features if f not in kept], merit_table=table,
                     feature_class={f: round(float(v), 6) for f, v in rcf.items()}, feature_feature=rff)
