"""Scenario: the object-store contract, run unchanged against the local directory backend
and the S3 backend (moto's server over HTTP on 127.0.0.1).

Listing past 1,000 keys, a 20 MB streamed object, atomic publish (an interrupted write,
by exception or by SIGKILL of the writing process, leaves no visible object), and the
gzip JSON Lines helpers.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from resources.object_store import S3ObjectStore


def test_put_get_exists_delete(object_store):
    assert not object_store.exists("a/b.txt")
    object_store.put_bytes("a/b.txt", b"hello")
    assert object_store.exists("a/b.txt")
    assert object_store.get_bytes("a/b.txt") == b"hello"
    object_store.put_bytes("a/b.txt", b"replaced")
    assert object_store.get_bytes("a/b.txt") == b"replaced"
    object_store.delete("a/b.txt")
    assert not object_store.exists("a/b.txt")
    object_store.delete("a/b.txt")  # deleting a missing key is fine


def test_missing_key_raises_file_not_found(object_store):
    with pytest.raises(FileNotFoundError, match="no object 'nope/x'"):
        object_store.get_bytes("nope/x")


@pytest.mark.parametrize("bad", ["", "/abs", "a/../b", "dir/"])
def test_invalid_keys_are_rejected(object_store, bad):
    with pytest.raises(ValueError, match="invalid object key"):
        object_store.put_bytes(bad, b"x")


def test_list_by_prefix_is_sorted_and_exact(object_store):
    for key in ["raw/users/range=1-10/part-1", "raw/users/range=1-10/part-0", "raw/x", "rawish/y"]:
        object_store.put_bytes(key, b"1")
    assert list(object_store.list("raw/")) == [
        "raw/users/range=1-10/part-0",
        "raw/users/range=1-10/part-1",
        "raw/x",
    ]
    assert list(object_store.list("raw")) == [
        "raw/users/range=1-10/part-0",
        "raw/users/range=1-10/part-1",
        "raw/x",
        "rawish/y",
    ]
    assert list(object_store.list("absent/")) == []


def test_list_pages_past_1000_keys(object_store):
    keys = [f"many/k{i:05d}" for i in range(1234)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: object_store.put_bytes(k, b""), keys))
    assert list(object_store.list("many/")) == keys
    assert object_store.delete_prefix("many/") == 1234
    assert list(object_store.list("many/")) == []


def test_20mb_object_streams_both_ways(object_store, tmp_path):
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with object_store.open_write("big/20mb.bin") as f:
        for i in range(20):
            chunk = bytes([i]) + block[1:]
            f.write(chunk)
            digest.update(chunk)
    out = tmp_path / "copy.bin"
    object_store.download_file("big/20mb.bin", out)
    assert out.stat().st_size == 20 << 20
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest.hexdigest()
    object_store.upload_file(out, "big/again.bin")
    with object_store.open_read("big/again.bin") as f:
        got = hashlib.sha256()
        while chunk := f.read(1 << 20):
            got.update(chunk)
    assert got.hexdigest() == digest.hexdigest()


def test_write_interrupted_by_exception_publishes_nothing(object_store):
    object_store.put_bytes("atomic/obj", b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with object_store.open_write("atomic/obj") as f:
            f.write(b"n" * (11 << 20))  # past the multipart threshold on S3
            raise RuntimeError("boom")
    assert object_store.get_bytes("atomic/obj") == b"old"
    with pytest.raises(RuntimeError):
        with object_store.open_write("atomic/new") as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert not object_store.exists("atomic/new")
    assert list(object_store.list("atomic/")) == ["atomic/obj"]


def test_writer_process_killed_midway_leaves_no_visible_object(object_store):
    if isinstance(object_store, S3ObjectStore):
        spec = {
            "kind": "s3",
            "bucket": object_store.bucket,
            "prefix": object_store.prefix,
            "endpoint_url": object_store.endpoint_url,
            "multipart_threshold_bytes": object_store.multipart_threshold_bytes,
        }
    else:
        spec = {"kind": "local", "root": object_store.root}
    proc = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(__file__), "writer_process.py"), json.dumps(spec)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        assert proc.stdout.readline().strip() == b"WRITING"
        if isinstance(object_store, S3ObjectStore):  # parts really are on the server
            uploads = object_store.client.list_multipart_uploads(Bucket=object_store.bucket)
            assert len(uploads.get("Uploads", [])) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not object_store.exists("big/killed.bin")
    assert list(object_store.list("big/")) == []


def test_jsonl_gz_round_trip_keeps_unicode(object_store):
    records = [{"id": i, "name": f"user {i}", "bio": "Café ☕ — 音楽"} for i in range(500)]
    assert object_store.write_jsonl_gz("raw/t/part-0.jsonl.gz", records) == 500
    assert list(object_store.read_jsonl_gz("raw/t/part-0.jsonl.gz")) == records
    # really gzip: a standard tool can read it
    import gzip

    text = gzip.decompress(object_store.get_bytes("raw/t/part-0.jsonl.gz")).decode()
    assert text.count("\n") == 500 and "音楽" in text


def test_local_paths_gives_readable_files_and_cleans_up(object_store):
    keys = ["raw/a/part-0.jsonl.gz", "raw/b/part-0.jsonl.gz", "raw/a/other.bin"]
    object_store.write_jsonl_gz(keys[0], [{"id": 1}])
    object_store.write_jsonl_gz(keys[1], [{"id": 2}])
    object_store.put_bytes(keys[2], b"x" * (6 << 20))  # multipart-sized object on S3
    with object_store.local_paths(keys) as paths:
        assert len(paths) == 3 and all(os.path.isabs(p) for p in paths)
        assert [os.path.basename(p) for p in paths] == ["part-0.jsonl.gz", "part-0.jsonl.gz", "other.bin"]
        assert len(set(paths)) == 3
        import gzip

        assert [json.loads(gzip.open(p).read()) for p in paths[:2]] == [{"id": 1}, {"id": 2}]
        assert os.path.getsize(paths[2]) == 6 << 20
    if isinstance(object_store, S3ObjectStore):
        assert not any(os.path.exists(p) for p in paths)  # staged copies removed on exit
        assert not os.path.exists(os.path.dirname(os.path.dirname(os.path.dirname(paths[0]))))
    else:
        assert all(os.path.exists(p) for p in paths)  # the store's own files, untouched
        assert paths[0] == os.path.join(os.path.abspath(object_store.root), keys[0])
    with object_store.local_paths([]) as none:
        assert none == []


def test_local_paths_missing_key_raises_and_leaves_nothing(object_store, tmp_path):
    object_store.put_bytes("raw/here", b"1")
    with pytest.raises(FileNotFoundError, match="no object 'raw/gone'"):
        with object_store.local_paths(["raw/here", "raw/gone"]):
            pass
