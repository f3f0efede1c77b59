"""Stream-fraud chain at scale: generated plays, end to end, at 10M, 30M and 100M plays.

Data (generated on Spark, cached under ``$OFFBEAT_STREAMS_BENCH_DIR``, default
``/tmp/offbeat-bench-streams``: never in the repository): 10M plays per landing day as
Parquet under ``landing/plays/date=D/`` (16 files a day), heavy-tailed users and tracks,
0.1% bad rows (negative ms_played, no user, unparseable time), 5% of plays on tracks the
catalogue does not know, and a farm of bot accounts (1% of plays, just past 30 s); a
catalogue (``track_fingerprints``: track_id, label_id, upload_date) and ``fraud_networks``.
Sizes: ``OFFBEAT_STREAMS_SCALE_SIZES`` (plays, default ``10000000,30000000,100000000``;
each size is the first N/10M days; ``OFFBEAT_STREAMS_PER_DAY`` changes the 10M for a quick try).

Each size runs in its own process (a fresh JVM, Spark ``local[2]``, driver
``OFFBEAT_BENCH_DRIVER_MEMORY`` default 3g: its own peak memory), the assets' code path:

* ``ingest``: ``assets.streams.assets.ingest_day`` per day (read the landing files, validate,
  write the ``plays`` partition, quarantine the bad rows), as ``raw_plays`` runs it;
* ``stream_accounts``: ``assets.streams.detect.stream_accounts`` (the detectors as committed);
* ``track_streams`` and ``label_stream_fraud``: ``assets.streams.money`` as the assets call it.

Baseline (same process kind, same data, the best a user would write without Spark): one
DuckDB process (2 threads) doing ingest (casts + the same rejection rules) and the money
tables in SQL, with ours' flagged accounts as input (the detectors have no baseline).
Peak memory: RSS of the process tree (JVM + Python workers), /proc every 0.1 s.
Target (issue 19): 100M plays end to end, peak RSS <= 8 GiB.

``python -m bench streams_scale`` (run in the background; the machine is shared);
``OFFBEAT_BENCH_RECORD=0`` leaves bench/RESULTS.md alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("OFFBEAT_STREAMS_BENCH_DIR", "/tmp/offbeat-bench-streams"))
PER_DAY = int(os.environ.get("OFFBEAT_STREAMS_PER_DAY", "10000000"))  # smaller for a quick try
FILES_PER_DAY = 16
START = dt.date(2024, 2, 1)
USERS = 2_000_000
TRACKS = 3_000_000
LABELS = 60_000
BOTS = 2_000
FARM_TRACKS = 20_000
TARGET_RSS = 8 * 2**30
DATA_VERSION = "1"


def days_for(plays: int) -> list[str]:
    return [(START + dt.timedelta(days=i)).isoformat() for i in range(max(1, plays // PER_DAY))]


def _spark(driver: str):
    from resources.spark import SparkResource

    resource = SparkResource(master="local[2]", shuffle_partitions=int(os.environ.get("OFFBEAT_BENCH_SHUFFLE_PARTITIONS",
                                                                                          "16")),
                             driver_memory=driver, checkpoint_dir=str(ROOT / "checkpoints"),
                             extra_conf={"spark.sql.warehouse.dir": str(ROOT / "spark-warehouse"),
                                         "spark.local.dir": str(ROOT / "spark-local")})
    return resource


# ---- data ----------------------------------------------------------------------------------
def generate_day(spark, day: str, out: Path, seed: int) -> None:
    """One landing day of plays (Parquet, typed as a platform would export them)."""
    from pyspark.sql import functions as F

    r = [F.rand(seed * 100 + k) for k in range(8)]
    bot = r[0] < 0.01
    day_start = int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())
    honest_user = (F.pow(r[1], 2.5) * USERS).cast("long") + 1
    bot_user = (r[1] * BOTS).cast("long") + 10_000_000
    honest_track = (F.pow(r[2], 3) * TRACKS).cast("long")
    bot_track = (r[2] * FARM_TRACKS).cast("long") + TRACKS  # the farm's labels' catalogue
    honest_ms = F.when(r[3] < 0.25, (r[4] * 30_000).cast("long")).otherwise((120_000 + r[4] * 150_000).cast("long"))
    bot_ms = (30_000 + r[4] * 3_000).cast("long")
    # honest listening: more in the evening (a folded ramp), bots around the clock
    honest_s = (F.sqrt(r[5]) * 86_399).cast("long")
    bot_s = (r[5] * 86_399).cast("long")
    df = spark.range(PER_DAY, numPartitions=FILES_PER_DAY).select(
        F.when(bot, bot_user).otherwise(honest_user).alias("user_id"),
        F.concat(F.lit("T"), F.lpad(F.when(bot, bot_track).otherwise(honest_track).cast("string"), 9, "0"))
        .alias("track_id"),
        F.timestamp_seconds(F.lit(day_start) + F.when(bot, bot_s).otherwise(honest_s)).alias("played_at"),
        F.when(bot, bot_ms).otherwise(honest_ms).alias("ms_played"),
        F.element_at(F.array(*[F.lit(c) for c in ("US", "BR", "DE", "GB", "IN", "JP", "SE", "MX")]),
                     (r[6] * 8).cast("int") + 1).alias("country"),
        F.concat(F.lit("d"), F.when(bot, (r[7] * 40).cast("long")).otherwise(F.col("id") % 1_500_000)
                 .cast("string")).alias("device_id"),
        F.concat(F.lit("net-"), (F.when(bot, F.lit(7)).otherwise(F.col("id") % 300_000)).cast("string"))
        .alias("ip_prefix"),
        F.element_at(F.array(*[F.lit(s) for s in ("playlist", "album", "search", "radio")]),
                     (r[6] * 4).cast("int") + 1).alias("source"),
        F.lit(None).cast("string").alias("playlist_id"),
        (F.col("id") % 1000).alias("_bad"),
    )
    df = df.select(  # 0.1% bad rows, one kind each
        F.when(F.col("_bad") == 1, F.lit(None)).otherwise(F.col("user_id")).alias("user_id"), "track_id",
        F.when(F.col("_bad") == 2, F.lit(None)).otherwise(F.col("played_at")).alias("played_at"),
        F.when(F.col("_bad") == 3, F.lit(-1)).otherwise(F.col("ms_played")).alias("ms_played"),
        "country", "device_id", "ip_prefix", "source", "playlist_id")
    df.write.mode("overwrite").parquet(str(out))
    for p in out.iterdir():  # landing files only: Spark's markers and checksums out
        if p.name.startswith(("_", ".")) or p.suffix == ".crc":
            p.unlink()


def ensure_data(plays: int) -> None:
    """Landing days, the catalogue and fraud networks, generated once (cached)."""
    days = days_for(plays)
    marker = ROOT / f"data-v{DATA_VERSION}.json"
    done = set(json.loads(marker.read_text())["days"]) if marker.exists() else set()
    todo = [d for d in days if d not in done]
    cat_dir = ROOT / "warehouse" / "track_fingerprints"
    if not todo and cat_dir.exists():
        return
    resource = _spark("2g")
    spark = resource.get_session()
    from pyspark.sql import functions as F

    from resources.warehouse import Warehouse

    wh = Warehouse(uri=str(ROOT / "warehouse"))
    if not cat_dir.exists():
        known = spark.range(TRACKS + FARM_TRACKS, numPartitions=8).where((F.col("id") % 20 != 0)
                                                                       | (F.col("id") >= TRACKS))
        label = F.when(F.col("id") >= TRACKS, (F.col("id") % 40) + LABELS).otherwise(F.col("id") % LABELS)
        wh.write_table(known.select(F.concat(F.lit("T"), F.lpad(F.col("id").cast("string"), 9, "0")).alias("track_id"),
                                    F.concat(F.lit("L"), label.cast("string")).alias("label_id"),
                                    F.lit("2024-01-01").alias("upload_date")), "track_fingerprints")
        nets = spark.range(40).select((F.col("id") % 2).alias("network_id"),
                                      F.concat(F.lit("L"), (F.col("id") + LABELS).cast("string")).alias("label_id"))
        wh.write_table(nets, "fraud_networks")
    for i, d in enumerate(days):
        if d in done:
            continue
        t = time.perf_counter()
        generate_day(spark, d, ROOT / "lake" / "landing" / "plays" / f"date={d}", seed=i + 1)
        done.add(d)
        marker.write_text(json.dumps({"days": sorted(done)}))
        print(f"  generated {d}: {PER_DAY:,} plays in {time.perf_counter() - t:.1f} s", flush=True)
    resource.stop()


# ---- ours ----------------------------------------------------------------------------------
def run_ours(plays: int) -> dict:
    from pyspark.sql import functions as F

    from assets.streams import detect
    from assets.streams.assets import ingest_day
    from assets.streams.config import StreamConfig
    from assets.streams.money import (
        catalogue_tracks,
        flagged_label_accounts,
        label_stream_fraud,
        network_stream_fraud,
        track_streams,
    )
    from bench.catalog_scale import Stages, TreeRss
    from resources.object_store import LocalObjectStore
    from resources.warehouse import Warehouse

    class Log:
        def info(self, m):
            pass

        warning = error = info

    days = days_for(plays)
    driver = os.environ.get("OFFBEAT_BENCH_DRIVER_MEMORY", "3g")
    resource = _spark(driver)
    spark = resource.get_session()
    spark.range(1).count()  # JVM start is not timed
    out = ROOT / f"run-{plays}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    wh = Warehouse(uri=str(out / "warehouse"))
    for t in ("track_fingerprints", "fraud_networks"):
        wh.write_table(spark.read.parquet(str(ROOT / "warehouse" / t)), t)
    store = LocalObjectStore(root=str(ROOT / "lake"))
    cfg = StreamConfig()
    rss = TreeRss().start()
    st = Stages(rss)
    st.run("ingest", lambda: [ingest_day(spark, store, wh, d, Log()) for d in days])
    for d in days:
        store.delete_prefix(f"quarantine/plays/date={d}/")
    plays_df = wh.read(spark, "plays")
    st.run("stream_accounts", lambda: wh.write_table(detect.stream_accounts(plays_df, cfg), "stream_accounts"))
    accounts = wh.read(spark, "stream_accounts")
    tracks = catalogue_tracks(wh.read(spark, "track_fingerprints"))
    st.run("track_streams", lambda: wh.write_table(track_streams(plays_df, accounts, tracks, cfg.min_royalty_ms),
                                                    "track_streams"))

    def labels():
        pairs = flagged_label_accounts(plays_df, accounts, tracks, cfg.min_royalty_ms).persist()
        wh.write_table(label_stream_fraud(wh.read(spark, "track_streams"), pairs, wh.read(spark, "fraud_networks")),
                       "label_stream_fraud")
        wh.write_table(network_stream_fraud(wh.read(spark, "label_stream_fraud"), pairs), "network_stream_fraud")
        pairs.unpersist()

    st.run("label_stream_fraud", labels)
    peak = rss.stop()
    rows = wh.read(spark, "plays").count()
    f = wh.read(spark, "label_stream_fraud").agg(F.sum("royalty_plays"), F.sum("flagged_royalty_plays")).first()
    flagged = accounts.where("flagged").count()
    resource.stop()
    return {"plays": plays, "accepted": rows, "seconds": st.seconds, "total": round(sum(st.seconds.values()), 1),
            "peak_rss": peak, "peak_by_stage": rss.stage_peaks, "flagged_accounts": flagged,
            "label_royalty": int(f[0] or 0), "label_flagged": int(f[1] or 0), "driver": driver,
            "warehouse": str(out / "warehouse")}


# ---- baseline ------------------------------------------------------------------------------
def run_baseline(plays: int, ours_warehouse: str) -> dict:
    """DuckDB (2 threads): the same ingest rules and money tables in SQL, ours' flags as input."""
    import duckdb

    from bench.catalog_scale import Stages, TreeRss

    days = days_for(plays)
    files = [str(ROOT / "lake" / "landing" / "plays" / f"date={d}" / "*.parquet") for d in days]
    out = ROOT / f"baseline-{plays}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET threads=2")
    con.execute(f"SET temp_directory='{out}/tmp'")
    rss = TreeRss().start()
    st = Stages(rss)
    file_list = ", ".join(f"'{f}'" for f in files)

    def ingest():
        con.execute(f"""COPY (SELECT CAST(user_id AS BIGINT) user_id, track_id, played_at,
                       CAST(ms_played AS BIGINT) ms_played, country, device_id, ip_prefix, source, playlist_id
                       FROM read_parquet([{file_list}])
                       WHERE user_id IS NOT NULL AND user_id > 0 AND track_id IS NOT NULL AND played_at IS NOT NULL
                       AND ms_played IS NOT NULL AND ms_played >= 0) TO '{out}/plays.parquet' (FORMAT parquet)""")
        con.execute(f"""COPY (SELECT *, CASE WHEN user_id IS NULL THEN 'missing user_id'
                       WHEN played_at IS NULL THEN 'missing played_at' WHEN ms_played < 0 THEN 'negative ms_played'
                       ELSE 'other' END reason FROM read_parquet([{file_list}])
                       WHERE user_id IS NULL OR track_id IS NULL OR played_at IS NULL OR ms_played IS NULL
                       OR ms_played < 0) TO '{out}/rejected.json' (FORMAT json, COMPRESSION gzip)""")

    st.run("ingest", ingest)
    wh = Path(ours_warehouse)

    def money():
        con.execute(f"""CREATE TEMP TABLE flagged AS SELECT user_id FROM read_parquet('{wh}/stream_accounts/*.parquet')
                        WHERE flagged""")
        con.execute(f"""CREATE TEMP TABLE cat AS SELECT track_id, max_by(label_id, upload_date) label_id
                        FROM read_parquet('{wh}/track_fingerprints/*.parquet') GROUP BY track_id""")
        con.execute(f"""CREATE TEMP TABLE ts AS SELECT p.track_id, c.label_id, count(*) plays,
                        sum((ms_played >= 30000)::BIGINT) royalty_plays,
                        sum((ms_played >= 30000 AND f.user_id IS NOT NULL)::BIGINT) flagged_royalty_plays
                        FROM read_parquet('{out}/plays.parquet') p LEFT JOIN flagged f USING (user_id)
                        LEFT JOIN cat c USING (track_id) GROUP BY p.track_id, c.label_id""")
        con.execute(f"COPY ts TO '{out}/track_streams.parquet' (FORMAT parquet)")
        con.execute(f"""COPY (SELECT t.label_id, sum(royalty_plays) royalty_plays,
                        sum(flagged_royalty_plays) flagged_royalty_plays, any_value(n.network_id) network_id,
                        (SELECT count(DISTINCT p.user_id) FROM read_parquet('{out}/plays.parquet') p
                         JOIN flagged f USING (user_id) JOIN cat c USING (track_id)
                         WHERE c.label_id = t.label_id AND p.ms_played >= 30000) flagged_accounts
                        FROM ts t LEFT JOIN read_parquet('{wh}/fraud_networks/*.parquet') n USING (label_id)
                        WHERE t.label_id IS NOT NULL AND t.flagged_royalty_plays > 0 GROUP BY t.label_id)
                        TO '{out}/label_stream_fraud.parquet' (FORMAT parquet)""")

    st.run("money", money)
    peak = rss.stop()
    return {"seconds": st.seconds, "total": round(sum(st.seconds.values()), 1), "peak_rss": peak}


