"""Dense suspicious blocks: FRAUDAR blocks, then a co-follow test inside each block.

FRAUDAR (``assets/network/fraudar.py``, Hooi et al. 2016) peels the follower -> followee
graph down to its densest camouflage-resistant blocks. On a real follow graph those blocks
are often communities (fans of one scene follow the same artists), so membership alone is
no evidence. Inside each block we ask, per account, whether it shares far more of the
block's followed accounts with some other member than chance explains:

* null model (configuration model of the whole graph): row ``u`` with out-degree ``d_u``
  follows column ``x`` with probability ``q_ux = min(1, d_u * k_x / E)`` (``k_x`` its
  in-degree, ``E`` all edges), independently. The expected number of the block's columns
  two rows share is ``lambda_uv = sum_x q_ux q_vx``; the observed number ``c_uv`` is
  compared with Poisson(lambda_uv) (upper tail).
* per account: the smallest pair p-value, times (rows - 1) partners, times every row of
  every block tested (Bonferroni); flagged when that is <= ``alpha``.
* limitation: the null knows no communities. Fans of one scene who follow many of its
  artists share more than a configuration model predicts (on the simulator, which is
  strongly local, most heavy fans fire), which is why ``bots.py`` does not let this
  detector flag on its own by default.

Pure numpy/scipy; blocks are at most a few thousand rows (dense pair matrices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import poisson

from assets.network.fraudar import fraudar


@dataclass(frozen=True)
class BlockConfig:
    blocks: int = 20
    min_rows: int = 3
    c: float = 5.0
    alpha: float = 0.01
    max_block_rows: int = 5000  # dense pair matrix guard


def _block_pairs(rows: np.ndarray, cols: np.ndarray, src: np.ndarray, dst: np.ndarray):
    """In-block adjacency (rows x cols, 0/1 float)."""
    ri = pd.Index(rows).get_indexer(src)
    ci = pd.Index(cols).get_indexer(dst)
    inside = (ri >= 0) & (ci >= 0)
    a = np.zeros((len(rows), len(cols)), dtype=np.float64)
    a[ri[inside], ci[inside]] = 1.0
    return a


def dense_blocks(src: np.ndarray, dst: np.ndarray, cfg: BlockConfig = BlockConfig()) -> pd.DataFrame:
    """Per account in a FRAUDAR block: (user_id, block_score, block_flagged, block_id,
    block_rows, block_cols, block_density, partner_id, shared, expected_shared,
    log10_p_adjusted, block_evidence). ``src -> dst`` distinct follows."""
    cols_out = ["user_id", "block_score", "block_flagged", "block_id", "block_rows", "block_cols", "block_density",
                "partner_id", "shared", "expected_shared", "log10_p_adjusted", "block_evidence"]
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if len(src) == 0:
        return pd.DataFrame(columns=cols_out)
    found = fraudar(src, dst, c=cfg.c, blocks=cfg.blocks, min_rows=cfg.min_rows)
    outdeg = pd.Series(src).value_counts()
    indeg = pd.Series(dst).value_counts()
    parts = []
    for bi, b in enumerate(found):
        if len(b.rows) > cfg.max_block_rows or len(b.rows) < 2:
            continue
        a = _block_pairs(b.rows, b.cols, src, dst)
        d = outdeg.reindex(b.rows).to_numpy(dtype=float)
        pi = indeg.reindex(b.cols).to_numpy(dtype=float) / len(src)
        q = np.minimum(1.0, d[:, None] * pi[None, :])
        lam = q @ q.T
        shared = a @ a.T
        np.fill_diagonal(shared, 0.0)
        logsf = poisson.logsf(shared - 1, np.maximum(lam, 1e-12))  # log P(X >= shared)
        np.fill_diagonal(logsf, 0.0)
        logsf = np.where(shared > 0, logsf, 0.0)
        best = np.argmin(logsf, axis=1)
        idx = np.arange(len(b.rows))
        parts.append(pd.DataFrame({
            "user_id": b.rows, "block_id": bi, "block_rows": len(b.rows), "block_cols": len(b.cols),
            "block_density": b.score, "partner_id": b.rows[best], "shared": shared[idx, best].astype(int),
            "expected_shared": lam[idx, best], "log_p": logsf[idx, best] + math.log(max(1, len(b.rows) - 1)),
        }))
    if not parts:
        return pd.DataFrame(columns=cols_out)
    res = pd.concat(parts, ignore_index=True)
    tests = len(res)
    res["log10_p_adjusted"] = np.minimum(0.0, (res["log_p"] + math.log(tests)) / math.log(10))
    res = res.sort_values(["user_id", "log10_p_adjusted"]).drop_duplicates("user_id")
    res["block_flagged"] = res["log10_p_adjusted"] <= math.log10(cfg.alpha)
    res["block_score"] = 1.0 - np.power(10.0, res["log10_p_adjusted"])
    res["block_evidence"] = [
        f"in dense block #{r.block_id} ({r.block_rows} followers x {r.block_cols} followed, FRAUDAR density "
        f"{r.block_density:.2f}): shares {r.shared} followed accounts with {r.partner_id} where the block "
        f"predicts {r.expected_shared:.1f}; Bonferroni-adjusted p 10^{r.log10_p_adjusted:.1f}"
        for r in res.itertuples()
    ]
    return res[cols_out].reset_index(drop=True)
