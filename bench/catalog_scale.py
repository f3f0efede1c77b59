"""Catalog fraud at scale: our pipeline vs the seed's self-join (Spark and DuckDB), one run.

Data: ``simulator.catalog_bulk`` at ``OFFBEAT_BENCH_TRACKS`` tracks (default 10,000,000;
one label per 100 tracks, about 17% of them flagged, 24 generic titles each held by
hundreds to thousands of flagged labels), cached under ``data/bench/`` by parameters.

Three phases, each in its own process (a fresh JVM each, so every phase's peak memory is
its own; JVM start-up is not timed), on Spark ``local[2]`` / DuckDB ``threads=2``:

1. ours: the product's chain end to end through ``assets.catalog.detect.run_catalog_chain``
   (the stage functions the assets call: track_fingerprints -> label_reuse
   (+exempt_would_flag) -> label_similarity -> fraud_networks -> network_summary), each
   table written to a Parquet warehouse and read back by the next; timed per stage.
2. (a) the seed's method on Spark: from the same warehouse tables (flagged labels'
   fingerprint sets), self-join on fingerprint, count shared, Jaccard, threshold
   (``bench.baselines.seed_self_join_similarity``), written to the warehouse.
3. (b) the same seed method in DuckDB, reading the same warehouse Parquet, writing Parquet.

All three edge tables must be identical: the same (label_a, label_b, shared, size_a,
size_b, jaccard) rows, jaccard compared bit for bit (each computes shared/union as a
double from the same integers; the threshold is the exact fraction test of DESIGN.md's
contract, ``den*shared >= num*union``). Candidate pairs: ours = distinct pairs surviving
the prefix and size filters (what we verify); the seed's = distinct pairs sharing any
fingerprint (what its group-by builds), plus the self-join's row count.

Peak memory: RSS of the phase's whole process tree (Python + Spark JVM + Python workers),
sampled every 0.1 s from /proc, over the timed part of the phase.

``python -m bench catalog_scale`` (run it under ``flock /tmp/offbeat-bench.lock`` for
measured figures); ``OFFBEAT_BENCH_TRACKS=1000000`` for a quick run,
``OFFBEAT_BENCH_RECORD=0`` to leave bench/RESULTS.md alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pyarrow.parquet as pq

from resources.catalog_contract import CatalogRules

ROOT = Path(__file__).resolve().parent.parent / "data" / "bench"
RULES = CatalogRules()
TARGET_E2E_S = 240.0
TARGET_CANDIDATES = 10.0
TARGET_SPEEDUP = 3.0


# ---- memory ----------------------------------------------------------------------------


class TreeRss:
    """Samples the RSS of a process and all its descendants from /proc (Linux)."""

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = self.peak_anon = 0
        self.stage_peaks: dict[str, int] = {}
        self.stage: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, ()))
        return out

    def sample(self) -> tuple[int, int]:
        """(RSS, anonymous RSS) of the tree in bytes. RSS also counts resident pages of
        mapped files (Spark maps shuffle and Parquet files); anonymous RSS is private memory."""
        total = anon = 0
        for p in self._tree():
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                        elif line.startswith("RssAnon:"):
                            anon += int(line.split()[1]) * 1024
            except (OSError, IndexError, ValueError):
                pass
        return total, anon

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, anon = self.sample()
            self.peak = max(self.peak, rss)
            self.peak_anon = max(self.peak_anon, anon)
            if self.stage:
                self.stage_peaks[self.stage] = max(self.stage_peaks.get(self.stage, 0), rss)
            self._stop.wait(self.interval)

    def start(self) -> TreeRss:
        self.peak, self.peak_anon = self.sample()
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class Stages:
    """Wall time (and peak tree RSS) per named stage."""

    def __init__(self, rss: TreeRss | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.rss = rss

    def run(self, name: str, fn, *args, **kwargs):
        if self.rss:
            self.rss.stage = name
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - start, 2)
        print(f"  {name:<22} {self.seconds[name]:8.2f} s", flush=True)
        return out


# ---- the three methods -------------------------------------------------------------------


def _warehouse(path: Path):
    from resources.warehouse import Warehouse

    return Warehouse(uri=str(path))


def run_ours(spark, data_dir: Path, warehouse_dir: Path, rules: CatalogRules = RULES,
             stages: Stages | None = None, *, until: str = "network_summary") -> dict[str, float]:
    """The product's catalog chain (``assets.catalog.detect.run_catalog_chain``, the stages
    the assets run) end to end, or up to the stage ``until``, each table written to the
    warehouse; seconds per stage and ``end_to_end``."""
    from assets.catalog.assets import CATALOG_SCHEMA
    from assets.catalog.detect import run_catalog_chain

    wh = _warehouse(warehouse_dir)
    stages = stages or Stages()
    columns = [c.split()[0] for c in CATALOG_SCHEMA.split(", ")]
    raw = spark.read.parquet(str(data_dir)).select(*columns)
    # The fingerprint asset is told its partition keys (days): here, every day the generator used.
    meta = json.loads((Path(data_dir) / "_meta.json").read_text())
    first = dt.date(2024, 1, 1)
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range(meta.get("days", 366))]

    start = time.perf_counter()
    run_catalog_chain(spark, wh, raw, days, rules, until=until, around=stages.run)
    stages.seconds["end_to_end"] = round(time.perf_counter() - start, 2)
    return stages.seconds


def run_seed_spark(spark, warehouse_dir: Path, rules: CatalogRules = RULES) -> float:
    """(a) The seed's self-join on Spark from the warehouse tables; seconds."""
    from assets.catalog.similarity import flagged_label_sets
    from bench.baselines import seed_self_join_similarity

    wh = _warehouse(warehouse_dir)
    start = time.perf_counter()
    sets = flagged_label_sets(wh.read(spark, "track_fingerprints"), wh.read(spark, "label_reuse"))
    wh.write_table(seed_self_join_similarity(sets, rules.similarity_threshold), "seed_spark_similarity")
    return round(time.perf_counter() - start, 2)


