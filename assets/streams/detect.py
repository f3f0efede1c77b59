"""Stream fraud detection: one row per listening account, ``stream_accounts``.

Interface (agreed with the ingestion/money side; STREAMS-PIPE calls this, nothing else)
--------------------------------------------------------------------------------------

``stream_accounts(plays: DataFrame, cfg: StreamConfig = StreamConfig()) -> DataFrame``

* ``plays``: a Spark DataFrame with the typed contract columns of the ``plays`` table
  (DESIGN.md, "Contract: play events and stream fraud"):

  ==============  =========  ============================================================
  column          type       use
  ==============  =========  ============================================================
  user_id         long       required
  track_id        long|str   required; only compared for equality (the simulator uses
                             the catalogue's string ids ``T0000000001``; either works)
  played_at       timestamp  required, UTC start of the play
  ms_played       long       required, >= 0
  country         string     optional (may be absent or null)
  device_id       string     optional: enables the ``shared_device`` detector
  ip_prefix       string     optional: evidence beside ``shared_device``
  source          string     optional, carried only
  playlist_id     string     optional, carried only
  ==============  =========  ============================================================

  Extra columns are ignored. Rows are expected to be valid (quarantine happens upstream).
  Nothing is collected to the driver except per-statistic scalars (quantiles, counts).

* returns a Spark DataFrame, one row per ``user_id`` present in ``plays``:

  ====================  =============  ====================================================
  column                type           meaning
  ====================  =============  ====================================================
  user_id               long
  suspicion             double         1 - prod(1 - w_d * score_d) over detectors, in [0, 1]
  flagged               boolean        True when at least one flagging detector fired
  detectors             array<string>  names of the detectors that fired (may be empty)
  evidence              string         one sentence per fired detector, in words, with
                                       the figures and the threshold it beat ('' if none)
  plays                 long           all plays of the account
  royalty_plays         long           plays with ms_played >= cfg.min_royalty_ms
  <detector>_score      double         one per detector (DETECTORS below), in [0, 1]:
                                       1 - adjusted p-value of that detector's test
                                       (0 when not tested / no evidence)
  ====================  =============  ====================================================

  ``DETECTORS`` (module constant, order of the score columns; read it rather than
  hard-coding names): ``lockstep`` (accounts in step with others: the same tracks started
  within seconds of each other on several days, more often than the pair's own plays of
  those tracks in those hours make likely, ``lockstep.py``), ``dense_block`` (accounts whose repertoire nearly coincides with
  many others', tested against ordinary listeners' twin rate, ``blocks.py``), ``no_rest``
  (24-hour activity day after day), ``threshold_skim`` (plays ending just past the royalty
  threshold), ``shared_device`` (many accounts per device_id) (last three:
  ``behaviour.py``), ``track_concentration`` (most royalty plays sent to tracks that earn
  most of theirs from suspected accounts, ``concentration.py``). Each detector has its own
  test (Bonferroni, ``cfg.alpha``); a ``dense_block`` twin is flagged only when its block
  holds machine-flagged accounts (the four ``MACHINE`` detectors) beyond chance and most of
  its royalty plays go to such captive tracks.

* ``detector_contributions(accounts: DataFrame) -> pandas.DataFrame`` (small): per
  detector, accounts fired, flagged, flagged by this detector alone.

* Money (clean royalty plays) is NOT computed here: the money side removes the royalty
  plays of ``flagged`` accounts (``assets/streams/money.py``).

``StreamConfig`` lives in ``assets/streams/config.py`` (frozen dataclass, every field
with a description); its defaults are the production defaults. ``cfg.min_royalty_ms``
(30,000) is the contract's royalty threshold.
"""

from __future__ import annotations

from functools import reduce

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.behaviour import no_rest, shared_device, threshold_skim
from assets.streams.blocks import corroborated_blocks, dense_block
from assets.streams.concentration import captive_shares, track_concentration
from assets.streams.config import StreamConfig
from assets.streams.lockstep import lockstep

DETECTORS = ("lockstep", "dense_block", "no_rest", "threshold_skim", "shared_device", "track_concentration")
DEFAULT = StreamConfig()
_FIRST = {"lockstep": lockstep, "dense_block": dense_block, "no_rest": no_rest, "threshold_skim": threshold_skim,
          "shared_device": shared_device}
MACHINE = ("lockstep", "no_rest", "threshold_skim", "shared_device")  # behaviour and timing: corroborate blocks


