"""Read user dumps as a stream of raw-users records and rejects (no Dagster here).

Formats (DESIGN.md "Contract: user dumps and scores"), chosen by the file name, each
optionally gzip-compressed (``.gz``):

* ``.sql``: the seed's MariaDB dump of v1 fields, ``INSERT INTO `users` (...) VALUES
  (...),(...);`` with MySQL literals (quoted strings with '' and backslash escapes, NULL,
  numbers).
* ``.csv``: a header line and the same v1 fields.
* ``.jsonl``: one api-v2 user object per line, with an optional ``web_profiles`` list.

Everything streams: the input is read in blocks (SQL) or lines (CSV, JSON Lines) and
each record is yielded as soon as it is parsed, so a multi-GB dump needs a few MB of
memory. v1 rows are mapped to api-v2 names (``v1_to_raw_record``). A row that cannot be
used is yielded as a reject with a ``kind`` (for counting) and a ``reason`` (for people):
no id column, blank, non-integer or non-positive id, bytes that are not UTF-8, a
malformed row; nothing raises on bad input.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import IO, Any

from resources.object_store import ObjectStore

INT_FIELDS = ("id", "online", "track_count", "playlist_count", "followers_count", "followings_count",
              "public_favorites_count")
_COUNT_FIELDS = INT_FIELDS[1:]
DUMP_SUFFIXES = (".sql", ".csv", ".jsonl")
RAW_LIMIT = 2000  # characters of a rejected row kept in quarantine

Item = tuple[dict[str, Any] | None, dict[str, Any] | None]  # (record, None) or (None, reject)


def dump_format(name: str) -> tuple[str | None, bool]:
    """(``sql`` | ``csv`` | ``jsonl`` | None, gzip-compressed) from a file name."""
    base = name[:-3] if name.endswith(".gz") else name
    for suffix in DUMP_SUFFIXES:
        if base.endswith(suffix):
            return suffix[1:], base != name
    return None, False


def reject(kind: str, reason: str, raw: Any, where: Any) -> Item:
    if callable(where):
        where = where()
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", errors="replace")
    else:
        raw = str(raw)
    return None, {"kind": kind, "reason": f"{where}: {reason}", "raw": raw[:RAW_LIMIT]}


def check_id(value: Any) -> tuple[int | None, str | None, str | None]:
    """(id, None, None) for a positive integer id, else (None, kind, reason)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "blank id", "id is blank"
    if isinstance(value, bool) or isinstance(value, float):
        return None, "non-integer id", f"id {value!r} is not an integer"
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            return None, "non-integer id", f"id {value[:50]!r} is not an integer"
        value = int(text)
    if not isinstance(value, int):
        return None, "non-integer id", f"id {str(value)[:50]!r} is not an integer"
    if value <= 0:
        return None, "non-positive id", f"id {value} is not positive"
    return value, None, None


def _has_surrogates(values: Iterable[Any]) -> bool:
    for v in values:
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


# ---------------------------------------------------------------------------- v1 rows
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


def _v1_item(row: dict[str, Any], where: Any, raw: Any, fetched_at: str | None, source: str,
             maybe_undecodable: bool = False) -> Item:
    """Validate a v1 row (id, integer fields, text) and map it, or reject it. ``where``
    is the row's position, or a callable that makes it (only needed for a reject)."""
    if "id" not in row:
        return reject("missing id column", "the dump has no id column", raw, where)
    if maybe_undecodable and _has_surrogates(row.values()):
        return reject("undecodable bytes", "bytes that are not UTF-8", raw, where)
    uid, kind, reason = check_id(row["id"])
    if uid is None:
        return reject(kind, reason, raw, where)
    row["id"] = uid
    for f in _COUNT_FIELDS:
        v = row.get(f)
        if v is None or isinstance(v, int):
            continue
        try:
            row[f] = int(v)
        except (TypeError, ValueError):
            return reject("non-integer field", f"{f} {str(v)[:50]!r} is not an integer", raw, where)
    return v1_to_raw_record(row, fetched_at, source), None


# ---------------------------------------------------------------------------- SQL
_INSERT = re.compile(r"INSERT\s+INTO\s+`?(\w+)`?\s*\(([^)]*)\)\s*VALUES\s*", re.IGNORECASE)
_STR = r"'(?:[^'\\]++|\\.|'')*+'"  # possessive: no backtracking on a broken row
_NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_TUPLE = re.compile(rf"\((?:\s*+(?:{_STR}|NULL|{_NUM})\s*+,)*+\s*+(?:{_STR}|NULL|{_NUM})\s*+\)",
                    re.IGNORECASE | re.DOTALL)
_VALUE = re.compile(rf"({_STR})|(NULL)|({_NUM})", re.IGNORECASE | re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_AFTER = re.compile(r"\s*([,;]?)\s*")
BLOCK_CHARS = 1 << 20
WINDOW_CHARS = 4 << 20  # text kept ahead of the parser; a row over half of it is rejected as malformed


def _unescape(body: str) -> str:
    if "\\" not in body and "''" not in body:
        return body
    return _UNESCAPE.sub(lambda m: "'" if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1)), body)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _sql_values(text: str) -> list[Any]:
    return [_unescape(s[1:-1]) if s else (None if null else _number(num)) for s, null, num in _VALUE.findall(text)]


