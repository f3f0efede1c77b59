"""Validate one landing day of the distributor catalog against the catalog-input contract.

Pure pandas, no Dagster. ``split_catalog`` returns the accepted rows and the rejected rows,
each rejected row with a ``reason``; every input row ends in exactly one of the two.
Extra columns are carried through untouched.
"""

from __future__ import annotations

import io

import pandas as pd

REQUIRED = ("track_id", "title", "album_id", "label_id", "uploaded_at")
OPTIONAL = ("label_name", "distributor", "genre", "content_type")
CONTRACT_COLUMNS = REQUIRED[:4] + OPTIONAL + ("uploaded_at",)
LANDING = "landing/catalog"
SUPPORTED = (".parquet", ".csv")


def landing_prefix(day: str) -> str:
    return f"{LANDING}/date={day}/"


def read_landing_file(key: str, data: bytes) -> pd.DataFrame:
    """One landing file as strings (CSV empty fields and Parquet nulls both become None)."""
    if key.endswith(".parquet"):
        df = pd.read_parquet(io.BytesIO(data))
    elif key.endswith(".csv"):
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    else:
        raise ValueError(f"unsupported landing file type: {key} (expected {', '.join(SUPPORTED)})")
    df = df.astype(object).where(df.notna(), None)
    for col in df.columns:
        df[col] = df[col].map(lambda v: None if v is None or (isinstance(v, str) and v.strip() == "") else str(v))
    return df


def looks_like_mojibake(text: str | None) -> bool:
    """UTF-8 bytes that were decoded as Latin-1/CP1252 ("CafÃ©"): re-encoding recovers UTF-8."""
    if not text or text.isascii():
        return False
    for codec in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != text:
            return True
    return False


def split_catalog(df: pd.DataFrame, day: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted, rejected) rows of one landing day; ``rejected`` has a ``reason`` column.

    Rules: required fields present (an empty title is missing), ``uploaded_at`` ISO 8601
    whose UTC date is ``day``, title not mojibake, ``content_type`` defaults to music, and a
    repeated ``track_id`` keeps its first valid row (files in key order) and rejects the rest.
    """
    df = df.reset_index(drop=True).copy()
    for col in CONTRACT_COLUMNS:
        if col not in df.columns:
            df[col] = None
    reasons = pd.Series([None] * len(df), index=df.index, dtype=object)

    def reject(mask: pd.Series, reason: str) -> None:
        mask = mask & reasons.isna()
        reasons[mask] = reason

    for col in ("track_id", "title", "album_id", "label_id", "uploaded_at"):
        blank = df[col].map(lambda v: v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()))
        reject(blank, f"missing {col}")
    parsed = pd.to_datetime(df["uploaded_at"], utc=True, errors="coerce", format="ISO8601")
    reject(parsed.isna(), "unparseable uploaded_at (expected ISO 8601)")
    dates = parsed.dt.strftime("%Y-%m-%d")
    reject(parsed.notna() & (dates != day), f"uploaded_at is not on the landing day {day} (UTC)")
    reject(df["title"].map(looks_like_mojibake), "title is mojibake (UTF-8 decoded as Latin-1)")
    valid = reasons.isna()
    duplicate = valid & df["track_id"].where(valid).duplicated(keep="first")
    reject(duplicate, "duplicate track_id (the first row was kept)")

    ok = reasons.isna()
    accepted = df[ok].copy()
    accepted["uploaded_at"] = parsed[ok]
    accepted["content_type"] = accepted["content_type"].fillna("music")
    rejected = df[~ok].copy()
    rejected["reason"] = reasons[~ok]
    return accepted.reset_index(drop=True), rejected.reset_index(drop=True)