def stream_accounts_with_figures(plays: DataFrame, cfg: StreamConfig = DEFAULT) -> tuple[DataFrame, dict]:
    """``stream_accounts`` and the figures of each detector's null (rates, tests) for metadata."""
    plays = plays.select("user_id", "track_id", "played_at", "ms_played",
                         *[c for c in ("device_id", "ip_prefix") if c in plays.columns])
    base = plays.groupBy("user_id").agg(
        F.count(F.lit(1)).cast("long").alias("plays"),
        F.sum((F.col("ms_played") >= cfg.min_royalty_ms).cast("long")).cast("long").alias("royalty_plays"))
    figures: dict = {}
    joined = base
    for fn in _FIRST.values():
        out, fig = fn(plays, cfg)
        figures.update(fig)
        joined = joined.join(out, "user_id", "left")
    for name in _FIRST:
        joined = joined.withColumn(f"{name}_flagged", F.coalesce(F.col(f"{name}_flagged"), F.lit(False)))
    joined = joined.cache()
    # a block of twins is evidence only when it holds machine-flagged accounts beyond chance
    # (a sleep playlist's loopers are twins too, and nothing else)
    machine = joined.select("user_id", reduce(lambda a, b: a | b, [F.col(f"{n}_flagged") for n in MACHINE]).alias("machine"))
    twins = joined.where(F.size(F.coalesce("dense_block_twins", F.array())) > 0).select("user_id", "dense_block_twins")
    corr, fig = corroborated_blocks(twins, machine, cfg)
    figures.update(fig)
    joined = joined.join(corr, "user_id", "left").withColumn(
        "dense_block_flagged", F.col("dense_block_flagged") & F.coalesce(F.col("block_corroborated"), F.lit(False)))
    joined = joined.cache()
    # money: tracks that live off the suspects (any first-round flag, corroborated twins included)
    suspects = joined.where(reduce(lambda a, b: a | b, [F.col(f"{n}_flagged") for n in _FIRST])).select("user_id")
    shares = captive_shares(plays, suspects, cfg).cache()
    conc, fig = track_concentration(shares, suspects, cfg)
    figures.update(fig)
    joined = joined.join(shares.select("user_id", F.col("k").alias("_k"), F.col("n").alias("_n")), "user_id", "left")
    joined = joined.join(conc, "user_id", "left")
    captive = F.coalesce(F.col("_k") >= F.lit(cfg.captive_share) * F.col("_n"), F.lit(False))
    joined = joined.withColumn("dense_block_flagged", F.col("dense_block_flagged") & captive).withColumn(
        "dense_block_evidence", F.concat(F.col("dense_block_evidence"), F.lit("; "), F.col("block_evidence"), F.lit("; "),
                                         F.col("_k").cast("string"),
                                         F.lit(" of its "), F.col("_n").cast("string"),
                                         F.lit(" royalty plays go to tracks living off suspected accounts")))
    for name in DETECTORS:
        joined = joined.withColumn(f"{name}_score", F.coalesce(F.col(f"{name}_score"), F.lit(0.0)).cast("double"))
        joined = joined.withColumn(f"{name}_flagged", F.coalesce(F.col(f"{name}_flagged"), F.lit(False)))
    fired = F.filter(F.array(*[F.when(F.col(f"{n}_flagged"), F.lit(n)) for n in DETECTORS]), lambda x: x.isNotNull())
    evidence = F.concat_ws("; ", *[F.when(F.col(f"{n}_flagged"), F.col(f"{n}_evidence")) for n in DETECTORS])
    keep = reduce(lambda a, b: a * b, [F.lit(1.0) - F.col(f"{n}_score") for n in DETECTORS])
    out = joined.select(
        F.col("user_id").cast("long").alias("user_id"), (F.lit(1.0) - keep).alias("suspicion"),
        (F.size(fired) > 0).alias("flagged"), fired.cast("array<string>").alias("detectors"),
        evidence.alias("evidence"), "plays", "royalty_plays", *[f"{n}_score" for n in DETECTORS])
    return out, figures


def stream_accounts(plays: DataFrame, cfg: StreamConfig = DEFAULT) -> DataFrame:
    """One row per account: suspicion, flagged, detectors, evidence, plays, royalty_plays, scores."""
    return stream_accounts_with_figures(plays, cfg)[0]


def detector_contributions(accounts: DataFrame) -> pd.DataFrame:
    """Per detector: accounts it fired on, and those it alone flagged (small, on the driver)."""
    r = accounts.agg(*[agg for name in DETECTORS for agg in (
        F.sum(F.array_contains("detectors", name).cast("long")).alias(f"{name}_fired"),
        F.sum((F.array_contains("detectors", name) & (F.size("detectors") == 1)).cast("long")).alias(f"{name}_alone"))]
    ).first()  # one pass over the accounts
    return pd.DataFrame([{"detector": name, "fired": int(r[f"{name}_fired"] or 0),
                          "flagged_alone": int(r[f"{name}_alone"] or 0)} for name in DETECTORS])
