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


def result_schema(track_id_type: T.DataType | None = None) -> T.StructType:
    """Rows of ``audio_fingerprints``; ``track_id`` keeps the input's type (the catalogue's
    ids are strings, the unit tests' integers)."""
    return T.StructType([
        T.StructField("track_id", track_id_type or T.LongType()), T.StructField("label_id", T.StringType()),
        T.StructField("speed", T.DoubleType()), T.StructField("duration_s", T.DoubleType()),
        T.StructField("fingerprint", T.ArrayType(T.LongType())), T.StructField("error", T.StringType()),
    ])


SCHEMA = result_schema()


def audio_fingerprints(files: DataFrame, cfg: AudioConfig = AudioConfig()) -> DataFrame:
    """(track_id, label_id, speed, duration_s, fingerprint, error) per file and grid speed.

    ``files``: track_id, label_id, path. A file that cannot be read gets one row with
    ``speed`` 1.0, a null fingerprint and its ``error`` (the asset quarantines those);
    ``duration_s`` is the unslowed file's duration for every variant."""
    grid = tuple(cfg.speed_grid)
    schema = result_schema(files.schema["track_id"].dataType)
    as_id = int if isinstance(schema["track_id"].dataType, T.IntegralType) else str

    def run(batches):
        for pdf in batches:
            rows = []
            for r in pdf.itertuples(index=False):
                try:
                    duration, fp = fingerprint_file(r.path, cfg.max_seconds)
                except AudioError as e:
                    rows.append((as_id(r.track_id), r.label_id, 1.0, None, None, e.reason))
                    continue
                rows.append((as_id(r.track_id), r.label_id, 1.0, duration, fp, None))
                for s in grid:
                    if s == 1.0:
                        continue
                    try:
                        rows.append((as_id(r.track_id), r.label_id, float(s), duration,
                                     fingerprint_file(r.path, cfg.max_seconds, s)[1], None))
                    except AudioError as e:
                        rows.append((as_id(r.track_id), r.label_id, float(s), duration, None, e.reason))
            yield pd.DataFrame(rows, columns=[f.name for f in schema.fields])

    return files.select("track_id", "label_id", "path").mapInPandas(run, schema)


# ---- the table: one row per readable track ----------------------------------------------
VARIANT = T.StructType([T.StructField("speed", T.DoubleType()),
                        T.StructField("fingerprint", T.ArrayType(T.LongType()))])


def fingerprint_table(rows: DataFrame) -> DataFrame:
    """``audio_fingerprints`` as stored: (track_id, label_id, duration_s, fingerprint,
    slowed) for every track whose plain fingerprint was read; ``slowed`` holds the grid
    variants (speed, fingerprint) sorted by speed (a variant sox could not make is left
    out: the track still matches at its own speed). ``rows``: ``audio_fingerprints`` output
    (any extra columns, e.g. ``source_key``, are carried from the plain row)."""
    from pyspark.sql import functions as F

    ok = F.col("fingerprint").isNotNull()
    extra = [c for c in rows.columns if c not in {f.name for f in SCHEMA.fields}]
    plain = rows.where(ok & (F.col("speed") == 1.0)).select("track_id", "label_id", "duration_s", "fingerprint",
                                                            *extra)
    slowed = (rows.where(ok & (F.col("speed") != 1.0))
              .groupBy("track_id")
              .agg(F.sort_array(F.collect_list(F.struct("speed", "fingerprint"))).alias("slowed")))
    empty = F.array().cast(T.ArrayType(VARIANT))
    return (plain.join(slowed, "track_id", "left")
            .select("track_id", "label_id", "duration_s", "fingerprint",
                    F.coalesce(F.col("slowed"), empty).alias("slowed"), *extra))


def unreadable(rows: DataFrame) -> DataFrame:
    """(track_id, label_id, reason, ...extra) of the files without a plain fingerprint."""
    from pyspark.sql import functions as F

    extra = [c for c in rows.columns if c not in {f.name for f in SCHEMA.fields}]
    return (rows.where(F.col("fingerprint").isNull() & (F.col("speed") == 1.0))
            .select("track_id", "label_id", F.col("error").alias("reason"), *extra))


def variant_rows(table: DataFrame) -> DataFrame:
    """(track_id, label_id, speed, duration_s, fingerprint): the stored table back in the
    one-row-per-variant form ``audio_match.audio_matches`` reads."""
    from pyspark.sql import functions as F

    plain = table.select("track_id", "label_id", F.lit(1.0).alias("speed"), "duration_s", "fingerprint")
    slowed = (table.select("track_id", "label_id", "duration_s", F.explode("slowed").alias("v"))
              .select("track_id", "label_id", F.col("v.speed").alias("speed"), "duration_s",
                      F.col("v.fingerprint").alias("fingerprint")))
    return plain.unionByName(slowed)