def _duckdb_sets_sql(warehouse_dir: Path) -> str:
    fps = warehouse_dir / "track_fingerprints" / "**" / "*.parquet"
    reuse = warehouse_dir / "label_reuse" / "*.parquet"
    return f"""
        SELECT DISTINCT f.label_id, f.fingerprint
        FROM read_parquet('{fps}', hive_partitioning = true) f
        WHERE f.eligible AND f.label_id IS NOT NULL AND f.fingerprint IS NOT NULL
          AND f.label_id IN (SELECT label_id FROM read_parquet('{reuse}') WHERE flagged)
    """


def run_seed_duckdb(warehouse_dir: Path, rules: CatalogRules = RULES, *, threads: int = 2,
                    memory_limit: str | None = None) -> tuple[float, dict]:
    """(b) The seed's self-join in DuckDB, from the same warehouse Parquet, to Parquet.

    Returns (seconds, counts): counts (computed after the timed query) are the self-join's
    rows and its distinct candidate pairs, the flagged sets' size and the generic
    fingerprints' fan-out (flagged labels per fingerprint, top 5)."""
    import duckdb

    frac = Fraction(repr(float(rules.similarity_threshold)))
    out = warehouse_dir / "seed_duckdb_similarity.parquet"
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET temp_directory = '{warehouse_dir / 'duckdb_tmp'}'")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    start = time.perf_counter()
    con.execute(f"""
        COPY (
          WITH sets AS ({_duckdb_sets_sql(warehouse_dir)}),
          sizes AS (SELECT label_id, count(*)::BIGINT AS size FROM sets GROUP BY label_id),
          shared AS (
            SELECT a.label_id AS label_a, b.label_id AS label_b, count(*)::BIGINT AS shared
            FROM sets a JOIN sets b ON a.fingerprint = b.fingerprint AND a.label_id < b.label_id
            GROUP BY a.label_id, b.label_id)
          SELECT s.label_a, s.label_b, s.shared, sa.size AS size_a, sb.size AS size_b,
                 s.shared::DOUBLE / (sa.size + sb.size - s.shared)::DOUBLE AS jaccard
          FROM shared s JOIN sizes sa ON sa.label_id = s.label_a JOIN sizes sb ON sb.label_id = s.label_b
          WHERE {frac.denominator}::HUGEINT * s.shared
                >= {frac.numerator}::HUGEINT * (sa.size + sb.size - s.shared)
        ) TO '{out}' (FORMAT parquet)
    """)
    seconds = round(time.perf_counter() - start, 2)
    con.execute(f"CREATE TEMP TABLE sets AS {_duckdb_sets_sql(warehouse_dir)}")
    df = con.execute(
        "SELECT fingerprint, count(*) AS k FROM sets GROUP BY fingerprint ORDER BY k DESC, fingerprint"
    ).fetchall()
    counts = {
        "flagged_set_rows": sum(k for _, k in df),
        "seed_join_rows": sum(k * (k - 1) // 2 for _, k in df),
        "fanout_top": [[fp, k] for fp, k in df[:5]],
        "fingerprints_held_by_1000_plus": sum(1 for _, k in df if k >= 1000),
    }
    counts["seed_candidate_pairs"] = con.execute("""
        SELECT count(*) FROM (SELECT DISTINCT a.label_id, b.label_id FROM sets a JOIN sets b
        ON a.fingerprint = b.fingerprint AND a.label_id < b.label_id)""").fetchone()[0]
    con.close()
    return seconds, counts


def edge_set(path: Path) -> set[tuple]:
    """(label_a, label_b, shared, size_a, size_b, jaccard) rows of an edge table (Parquet)."""
    t = pq.read_table(str(path), columns=["label_a", "label_b", "shared", "size_a", "size_b", "jaccard"])
    rows = zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True)
    out = set(rows)
    assert len(out) == t.num_rows, f"duplicate edges in {path}"
    return out


