"""Tail probabilities on Spark columns (pandas UDFs over scipy) and the shared detector output shape.

Every detector returns ``(user_id, <name>_score, <name>_flagged, <name>_evidence)`` where the
score is ``1 - p_adjusted`` (Bonferroni over the accounts it tested) and ``flagged`` means
``p_adjusted <= alpha``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType

LN10 = math.log(10.0)


@pandas_udf(DoubleType())
def binom_log10_sf(k: pd.Series, n: pd.Series, p: pd.Series) -> pd.Series:
    """log10 P(X >= k), X ~ Binomial(n, p)."""
    from scipy.stats import binom

    k = k.to_numpy(dtype=float)
    out = binom.logsf(k - 1, n.to_numpy(dtype=float), np.clip(p.to_numpy(dtype=float), 1e-12, 1 - 1e-12))
    return pd.Series(np.where(k <= 0, 0.0, out / LN10))


@pandas_udf(DoubleType())
def binom_log10_cdf(k: pd.Series, n: pd.Series, p: pd.Series) -> pd.Series:
    """log10 P(X <= k), X ~ Binomial(n, p)."""
    from scipy.stats import binom

    out = binom.logcdf(k.to_numpy(dtype=float), n.to_numpy(dtype=float),
                       np.clip(p.to_numpy(dtype=float), 1e-12, 1 - 1e-12))
    return pd.Series(out / LN10)


@pandas_udf(DoubleType())
def poisson_log10_sf(k: pd.Series, mu: pd.Series) -> pd.Series:
    """log10 P(X >= k), X ~ Poisson(mu)."""
    from scipy.stats import poisson

    k = k.to_numpy(dtype=float)
    out = poisson.logsf(k - 1, np.clip(mu.to_numpy(dtype=float), 1e-12, None))
    return pd.Series(np.where(k <= 0, 0.0, out / LN10))


def adjusted(log10_p: Column, tests: int) -> Column:
    """Bonferroni: log10 of min(1, p * tests)."""
    return F.least(F.lit(0.0), log10_p + F.lit(math.log10(max(1, tests))))


def score_of(log10_p_adj: Column) -> Column:
    return F.lit(1.0) - F.pow(F.lit(10.0), log10_p_adj)


def flag_of(log10_p_adj: Column, alpha: float) -> Column:
    return log10_p_adj <= F.lit(math.log10(alpha))


def fmt_p(log10_p_adj: Column) -> Column:
    """'10^-12.3' style text of an adjusted p-value."""
    return F.concat(F.lit("10^"), F.format_number(log10_p_adj, 1))


def empty_result(spark, name: str) -> DataFrame:
    return spark.createDataFrame([], f"user_id long, {name}_score double, {name}_flagged boolean, "
                                     f"{name}_evidence string")
