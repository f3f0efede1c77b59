"""Load user dumps in the seed's published format (MariaDB dump or CSV of v1 API fields).

``parse_sql_dump`` reads ``INSERT INTO `users` (...) VALUES (...),(...);`` statements with
a tokenizer for MySQL literals (quoted strings with '' and backslash escapes, NULL,
numbers). ``v1_to_raw_record`` maps v1 field names to api-v2 names and the raw-users
record layout. Rows that cannot be parsed come back as rejects with a reason.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

_INSERT = re.compile(r"INSERT INTO `?(\w+)`?\s*\(([^)]*)\)\s*VALUES\s*", re.IGNORECASE)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
INT_FIELDS = ("id", "online", "track_count", "playlist_count", "followers_count", "followings_count",
              "public_favorites_count")


def _tuples(text: str, pos: int):
    """Yield (values | None, raw_text, error) for each parenthesised tuple from pos to ';'."""
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == ";":
            return
        start = pos
        if text[pos] != "(":
            end = text.find("\n", pos)
            end = n if end < 0 else end
            yield None, text[start:end], "expected '(' at the start of a row"
            pos = end
            continue
        pos += 1
        values: list[Any] = []
        error = None
        while pos < n:
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            c = text[pos] if pos < n else ""
            if c == "'":
                pos += 1
                buf = []
                while pos < n:
                    ch = text[pos]
                    if ch == "\\" and pos + 1 < n:
                        buf.append(_ESCAPES.get(text[pos + 1], text[pos + 1]))
                        pos += 2
                    elif ch == "'" and pos + 1 < n and text[pos + 1] == "'":
                        buf.append("'")
                        pos += 2
                    elif ch == "'":
                        pos += 1
                        break
                    else:
                        buf.append(ch)
                        pos += 1
                else:
                    error = "unterminated string"
                values.append("".join(buf))
            else:
                m = re.compile(r"NULL|-?\d+(?:\.\d+)?", re.IGNORECASE).match(text, pos)
                if not m:
                    error = f"unexpected literal near {text[pos:pos + 20]!r}"
                    end = text.find("),", pos)
                    pos = n if end < 0 else end + 1
                    break
                tok = m.group(0)
                values.append(None if tok.upper() == "NULL" else (float(tok) if "." in tok else int(tok)))
                pos = m.end()
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            if pos < n and text[pos] == ",":
                pos += 1
                continue
            if pos < n and text[pos] == ")":
                pos += 1
                break
            error = error or "expected ',' or ')'"
            break
        yield (None if error else values), text[start:pos], error


def parse_sql_dump(text: str, table: str = "users") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows as dicts, rejects with reason) of every INSERT into ``table``."""
    rows, rejects = [], []
    for m in _INSERT.finditer(text):
        if m.group(1) != table:
            continue
        columns = [c.strip().strip("`") for c in m.group(2).split(",")]
        for values, raw, error in _tuples(text, m.end()):
            if error is None and len(values) != len(columns):
                error = f"{len(values)} values for {len(columns)} columns"
            if error:
                rejects.append({"raw": raw[:2000], "reason": error})
            else:
                rows.append(dict(zip(columns, values, strict=True)))
    return rows, rejects


def parse_csv_dump(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, rejects = [], []
    reader = csv.DictReader(io.StringIO(text))
    for line_no, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            rejects.append({"raw": str(row)[:2000], "reason": f"line {line_no}: wrong number of fields"})
            continue
        clean: dict[str, Any] = {k: (v if v not in ("", "NULL") else None) for k, v in row.items()}
        try:
            for f in INT_FIELDS:
                if clean.get(f) is not None:
                    clean[f] = int(clean[f])
        except ValueError as e:
            rejects.append({"raw": str(row)[:2000], "reason": f"line {line_no}: {e}"})
            continue
        rows.append(clean)
    return rows, rejects


def v1_to_raw_record(row: dict[str, Any], fetched_at: str | None, source: str) -> dict[str, Any]:
    """A v1 dump row as a raw-users record (api-v2 field names; unknown v2 fields are null)."""
    user = {
        "id": row["id"],
        "kind": "user",
        "permalink": row.get("permalink"),
        "username": row.get("username"),
        "uri": row.get("uri"),
        "avatar_url": row.get("avatar_url"),
        "full_name": row.get("full_name"),
        "city": row.get("city"),
        "country": row.get("country"),  # v1 has a country name, v2 a code: keep both honest
        "country_code": None,
        "description": row.get("description"),
        "track_count": row.get("track_count"),
        "playlist_count": row.get("playlist_count"),
        "followers_count": row.get("followers_count"),
        "followings_count": row.get("followings_count"),
        "likes_count": row.get("public_favorites_count"),
        "permalink_url": row.get("permalink_url"),
        "online": bool(row["online"]) if row.get("online") is not None else None,
    }
    profiles = []
    if row.get("website"):
        profiles.append({"url": row["website"], "network": "personal", "title": row.get("website_title"), "username": None})
    for network, field in (("discogs", "discogs_name"), ("myspace", "myspace_name")):
        if row.get(field):
            profiles.append({"url": None, "network": network, "title": None, "username": row[field]})
    return {"id": row["id"], "status": "fetched", "fetched_at": fetched_at, "user": user,
            "web_profiles": profiles, "error": None, "attempts": 0, "source": source}
