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

Two implementations with the same output columns:

* ``lockstep(events: pandas, cfg)``: numpy/pandas over ``(user_id, target, t_ms)`` in one
  process, exact times only: the reference the tests compare against;
* ``lockstep_spark(events_df, cfg)``: Spark end to end, nothing collected but scalars.
  ``events_df(user_id, target, t_min_ms, t_max_ms)`` (interval-censored: the follow
  happened somewhere in ``[t_min_ms, t_max_ms]``; equal bounds are an exact time) or
  ``(user_id, target, t_ms)`` (exact). Rows without a time are ignored; a repeated
  (user, target) keeps its earliest interval.

  - Interval rule: at scale ``delta`` an event takes part only if its interval is at most
    ``delta`` wide (a wider one cannot place the follow inside any window of that scale);
    two events are within ``delta`` of each other when the union of their intervals fits in
    ``delta`` (``max(t_max) - min(t_min) <= delta``); a member is synchronised when its
    whole interval fits in the window ``center +/- delta``; the null counts the outside
    events whose whole interval fits in that window. The center is the leave-one-out
    median of the other members' interval midpoints. With exact times every rule is the
    pandas one, and the output equals ``lockstep`` (tests).
  - Pair mining: a self-join of the events on (target, time bucket of width ``delta``,
    salt), each event also offered to the next bucket, so every pair within ``delta`` meets
    once or twice (deduplicated per (pair, target)). A hot (target, bucket) cell with more
    than ``salt_above`` events is split into ``ceil(n / salt_above)`` salts (at most
    ``max_salts``) by a hash of the user on one side and replicated on the other, so no
    task holds a hot cell's square alone. A cell with more than ``max_cell_events`` events
    is left out of pair mining (the memory guard of the pandas version, per cell: where a
    target's own activity is densest the null gives synchronisation the least weight).
  - Groups: connected components of the kept pairs (``assets.catalog.components``, Spark
    large-star / small-star); ``lockstep_group`` is ``lockstep-<scale>s-<smallest member>``
    (the pandas version numbers the groups instead).
  - Group test: the leave-one-out medians from three order statistics per (group, target);
    the null's window counts by a range join on (target, bucket); ``P_u`` and Bonferroni
    as above, all as aggregations.

Follows use the followee as target, reposts the track (keys kept apart by ``target_key``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from assets.catalog.components import connected_components as spark_components

DEFAULT_SCALES_S = (600, 3600, 4 * 3600, 12 * 3600)


@dataclass(frozen=True)
class LockstepConfig:
    scales_s: tuple[int, ...] = DEFAULT_SCALES_S
    min_targets: int = 3
    min_group: int = 3
    alpha: float = 0.01
    max_pairs: int = 30_000_000  # memory guard per scale: beyond it the busiest windows are left out
    salt_above: int = 200  # Spark: a (target, bucket) cell with more events is split into salts
    max_salts: int = 64  # Spark: at most this many salts per cell
    max_cell_events: int = 5000  # Spark: a cell with more events is left out of pair mining


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


# ---------------------------------------------------------------------------- Spark
COLUMNS = ["user_id", "lockstep_score", "lockstep_flagged", "lockstep_group", "lockstep_scale_s", "group_size",
           "targets_synced", "targets_tested", "log10_p_adjusted", "lockstep_evidence"]
OUT_SCHEMA = ("user_id long, lockstep_score double, lockstep_flagged boolean, lockstep_group string, "
              "lockstep_scale_s long, group_size long, targets_synced long, targets_tested long, "
              "log10_p_adjusted double, lockstep_evidence string")


def _timed_events(events_df: DataFrame) -> DataFrame:
    """(user_id, target, lo, hi): one row per (user, target), its earliest interval."""
    cols = set(events_df.columns)
    if {"t_min_ms", "t_max_ms"} <= cols:
        lo, hi = F.col("t_min_ms"), F.col("t_max_ms")
    elif "t_ms" in cols:
        lo = hi = F.col("t_ms")
    else:
        raise ValueError("events need t_min_ms and t_max_ms, or t_ms")
    ev = events_df.select(F.col("user_id").cast("long").alias("user_id"), F.col("target").cast("long").alias("target"),
                          lo.cast("long").alias("lo"), hi.cast("long").alias("hi"))
    ev = ev.where(F.col("user_id").isNotNull() & F.col("target").isNotNull() & F.col("lo").isNotNull()
                  & F.col("hi").isNotNull() & (F.col("hi") >= F.col("lo")))
    first = ev.groupBy("user_id", "target").agg(F.min(F.struct("lo", "hi")).alias("t"))
    return first.select("user_id", "target", "t.lo", "t.hi")


def _pairs_spark(ev: DataFrame, delta: int, cfg: LockstepConfig) -> DataFrame:
    """(src, dst) user pairs acting on >= min_targets common targets within delta."""
    e = ev.where(F.col("hi") - F.col("lo") <= delta).withColumn("b", F.floor(F.col("lo") / F.lit(delta)).cast("long"))
    cells = e.groupBy("target", "b").agg(F.count("*").alias("n")).where(F.col("n") <= cfg.max_cell_events)
    cells = cells.select("target", "b", F.least(F.lit(cfg.max_salts), F.ceil(F.col("n") / F.lit(cfg.salt_above)))
                         .cast("int").alias("salts"))
    e = e.join(cells, ["target", "b"])  # cells over max_cell_events drop out here
    left = e.select("target", "b", F.col("user_id").alias("u"), F.col("lo").alias("lo_u"), F.col("hi").alias("hi_u"),
                    F.pmod(F.xxhash64("user_id"), F.col("salts")).cast("int").alias("salt"))
    # each right event is offered to its own bucket and the next, once per salt of that cell
    right = e.select("target", "user_id", "lo", "hi", F.explode(F.array(F.col("b"), F.col("b") + 1)).alias("b"))
    right = right.join(cells, ["target", "b"]).select(
        "target", "b", F.col("user_id").alias("v"), F.col("lo").alias("lo_v"), F.col("hi").alias("hi_v"),
        F.explode(F.sequence(F.lit(0), F.col("salts") - 1)).alias("salt"))
    j = left.join(right, ["target", "b", "salt"]).where(
        (F.col("u") != F.col("v"))
        & (F.greatest("hi_u", "hi_v") - F.least("lo_u", "lo_v") <= delta))
    trip = j.select(F.least("u", "v").alias("src"), F.greatest("u", "v").alias("dst"), "target").distinct()
    return trip.groupBy("src", "dst").agg(F.count("*").alias("k")).where(F.col("k") >= cfg.min_targets).select(
        "src", "dst")


def _test_groups_spark(ev: DataFrame, tgt: DataFrame, mem: DataFrame, delta: int, t_end: int) -> DataFrame:
    """Per (group, member) with a synchronised target: n tested, k synced, log_p, top-3."""
    ge = ev.where(F.col("hi") - F.col("lo") <= delta).join(mem, "user_id").withColumn(
        "mid", (F.col("lo") + F.col("hi")) / 2.0)
    # members on each target, any width (they are not "outside")
    n_in = ev.join(mem, "user_id").groupBy("comp", "target").agg(F.count("*").alias("n_in"))
    w = Window.partitionBy("comp", "target").orderBy("mid", "user_id")
    ge = ge.withColumn("i", F.row_number().over(w) - 1).withColumn("n", F.count("*").over(
        Window.partitionBy("comp", "target"))).where(F.col("n") >= 3)
    ge = ge.withColumn("j", F.floor((F.col("n") - 1) / 2))
    stats = ge.groupBy("comp", "target").agg(
        F.max(F.when(F.col("i") == F.col("j") - 1, F.col("mid"))).alias("s0"),
        F.max(F.when(F.col("i") == F.col("j"), F.col("mid"))).alias("s1"),
        F.max(F.when(F.col("i") == F.col("j") + 1, F.col("mid"))).alias("s2"))
    g = ge.join(stats, ["comp", "target"])
    # rest[k] = s[k] if k < i else s[k + 1]; m = n - 1 others
    r_j = F.when(F.col("j") < F.col("i"), F.col("s1")).otherwise(F.col("s2"))
    r_jm1 = F.when(F.col("j") - 1 < F.col("i"), F.col("s0")).otherwise(F.col("s1"))
    odd_m = (F.col("n") - 1) % 2 == 1
    g = g.withColumn("c", F.when(odd_m, r_j).otherwise(0.5 * (r_jm1 + r_j)))
    g = g.withColumn("synced", (F.col("lo") >= F.col("c") - delta) & (F.col("hi") <= F.col("c") + delta))
    # events of the target whose interval fits in [c - delta, c + delta]: range join on buckets
    ew = ev.where(F.col("hi") - F.col("lo") <= 2 * delta).select(
        "target", F.col("user_id").alias("w_user"), F.col("lo").alias("w_lo"), F.col("hi").alias("w_hi"),
        F.floor(F.col("lo") / F.lit(delta)).cast("long").alias("b"))
    q = g.select("comp", "target", "user_id", "c", F.explode(F.sequence(
        F.floor((F.col("c") - delta) / F.lit(delta)).cast("long"),
        F.floor((F.col("c") + delta) / F.lit(delta)).cast("long"))).alias("b"))
    inwin = q.join(ew, ["target", "b"]).where((F.col("w_lo") >= F.col("c") - delta) & (F.col("w_hi") <= F.col("c") + delta))
    inwin = inwin.join(mem.select(F.col("user_id").alias("w_user"), F.col("comp").alias("w_comp")), "w_user", "left")
    inwin = inwin.where(F.col("w_comp").isNull() | (F.col("w_comp") != F.col("comp"))).groupBy(
        "comp", "target", "user_id").agg(F.count("*").alias("in_window"))
    g = (g.join(inwin, ["comp", "target", "user_id"], "left").fillna(0, ["in_window"])
         .join(n_in, ["comp", "target"]).join(tgt, "target"))
    prior = F.least(F.lit(1.0), F.lit(2.0 * delta) / F.greatest(F.lit(1.0), (F.lit(t_end) - F.col("t_first")).cast("double")
                                                                 + F.lit(2.0 * delta)))
    p = (F.col("in_window") + prior) / (F.col("n_all") - F.col("n_in") + 1)
    g = g.withColumn("logp", F.when(F.col("synced"), F.log(p)).otherwise(F.lit(0.0)))
    per = g.groupBy("comp", "user_id").agg(
        F.count("*").alias("n_t"), F.sum(F.col("synced").cast("long")).alias("k"), F.sum("logp").alias("sum_logp"),
        F.slice(F.array_sort(F.collect_list(F.when(F.col("synced"), F.struct("logp", "target")))), 1, 3).alias("top"))
    per = per.where(F.col("k") > 0)
    log_comb = F.aggregate(F.sequence(F.lit(1), F.col("k").cast("int")), F.lit(0.0),
                           lambda acc, i: acc + F.log((F.col("n_t") - F.col("k") + i) / i))
    return per.withColumn("log_p", log_comb + F.col("sum_logp"))


def lockstep_spark(events_df: DataFrame, cfg: LockstepConfig = LockstepConfig()) -> DataFrame:
    """``lockstep`` on Spark (see the module docstring); the same output columns."""
    spark = events_df.sparkSession
    ev = _timed_events(events_df).localCheckpoint(eager=True)
    tgt = ev.groupBy("target").agg(F.count("*").alias("n_all"), F.min("lo").alias("t_first"))
    t_end = ev.agg(F.max("hi")).first()[0]
    if t_end is None:
        return spark.createDataFrame([], OUT_SCHEMA)
    tgt = tgt.localCheckpoint(eager=True)
    parts = []
    for scale in cfg.scales_s:
        delta = int(scale * 1000)
        pairs = _pairs_spark(ev, delta, cfg).localCheckpoint(eager=True)
        if pairs.isEmpty():
            continue
        cc = spark_components(pairs)
        size = cc.groupBy("component").agg(F.count("*").alias("group_size")).where(F.col("group_size") >= cfg.min_group)
        mem = cc.join(size, "component").select(F.col("node").alias("user_id"), F.col("component").alias("comp"),
                                                "group_size").localCheckpoint(eager=True)
        res = _test_groups_spark(ev, tgt, mem.select("user_id", "comp"), delta, int(t_end))
        res = res.join(mem.select("comp", "group_size").distinct(), "comp")
        parts.append(res.select("user_id", "comp", "group_size", "n_t", "k", "log_p", "top",
                                F.lit(int(scale)).cast("long").alias("scale"),
                                F.lit(_fmt_window(int(scale))).alias("window")))
    if not parts:
        return spark.createDataFrame([], OUT_SCHEMA)
    res = parts[0]
    for p in parts[1:]:
        res = res.unionByName(p)
    res = res.localCheckpoint(eager=True)
    tests = res.count()  # every (member, scale) tested: Bonferroni
    if tests == 0:
        return spark.createDataFrame([], OUT_SCHEMA)
    res = res.withColumn("log10_p_adjusted", F.least(F.lit(0.0), (F.col("log_p") + F.lit(math.log(tests)))
                                                     / F.lit(math.log(10))))
    pick = Window.partitionBy("user_id").orderBy("log10_p_adjusted", "scale", "comp")
    best = res.withColumn("i", F.row_number().over(pick)).where(F.col("i") == 1)
    name = F.transform("top", lambda s: F.when(s["target"] % 2 == 1, F.format_string("track %d", F.floor(s["target"] / 2)))
                       .otherwise(F.format_string("account %d", F.floor(s["target"] / 2))))
    chance = F.when(F.col("log_p") > -300, F.exp("log_p")).otherwise(F.lit(0.0))
    evidence = F.format_string(
        "acted within %s of %d other accounts on %d of %d shared targets (e.g. %s); chance under each target's own "
        "activity %.1e, Bonferroni-adjusted 10^%.1f",
        "window", F.col("group_size") - 1, "k", "n_t", F.array_join(name, ", "), chance, "log10_p_adjusted")
    return best.select(
        "user_id", (1.0 - F.pow(F.lit(10.0), F.col("log10_p_adjusted"))).alias("lockstep_score"),
        (F.col("log10_p_adjusted") <= F.lit(math.log10(cfg.alpha))).alias("lockstep_flagged"),
        F.format_string("lockstep-%ds-%d", "scale", "comp").alias("lockstep_group"),
        F.col("scale").alias("lockstep_scale_s"), F.col("group_size").cast("long"),
        F.col("k").cast("long").alias("targets_synced"), F.col("n_t").cast("long").alias("targets_tested"),
        "log10_p_adjusted", evidence.alias("lockstep_evidence"))
