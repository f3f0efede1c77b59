"""Audio matches between tracks: hashed fingerprint segments -> candidate pairs -> bit error.

1. **Keys.** Hamming locality-sensitive hashing by bit bands: each fingerprint item's
   bits 2..31 are cut into ``bands`` bands of ``band_bits`` bits (the two lowest bits, the
   least stable under re-encoding and speed changes here, are left out); a key is a band's
   value in two consecutive items, with the band's number. A copy with bit error rate
   0.15-0.2 (a sped-up copy against its slowed variant) still agrees on a quarter of its
   bands item by item, so on ~7% of its two-item keys; two unrelated items agree on one
   key in 2^20. Only keys divisible by ``sample_mod`` are kept: a content-defined sample,
   so a copy keeps the same keys however it is trimmed or padded.
2. **Candidates.** Keys of every fingerprint variant (``audio.py``: the plain one and the
   slowed ones) are joined with the keys of the other tracks' PLAIN fingerprints on
   (key, salt): a key held by more than ``max_key_tracks`` tracks (silence, a click track)
   says nothing and is dropped, and the salt spreads what is left of a common key over
   ``salt_buckets`` tasks. A pair votes for the offset between the two positions; a pair
   with ``min_votes`` at its best offset is a candidate.
3. **Verification.** The bit error rate (share of differing bits) of the two fingerprints
   aligned at the candidate offset (+-2 items), over their overlap; a match needs
   ``bit_error_rate <= max_bit_error_rate`` over at least ``min_matched_s`` seconds.
   Unrelated recordings differ in about half their bits (0.4+ even at their best of
   hundreds of offsets); a re-encoded copy in ~0.06, a trimmed or padded one in ~0.03.

``audio_matches(track_a < track_b, label_a, label_b, bit_error_rate, offset_s, matched_s,
speed_ratio)``: the best alignment per pair over all variants; ``speed_ratio`` is how much
faster ``track_b`` plays than ``track_a`` (1.0: same speed), ``offset_s`` where ``track_b``
starts in ``track_a``'s time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from assets.catalog.audio import ITEM_SECONDS


@dataclass(frozen=True)
class MatchConfig:
    band_bits: int = 10
    bands: int = 3
    sample_mod: int = 2
    max_key_tracks: int = 50
    salt_buckets: int = 4
    min_votes: int = 3
    max_bit_error_rate: float = 0.25
    min_matched_s: float = 10.0
    align_slack: int = 2


def bit_error_rate(a: np.ndarray, b: np.ndarray, offset: int) -> tuple[float, int]:
    """(share of differing bits, overlapping items) of ``a`` and ``b`` with ``b``'s item 0
    at ``a``'s item ``offset``."""
    a = np.asarray(a, dtype=np.uint32)
    b = np.asarray(b, dtype=np.uint32)
    if offset >= 0:
        x, y = a[offset:], b
    else:
        x, y = a, b[-offset:]
    m = min(len(x), len(y))
    if m <= 0:
        return 1.0, 0
    diff = np.unpackbits((x[:m] ^ y[:m]).view(np.uint8)).sum()
    return float(diff) / (32.0 * m), int(m)


def best_alignment(a: np.ndarray, b: np.ndarray, offset: int, slack: int = 2) -> tuple[float, int, int]:
    """(bit error rate, offset, overlap) of the best alignment within ``offset +- slack``."""
    best = (1.0, offset, 0)
    for off in range(offset - slack, offset + slack + 1):
        ber, m = bit_error_rate(a, b, off)
        if m and ber < best[0]:
            best = (ber, off, m)
    return best


def segment_keys(fps: DataFrame, cfg: MatchConfig) -> DataFrame:
    """(track_id, speed, pos, key) for the sampled band keys of every fingerprint."""
    mask, w = (1 << cfg.band_bits) - 1, cfg.band_bits
    pairs = (fps.where(F.col("fingerprint").isNotNull() & (F.size("fingerprint") >= 2))
             .select("track_id", "speed", F.explode(F.expr(
                 "transform(sequence(0, size(fingerprint) - 2), "
                 "i -> struct(i AS pos, fingerprint[i] AS a, fingerprint[i + 1] AS b))")).alias("p")))
    bands = [((F.shiftright(F.col("p.a"), 2 + j * w).bitwiseAND(mask) * (1 << w)
               + F.shiftright(F.col("p.b"), 2 + j * w).bitwiseAND(mask)) + F.lit(j << (2 * w)))
             for j in range(cfg.bands)]
    return (pairs.select("track_id", "speed", F.col("p.pos").alias("pos"), F.explode(F.array(*bands)).alias("key"))
            .where(F.col("key") % cfg.sample_mod == 0))