def ours_candidates(spark, warehouse_dir: Path, rules: CatalogRules = RULES) -> dict:
    from assets.catalog.similarity import flagged_label_sets
    from bench.baselines import candidate_pair_counts

    wh = _warehouse(warehouse_dir)
    sets = flagged_label_sets(wh.read(spark, "track_fingerprints"), wh.read(spark, "label_reuse"))
    counts = candidate_pair_counts(sets, rules.similarity_threshold, seed_pairs=False)
    reuse = wh.read(spark, "label_reuse")
    counts["labels"] = reuse.count()
    counts["flagged_labels"] = reuse.where("flagged").count()
    counts["networks"] = wh.read(spark, "fraud_networks").select("network_id").distinct().count()
    counts["network_labels"] = wh.read(spark, "fraud_networks").count()
    return counts


# ---- phases (one process each) ---------------------------------------------------------


def _spark(shuffle_partitions: int):
    from resources.spark import SparkResource

    resource = SparkResource(
        master="local[2]",
        shuffle_partitions=shuffle_partitions,
        driver_memory=os.environ.get("OFFBEAT_BENCH_DRIVER_MEMORY", "10g"),
        checkpoint_dir=str(ROOT / "spark-checkpoints"),
        extra_conf={"spark.local.dir": str(ROOT / "spark-local")},
    )
    return resource, resource.get_session()


def phase(name: str, data_dir: Path, warehouse_dir: Path, out: Path) -> None:
    """Run one phase in this process and write its figures as JSON to ``out``."""
    partitions = int(os.environ.get("OFFBEAT_BENCH_SHUFFLE_PARTITIONS", "16"))
    result: dict = {"phase": name, "shuffle_partitions": partitions}
    if name in ("ours", "seed_spark"):
        resource, spark = _spark(partitions)
        spark.range(1000).selectExpr("sum(id)").collect()  # JVM warm: start-up is not timed
        rss = TreeRss().start()
        if name == "ours":
            stages = Stages(rss)
            result["seconds"] = run_ours(spark, data_dir, warehouse_dir, stages=stages)
            result["stage_peak_rss"] = rss.stage_peaks
        else:
            result["seconds"] = {"label_similarity": run_seed_spark(spark, warehouse_dir)}
        result["peak_rss"] = rss.stop()
        result["peak_rss_anon"] = rss.peak_anon
        if name == "ours":
            result["counts"] = ours_candidates(spark, warehouse_dir)
        resource.stop()
    elif name == "seed_duckdb":
        rss = TreeRss().start()
        seconds, counts = run_seed_duckdb(warehouse_dir)
        result["peak_rss"] = rss.stop()
        result["peak_rss_anon"] = rss.peak_anon
        result["seconds"] = {"label_similarity": seconds}
        result["counts"] = counts
    else:
        raise ValueError(name)
    out.write_text(json.dumps(result, indent=1))


