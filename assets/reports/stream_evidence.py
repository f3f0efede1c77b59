"""Small Spark aggregates the stream-fraud report draws (nothing whole on the driver).

``activity_by_hour``: plays per account and hour of day (UTC) for the most suspicious flagged
accounts and, beside them, the most active accounts not flagged (heavy real listeners are the
fair comparison: a farm's accounts play around the clock, people rest).
``ms_played_histogram``: plays per ``ms_played`` bin, flagged vs. not flagged accounts.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

HIST_BIN_MS = 2_000
HIST_MAX_MS = 240_000  # longer plays go into the last bin


def _chosen_accounts(accounts: DataFrame, per_side: int) -> DataFrame:
    flagged = (accounts.where(F.col("flagged")).orderBy(F.desc("suspicion"), F.desc("plays"), "user_id")
               .limit(per_side).select("user_id", F.lit(True).alias("flagged")))
    honest = (accounts.where(~F.col("flagged")).orderBy(F.desc("plays"), "user_id")
              .limit(per_side).select("user_id", F.lit(False).alias("flagged")))
    return flagged.unionByName(honest)


def activity_by_hour(plays: DataFrame, accounts: DataFrame, per_side: int = 30) -> DataFrame:
    """(user_id, flagged, hour, plays) for up to ``per_side`` accounts of each side."""
    chosen = F.broadcast(_chosen_accounts(accounts, per_side))
    return (plays.select("user_id", F.hour("played_at").alias("hour")).join(chosen, "user_id")
            .groupBy("user_id", "flagged", "hour").agg(F.count(F.lit(1)).alias("plays")))


def ms_played_histogram(plays: DataFrame, accounts: DataFrame) -> DataFrame:
    """(flagged, bin_ms, plays): ``bin_ms`` is the lower edge of a ``HIST_BIN_MS`` bin."""
    flagged = accounts.where(F.col("flagged")).select("user_id", F.lit(True).alias("_f"))
    b = F.least(F.floor(F.col("ms_played") / HIST_BIN_MS) * HIST_BIN_MS, F.lit(HIST_MAX_MS)).cast("long")
    return (plays.select("user_id", "ms_played").join(flagged, "user_id", "left")
            .select(F.coalesce("_f", F.lit(False)).alias("flagged"), b.alias("bin_ms"))
            .groupBy("flagged", "bin_ms").agg(F.count(F.lit(1)).alias("plays")))