# ---- which file is each track's audio ---------------------------------------------------
SOURCE_COLUMNS = ["track_id", "label_id", "key"]
REJECT_COLUMNS = ["track_id", "label_id", "key", "reason"]


def landing_audio_files(keys: list[str], prefix: str) -> pd.DataFrame:
    """(key, track_id, ext) of the objects under ``prefix`` (``<prefix><track_id>.<ext>``;
    ``ext`` lower-cased, '' when the name has none)."""
    rows = []
    for key in keys:
        name = key[len(prefix):] if key.startswith(prefix) else key
        stem, dot, ext = name.rpartition(".")
        rows.append((key, stem if dot else name, ext.lower() if dot else ""))
    return pd.DataFrame(rows, columns=["key", "track_id", "ext"])


def plan_audio_sources(landing: pd.DataFrame, catalogue: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sources, rejected, orphans) from the landed files and the catalogue rows that have
    audio. Pure pandas over the audio files only (never the whole catalogue).

    ``landing``: ``landing_audio_files``; ``catalogue``: track_id, label_id, audio_key
    (null when the catalogue names none) for the tracks with a catalogue ``audio_key`` or
    a landed file. Rules: a catalogue ``audio_key`` is the track's audio; otherwise its
    landed file. ``sources``: track_id, label_id, key (one per track). ``rejected``
    (quarantine, with a ``reason``): a landed file of an unsupported format, a catalogue
    ``audio_key`` of an unsupported format, and any further landed file of a track that
    already has one (ambiguous: which recording is it?). ``orphans``: landed files of
    tracks the catalogue does not know (yet): not bad audio, they stay in landing and are
    picked up once the catalogue has the track.
    """
    catalogue = catalogue.astype({"track_id": object, "label_id": object, "audio_key": object})
    supported = landing["ext"].isin(AUDIO_EXTENSIONS)
    fmt = "unsupported audio format {!r} (wav, flac, mp3, ogg)"
    bad_fmt = landing[~supported].assign(reason=lambda d: d["ext"].map(lambda e: fmt.format("." + e if e else "")))
    landed = landing[supported]
    labels = catalogue.set_index("track_id")["label_id"].to_dict()
    known = landed["track_id"].isin(labels.keys())
    orphans = landed[~known][["key", "track_id"]].reset_index(drop=True)
    landed = landed[known].sort_values("key", kind="stable")
    by_key = catalogue[catalogue["audio_key"].notna()][["track_id", "label_id", "audio_key"]].rename(
        columns={"audio_key": "key"})
    key_ext = by_key["key"].map(lambda k: str(k).rpartition(".")[2].lower()).astype(object)
    bad_key = by_key[~key_ext.isin(AUDIO_EXTENSIONS)].assign(
        reason=lambda d: d["key"].map(lambda k: "catalogue audio_key: " + fmt.format("." + k.rpartition(".")[2])))
    by_key = by_key[key_ext.isin(AUDIO_EXTENSIONS)]
    # a catalogue key wins; else the first landed file (key order); later ones are ambiguous
    landed = landed.assign(label_id=landed["track_id"].map(labels))
    has_key = landed["track_id"].isin(set(by_key["track_id"]) | set(bad_key["track_id"]))
    first = landed[~has_key].drop_duplicates("track_id", keep="first")
    extra = landed[~has_key & ~landed.index.isin(first.index)]
    kept = first.set_index("track_id")["key"]
    extra = extra.assign(reason=lambda d: d["track_id"].map(lambda t: f"another audio file for the same track "
                                                                      f"(kept {kept[t]})"))
    superseded = landed[has_key & ~landed["key"].isin(set(by_key["key"]))]
    superseded = superseded.assign(reason="the catalogue's audio_key names another file for this track")
    sources = pd.concat([by_key[SOURCE_COLUMNS], first[SOURCE_COLUMNS]], ignore_index=True)
    bad_fmt = bad_fmt.assign(label_id=bad_fmt["track_id"].map(labels))
    rejected = pd.concat([bad_fmt[REJECT_COLUMNS], bad_key[REJECT_COLUMNS], extra[REJECT_COLUMNS],
                          superseded[REJECT_COLUMNS]], ignore_index=True)
    return (sources.sort_values("track_id", kind="stable").reset_index(drop=True),
            rejected.reset_index(drop=True), orphans)