def _run_phase(name: str, data_dir: Path, warehouse_dir: Path) -> dict:
    out = warehouse_dir / f"{name}.json"
    out.unlink(missing_ok=True)
    print(f"-- phase {name}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "bench.catalog_scale", "--phase", name, str(data_dir), str(warehouse_dir), str(out)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    return json.loads(out.read_text())


def _gib(b: int) -> str:
    return f"{b / 2**30:.2f} GiB"


def main() -> None:
    from simulator.catalog_bulk import ensure

    tracks = int(os.environ.get("OFFBEAT_BENCH_TRACKS", "10000000"))
    seed = int(os.environ.get("OFFBEAT_BENCH_SEED", "7"))
    start = time.perf_counter()
    data_dir, meta = ensure(ROOT, tracks, seed)
    print(f"data: {data_dir} ({meta['tracks']:,} tracks, {meta['labels']:,} labels; "
          f"{'generated' if time.perf_counter() - start > 1 else 'cached'})", flush=True)
    warehouse_dir = ROOT / f"warehouse_{data_dir.name}"
    if warehouse_dir.exists():
        import shutil

        shutil.rmtree(warehouse_dir)
    warehouse_dir.mkdir(parents=True)

    ours = _run_phase("ours", data_dir, warehouse_dir)
    if os.environ.get("OFFBEAT_BENCH_ONLY_OURS") == "1":  # development: our pipeline alone
        return
    seed_spark = _run_phase("seed_spark", data_dir, warehouse_dir)
    seed_duck = _run_phase("seed_duckdb", data_dir, warehouse_dir)

    e_ours = edge_set(warehouse_dir / "label_similarity")
    e_spark = edge_set(warehouse_dir / "seed_spark_similarity")
    e_duck = edge_set(warehouse_dir / "seed_duckdb_similarity.parquet")
    assert e_ours == e_spark, f"ours != seed Spark: {len(e_ours ^ e_spark)} rows differ"
    assert e_ours == e_duck, f"ours != seed DuckDB: {len(e_ours ^ e_duck)} rows differ"

    c_ours, c_seed = ours["counts"], seed_duck["counts"]
    s_ours = ours["seconds"]
    sim_ours = s_ours["label_similarity"]
    sim_a = seed_spark["seconds"]["label_similarity"]
    sim_b = seed_duck["seconds"]["label_similarity"]
    e2e_a = s_ours["end_to_end"] - sim_ours + sim_a
    cand_ours, cand_seed = c_ours["prefix_candidate_pairs"], c_seed["seed_candidate_pairs"]
    summary = {
        "tracks": meta["tracks"], "labels": c_ours["labels"], "flagged_labels": c_ours["flagged_labels"],
        "edges": len(e_ours), "networks": c_ours["networks"], "network_labels": c_ours["network_labels"],
        "ours_seconds": s_ours, "seed_spark_seconds": sim_a, "seed_duckdb_seconds": sim_b,
        "ours_candidate_pairs": cand_ours, "ours_prefix_join_rows": c_ours["prefix_join_rows"],
        "seed_candidate_pairs": cand_seed, "seed_join_rows": c_seed["seed_join_rows"],
        "fanout_top": c_seed["fanout_top"],
        "fingerprints_held_by_1000_plus": c_seed["fingerprints_held_by_1000_plus"],
        "peak_rss": {"ours": ours["peak_rss"], "seed_spark": seed_spark["peak_rss"],
                     "seed_duckdb": seed_duck["peak_rss"], "ours_stages": ours["stage_peak_rss"]},
        "peak_rss_anon": {"ours": ours["peak_rss_anon"], "seed_spark": seed_spark["peak_rss_anon"],
                          "seed_duckdb": seed_duck["peak_rss_anon"]},
        "driver_memory": os.environ.get("OFFBEAT_BENCH_DRIVER_MEMORY", "10g"),
        "shuffle_partitions": ours["shuffle_partitions"],
    }
    (warehouse_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))

    scale = f"{meta['tracks'] / 1e6:g}M tracks / {c_ours['labels']:,} labels / {c_ours['flagged_labels']:,} flagged"
    fan = ", ".join(f"{fp!r} {k:,}" for fp, k in c_seed["fanout_top"][:3])
    common = (f"{scale}; top generic fingerprints held by {fan} flagged labels; {len(e_ours):,} edges identical "
              f"in all three (exact rows); Spark local[2], {ours['shuffle_partitions']} shuffle partitions")
    peak = "peak RSS / anonymous RSS of the phase's process tree (incl. JVM): " + ", ".join(
        f"{n} {_gib(p['peak_rss'])} / {_gib(p['peak_rss_anon'])}"
        for n, p in (("ours", ours), ("(a)", seed_spark), ("(b) DuckDB", seed_duck))
    )
    stages = ", ".join(f"{k} {v:.1f}" for k, v in s_ours.items() if k != "end_to_end")
    if os.environ.get("OFFBEAT_BENCH_RECORD", "1") == "0":
        return
    from bench.harness import record

    record("catalog_e2e", s_ours["end_to_end"], e2e_a, "s",
           f"{common}; ours end to end (stages s: {stages}) vs the same chain with the seed's Spark "
           f"self-join for label_similarity; target ours <= {TARGET_E2E_S:.0f} s "
           f"({'met' if s_ours['end_to_end'] <= TARGET_E2E_S else 'NOT met'}); {peak}")
    record("catalog_similarity_spark", sim_ours, sim_a, "s",
           f"label_similarity stage: ours (prefix-filtered exact join) vs (a) seed self-join on Spark, same "
           f"warehouse input and output; target >= {TARGET_SPEEDUP:g}x faster "
           f"({sim_a / sim_ours:.1f}x: {'met' if sim_a / sim_ours >= TARGET_SPEEDUP else 'NOT met'})")
    record("catalog_similarity_duckdb", sim_ours, sim_b, "s",
           f"label_similarity stage: ours on Spark vs (b) seed self-join in DuckDB (threads=2) on the same "
           f"Parquet ({sim_b / sim_ours:.2f}x)")
    record("catalog_candidate_pairs", cand_ours, cand_seed, "pairs",
           f"distinct candidate pairs verified: ours after prefix+size filter vs seed (pairs sharing any "
           f"fingerprint); seed self-join rows {c_seed['seed_join_rows']:,}, ours prefix-join rows "
           f"{c_ours['prefix_join_rows']:,}; target >= {TARGET_CANDIDATES:g}x fewer "
           f"({cand_seed / max(cand_ours, 1):,.0f}x: "
           f"{'met' if cand_seed >= TARGET_CANDIDATES * cand_ours else 'NOT met'})")
    record("catalog_peak_memory", ours["peak_rss"] / 2**20, seed_spark["peak_rss"] / 2**20, "MiB",
           f"peak RSS of the phase's process tree (Python + Spark JVM, /proc sampled every 0.1 s): ours end "
           f"to end vs (a) seed Spark similarity alone; anonymous (private) RSS ours "
           f"{ours['peak_rss_anon'] / 2**20:,.0f} MiB, (a) {seed_spark['peak_rss_anon'] / 2**20:,.0f} MiB "
           f"(the rest is mapped shuffle/Parquet files); (b) DuckDB {seed_duck['peak_rss'] / 2**20:,.0f} MiB "
           f"(anonymous {seed_duck['peak_rss_anon'] / 2**20:,.0f}); driver heap {summary['driver_memory']}")


