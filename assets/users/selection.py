"""Correlation-based feature subset selection (CFS; Hall 1999), as the seed did.

merit(S) = k * mean|r_cf| / sqrt(k + k(k-1) * mean|r_ff|) over the k features of S.
Feature-class correlation for a nominal class is Hall's weighted point-biserial
correlation: sum over classes c of p(c) * |corr(f, [class == c])|. Feature-feature
correlation is |Pearson|. Count features are log1p-transformed first (as the clustering
sees them). Search: best-first forward selection that stops after ``patience``
expansions without a better subset (Hall's default is 5).

Correlations come from a pandas frame: a bounded uniform sample of the users (the one
K-Means is fitted on), a fixed cost whatever their number.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def correlations(pdf: pd.DataFrame, features: list[str], label: str) -> tuple[pd.Series, pd.DataFrame]:
    """(feature-class r_cf, |feature-feature| matrix) of the rows of ``pdf``."""
    n = max(len(pdf), 1)
    X = (np.column_stack([np.log1p(np.clip(pdf[f].to_numpy("float64"), 0, None)) if f in COUNT_LIKE
                          else pdf[f].to_numpy("float64") for f in features]) if len(pdf)
         else np.zeros((0, len(features))))
    mean = X.sum(axis=0) / n
    cov = (X.T @ X) / n - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        rff = np.nan_to_num(np.abs(cov / np.outer(sd, sd)))
    rcf = np.zeros(len(features))
    for idx in pdf.groupby(label).indices.values() if len(pdf) else ():
        p = len(idx) / n
        if p <= 0 or p >= 1:
            continue
        s_c = X[idx].sum(axis=0)
        for i in range(len(features)):
            if sd[i] == 0:
                continue
            cov_fc = s_c[i] / n - mean[i] * p  # E[f * 1c] - E[f] p
            rcf[i] += p * abs(cov_fc / (sd[i] * math.sqrt(p * (1 - p))))
    return pd.Series(rcf, index=features), pd.DataFrame(rff, index=features, columns=features)


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


def select_features(pdf: pd.DataFrame, features: list[str] | tuple[str, ...], label: str,
                    patience: int = 5) -> Selection:
    """CFS over ``features`` of ``pdf`` against the nominal column ``label``."""
    features = list(features)
    rcf, rff = correlations(pdf, features, label)
    kept, table = cfs(rcf, rff, patience)
    kept = [f for f in features if f in kept]
    return Selection(kept=kept, dropped=[f for f in features if f not in kept], merit_table=table,
                     feature_class={f: round(float(v), 6) for f, v in rcf.items()}, feature_feature=rff)
