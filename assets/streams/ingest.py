"""Read and validate one landing day of play logs (DESIGN.md "Contract: play events").

Pure Spark, no Dagster. ``read_landing`` turns the day's files (CSV, Parquet, JSON Lines,
each optionally gzip) into one DataFrame of strings with a ``source_file`` column;
``split_plays`` types it and returns (accepted, rejected): every input row ends in exactly
one of the two, each rejected row with a ``reason``. Extra columns are carried as strings.
Plays of tracks the catalogue does not know are accepted (attribution happens downstream,
at compute time, against the catalogue of that moment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

LANDING = "landing/plays"
QUARANTINE = "quarantine/plays"
REQUIRED = ("user_id", "track_id", "played_at", "ms_played")
OPTIONAL = ("country", "device_id", "ip_prefix", "source", "playlist_id")
CONTRACT = REQUIRED + OPTIONAL
PARTITION_COLUMN = "day"
# The typed `plays` table: contract columns first, then carried extras, source_file, day.
TYPED = {
    "user_id": "bigint", "track_id": "string", "played_at": "timestamp", "ms_played": "bigint",
    **{c: "string" for c in OPTIONAL},
}
FORMATS = {  # suffix -> reader; gzip is recognised by Spark from the ``.gz`` suffix
    ".csv": "csv", ".csv.gz": "csv",
    ".parquet": "parquet",
    ".jsonl": "json", ".jsonl.gz": "json", ".ndjson": "json", ".ndjson.gz": "json",
    ".json": "json", ".json.gz": "json",
}
_POSITIVE_INT = r"^\+?0*[1-9][0-9]{0,17}(\.0*)?$"  # what a CSV, JSON or float Parquet column holds
_NON_NEGATIVE_INT = r"^\+?[0-9]{1,18}(\.0*)?$"
_NEGATIVE_INT = r"^-[0-9]{1,18}(\.0*)?$"
_RAW_IPV4 = r"^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$"


def landing_prefix(day: str) -> str:
    return f"{LANDING}/date={day}/"


def quarantine_prefix(day: str) -> str:
    return f"{QUARANTINE}/date={day}/"


def file_format(key: str) -> str | None:
    """The reader for a landing key ('csv', 'parquet', 'json'), None when unsupported.
    Marker and hidden files (``_SUCCESS``, ``.crc``) are not landing files: None too."""
    name = key.rsplit("/", 1)[-1].lower()
    if name.startswith(("_", ".")):
        return None
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def is_landing_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return not name.startswith(("_", "."))


def _blank_to_null(col: str):
    c = F.trim(F.col(col).cast("string"))
    return F.when(c == "", F.lit(None)).otherwise(c)


def _as_strings(df: DataFrame) -> DataFrame:
    return df.select(*[_blank_to_null(c).alias(c) for c in df.columns])


def read_file(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    """One landing file as string columns (lazy). JSON lines that are not a JSON object
    keep their text in ``_unparsed`` so the validation can quarantine them."""
    if fmt == "csv":
        df = spark.read.option("header", True).option("inferSchema", False).option("mode", "PERMISSIVE").csv(path)
    elif fmt == "parquet":
        df = spark.read.parquet(path)
    elif fmt == "json":
        lines = spark.read.text(path).where(F.trim("value") != "")
        parsed = lines.select(F.from_json("value", "map<string,string>").alias("m"), F.col("value"))
        keys = [r[0] for r in parsed.select(F.explode(F.map_keys("m"))).distinct().collect()]
        cols = [F.col("m").getItem(k).alias(k) for k in sorted(keys) if k not in ("_unparsed",)]
        df = parsed.select(*cols, F.when(F.col("m").isNull(), F.col("value")).alias("_unparsed"))
    else:
        raise ValueError(f"unsupported landing format {fmt!r} for {path}")
    return _as_strings(df)


@dataclass
class Landing:
    """The day's readable files as one DataFrame of strings, and the files that were not."""

    frame: DataFrame
    files: list[str]
    unreadable: list[dict]