def increment_bench() -> None:
    """``python -m bench.catalog_scale --increment``: a daily increment vs the full run on the
    same data. The generated catalogue's last ``OFFBEAT_BENCH_INCREMENT_DAYS`` days (default 4)
    are the increment: the earlier days run through the full chain (track_fingerprints,
    label_reuse, label_similarity) and build the increment state; then (timed) the full
    chain over every day on a second warehouse, and the increment (fingerprints of the new
    days + ``reuse_increment`` + ``similarity_increment``) on the first; the tables must be
    equal. Prints the load average beside the figures and appends a ``catalog_increment`` row
    to bench/RESULTS.md (``OFFBEAT_BENCH_RECORD=0``: not)."""
    import shutil

    from assets.catalog.assets import CATALOG_SCHEMA
    from assets.catalog.detect import run_stage
    from assets.catalog.increment import reuse_increment, similarity_increment
    from simulator.catalog_bulk import ensure

    tracks = int(os.environ.get("OFFBEAT_BENCH_TRACKS", "1000000"))
    n_inc = int(os.environ.get("OFFBEAT_BENCH_INCREMENT_DAYS", "4"))
    data_dir, meta = ensure(ROOT, tracks, 7)
    first = dt.date(2024, 1, 1)
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range(meta.get("days", 366))]
    old_days, new_days = days[:-n_inc], days[-n_inc:]
    resource, spark = _spark(int(os.environ.get("OFFBEAT_BENCH_SHUFFLE_PARTITIONS", "16")))
    from pyspark.sql import functions as F

    columns = [c.split()[0] for c in CATALOG_SCHEMA.split(", ")]
    raw = spark.read.parquet(str(data_dir)).select(*columns)
    day = F.to_date(F.col("uploaded_at")).cast("string")
    inc_dir, full_dir = ROOT / f"inc_{data_dir.name}", ROOT / f"incfull_{data_dir.name}"
    for d in (inc_dir, full_dir):
        shutil.rmtree(d, ignore_errors=True)
    inc, full = _warehouse(inc_dir), _warehouse(full_dir)
    print("load before:", os.getloadavg(), flush=True)
    run_stage("track_fingerprints", spark, inc, RULES, tracks=raw.where(day.isin(old_days)), days=old_days)
    with inc.staged_writes() as staged:
        reuse_increment(spark, inc, staged, RULES)
        similarity_increment(spark, inc, staged, RULES)
        staged.publish()
    new_tracks = raw.where(day.isin(new_days)).count()
    load_before = os.getloadavg()
    full_stages = Stages()
    t0 = time.perf_counter()
    for stage in ("track_fingerprints", "label_reuse", "label_similarity"):
        full_stages.run(f"full {stage}", run_stage, stage, spark, full, RULES, tracks=raw, days=days)
    t_full = time.perf_counter() - t0
    inc_stages = Stages()
    t0 = time.perf_counter()
    inc_stages.run("inc track_fingerprints", run_stage, "track_fingerprints", spark, inc, RULES,
                   tracks=raw.where(day.isin(new_days)), days=new_days)
    with inc.staged_writes() as staged:
        r = inc_stages.run("inc reuse_increment", reuse_increment, spark, inc, staged, RULES)
        s = inc_stages.run("inc similarity_increment", similarity_increment, spark, inc, staged, RULES)
        inc_stages.run("inc publish", staged.publish)
    t_inc = time.perf_counter() - t0
    load = os.getloadavg()
    for table in ("label_reuse", "exempt_would_flag", "label_similarity"):
        a, b = inc.read(spark, table), full.read(spark, table)
        assert a.exceptAll(b).count() == 0 and b.exceptAll(a).count() == 0, f"{table}: increment != full"
    resource.stop()
    print(f"increment {new_tracks:,} tracks on {tracks:,}: {t_inc:.1f} s vs full {t_full:.1f} s "
          f"(ratio {t_inc / t_full:.3f}); touched labels {r['touched_labels']}, rebuilt {s['rebuilt']}; "
          f"equal; load before {load_before}, after {load}", flush=True)
    if os.environ.get("OFFBEAT_BENCH_RECORD", "1") == "0":
        return
    from bench.harness import record

    def stages_txt(st: Stages) -> str:
        return ", ".join(f"{k.split(' ', 1)[1]} {v:.1f}" for k, v in st.seconds.items())

    size = f"{tracks / 1e6:g}M tracks + {new_tracks:,} new ({n_inc} days)"
    record("catalog_increment", t_inc, t_full, "s",
           f"{size}{'' if tracks >= 10_000_000 else ' (NOT the 10M + 100k of the target)'}; ours: the daily "
           f"increment (fingerprints of the new days + reuse_increment + similarity_increment, stages s: "
           f"{stages_txt(inc_stages)}; {r['touched_labels']:,} touched labels, order rebuilt {s['rebuilt']}) vs "
           f"baseline: the full run of the same three stages over every day (stages s: {stages_txt(full_stages)}); "
           f"label_reuse, exempt_would_flag, label_similarity equal row for row; target ratio <= 0.10 "
           f"({'met' if t_inc <= 0.1 * t_full else 'NOT met'}); Spark local[2]; load average (1/5/15 min) before "
           f"{', '.join(f'{x:.2f}' for x in load_before)}, after {', '.join(f'{x:.2f}' for x in load)} "
           f"(shared 2-core machine)")

if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--phase":
        phase(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
    elif sys.argv[1:] == ["--increment"]:
        increment_bench()
    else:
        main()
