"""``python -m bench network_scale``: follow_bots' Spark path on generated follow graphs of
5M, 10M and 50M edges with planted farms, beside the current pandas/numpy path where it fits.

Data (numpy, written to Parquet under a temporary directory, never into the repository):
``E`` distinct follows of ``E / 25`` accounts onto ``E / 50`` followed accounts, followee
popularity heavy-tailed (``T * u**2``: the most followed account has ~0.1% of all follows),
each follow an exact time uniform over two years (a landed edge list with ``followed_at``).
Planted, with their truth: ``2`` farms per 5M edges (150 accounts each following the same
25 small accounts within 10 minutes at a quiet moment, plus 8 popular accounts as
camouflage at ordinary times), 200 multi-follow bots per 5M edges (one account followed
3-5 times), and the hard negatives: 3 release-day bursts per 5M edges (2,000 fans follow
one account within an hour) and 500 heavy honest followers per 5M edges (300 follows at
ordinary times).

Ours: one process, Spark ``local[2]`` (``SPARK_MASTER`` overrides) with ``spark.driver.memory 2g``, 16 shuffle
partitions: ``multi_follow_spark``, ``lockstep_spark`` (default scales), ``dense_blocks_spark``
(default ``BlockConfig``), combined as ``bots.py`` combines them (flagged: multifollow or
lockstep; a dense block alone does not flag), the table written as Parquet. If
``bots.follow_bots_spark`` exists it is used instead (the wired asset path).
Baseline: ``bots.follow_bots`` (pandas/numpy, whole graph in one process) on the same
Parquet, at sizes where it fits (``OFFBEAT_NETWORK_SCALE_BASELINE`` sizes, default 5M).

Each phase in its own process; peak RSS of its whole process tree (JVM and Python workers
included) sampled from /proc every 0.1 s. Detection: precision / recall of flagged accounts
against the planted positives (farm accounts and multi-follow bots), farm recall, and the
share of release-day fans and heavy honest followers flagged. The machine is shared
(2 cores, other jobs running): times are wall times under that load.
Sizes: ``OFFBEAT_NETWORK_SCALE_SIZES`` (default ``5000000,10000000,50000000``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.catalog_scale import TreeRss
from bench.harness import record

T0 = 1_600_000_000_000
YEARS2 = 730 * 86_400_000
CHUNK = 5_000_000


def _sizes(var: str, default: str) -> list[int]:
    return [int(float(x)) for x in os.environ.get(var, default).split(",") if x.strip()]


def generate(edges: int, out: Path, seed: int = 7) -> dict:
    """Write the graph as Parquet parts under ``out``; returns the truth (as lists)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed + edges)
    users, targets = edges // 25, edges // 50
    out.mkdir(parents=True, exist_ok=True)
    k = edges / 5_000_000
    n_farms, n_multi, n_release, n_heavy = max(1, round(2 * k)), round(200 * k), max(1, round(3 * k)), round(500 * k)
    written = 0
    part = 0

    def write(src, dst, mult, t):
        nonlocal part
        pq.write_table(pa.table({"follower_id": src.astype(np.int64), "followee_id": dst.astype(np.int64),
                                 "multiplicity": mult.astype(np.int32), "t_ms": t.astype(np.int64)}),
                       out / f"part-{part:05d}.parquet")
        part += 1

    base = users + 1  # followed accounts are ids base .. base + targets - 1; the most followed first
    popular = base + np.arange(50)
    # planted accounts and targets get ids above the background's
    next_id = users + targets + 10
    truth = {"farm": [], "multi": [], "release": [], "heavy": []}
    planted = []
    for _ in range(n_farms):
        members = np.arange(next_id, next_id + 150)
        next_id += 150
        tg = base + rng.choice(np.arange(targets // 2, targets), 25, replace=False)  # small accounts
        moment = T0 + int(rng.uniform(0.1, 0.9) * YEARS2)
        s = np.repeat(members, 25)
        d = np.tile(tg, 150)
        t = moment + rng.integers(0, 600_000, len(s))
        cs = np.repeat(members, 8)
        cd = rng.choice(popular, len(cs))
        ct = T0 + rng.integers(0, YEARS2, len(cs))
        planted.append((np.r_[s, cs], np.r_[d, cd], np.ones(len(s) + len(cs)), np.r_[t, ct]))
        truth["farm"] += members.tolist()
    bots = np.arange(next_id, next_id + n_multi)
    next_id += n_multi
    planted.append((bots, base + rng.integers(0, targets, n_multi), rng.integers(3, 6, n_multi),
                    T0 + rng.integers(0, YEARS2, n_multi)))
    truth["multi"] = bots.tolist()
    for _ in range(n_release):
        fans = np.arange(next_id, next_id + 2000)
        next_id += 2000
        x = base + int(rng.integers(0, targets))
        rel = T0 + int(rng.uniform(0.1, 0.9) * YEARS2)
        planted.append((fans, np.full(2000, x), np.ones(2000), rel + rng.integers(0, 3_600_000, 2000)))
        truth["release"] += fans.tolist()
    heavy = rng.choice(users, n_heavy, replace=False)  # existing background accounts
    hs = np.repeat(heavy, 300)
    planted.append((hs, base + rng.integers(0, targets, len(hs)), np.ones(len(hs)), T0 + rng.integers(0, YEARS2, len(hs))))
    truth["heavy"] = heavy.tolist()
    for s, d, m, t in planted:
        write(s, d, m, t)
        written += len(s)
    background = edges - written
    while background > 0:
        n = min(CHUNK, background)
        s = rng.integers(0, users, n)
        d = base + (targets * rng.random(n) ** 2).astype(np.int64)
        write(s, d, np.ones(n), T0 + rng.integers(0, YEARS2, n))
        background -= n
    return truth


def _spark(driver_memory: str, tmp: Path):
    from resources.spark import SparkResource

    res = SparkResource(master=os.environ.get("SPARK_MASTER", "local[2]"), shuffle_partitions=16,
                        driver_memory=driver_memory, checkpoint_dir=str(tmp / "checkpoints"),
                        # no broadcast joins: under 2g the many small broadcast relations (peel passes,
                        # lockstep scales) ran out of task memory on a 500k-edge run
                        extra_conf={"spark.sql.autoBroadcastJoinThreshold": "-1",
                                    "spark.local.dir": str(tmp / "spark-local"),
                                    "spark.sql.warehouse.dir": str(tmp / "spark-warehouse")})
    return res, res.get_session()


def ours(data: Path, out: Path, tmp: Path) -> dict:
    from pyspark.sql import functions as F

    from assets.network.bots import detect_spark

    rss = TreeRss().start()
    started = time.perf_counter()
    res, spark = _spark("2g", tmp)
    raw = spark.read.parquet(str(data))
    # the follow_edges table's shape (a landed edge list with exact times: interval = time)
    fe = raw.select("follower_id", "followee_id", F.timestamp_millis("t_ms").alias("followed_at"),
                    F.timestamp_millis("t_ms").alias("followed_at_min"),
                    F.timestamp_millis("t_ms").alias("followed_at_max"), "multiplicity")
    stats: dict = {}
    t = time.perf_counter()
    table, figures, cores = detect_spark(fe, stats=stats)  # what the follow_bots asset runs (default configs)
    table.write.mode("overwrite").parquet(str(tmp / "follow_bots"))
    stages = {**stats.get("stage_seconds", {}), "total_with_write": time.perf_counter() - t}
    path = "bots.detect_spark (the follow_bots asset's path: cofollow + multifollow + lockstep + dense blocks)"
    flagged = spark.read.parquet(str(tmp / "follow_bots")).where("flagged").select("user_id")
    flagged_ids = [r.user_id for r in flagged.toLocalIterator()]  # the flagged accounts only
    total = time.perf_counter() - started
    res.stop()
    peak = rss.stop()
    blocks = stats.get("blocks", [])
    result = {"seconds": total, "stages": {k: round(v, 1) for k, v in stages.items()}, "peak_rss": peak,
              "peak_rss_anon": rss.peak_anon, "flagged": flagged_ids, "path": path,
              "peel_passes": len(stats.get("passes", [])), "residual_edges": stats.get("residual_edges"),
              "blocks": [(b["rows"], b["cols"], round(b["density"], 2)) for b in blocks[:5]],
              "figures": {k: v for k, v in figures.items() if isinstance(v, (int, float, str, bool))}}
    out.write_text(json.dumps(result))
    return result


def baseline(data: Path, out: Path) -> dict:
    import pandas as pd

    from assets.network.bots import follow_bots

    rss = TreeRss().start()
    started = time.perf_counter()
    pdf = pd.read_parquet(data)
    table, _ = follow_bots(pdf[["follower_id", "followee_id", "multiplicity", "t_ms"]])
    total = time.perf_counter() - started
    peak = rss.stop()
    result = {"seconds": total, "peak_rss": peak, "peak_rss_anon": rss.peak_anon,
              "flagged": table.loc[table["flagged"], "user_id"].astype(int).tolist()}
    out.write_text(json.dumps(result))
    return result


def score(flagged: list[int], truth: dict) -> dict:
    f = set(flagged)
    pos = set(truth["farm"]) | set(truth["multi"])
    tp = len(f & pos)
    return {"precision": tp / len(f) if f else float("nan"), "recall": tp / len(pos),
            "farm_recall": len(f & set(truth["farm"])) / len(truth["farm"]),
            "release_flagged": len(f & set(truth["release"])) / len(truth["release"]),
            "heavy_flagged": len(f & set(truth["heavy"])) / len(truth["heavy"]), "flagged": len(f)}


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _phase(name: str, *args: str) -> dict:
    out = Path(args[-1])
    subprocess.run([sys.executable, "-m", "bench.network_scale", "--phase", name, *args], check=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    return json.loads(out.read_text())


def main() -> None:
    sizes = _sizes("OFFBEAT_NETWORK_SCALE_SIZES", "5000000,10000000,50000000")
    base_sizes = set(_sizes("OFFBEAT_NETWORK_SCALE_BASELINE", "5000000"))
    root = Path(tempfile.mkdtemp(prefix="offbeat-network-scale-"))
    first: dict | None = None
    try:
        for n in sizes:
            data = root / f"edges-{n}"
            t = time.perf_counter()
            truth = generate(n, data)
            print(f"generated {n:,} edges in {time.perf_counter() - t:.0f} s under {data}", flush=True)
            tmp = root / f"work-{n}"
            load0 = _load()
            tmp.mkdir()
            o = _phase("ours", str(data), str(tmp), str(root / f"ours-{n}.json"))
            so = score(o["flagged"], truth)
            b = so_b = None
            if n in base_sizes:
                b = _phase("baseline", str(data), str(root / f"base-{n}.json"))
                so_b = score(b["flagged"], truth)
            fig = (f"precision {so['precision']:.3f} recall {so['recall']:.3f} farm recall {so['farm_recall']:.3f} "
                   f"release-day fans flagged {so['release_flagged']:.4f} heavy honest {so['heavy_flagged']:.4f} "
                   f"({so['flagged']:,} flagged)")
            common = (f"{n:,} generated follows ({len(truth['farm']):,} farm accounts, {len(truth['multi']):,} "
                      f"multi-follow bots), Spark {os.environ.get('SPARK_MASTER', 'local[2]')} on 2 shared cores (other jobs running), driver 2g; path "
                      f"{o['path']}; stages {o['stages']}; peel passes {o['peel_passes']}, residual "
                      f"{o['residual_edges']} edges, first blocks {o['blocks']}; fired "
                      f"{ {k: v for k, v in o.get('figures', {}).items() if k.startswith('fired_')} }; ours: {fig}; "
                      f"load average before/after {load0} / {_load()}")
            if b is not None:
                fig_b = (f"baseline (bots.follow_bots, pandas/numpy one process): precision {so_b['precision']:.3f} "
                         f"recall {so_b['recall']:.3f} farm recall {so_b['farm_recall']:.3f} release "
                         f"{so_b['release_flagged']:.4f} heavy {so_b['heavy_flagged']:.4f}")
                record(f"network_scale_{n // 1_000_000}m", o["seconds"], b["seconds"], "s", f"{common}; {fig_b}")
                record(f"network_scale_{n // 1_000_000}m_peak_memory", o["peak_rss"] / 2**20, b["peak_rss"] / 2**20,
                       "MiB", f"peak RSS of the process tree, /proc every 0.1 s; anon ours "
                       f"{o['peak_rss_anon'] / 2**20:,.0f} / baseline {b['peak_rss_anon'] / 2**20:,.0f} MiB; {n:,} follows")
            else:
                ref = first or o
                record(f"network_scale_{n // 1_000_000}m", o["seconds"], ref["seconds"], "s",
                       f"{common}; baseline column = ours at the first size ({first['n'] if first else n:,} follows; the "
                       f"pandas path not run at this size); peak RSS {o['peak_rss'] / 2**30:.2f} GiB "
                       f"(anon {o['peak_rss_anon'] / 2**30:.2f})")
            if first is None:
                first = {**o, "n": n}
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        phase, args = sys.argv[2], sys.argv[3:]
        if phase == "ours":
            ours(Path(args[0]), Path(args[2]), Path(args[1]))
        elif phase == "baseline":
            baseline(Path(args[0]), Path(args[1]))
        else:
            raise SystemExit(f"unknown phase {phase}")
    else:
        main()
