"""Scenario: a platform drops a day of play logs as CSV, gzip JSON Lines and Parquet, with
bad rows among them (no ids, negative ms_played, times that are not ISO 8601, a line that
is not JSON) and extra columns. Every row ends accepted (typed) or rejected with the reason
a plain-Python reading of the contract gives; extras are carried; a raw IPv4 address in
ip_prefix is reduced to its /24; a file that cannot be read is reported, not fatal.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pandas as pd

from assets.streams.ingest import file_format, read_landing, split_plays

DAY = "2024-03-01"


def _good(i: int) -> dict:
    return {"user_id": str(100 + i % 7), "track_id": f"t{i % 5}", "played_at": f"{DAY}T{i % 24:02d}:0{i % 10}:00Z",
            "ms_played": str(1000 * i), "country": "de", "device_id": f"d{i % 3}", "ip_prefix": "net-1",
            "source": "playlist", "playlist_id": "p1", "app_version": f"v{i}"}


BAD = [  # (changes, the reason a person reading the contract expects)
    ({"user_id": None}, "missing user_id"),
    ({"track_id": ""}, "missing track_id"),
    ({"played_at": None}, "missing played_at"),
    ({"ms_played": None}, "missing ms_played"),
    ({"user_id": "-4"}, "user_id is not a positive integer"),
    ({"user_id": "0"}, "user_id is not a positive integer"),
    ({"user_id": "abc"}, "user_id is not a positive integer"),
    ({"played_at": "yesterday at noon"}, "unparseable played_at (expected ISO 8601)"),
    ({"played_at": "1709251200"}, "unparseable played_at (expected ISO 8601)"),
    ({"played_at": "2024-13-45T10:00:00Z"}, "unparseable played_at (expected ISO 8601)"),
    ({"ms_played": "-1"}, "negative ms_played"),
    ({"ms_played": "12.5"}, "ms_played is not an integer"),
]


def reference_reason(row: dict) -> str | None:
    """The contract read in plain Python (first failing rule)."""
    blank = {k: (v is None or str(v).strip() == "") for k, v in row.items()}
    for c in ("user_id", "track_id", "played_at", "ms_played"):
        if blank.get(c, True):
            return f"missing {c}"
    if not re.fullmatch(r"\+?\d+(\.0*)?", row["user_id"].strip()) or int(float(row["user_id"])) <= 0:
        return "user_id is not a positive integer"
    try:
        if not re.match(r"\d{4}-\d{2}-\d{2}", row["played_at"]):
            raise ValueError
        dt.datetime.fromisoformat(row["played_at"].replace("Z", "+00:00"))
    except ValueError:
        return "unparseable played_at (expected ISO 8601)"
    ms = row["ms_played"].strip()
    if re.fullmatch(r"-\d+(\.0*)?", ms):
        return "negative ms_played"
    if not re.fullmatch(r"\+?\d+(\.0*)?", ms):
        return "ms_played is not an integer"
    return None


def _rows() -> list[dict]:
    rows = [_good(i) for i in range(60)]
    for j, (change, _) in enumerate(BAD):
        rows.append({**_good(200 + j), "track_id": f"bad{j}", **change})
    return rows


def _write_day(tmp_path, rows: list[dict]) -> list[tuple[str, str]]:
    """Thirds of ``rows`` as CSV, gzip JSON Lines and Parquet; (key, path) pairs."""
    a, b, c = rows[0::3], rows[1::3], rows[2::3]
    files = []
    csv = tmp_path / "part-0.csv"
    pd.DataFrame(a).to_csv(csv, index=False)
    files.append((f"landing/plays/date={DAY}/part-0.csv", str(csv)))
    js = tmp_path / "part-1.jsonl.gz"
    with gzip.open(js, "wt") as f:
        for r in b:
            f.write(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n")
        f.write("{not json at all\n")
        f.write("\n")  # a blank line is no row
    files.append((f"landing/plays/date={DAY}/part-1.jsonl.gz", str(js)))
    pq = tmp_path / "part-2.parquet"
    typed = pd.DataFrame(c)
    pd.DataFrame(typed).to_parquet(pq, index=False)
    files.append((f"landing/plays/date={DAY}/part-2.parquet", str(pq)))
    return files


def test_every_row_accepted_or_rejected_with_the_reference_reason(spark, tmp_path):
    rows = _rows()
    landing = read_landing(spark, _write_day(tmp_path, rows))
    assert landing.unreadable == []
    accepted, rejected = split_plays(landing.frame)
    acc = accepted.toPandas()
    rej = rejected.toPandas()
    assert len(acc) + len(rej) == len(rows) + 1  # + the line that is not JSON
    assert all(reference_reason(r) is None for r in rows[:60])  # the good rows are good
    got = dict(zip(rej["app_version"].fillna("<none>"), rej["reason"], strict=True))
    for j, (change, reason) in enumerate(BAD):
        row = {**_good(200 + j), "track_id": f"bad{j}", **change}
        assert reference_reason(row) == reason
        assert got[row["app_version"]] == reason, change
    assert (rej["reason"] == "unparseable line (not a JSON object)").sum() == 1
    assert rej.loc[rej["reason"].str.startswith("unparseable line"), "raw_line"].iloc[0] == "{not json at all"
    # typed, carried, and in step with the input
    assert sorted(acc["track_id"]) == sorted(r["track_id"] for r in rows if not reference_reason(r))
    types = dict(accepted.dtypes)
    assert types["user_id"] == "bigint" and types["ms_played"] == "bigint" and types["played_at"] == "timestamp"
    assert "app_version" in acc.columns and set(acc["country"]) == {"DE"}
    by_version = acc.set_index("app_version")
    for i in (0, 1, 2, 17):
        r = _good(i)
        got_row = by_version.loc[r["app_version"]]
        assert got_row["user_id"] == int(r["user_id"]) and got_row["ms_played"] == int(r["ms_played"])
        assert got_row["played_at"] == pd.Timestamp(r["played_at"]).tz_convert(None)
    assert set(acc["source_file"]) == {k for k, _ in _write_day(tmp_path, rows)}


def test_raw_ipv4_is_reduced_to_its_prefix_and_marked(spark):
    df = spark.createDataFrame(
        [("1", "t", f"{DAY}T10:00:00Z", "31000", "203.0.113.77"), ("2", "t", f"{DAY}T10:00:00Z", "31000", "asn-64500")],
        "user_id string, track_id string, played_at string, ms_played string, ip_prefix string")
    acc = {r.user_id: r for r in split_plays(df)[0].collect()}
    assert acc[1].ip_prefix == "203.0.113.0/24" and acc[1].ip_truncated
    assert acc[2].ip_prefix == "asn-64500" and not acc[2].ip_truncated


def test_unsupported_and_unreadable_files_are_reported_not_fatal(spark, tmp_path):
    broken = tmp_path / "part-9.parquet"
    broken.write_bytes(b"this is not parquet")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    landing = read_landing(spark, [("landing/plays/date=x/part-9.parquet", str(broken)),
                                   ("landing/plays/date=x/notes.txt", str(other))])
    reasons = {u["source_file"]: u["reason"] for u in landing.unreadable}
    assert reasons["landing/plays/date=x/part-9.parquet"].startswith("unreadable file")
    assert reasons["landing/plays/date=x/notes.txt"].startswith("unsupported landing file type")
    assert landing.frame.count() == 0


def test_file_formats():
    assert file_format("a/b.csv.gz") == "csv" and file_format("a/b.jsonl.gz") == "json"
    assert file_format("a/b.parquet") == "parquet" and file_format("a/_SUCCESS") is None
    assert file_format("a/b.txt") is None