_SURROGATE = re.compile("[\udc80-\udcff]")  # where surrogateescape put an undecodable byte


class _where:
    """A row position, formatted only if a reject needs it."""

    __slots__ = ("statement", "row")

    def __init__(self, statement: int, row: int):
        self.statement, self.row = statement, row

    def __call__(self) -> str:
        return f"statement {self.statement} row {self.row}"


def _text_blocks(stream: IO[bytes]) -> Iterator[str]:
    """The stream as text blocks; bytes that are not UTF-8 become lone surrogates
    (``surrogateescape``) so a row holding them can be found and rejected."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    while block := stream.read(BLOCK_CHARS):
        yield decoder.decode(block)
    yield decoder.decode(b"", final=True)


def iter_sql(stream: IO[bytes], fetched_at: str | None, source: str, table: str = "users") -> Iterator[Item]:
    """Records and rejects of every row INSERTed into ``table``, streamed."""
    blocks = _text_blocks(stream)
    buf, pos, final, columns, statement = "", 0, False, None, 0

    def fill() -> None:
        nonlocal buf, pos, final
        buf = buf[pos:]
        pos = 0
        while not final and len(buf) < WINDOW_CHARS:
            block = next(blocks, None)
            if block is None:
                final = True
            else:
                buf += block

    fill()
    row_no = 0
    while True:
        if len(buf) - pos < WINDOW_CHARS // 2 and not final:
            fill()
        if columns is None:
            m = _INSERT.search(buf, pos)
            if m is None:
                if final:
                    return
                pos = max(pos, len(buf) - 4096)  # keep a tail: a header may straddle blocks
                buf, pos = buf[pos:], 0
                block = next(blocks, None)
                final = block is None
                buf += block or ""
                continue
            statement += 1
            pos = m.end()
            columns = [c.strip().strip("`") for c in m.group(2).split(",")] if m.group(1) == table else []
            continue
        row_no += 1
        where = _where(statement, row_no)
        m = _TUPLE.match(buf, pos)
        if m is None:
            if pos >= len(buf):
                return
            end = buf.find("),", pos)
            stop = buf.find(");", pos)
            end = min(e for e in (end, stop, len(buf) - 1) if e >= 0)
            if columns:
                yield reject("malformed row", "not a row of SQL literals", buf[pos:end + 1], where)
            pos = end + 1
        else:
            if columns:
                values = _sql_values(m.group(0)[1:-1])
                if len(values) != len(columns):
                    yield reject("malformed row", f"{len(values)} values for {len(columns)} columns", m.group(0), where)
                else:
                    text = m.group(0)
                    yield _v1_item(dict(zip(columns, values, strict=True)), where, text, fetched_at, source,
                                   maybe_undecodable=_SURROGATE.search(text) is not None)
            pos = m.end()
        sep = _AFTER.match(buf, pos)
        pos = sep.end()
        if sep.group(1) != ",":  # ';' or anything else ends the statement
            columns, row_no = None, 0


# ---------------------------------------------------------------------------- CSV
def byte_lines(stream: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    """Lines of a binary stream read in blocks (S3 bodies iterate in chunks, not lines)."""
    tail = b""
    while data := stream.read(block):
        lines = (tail + data).split(b"\n")
        tail = lines.pop()
        for line in lines:
            yield line + b"\n"
    if tail:
        yield tail


def _lines(stream: IO[bytes], bad: list[tuple[int, bytes]]) -> Iterator[str]:
    """Decoded lines; a line that is not UTF-8 is left out and noted in ``bad``."""
    for n, line in enumerate(byte_lines(stream), start=1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((n, line))


def iter_csv(stream: IO[bytes], fetched_at: str | None, source: str) -> Iterator[Item]:
    """Records and rejects of a CSV of v1 fields (header line first), streamed."""
    bad: list[tuple[int, bytes]] = []
    reader = csv.DictReader(_lines(stream, bad))
    for row in reader:
        while bad:
            n, raw = bad.pop()
            yield reject("undecodable bytes", "bytes that are not UTF-8", raw, f"line {n}")
        where = f"line {reader.line_num}"
        if None in row or any(v is None for v in row.values()):
            yield reject("malformed row", "wrong number of fields", str(row), where)
            continue
        clean: dict[str, Any] = {k: (v if v not in ("", "NULL") else None) for k, v in row.items()}
        if "id" in clean and clean["id"] is None:
            clean["id"] = ""  # blank, not missing
        yield _v1_item(clean, where, ",".join(f"{v}" for v in row.values()), fetched_at, source)
    while bad:
        n, raw = bad.pop()
        yield reject("undecodable bytes", "bytes that are not UTF-8", raw, f"line {n}")


# ---------------------------------------------------------------------------- JSON Lines
def iter_jsonl(stream: IO[bytes], fetched_at: str | None, source: str) -> Iterator[Item]:
    """Records and rejects of one api-v2 user object per line, streamed."""
    for n, line in enumerate(byte_lines(stream), start=1):
        where = f"line {n}"
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield reject("undecodable bytes", "bytes that are not UTF-8", line, where)
            continue
        try:
            user = json.loads(text)
        except ValueError as e:
            yield reject("malformed row", f"invalid JSON ({e})", text, where)
            continue
        if not isinstance(user, dict):
            yield reject("malformed row", "not a JSON object", text, where)
            continue
        if "id" not in user:
            yield reject("missing id column", "the object has no id", text, where)
            continue
        uid, kind, reason = check_id(user["id"])
        if uid is None:
            yield reject(kind, reason, text, where)
            continue
        profiles = user.pop("web_profiles", None)
        if profiles is not None and not isinstance(profiles, list):
            yield reject("malformed row", "web_profiles is not a list", text, where)
            continue
        user["id"] = uid
        yield {"id": uid, "status": "fetched", "fetched_at": fetched_at, "user": user,
               "web_profiles": profiles or [], "error": None, "attempts": 0, "source": source}, None


READERS = {"sql": iter_sql, "csv": iter_csv, "jsonl": iter_jsonl}


def iter_dump(name: str, stream: IO[bytes], fetched_at: str | None, source: str) -> Iterator[Item]:
    """Records and rejects of one dump file, by its format (see ``dump_format``)."""
    fmt, gz = dump_format(name)
    if fmt is None:
        raise ValueError(f"{name}: not a user dump (expected {', '.join(DUMP_SUFFIXES)}, optionally .gz)")
    if gz:
        with gzip.GzipFile(fileobj=stream, mode="rb") as inner:
            yield from READERS[fmt](inner, fetched_at, source)
    else:
        yield from READERS[fmt](stream, fetched_at, source)


# ---------------------------------------------------------------------------- loading
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


class _JsonlGzOut:
    """One gzip JSON Lines object being written through the store; ``close(ok=False)``
    (or an exception) discards it, ``close()`` publishes it atomically."""

    def __init__(self, store: ObjectStore, key: str, batch: int = 2000):
        self.key, self.n, self._batch, self._lines = key, 0, batch, []
        self._stack = ExitStack()
        raw = self._stack.enter_context(store.open_write(key))
        self._gz = self._stack.enter_context(gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1))

    def write(self, record: dict[str, Any]) -> None:
        self._lines.append(_ENCODE(record))
        self.n += 1
        if len(self._lines) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        if self._lines:
            self._gz.write(("\n".join(self._lines) + "\n").encode("utf-8"))
            self._lines.clear()

    def close(self, ok: bool = True) -> None:
        if ok:
            self._flush()
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("discarded"), None)


def load_dump(store: ObjectStore, key: str, name: str, out_root: str, quarantine_key: str, fetched_at: str,
              part_rows: int = 500_000, log: Callable[[str], None] = print,
              every_s: float = 10.0) -> dict[str, Any]:
    """Stream the dump at ``key`` into ``out_root`` + ``part-NNNNN.jsonl.gz`` (records) and
    ``quarantine_key`` (rejects, each with ``source_file``). Returns {"files": names under
    out_root, "rows", "rejected_by_reason"}. On an exception nothing partial is published.
    Logs progress (rows so far, rows/s) every ``every_s`` seconds."""
    started = last = time.monotonic()
    files: list[str] = []
    rejected: dict[str, int] = {}
    rows = 0
    out: _JsonlGzOut | None = None
    quarantine: _JsonlGzOut | None = None
    try:
        with store.open_read(key) as stream:
            for record, bad in iter_dump(name, stream, fetched_at, key):
                if record is not None:
                    if out is None or out.n >= part_rows:
                        if out is not None:
                            out.close()
                        files.append(f"part-{len(files):05d}.jsonl.gz")
                        out = _JsonlGzOut(store, out_root + files[-1])
                    out.write(record)
                    rows += 1
                    if not rows % 10_000 and (now := time.monotonic()) - last >= every_s:
                        last = now
                        log(f"{key}: {rows:,} rows imported so far ({rows / (now - started):,.0f}/s), "
                            f"{sum(rejected.values()):,} rejected")
                else:
                    if quarantine is None:
                        quarantine = _JsonlGzOut(store, quarantine_key)
                    quarantine.write({**bad, "source_file": key})
                    rejected[bad["kind"]] = rejected.get(bad["kind"], 0) + 1
    except BaseException:
        for w in (out, quarantine):
            if w is not None:
                w.close(ok=False)
        raise
    for w in (out, quarantine):
        if w is not None:
            w.close()
    if quarantine is None:
        store.delete(quarantine_key)  # a clean re-run leaves no old rejects behind
    return {"files": files, "rows": rows, "rejected_by_reason": dict(sorted(rejected.items()))}