def candidate_pairs(fps: DataFrame, cfg: MatchConfig) -> DataFrame:
    """(track_x, speed, track_y, offset, votes): variant ``speed`` of x against plain y."""
    keys = segment_keys(fps, cfg)
    plain = keys.where(F.col("speed") == 1.0)
    spread = plain.groupBy("key").agg(F.countDistinct("track_id").alias("tracks"))
    usable = spread.where(F.col("tracks") <= cfg.max_key_tracks).select("key")
    salted = F.abs(F.hash("track_id")) % cfg.salt_buckets
    right = (plain.join(usable, "key").select(F.col("key"), F.col("track_id").alias("track_y"),
                                              F.col("pos").alias("pos_y"))
             .withColumn("salt", F.explode(F.sequence(F.lit(0), F.lit(cfg.salt_buckets - 1)))))
    left = keys.join(usable, "key").withColumn("salt", salted)
    hits = (left.join(right, ["key", "salt"])
            .where(F.col("track_id") != F.col("track_y"))
            .select(F.col("track_id").alias("track_x"), "speed", "track_y",
                    (F.col("pos") - F.col("pos_y")).alias("offset")))
    votes = hits.groupBy("track_x", "speed", "track_y", "offset").agg(F.count(F.lit(1)).alias("votes"))
    rank = Window.partitionBy("track_x", "speed", "track_y").orderBy(F.desc("votes"), F.asc("offset"))
    return (votes.withColumn("r", F.row_number().over(rank)).where((F.col("r") == 1) & (F.col("votes") >= cfg.min_votes))
            .drop("r"))


def match_schema(track_id_type: T.DataType | None = None) -> T.StructType:
    track_id_type = track_id_type or T.LongType()
    return T.StructType([
        T.StructField("track_x", track_id_type), T.StructField("speed", T.DoubleType()),
        T.StructField("track_y", track_id_type), T.StructField("bit_error_rate", T.DoubleType()),
        T.StructField("offset", T.IntegerType()), T.StructField("overlap", T.IntegerType()),
    ])


MATCH_SCHEMA = match_schema()


def audio_matches(fps: DataFrame, cfg: MatchConfig = MatchConfig()) -> DataFrame:
    """Verified matches (see the module docstring) from ``audio_fingerprints`` rows."""
    cands = candidate_pairs(fps, cfg)
    fx = fps.where(F.col("fingerprint").isNotNull()).select(
        F.col("track_id").alias("track_x"), "speed", F.col("fingerprint").alias("fp_x"))
    fy = fps.where(F.col("fingerprint").isNotNull() & (F.col("speed") == 1.0)).select(
        F.col("track_id").alias("track_y"), F.col("fingerprint").alias("fp_y"))
    joined = cands.join(fx, ["track_x", "speed"]).join(fy, "track_y")
    slack = cfg.align_slack
    schema = match_schema(fps.schema["track_id"].dataType)
    as_id = int if isinstance(schema["track_x"].dataType, T.IntegralType) else str

    def verify(batches):
        for pdf in batches:
            out = []
            for r in pdf.itertuples(index=False):
                ber, off, m = best_alignment(np.asarray(r.fp_x, dtype=np.int64).astype(np.uint32),
                                             np.asarray(r.fp_y, dtype=np.int64).astype(np.uint32), int(r.offset), slack)
                out.append((as_id(r.track_x), float(r.speed), as_id(r.track_y), ber, off, m))
            yield pd.DataFrame(out, columns=[f.name for f in schema.fields])

    verified = (joined.select("track_x", "speed", "track_y", "offset", "fp_x", "fp_y")
                .mapInPandas(verify, schema)
                .withColumn("matched_s", F.col("overlap") * F.lit(ITEM_SECONDS) / F.col("speed"))
                .where((F.col("bit_error_rate") <= cfg.max_bit_error_rate) & (F.col("matched_s") >= cfg.min_matched_s)))
    labels = fps.where(F.col("speed") == 1.0).select("track_id", "label_id").distinct()
    # x slowed by ``speed`` lines up with y: x plays 1/speed times as fast as y; order the pair
    a_is_x = F.col("track_x") < F.col("track_y")
    pairs = verified.select(
        F.least("track_x", "track_y").alias("track_a"), F.greatest("track_x", "track_y").alias("track_b"),
        "bit_error_rate",
        F.when(a_is_x, F.col("offset") * F.lit(ITEM_SECONDS))
        .otherwise(-F.col("offset") * F.lit(ITEM_SECONDS) / F.col("speed")).alias("offset_s"),
        "matched_s",
        F.when(a_is_x, F.col("speed")).otherwise(1.0 / F.col("speed")).alias("speed_ratio"))
    best = Window.partitionBy("track_a", "track_b").orderBy("bit_error_rate", F.desc("matched_s"))
    pairs = pairs.withColumn("r", F.row_number().over(best)).where(F.col("r") == 1).drop("r")
    la = labels.select(F.col("track_id").alias("track_a"), F.col("label_id").alias("label_a"))
    lb = labels.select(F.col("track_id").alias("track_b"), F.col("label_id").alias("label_b"))
    return (pairs.join(la, "track_a").join(lb, "track_b")
            .select("track_a", "track_b", "label_a", "label_b", "bit_error_rate", "offset_s", "matched_s",
                    "speed_ratio"))
