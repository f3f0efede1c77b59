"""Scenario: the raw zone holds published partitions (manifest naming an attempt), a
re-crawl in progress beside a published copy, a first crawl that never finished, a
partition of the pre-manifest layout, and files another tool dropped; ``published_files``
returns exactly the complete copies, on a local directory and on S3.
"""

from __future__ import annotations

import json

import pytest

from assets.ingest.raw_zone import partition_prefix, published_files, published_partition


def _put(store, key, records=({"id": 1},)):
    store.write_jsonl_gz(key, list(records))


def _publish(store, prefix, attempt, names):
    store.put_bytes(prefix + "_MANIFEST.json",
                    json.dumps({"attempt": attempt, "files": [f"attempt={attempt}/{n}" for n in names]}).encode())


def test_published_files_returns_complete_copies_only(object_store):
    s = object_store
    # users: range 1-10 published by attempt A, a re-crawl B in progress beside it.
    p = partition_prefix("users", "1-10")
    for n in ("part-000000001-000000005.jsonl.gz", "part-000000006-000000010.jsonl.gz"):
        _put(s, f"{p}attempt=A/{n}")
    _publish(s, p, "A", ["part-000000001-000000005.jsonl.gz", "part-000000006-000000010.jsonl.gz"])
    _put(s, f"{p}attempt=B/part-000000001-000000005.jsonl.gz")
    # users: 11-20 a first crawl that never finished (attempt only, no manifest).
    _put(s, partition_prefix("users", "11-20") + "attempt=C/part-000000011-000000015.jsonl.gz")
    # users: 21-30 pre-manifest layout, complete; 31-40 pre-manifest, unfinished.
    p3 = partition_prefix("users", "21-30")
    _put(s, p3 + "part-000000021-000000030.jsonl.gz")
    s.put_bytes(p3 + "_SUCCESS.json", b"{}")
    _put(s, partition_prefix("users", "31-40") + "part-000000031-000000035.jsonl.gz")
    # users: 41-50 dropped by another tool (any other file name, no marker).
    _put(s, partition_prefix("users", "41-50") + "export-0.jsonl.gz")
    # follow graph: artist 7 published; artist 8 only a checkpoint of a first crawl.
    f7 = partition_prefix("follow_graph", "7")
    _put(s, f7 + "attempt=X/edges.jsonl.gz")
    _put(s, f7 + "attempt=X/nodes.jsonl.gz")
    _put(s, f7 + "attempt=X/_checkpoint/hop=1/part-00000.jsonl.gz")
    _publish(s, f7, "X", ["edges.jsonl.gz", "nodes.jsonl.gz"])
    _put(s, partition_prefix("follow_graph", "8") + "attempt=Y/_checkpoint/hop=1/part-00000.jsonl.gz")
    # imports and repost timelines
    i = partition_prefix("user_imports", "dump.sql")
    _put(s, i + "attempt=I/part-00000.jsonl.gz")
    _publish(s, i, "I", ["part-00000.jsonl.gz"])
    r = partition_prefix("repost_timelines", "7")
    _put(s, r + "tracks.jsonl.gz")
    _put(s, r + "reposts.jsonl.gz")
    s.put_bytes(r + "_SUCCESS.json", b"{}")

    users = published_files(s, "users")
    assert users == {
        "1-10": [f"{p}attempt=A/part-000000001-000000005.jsonl.gz", f"{p}attempt=A/part-000000006-000000010.jsonl.gz"],
        "21-30": [p3 + "part-000000021-000000030.jsonl.gz"],
        "41-50": [partition_prefix("users", "41-50") + "export-0.jsonl.gz"],
    }
    assert published_files(s, "follow_graph") == {"7": [f7 + "attempt=X/edges.jsonl.gz", f7 + "attempt=X/nodes.jsonl.gz"]}
    assert published_files(s, "user_imports") == {"dump.sql": [i + "attempt=I/part-00000.jsonl.gz"]}
    assert published_files(s, "repost_timelines") == {"7": [r + "reposts.jsonl.gz", r + "tracks.jsonl.gz"]}
    assert published_partition(s, "users", "11-20") is None
    assert published_partition(s, "users", "99-100") is None
    assert published_partition(s, "follow_graph", "7") == published_files(s, "follow_graph")["7"]
    for files in users.values():  # every key named is readable
        for key in files:
            assert list(s.read_jsonl_gz(key))




def test_unknown_dataset_is_an_error(local_store):
    with pytest.raises(ValueError, match="unknown raw dataset"):
        published_files(local_store, "tracks")


def test_attempt_lifecycle_after_kills_at_every_step(object_store):
    """open_attempt after a kill (a) before publishing: the unfinished attempt is resumed;
    (b) between the manifest and the clean-up: the replaced attempt is removed, a new one
    starts, and readers saw only complete copies throughout."""
    from assets.ingest.publish import attempt_ids, open_attempt, publish

    s, log = object_store, (lambda _msg: None)
    prefix = partition_prefix("users", "1-10")
    a = open_attempt(s, prefix, log)
    _put(s, a.key("part-000000001-000000010.jsonl.gz"))
    assert published_partition(s, "users", "1-10") is None  # killed before publishing
    again = open_attempt(s, prefix, log)
    assert again.id == a.id and again.resumed
    publish(again, ["part-000000001-000000010.jsonl.gz"], {"n": 1})
    assert published_partition(s, "users", "1-10") == [a.key("part-000000001-000000010.jsonl.gz")]
    b = open_attempt(s, prefix, log)  # a re-crawl: new attempt beside the published one
    assert b.id > a.id and not b.resumed
    _put(s, b.key("part-000000001-000000010.jsonl.gz"), [{"id": 2}])
    _put(s, b.key("_checkpoint/x/part-00000.jsonl.gz"))
    # Kill between writing B's manifest and the clean-up: write the manifest by hand.
    s.put_bytes(prefix + "_MANIFEST.json", json.dumps(
        {"attempt": b.id, "files": [f"attempt={b.id}/part-000000001-000000010.jsonl.gz"]}).encode())
    assert published_partition(s, "users", "1-10") == [b.key("part-000000001-000000010.jsonl.gz")]
    c = open_attempt(s, prefix, log)
    assert not c.resumed and c.id > b.id and attempt_ids(s, prefix) == [b.id]  # A removed, B kept
    publish(c, [], {"n": 0})
    assert sorted(s.list(prefix)) == [prefix + "_MANIFEST.json"]  # B and its checkpoint gone