def read_landing(spark: SparkSession, files: Sequence[tuple[str, str]]) -> Landing:
    """``files``: (object-store key, local path). Each file's schema is read up front (Parquet
    footer, CSV header, JSON keys), so a file Spark cannot open is reported with its error
    instead of failing the day."""
    frames, ok, unreadable = [], [], []
    for key, path in files:
        fmt = file_format(key)
        if fmt is None:
            unreadable.append({"source_file": key, "reason": "unsupported landing file type "
                               "(expected .csv, .parquet or .jsonl, each optionally .gz)"})
            continue
        try:
            df = read_file(spark, path, fmt)  # Parquet footers, CSV headers and JSON keys are read here
        except Exception as e:  # noqa: BLE001 - any read error is the file's, reported per file
            unreadable.append({"source_file": key, "reason": f"unreadable file: {type(e).__name__}: {str(e)[:300]}"})
            continue
        frames.append(df.withColumn("source_file", F.lit(key)))
        ok.append(key)
    if not frames:
        schema = ", ".join(f"{c} string" for c in (*CONTRACT, "source_file"))
        return Landing(spark.createDataFrame([], schema), ok, unreadable)
    out = frames[0]
    for df in frames[1:]:
        out = out.unionByName(df, allowMissingColumns=True)
    return Landing(out, ok, unreadable)


def split_plays(df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(accepted, rejected) of a DataFrame of strings.

    Rejected (first failing rule wins, as ``reason``): a line that is not a JSON object,
    missing ``user_id`` / ``track_id`` / ``played_at`` / ``ms_played``, a ``user_id`` that
    is not a positive integer, an unparseable ``played_at`` (ISO 8601 expected), a
    ``ms_played`` that is negative or not an integer. ``accepted`` is typed (``TYPED``),
    ``country`` upper-cased, a raw IPv4 address in ``ip_prefix`` reduced to its /24 (the
    contract wants an opaque network id, never a raw IP) and marked in ``ip_truncated``;
    every other column is carried as a string. ``rejected`` keeps the input columns.
    """
    for c in (*CONTRACT, "source_file", "_unparsed"):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast("string"))
    played = F.expr("try_cast(played_at AS timestamp)")
    # ISO 8601 with a 'T' or a space; a bare number is not a time (Spark would read it as a year).
    looks_like_time = F.col("played_at").rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}.*)?$")
    rules = [
        (F.col("_unparsed").isNotNull(), "unparseable line (not a JSON object)"),
        *[(F.col(c).isNull(), f"missing {c}") for c in REQUIRED],
        (~F.col("user_id").rlike(_POSITIVE_INT), "user_id is not a positive integer"),
        (~looks_like_time | played.isNull(), "unparseable played_at (expected ISO 8601)"),
        (F.col("ms_played").rlike(_NEGATIVE_INT), "negative ms_played"),
        (~F.col("ms_played").rlike(_NON_NEGATIVE_INT), "ms_played is not an integer"),
    ]
    reason = F.lit(None).cast("string")
    for cond, text in reversed(rules):
        reason = F.when(cond, F.lit(text)).otherwise(reason)
    checked = df.withColumn("reason", reason)

    def integer(col: str):
        return F.regexp_extract(F.col(col), r"^\+?([0-9]+)", 1).cast("bigint")

    ip = F.col("ip_prefix")
    is_ipv4 = ip.rlike(_RAW_IPV4)
    extras = [c for c in df.columns if c not in (*CONTRACT, "source_file", "_unparsed")]
    accepted = checked.where(F.col("reason").isNull()).select(
        integer("user_id").alias("user_id"),
        F.col("track_id"),
        played.alias("played_at"),
        integer("ms_played").alias("ms_played"),
        F.upper("country").alias("country"),
        F.col("device_id"),
        F.when(is_ipv4, F.concat(F.regexp_extract(ip, r"^([0-9]+\.[0-9]+\.[0-9]+)\.", 1), F.lit(".0/24")))
        .otherwise(ip).alias("ip_prefix"),
        F.col("source"),
        F.col("playlist_id"),
        *[F.col(c) for c in extras],
        F.col("source_file"),
        F.coalesce(is_ipv4, F.lit(False)).alias("ip_truncated"),
    )
    rejected = checked.where(F.col("reason").isNotNull())
    keep = [c for c in rejected.columns if c != "_unparsed"]
    rejected = rejected.select(*keep, "_unparsed").withColumnRenamed("_unparsed", "raw_line")
    return accepted, rejected


def empty_plays(spark: SparkSession) -> DataFrame:
    """The ``plays`` table with no rows (its typed columns and the day): what readers see
    while every landed day so far had zero plays (Spark cannot read a schema from a table
    without data files)."""
    cols = [f"{c} {t}" for c, t in TYPED.items()] + ["source_file string", "ip_truncated boolean",
                                                     f"{PARTITION_COLUMN} string"]
    return spark.createDataFrame([], ", ".join(cols))


def extra_columns(accepted: DataFrame) -> list[str]:
    """The carried columns of an accepted frame (neither contract nor bookkeeping)."""
    return [c for c in accepted.columns if c not in (*CONTRACT, "source_file", "ip_truncated", PARTITION_COLUMN)]
