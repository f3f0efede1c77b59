"""Upload synchrony of a fraud network, tested against a week-cyclic null.

A network whose labels are run by one operator tends to upload in the same clock hours
(one person or script pushes many labels' releases at once). Legitimate labels share clock
hours too, for reasons that are no evidence: releases go out on Fridays, people work office
hours, and labels that started in the same month are active in the same weeks. The test
keeps all of that and asks only whether the labels' uploads coincide MORE than their own
rhythms predict.

* **Upload session**: the tracks one label uploaded in one UTC clock hour (an album pushed
  at once is one session, not twelve independent uploads).
* **Statistic** ``S``: member tracks uploaded in a clock hour in which at least one OTHER
  member label also uploaded (the numerator of ``upload_synchrony``).
* **Null** (week-cyclic, each label's own hour-of-week rates): every session keeps its
  label and its hour of the week (Monday 09:00 stays Monday 09:00) and moves to a uniformly
  random week of its label's own active span (the weeks from the label's first to its last
  upload), independently of other sessions. A label's weekly rhythm, its volume per
  hour-of-week and its lifetime are kept; coincidences between labels are not.
* **p-value**: the Monte Carlo permutation p-value ``(1 + #{S_b >= S}) / (1 + B)`` over
  ``B`` draws of the null (Davison & Hinkley 1997, ch. 4): exact in level, never 0. With
  ``B = 999`` a network is significant at 0.01 when fewer than 9 draws reach ``S``. A
  network whose labels each uploaded in a single week has nothing to permute: ``p = 1``.

The draws are seeded per network from ``seed`` and the network id, over sessions sorted by
(label, hour), so the p-value does not depend on Spark's partitioning. The work per network
is ``B`` sorts of its sessions; the per-network frames hold one network's sessions, never
the catalogue.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

HOURS_PER_WEEK = 168
DEFAULT_PERMUTATIONS = 999



def result_schema(network_id_type: T.DataType) -> T.StructType:
    return T.StructType([
        T.StructField("network_id", network_id_type),
        T.StructField("upload_synchrony_p", T.DoubleType()),
        T.StructField("synchrony_null_share", T.DoubleType()),
        T.StructField("synchrony_sessions", T.LongType()),
    ])


def synchronised_tracks(hours: np.ndarray, labels: np.ndarray, counts: np.ndarray, runs: np.ndarray | None = None
                        ) -> np.ndarray:
    """``S`` per run: tracks in a clock hour that two or more distinct labels share.

    ``hours``, ``labels`` (integer codes), ``counts``: one entry per session; ``runs``
    (optional, same length): which independent draw an entry belongs to (entries of
    different runs never meet). Two sessions of one label landing in one hour merge.
    """
    runs = np.zeros(len(hours), dtype=np.int64) if runs is None else runs.astype(np.int64)
    n_runs = int(runs.max()) + 1 if len(runs) else 1
    if len(hours) == 0:
        return np.zeros(n_runs)
    hour_key = runs * (int(hours.max()) + 1) + hours.astype(np.int64)
    pair_key = hour_key * (int(labels.max()) + 1) + labels.astype(np.int64)
    pairs, pair_inv = np.unique(pair_key, return_inverse=True)
    pair_counts = np.bincount(pair_inv, weights=counts)
    pair_hour = pairs // (int(labels.max()) + 1)
    hours_u, hour_inv = np.unique(pair_hour, return_inverse=True)
    labels_in_hour = np.bincount(hour_inv)
    shared = labels_in_hour[hour_inv] >= 2
    pair_run = hours_u[hour_inv] // (int(hours.max()) + 1)
    return np.bincount(pair_run, weights=np.where(shared, pair_counts, 0.0), minlength=n_runs)


def synchrony_test(sessions: pd.DataFrame, permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0,
                   batch: int = 50) -> dict:
    """The test for ONE network. ``sessions``: label_id, upload_hour (hours since the Unix
    epoch, UTC), tracks (count). Returns p_value, observed and null-mean synchronised
    shares, sessions."""
    s = sessions.sort_values(["label_id", "upload_hour"], kind="stable")
    if s.empty:
        return {"p_value": None, "observed_share": None, "null_share": None, "sessions": 0}
    labels = pd.factorize(s["label_id"], sort=True)[0].astype(np.int64)
    hour = s["upload_hour"].to_numpy(dtype=np.int64)
    counts = s["tracks"].to_numpy(dtype=np.float64)
    total = counts.sum()
    observed = float(synchronised_tracks(hour, labels, counts)[0])
    how = hour % HOURS_PER_WEEK
    week = hour // HOURS_PER_WEEK
    frame = pd.DataFrame({"label": labels, "week": week})
    first = frame.groupby("label")["week"].transform("min").to_numpy()
    span = frame.groupby("label")["week"].transform("max").to_numpy() - first + 1
    if observed == 0 or (span == 1).all():
        null_share = observed / total if (span == 1).all() else None
        return {"p_value": 1.0, "observed_share": observed / total, "null_share": null_share,
                "sessions": int(len(s))}
    rng = np.random.default_rng(seed)
    at_least, null_sum, done = 0, 0.0, 0
    while done < permutations:
        b = min(batch, permutations - done)
        weeks = first[None, :] + (rng.random((b, len(s))) * span[None, :]).astype(np.int64)
        draws = synchronised_tracks((weeks * HOURS_PER_WEEK + how[None, :]).ravel(), np.tile(labels, b),
                                    np.tile(counts, b), np.repeat(np.arange(b), len(s)))
        at_least += int((draws >= observed).sum())
        null_sum += float(draws.sum())
        done += b
    return {"p_value": (1 + at_least) / (1 + permutations), "observed_share": observed / total,
            "null_share": null_sum / permutations / total, "sessions": int(len(s))}


def network_seed(seed: int, network_id) -> int:
    """A per-network seed that depends only on the run's seed and the network id."""
    return zlib.crc32(f"{seed}:{network_id}".encode()) & 0x7FFFFFFF


def upload_synchrony_tests(tracks: DataFrame, permutations: int = DEFAULT_PERMUTATIONS, seed: int = 0) -> DataFrame:
    """(network_id, upload_synchrony_p, synchrony_null_share, synchrony_sessions) per network.

    ``tracks``: network_id, label_id, upload_hour (null upload times are left out), one row
    per member track. Sessions are counted on Spark; each network is tested in one group
    of ``applyInPandas`` (one network's sessions, seeded per network)."""
    sessions = (tracks.where(F.col("upload_hour").isNotNull())
                .groupBy("network_id", "label_id", "upload_hour").agg(F.count(F.lit(1)).alias("tracks"))
                .select("network_id", "label_id", F.col("upload_hour").cast("long"), "tracks"))

    def per_network(pdf: pd.DataFrame) -> pd.DataFrame:
        nid = pdf["network_id"].iat[0]
        r = synchrony_test(pdf, permutations, network_seed(seed, nid))
        return pd.DataFrame({"network_id": [nid], "upload_synchrony_p": [r["p_value"]],
                             "synchrony_null_share": [r["null_share"]], "synchrony_sessions": [r["sessions"]]})

    schema = result_schema(tracks.schema["network_id"].dataType)
    return sessions.groupBy("network_id").applyInPandas(per_network, schema)
