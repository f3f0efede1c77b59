"""Audio re-uploads: fingerprinting throughput per core, and matching on generated fingerprints.

1. **Fingerprinting** (``catalog_audio_fingerprint``, files/s per core): ``OFFBEAT_AUDIO_FILES``
   (default 24) synthesised 30 s recordings (``simulator.audio``), fingerprinted by the
   product's ``audio.audio_fingerprints`` on Spark ``local[2]`` with the default speed grid
   (the plain fingerprint and four slowed ones per file: what the asset runs) vs plain
   ``fpcalc -raw`` over the same files in one sequential process (Chromaprint alone, no
   speed grid). Ours per core = files/s over 2 cores; the baseline uses one core. The ratio
   shows what the speed grid costs per file.
2. **Matching** (``catalog_audio_match``, s): ``OFFBEAT_AUDIO_FPS`` (default 4,000)
   generated fingerprints of 240 items (~30 s; random 32-bit items), a tenth of them
   planted copies of others with 5% of their bits flipped, matched by the product's
   ``audio_match.audio_matches`` (hashed bands -> salted join -> verification) vs a brute
   force over every pair at offset 0 (numpy XOR + popcount, chunked): both must find the
   planted pairs (recall printed). The issue's 1M fingerprints is ``OFFBEAT_AUDIO_FPS=1000000``
   (not run on the shared machine: the brute force is quadratic, and is then skipped).

The load average (1/5/15 min) is printed and recorded beside each figure: the machine is
shared. ``python -m bench catalog_audio``; ``OFFBEAT_BENCH_RECORD=0`` leaves RESULTS.md alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

import numpy as np

from bench.harness import record

CORES = 2
ITEMS = 240
BRUTE_FORCE_MAX = 20_000


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _record(*args, **kwargs) -> None:
    if os.environ.get("OFFBEAT_BENCH_RECORD", "1") != "0":
        record(*args, **kwargs)
    else:
        print(args, kwargs)


def _spark():
    from resources.spark import SparkResource

    return SparkResource(master="local[2]", shuffle_partitions=8, driver_memory="3g")


def fingerprint_bench(spark, n: int) -> None:
    from assets.catalog.audio import AudioConfig, audio_fingerprints, tools_available
    from simulator.audio import recording, write_wav

    if not tools_available():
        print("catalog_audio_fingerprint: skipped (fpcalc/sox not installed: `make audio-tools`)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(write_wav(f"{tmp}/{i}.wav", recording(i, 30.0))) for i in range(n)]
        load_before = _load()
        start = time.perf_counter()
        for p in paths:
            r = subprocess.run(["fpcalc", "-raw", "-json", "-length", "120", p], capture_output=True, text=True)
            assert r.returncode in (0, 3) and json.loads(r.stdout)["fingerprint"]
        base_s = time.perf_counter() - start
        warm = spark.createDataFrame([(0, "L", paths[0])], "track_id long, label_id string, path string")
        audio_fingerprints(warm, AudioConfig()).count()  # Python workers started: not timed
        files = spark.createDataFrame([(i, "L", p) for i, p in enumerate(paths)],
                                      "track_id long, label_id string, path string").repartition(CORES * 4)
        start = time.perf_counter()
        rows = audio_fingerprints(files, AudioConfig()).where("fingerprint is not null").count()
        ours_s = time.perf_counter() - start
        load_after = _load()
    assert rows == n * len(AudioConfig().speed_grid)
    ours, base = n / ours_s / CORES, n / base_s
    _record("catalog_audio_fingerprint", ours, base, "files/s per core",
            f"{n} synthesised 30 s wav files; ours: audio_fingerprints on Spark local[2] with the default speed grid "
            f"(1 plain + 4 slowed fingerprints per file, sox + fpcalc), {ours_s:.1f} s for {n} files, divided by 2 "
            f"cores; baseline: plain `fpcalc -raw` sequential on one core, {base_s:.1f} s; "
            f"load average (1/5/15 min) before {load_before}, after {load_after} (shared 2-core machine)")


def _generate(n: int, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    fps = rng.integers(0, 2**32, size=(n, ITEMS), dtype=np.uint64).astype(np.uint32)
    copies = n // 10
    src = rng.choice(n - copies, copies, replace=False)
    truth = set()
    for k, s in enumerate(src):
        j = n - copies + k
        flips = (rng.random((ITEMS, 32)) < 0.05)
        mask = (flips * (1 << np.arange(32, dtype=np.uint64))).sum(axis=1).astype(np.uint32)
        fps[j] = fps[s] ^ mask
        truth.add((int(min(s, j)), int(max(s, j))))
    return fps, truth


def _brute_force(fps: np.ndarray, max_ber: float, chunk: int = 64) -> set[tuple[int, int]]:
    n = len(fps)
    out = set()
    for i0 in range(0, n, chunk):
        a = fps[i0:i0 + chunk]
        bits = np.bitwise_count(a[:, None, :] ^ fps[None, :, :]).sum(axis=2, dtype=np.int64)
        ber = bits / (32.0 * ITEMS)
        for di, j in zip(*np.nonzero(ber <= max_ber), strict=True):
            i = i0 + int(di)
            if i < j:
                out.add((i, int(j)))
    return out


def match_bench(spark, n: int) -> None:
    import pandas as pd

    from assets.catalog.audio_match import MatchConfig, audio_matches

    fps, truth = _generate(n)
    cfg = MatchConfig(min_matched_s=10.0)
    pdf = pd.DataFrame({"track_id": np.arange(n, dtype=np.int64), "label_id": [f"L{i % 997}" for i in range(n)],
                        "speed": 1.0, "duration_s": ITEMS * 0.1238,
                        "fingerprint": [row.astype(np.int64).tolist() for row in fps]})
    df = spark.createDataFrame(pdf, "track_id long, label_id string, speed double, duration_s double, "
                                    "fingerprint array<bigint>").repartition(8).cache()
    df.count()
    audio_matches(df.limit(50), cfg).count()  # warm-up (workers, code generation): not timed
    load_before = _load()
    start = time.perf_counter()
    found = {(int(r.track_a), int(r.track_b)) for r in audio_matches(df, cfg).select("track_a", "track_b").collect()}
    ours_s = time.perf_counter() - start
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / len(found) if found else float("nan")
    if n <= BRUTE_FORCE_MAX:
        start = time.perf_counter()
        brute = _brute_force(fps, cfg.max_bit_error_rate)
        base_s = time.perf_counter() - start
        base_note = (f"baseline: brute force over all {n * (n - 1) // 2:,} pairs at offset 0 (numpy XOR + popcount, "
                     f"one process), {base_s:.1f} s, recall {len(brute & truth) / len(truth):.3f}")
    else:
        base_s, base_note = float("nan"), "baseline: brute force skipped (quadratic)"
    load_after = _load()
    _record("catalog_audio_match", ours_s, base_s, "s",
            f"{n:,} generated fingerprints of {ITEMS} items (random 32-bit), {len(truth):,} planted copies with 5% of "
            f"bits flipped; ours: audio_matches on Spark local[2] (hashed bands, salted join, verification), "
            f"recall {recall:.3f}, precision {precision:.3f}, {len(found):,} pairs; {base_note}; "
            f"load average (1/5/15 min) before {load_before}, after {load_after} (shared 2-core machine)")


def main() -> None:
    resource = _spark()
    spark = resource.get_session()
    try:
        fingerprint_bench(spark, int(os.environ.get("OFFBEAT_AUDIO_FILES", "24")))
        match_bench(spark, int(os.environ.get("OFFBEAT_AUDIO_FPS", "4000")))
    finally:
        resource.stop()


if __name__ == "__main__":
    main()