# ---- driver --------------------------------------------------------------------------------
def _phase(name: str, plays: int, arg: str = "") -> dict:
    out = ROOT / f"result-{name}-{plays}.json"
    subprocess.run([sys.executable, "-m", "bench.streams_scale", "--phase", name, str(plays), str(out), arg],
                   check=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    return json.loads(out.read_text())


def main() -> None:
    from bench.harness import record

    sizes = [int(s) for s in os.environ.get("OFFBEAT_STREAMS_SCALE_SIZES", "10000000,30000000,100000000").split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent).stdout.strip()
    detect_commit = subprocess.run(["git", "log", "-1", "--format=%h", "--", "assets/streams/detect.py"],
                                   capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent
                                   ).stdout.strip()
    print(f"data under {ROOT}; sizes {sizes}; Spark local[2]; the machine may be shared (timings include that)")
    first = None
    for plays in sizes:  # data generated (and cached) as each size needs it: smaller rows land first
        t = time.perf_counter()
        ensure_data(plays)
        print(f"data for {plays:,} plays ready in {time.perf_counter() - t:.1f} s", flush=True)
        ours = _phase("ours", plays)
        base = _phase("baseline", plays, ours["warehouse"])
        ours_money = ours["seconds"]["ingest"] + ours["seconds"]["track_streams"] + ours["seconds"]["label_stream_fraud"]
        met = ours["peak_rss"] <= TARGET_RSS
        print(f"{plays:,} plays: ours {ours['total']} s {ours['seconds']} peak {ours['peak_rss'] / 2**30:.2f} GiB "
              f"({'<=' if met else '>'} 8 GiB); baseline {base['total']} s {base['seconds']} peak "
              f"{base['peak_rss'] / 2**30:.2f} GiB; flagged {ours['flagged_accounts']:,}", flush=True)
        growth = "" if first is None else (f"; {ours['total'] / first['total']:.2f}x the {first['plays']:,}-play time "
                                          f"for {plays / first['plays']:.1f}x the plays")
        first = first or ours
        if os.environ.get("OFFBEAT_BENCH_RECORD", "1") != "0":
            record(f"streams_chain_{plays // 1_000_000}m", ours_money, base["total"], "s",
                   f"{plays:,} generated plays ({ours['accepted']:,} accepted), Spark local[2] driver {ours['driver']} "
                   f"on {commit} (detect.py {detect_commit}) vs DuckDB 2 threads; ratio = ours ingest+money vs "
                   f"DuckDB ingest+money (same rules, ours' flags); ours stages s {ours['seconds']} (end to end "
                   f"{ours['total']} s incl. stream_accounts); DuckDB {base['seconds']}; peak RSS ours "
                   f"{ours['peak_rss'] / 2**30:.2f} GiB (target <= 8: {'met' if met else 'NOT met'}) / DuckDB "
                   f"{base['peak_rss'] / 2**30:.2f} GiB; flagged accounts {ours['flagged_accounts']:,}{growth}; "
                   "machine shared with other helpers")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        name, n, out = sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
        result = run_ours(n) if name == "ours" else run_baseline(n, sys.argv[5])
        out.write_text(json.dumps(result, default=str))
    else:
        main()
