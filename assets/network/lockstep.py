"""Lockstep groups: accounts that follow or repost the same targets within a narrow time
window, in the spirit of CopyCatch (Beutel et al., WWW 2013) and SynchroTrap (Cao et al.,
CCS 2014), scored against a null model that keeps each target's own activity over time.

1. Candidate pairs, per time scale ``delta``: two accounts acted on the same target within
   ``delta`` of each other. A pair that did so on at least ``min_targets`` distinct
   targets is kept (CopyCatch's "m" targets); connected components of kept pairs with at
   least ``min_group`` accounts are candidate groups.
2. Group test, per member ``u`` (leave-one-out, so u's own times do not place the
   windows): for each target that u and at least two other members acted on, the window
   is the median time of the OTHER members on it, +/- ``delta``; u is synchronised on that
   target when its time falls inside. Under the null, u's time is one more draw from the
   target's normal activity: the chance of landing in the window is the share of the
   target's events by accounts outside the group that fall in the window (+1 smoothing).
   Release days and viral moments raise exactly that share, so bursts of real fans on a
   target are no evidence; a farm acting at a moment when nobody else does is.
   ``P_u <= C(n, k) * prod(p_target over the k synchronised targets)`` bounds the chance of
   k or more synchronised targets among the n tested (independent targets).
3. Bonferroni over every (member, scale) tested: flagged when ``P_u * tests <= alpha``.

Pure numpy/pandas over an event table ``(user_id, target, t_ms)``: follows use the
followee as target, reposts the track (keys kept apart by ``target_key``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

DEFAULT_SCALES_S = (600, 3600, 4 * 3600, 12 * 3600)


@dataclass(frozen=True)
class LockstepConfig:
    scales_s: tuple[int, ...] = DEFAULT_SCALES_S
    min_targets: int = 3
    min_group: int = 3
    alpha: float = 0.01
    max_pairs: int = 30_000_000  # memory guard per scale: beyond it the busiest windows are left out


def target_key(ids: np.ndarray | pd.Series, kind: str) -> np.ndarray:
    """Follow targets and repost targets in one key space (a user id and a track id may collide)."""
    return np.asarray(ids, dtype=np.int64) * 2 + (1 if kind == "repost" else 0)


def describe_target(key: int) -> str:
    return f"track {key // 2}" if key % 2 else f"account {key // 2}"


def _candidate_pairs(user: np.ndarray, tgt: np.ndarray, t: np.ndarray, delta_ms: int, cfg: LockstepConfig):
    """(u, v) pairs (u < v) acting on >= min_targets common targets within delta of each other."""
    order = np.lexsort((t, tgt))
    user, tgt, t = user[order], tgt[order], t[order]
    _, rank = np.unique(tgt, return_inverse=True)
    span = int(t.max() - t.min()) + 2 * delta_ms + 2
    comp = rank.astype(np.int64) * span + (t - t.min())
    hi = np.searchsorted(comp, comp + delta_ms, side="right")
    counts = hi - np.arange(len(comp)) - 1
    total = int(counts.sum())
    if total == 0:
        return np.empty((0, 2), dtype=np.int64)
    if total > cfg.max_pairs:
        # memory guard: leave out the busiest windows first (where a target's own activity is
        # densest, so the null gives synchronisation there the least weight anyway)
        srt = np.sort(counts)
        cap = int(srt[np.searchsorted(np.cumsum(srt), cfg.max_pairs, side="right") - 1]) if srt[0] <= cfg.max_pairs else 0
        counts = np.where(counts <= cap, counts, 0)
        total = int(counts.sum())
        if total == 0:
            return np.empty((0, 2), dtype=np.int64)
    i = np.repeat(np.arange(len(comp)), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    j = i + 1 + offsets
    a, b = user[i], user[j]
    keep = a != b
    a, b, r = a[keep], b[keep], rank[i][keep].astype(np.int64)
    lo, hi2 = np.minimum(a, b), np.maximum(a, b)
    ids, inv = np.unique(np.concatenate([lo, hi2]), return_inverse=True)
    bu = max(1, int(len(ids) - 1).bit_length())
    bt = max(1, int(r.max()).bit_length())
    if 2 * bu + bt <= 62:  # one int64 key per (pair, target): fast unique
        pk = (inv[: len(lo)].astype(np.int64) << bu) | inv[len(lo):].astype(np.int64)
        trip = np.unique((pk << bt) | r)
        pk_u, k = np.unique(trip >> bt, return_counts=True)
        pk_u = pk_u[k >= cfg.min_targets]
        return np.stack([ids[pk_u >> bu], ids[pk_u & ((1 << bu) - 1)]], axis=1)
    trip = np.unique(np.stack([lo, hi2, r], axis=1), axis=0)  # one per (pair, target)
    pairs, k = np.unique(trip[:, :2], axis=0, return_counts=True)
    return pairs[k >= cfg.min_targets]


def _groups(pairs: np.ndarray, min_group: int) -> list[np.ndarray]:
    if len(pairs) == 0:
        return []
    nodes, inv = np.unique(pairs.ravel(), return_inverse=True)
    inv = inv.reshape(-1, 2)
    n = len(nodes)
    m = coo_matrix((np.ones(len(inv)), (inv[:, 0], inv[:, 1])), shape=(n, n))
    _, labels = connected_components(m, directed=False)
    out = []
    for lab in np.unique(labels):
        members = nodes[labels == lab]
        if len(members) >= min_group:
            out.append(members)
    return out


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _loo_medians(t: np.ndarray) -> np.ndarray:
    """Median of the other elements, for every element of ``t`` (len >= 3)."""
    order = np.argsort(t, kind="stable")
    srt = t[order].astype(np.float64)
    n = len(srt)
    out = np.empty(n)
    for i in range(n):
        rest = np.concatenate([srt[:i], srt[i + 1:]])
        m = n - 1
        out[order[i]] = rest[m // 2] if m % 2 else 0.5 * (rest[m // 2 - 1] + rest[m // 2])
    return out


def _test_group(members: np.ndarray, ev: pd.DataFrame, by_target: dict, delta_ms: int, t_end: int) -> list[dict]:
    """Leave-one-out window test of every member of one candidate group."""
    g = ev[ev["user_id"].isin(members)]
    rows_u, rows_x, rows_sync, rows_logp = [], [], [], []
    for x, grp in g.groupby("target", sort=False):
        if len(grp) < 3:
            continue
        tu = grp["t"].to_numpy()
        center = _loo_medians(tu)
        synced = np.abs(tu - center) <= delta_ms
        times, users = by_target[x]
        outside = ~np.isin(users, members)
        n_out = int(outside.sum())
        cum = np.concatenate([[0], np.cumsum(outside)])
        lo = np.searchsorted(times, center - delta_ms, side="left")
        hi = np.searchsorted(times, center + delta_ms, side="right")
        # one pseudo-event spread evenly over the target's observed lifetime
        prior = min(1.0, 2 * delta_ms / max(1.0, float(t_end - times[0]) + 2 * delta_ms))
        p = (cum[hi] - cum[lo] + prior) / (n_out + 1)
        rows_u.append(grp["user_id"].to_numpy())
        rows_x.append(np.full(len(grp), x))
        rows_sync.append(synced)
        rows_logp.append(np.where(synced, np.log(p), 0.0))
    if not rows_u:
        return []
    d = pd.DataFrame({"u": np.concatenate(rows_u), "x": np.concatenate(rows_x),
                      "sync": np.concatenate(rows_sync), "logp": np.concatenate(rows_logp)})
    out = []
    for u, du in d.groupby("u", sort=True):
        k = int(du["sync"].sum())
        if k == 0:
            continue
        n = len(du)
        top = du[du["sync"]].nsmallest(3, "logp")
        out.append({"user_id": int(u), "targets_tested": n, "targets_synced": k,
                    "log_p": _log_comb(n, k) + float(du["logp"].sum()),
                    "synced": list(zip(top["x"].astype(int), np.exp(top["logp"]), strict=True))})
    return out


def lockstep(events: pd.DataFrame, cfg: LockstepConfig = LockstepConfig()) -> pd.DataFrame:
    """Per flagged-or-tested account: (user_id, lockstep_score, lockstep_flagged,
    lockstep_group, lockstep_scale_s, group_size, targets_synced, targets_tested,
    log10_p_adjusted, lockstep_evidence).

    ``events``: (user_id, target, t_ms), one row per action with a known time (``target``
    from ``target_key``). Repeated (user, target) actions keep the first time.
    """
    cols = ["user_id", "lockstep_score", "lockstep_flagged", "lockstep_group", "lockstep_scale_s", "group_size",
            "targets_synced", "targets_tested", "log10_p_adjusted", "lockstep_evidence"]
    ev = events.dropna(subset=["t_ms"]).astype({"user_id": "int64", "target": "int64", "t_ms": "int64"})
    ev = ev.sort_values("t_ms").drop_duplicates(["user_id", "target"]).rename(columns={"t_ms": "t"})
    if ev.empty:
        return pd.DataFrame(columns=cols)
    by_target = {}
    for x, grp in ev.sort_values(["target", "t"]).groupby("target", sort=False):
        by_target[x] = (grp["t"].to_numpy(), grp["user_id"].to_numpy())
    user, tgt, t = ev["user_id"].to_numpy(), ev["target"].to_numpy(), ev["t"].to_numpy()
    t_end = int(t.max())
    results = []
    for scale in cfg.scales_s:
        delta = int(scale * 1000)
        pairs = _candidate_pairs(user, tgt, t, delta, cfg)
        for gi, members in enumerate(_groups(pairs, cfg.min_group)):
            for r in _test_group(members, ev, by_target, delta, t_end):
                r.update(scale=scale, group=f"lockstep-{scale}s-{gi}", group_size=len(members))
                results.append(r)
    if not results:
        return pd.DataFrame(columns=cols)
    res = pd.DataFrame(results)
    tests = len(res)  # every (member, scale) tested: Bonferroni
    res["log10_p_adjusted"] = np.minimum(0.0, (res["log_p"] + math.log(tests)) / math.log(10))
    best = res.sort_values(["user_id", "log10_p_adjusted"]).drop_duplicates("user_id")
    best = best.assign(
        lockstep_flagged=best["log10_p_adjusted"] <= math.log10(cfg.alpha),
        lockstep_score=1.0 - np.power(10.0, best["log10_p_adjusted"]),
        lockstep_group=best["group"], lockstep_scale_s=best["scale"],
    )
    best["lockstep_evidence"] = [_evidence(r) for r in best.itertuples()]
    return best[cols].reset_index(drop=True)


def _fmt_window(s: int) -> str:
    return f"{s // 3600} h" if s >= 3600 else f"{s // 60} min"


def _evidence(r) -> str:
    examples = ", ".join(describe_target(x) for x, _ in sorted(r.synced, key=lambda s: s[1])[:3])
    chance = 10 ** (r.log_p / math.log(10)) if r.log_p > -300 else 0.0
    return (f"acted within {_fmt_window(r.scale)} of {r.group_size - 1} other accounts on {r.targets_synced} of "
            f"{r.targets_tested} shared targets (e.g. {examples}); chance under each target's own activity "
            f"{chance:.1e}, Bonferroni-adjusted 10^{r.log10_p_adjusted:.1f}")
