"""Audio fingerprints: Chromaprint (``fpcalc -raw``) per track, on Spark executors.

``fpcalc`` (Debian ``libchromaprint-tools``) decodes wav, flac, mp3 and ogg with FFmpeg
and prints the raw fingerprint: one 32-bit integer per ~0.124 s of audio (an item), each
bit a comparison of chroma-band energies. It may exit 3 with a complete fingerprint (a
decoding error at the very end of a file): the output counts when it parses.

Chromaprint is built to survive re-encoding, volume changes and cuts, not speed changes:
a copy sped up 2-5% (pitch and tempo, as uploaders do to dodge matching) shifts every
chroma band, and its fingerprint is as far from the original's as an unrelated
recording's (bit error rate 0.3-0.35 against 0.4+; measured in ``bench/audio_match.py``).
So each track is also fingerprinted SLOWED by every factor of ``speed_grid`` (``sox
speed``): a copy sped up by s, slowed by the nearest grid factor, lines up with its
original within half a grid step (a 1% step leaves <= 0.5%, bit error ~0.15). The
variants are only ever compared with the other tracks' unslowed fingerprints.

``fingerprint_file`` is the pure step (a path in, a fingerprint or an ``AudioError`` with
its reason out); ``audio_fingerprints`` maps it over a DataFrame of (track_id, label_id,
path) on the executors, so the paths must be readable there (local files staged from the
object store, or a shared mount on a cluster).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import types as T

ITEM_SECONDS = 4096 / 11025 / 3  # Chromaprint's item step (algorithm 2): ~0.1238 s
AUDIO_EXTENSIONS = ("wav", "flac", "mp3", "ogg")
# slow-down factors tried besides 1.0: a copy sped up 1.5-5.5% lands within 0.5% of one
# of them (bit error ~0.15 there, against 0.4+ for unrelated recordings)
DEFAULT_SPEED_GRID = (1.0, 1 / 1.02, 1 / 1.03, 1 / 1.04, 1 / 1.05)


class AudioError(ValueError):
    """A file that cannot be fingerprinted; ``reason`` says why (goes to quarantine)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def tools_available() -> bool:
    return shutil.which("fpcalc") is not None and shutil.which("sox") is not None


def _parse(stdout: str) -> list[int]:
    try:
        fp = json.loads(stdout)["fingerprint"]
    except (ValueError, KeyError, TypeError) as e:
        raise AudioError(f"fpcalc printed no fingerprint ({type(e).__name__})") from None
    if not fp:
        raise AudioError("no audio decoded (empty fingerprint)")
    return [int(v) & 0xFFFFFFFF for v in fp]


def fingerprint_file(path: str, max_seconds: int = 120, speed: float = 1.0, timeout_s: float = 60.0
                     ) -> tuple[float, list[int]]:
    """(duration in seconds, raw fingerprint as unsigned 32-bit ints) of the first
    ``max_seconds`` of ``path``, optionally resampled by ``speed`` (sox) first."""
    if not os.path.isfile(path):
        raise AudioError(f"file not found: {path}")
    try:
        if speed == 1.0:
            r = subprocess.run(["fpcalc", "-raw", "-json", "-length", str(max_seconds), path],
                               capture_output=True, text=True, timeout=timeout_s)
            if r.returncode not in (0, 3):
                raise AudioError(f"fpcalc exit {r.returncode}: {r.stderr.strip()[:200] or 'no message'}")
            fp = _parse(r.stdout)
            duration = float(json.loads(r.stdout).get("duration") or 0.0)
            return duration, fp
        sox = subprocess.run(["sox", path, "-t", "wav", "-", "speed", f"{speed:.6f}"], capture_output=True,
                             timeout=timeout_s)
        if sox.returncode != 0:
            raise AudioError(f"sox exit {sox.returncode}: {sox.stderr.decode(errors='replace').strip()[:200]}")
        r = subprocess.run(["fpcalc", "-raw", "-json", "-length", str(max_seconds), "-"], input=sox.stdout,
                           capture_output=True, timeout=timeout_s)
        if r.returncode not in (0, 3):
            raise AudioError(f"fpcalc exit {r.returncode}: {r.stderr.decode(errors='replace').strip()[:200]}")
        fp = _parse(r.stdout.decode())
        return len(fp) * ITEM_SECONDS, fp
    except subprocess.TimeoutExpired:
        raise AudioError(f"fingerprinting took longer than {timeout_s:.0f} s") from None
    except FileNotFoundError as e:  # the file, or a tool, is missing
        raise AudioError(f"missing: {e.filename}") from None


@dataclass(frozen=True)
class AudioConfig:
    max_seconds: int = 120
    speed_grid: tuple[float, ...] = DEFAULT_SPEED_GRID


SCHEMA = T.StructType([
    T.StructField("track_id", T.LongType()), T.StructField("label_id", T.StringType()),
    T.StructField("speed", T.DoubleType()), T.StructField("duration_s", T.DoubleType()),
    T.StructField("fingerprint", T.ArrayType(T.LongType())), T.StructField("error", T.StringType()),
])


def audio_fingerprints(files: DataFrame, cfg: AudioConfig = AudioConfig()) -> DataFrame:
    """(track_id, label_id, speed, duration_s, fingerprint, error) per file and grid speed.

    ``files``: track_id, label_id, path. A file that cannot be read gets one row with
    ``speed`` 1.0, a null fingerprint and its ``error`` (the asset quarantines those);
    ``duration_s`` is the unslowed file's duration for every variant."""
    grid = tuple(cfg.speed_grid)

    def run(batches):
        for pdf in batches:
            rows = []
            for r in pdf.itertuples(index=False):
                try:
                    duration, fp = fingerprint_file(r.path, cfg.max_seconds)
                except AudioError as e:
                    rows.append((int(r.track_id), r.label_id, 1.0, None, None, e.reason))
                    continue
                rows.append((int(r.track_id), r.label_id, 1.0, duration, fp, None))
                for s in grid:
                    if s == 1.0:
                        continue
                    try:
                        rows.append((int(r.track_id), r.label_id, float(s), duration,
                                     fingerprint_file(r.path, cfg.max_seconds, s)[1], None))
                    except AudioError as e:
                        rows.append((int(r.track_id), r.label_id, float(s), duration, None, e.reason))
            yield pd.DataFrame(rows, columns=[f.name for f in SCHEMA.fields])

    return files.select("track_id", "label_id", "path").mapInPandas(run, SCHEMA)
