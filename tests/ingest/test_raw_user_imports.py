"""Scenario: a platform drops user dumps into landing/user_dumps/: the seed's real 38-user
MariaDB dump (v1 fields), CSVs, JSON Lines of api-v2 users (plain and gzip), some with
broken rows. raw_user_imports loads them, exactly, into raw/user_imports/source=<file>/
in the raw-users record layout, quarantines every bad row with its reason, blocks
downstream when too many rows are bad, keeps its output out of the crawl's way, replaces
exactly its previous output on a re-run, and streams a 1M-row dump in bounded memory.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys

import dagster as dg
import pytest

from assets.ingest.assets import raw_user_imports, raw_users
from assets.ingest.raw_zone import published_files, published_partition, read_manifest
from assets.partitions import user_id_ranges, user_range_key
from resources.platform_api import PlatformAPI
from simulator.testing import running_simulator
from simulator.users import write_user_dump

V1_HEADER = ("id,permalink,username,online,track_count,playlist_count,followers_count,followings_count,"
             "public_favorites_count,website\n")


def _import(store, **config):
    return dg.materialize([raw_user_imports], resources={"object_store": store}, raise_on_error=False,
                          run_config={"ops": {"raw_user_imports": {"config": config}}} if config else None)


def _records(store, source):
    return [r for key in published_partition(store, "user_imports", source) for r in store.read_jsonl_gz(key)]


def _meta(result) -> dict:
    mat = result.asset_materializations_for_node("raw_user_imports")[0]
    return {k: v.value for k, v in mat.metadata.items()}


def _check(result):
    (check,) = result.get_asset_check_evaluations()
    return check


def _quarantine(store, source):
    return list(store.read_jsonl_gz(f"quarantine/user_imports/source={source}/rejected.jsonl.gz"))


def test_real_dump_loads_exactly(local_store, shared_dir):
    path = os.path.join(shared_dir, "fixtures", "real", "pmsosa_scusers.sql")
    text = open(path, encoding="utf-8").read()
    local_store.put_bytes("landing/user_dumps/scusers.sql", text.encode())
    local_store.put_bytes(
        "landing/user_dumps/extra.csv",
        V1_HEADER.encode()
        + b"5,p5,User Five,1,3,0,10,300,7,https://bit.ly/x\n"
        + b"6,p6,broken,1,notanumber,0,0,0,0,\n",
    )
    result = _import(local_store, max_rejected_share=0.5)
    assert result.success
    assert sorted(published_files(local_store, "user_imports")) == ["extra.csv", "scusers.sql"]
    assert not list(local_store.list("raw/users/"))  # imports are not in the crawl's namespace
    records = _records(local_store, "scusers.sql")
    dump_ids = sorted(int(i) for i in re.findall(r"^\((\d+),", text, re.M))
    assert [r["id"] for r in records] == dump_ids and len(records) == 38
    first = records[0]
    assert first["status"] == "fetched" and first["user"]["username"] == "Omar Flores"
    assert first["user"]["likes_count"] == 2  # v1 public_favorites_count -> v2 likes_count
    assert first["user"]["permalink_url"] == "http://soundcloud.com/omar-flores-778306823"
    (five,) = _records(local_store, "extra.csv")
    assert five["user"]["followings_count"] == 300 and five["web_profiles"][0]["url"] == "https://bit.ly/x"
    (bad,) = _quarantine(local_store, "extra.csv")
    assert "line 3" in bad["reason"] and "track_count" in bad["reason"] and bad["source_file"].endswith("extra.csv")
    meta = _meta(result)
    assert meta["dagster/row_count"] == 39 and meta["quarantined_rows"] == 1
    assert meta["rows_by_file"] == {"landing/user_dumps/extra.csv": 1, "landing/user_dumps/scusers.sql": 38}
    assert meta["rejected_by_reason"] == {"non-integer field": 1}
    check = _check(result)
    assert check.passed and check.metadata["rejected_share"].value == round(1 / 40, 5)


def _api_v2_fixture(shared_dir) -> dict:
    with open(os.path.join(shared_dir, "fixtures", "api-v2", "user.json")) as f:
        user = json.load(f)
    with open(os.path.join(shared_dir, "fixtures", "api-v2", "web-profiles.json")) as f:
        user["web_profiles"] = json.load(f)
    return user


def test_bad_rows_are_quarantined_with_a_reason_and_block_downstream(object_store, shared_dir):
    s = object_store
    s.put_bytes("landing/user_dumps/ids.csv", V1_HEADER.encode() + b"\n".join([
        b"7,p7,ok,1,0,0,0,0,0,",
        b",blank,x,1,0,0,0,0,0,",
        b"abc,word,x,1,0,0,0,0,0,",
        b"-5,negative,x,1,0,0,0,0,0,",
        b"0,zero,x,1,0,0,0,0,0,",
        b"8,caf\xe9-latin1,x,1,0,0,0,0,0,",
        b"9,p9,ok too,1,0,0,0,0,0,",
    ]) + b"\n")
    s.put_bytes("landing/user_dumps/noid.csv", b"username,permalink\na,b\nc,d\n")
    s.put_bytes("landing/user_dumps/dump.sql", (
        "INSERT INTO `users` (`id`, `username`, `followers_count`) VALUES\n"
        "(11, 'eleven', 3),\n(-2, 'negative', 0),\n(12, 'caf\xe9', 1),\n(13, 'it''s \\'quoted\\'', NULL),\n"
        "(14, 'broken, 5);\n"
        "INSERT INTO `users` (`username`) VALUES ('no id');\n"
    ).encode("latin-1"))
    user = _api_v2_fixture(shared_dir)
    bare = {k: v for k, v in user.items() if k != "web_profiles"}  # web_profiles is optional
    lines = [json.dumps(user), "{not json", json.dumps({"username": "no id"}), json.dumps({**user, "id": "12x"}),
             json.dumps({**user, "id": 31, "web_profiles": "not a list"}), json.dumps({**bare, "id": 32}), ""]
    s.put_bytes("landing/user_dumps/v2.jsonl.gz", gzip.compress("\n".join(lines).encode()))
    s.put_bytes("landing/user_dumps/platform.truth.parquet", b"PAR1")  # not a dump: ignored, reported

    result = _import(s)
    # Bad rows never crash the import: every dump is imported and materialised, then the
    # blocking check (15 of 21 rows rejected) fails the run so nothing downstream reads it.
    assert result.asset_materializations_for_node("raw_user_imports")
    (failure,) = result.get_step_failure_events()
    assert "blocking asset check failed" in failure.step_failure_data.error.message
    assert [r["id"] for r in _records(s, "ids.csv")] == [7, 9]
    assert "noid.csv" not in published_files(s, "user_imports")
    sql = _records(s, "dump.sql")
    assert [r["id"] for r in sql] == [11, 13]
    assert sql[1]["user"]["username"] == "it's 'quoted'"
    v2 = _records(s, "v2.jsonl.gz")
    assert [r["id"] for r in v2] == [user["id"], 32]
    assert v2[0]["user"] == bare and v2[1]["user"] == {**bare, "id": 32}
    assert v2[0]["web_profiles"] == user["web_profiles"] and v2[1]["web_profiles"] == []
    assert set(v2[0]) == {"id", "status", "fetched_at", "user", "web_profiles", "error", "attempts", "source"}

    def kinds(source):
        return sorted(r["kind"] for r in _quarantine(s, source))

    assert kinds("ids.csv") == ["blank id", "non-integer id", "non-positive id", "non-positive id", "undecodable bytes"]
    assert kinds("noid.csv") == ["missing id column", "missing id column"]
    assert kinds("dump.sql") == ["malformed row", "missing id column", "non-positive id", "undecodable bytes"]
    assert kinds("v2.jsonl.gz") == ["malformed row", "malformed row", "missing id column", "non-integer id"]
    assert all(r["reason"] and r["source_file"].startswith("landing/user_dumps/") for r in _quarantine(s, "ids.csv"))
    meta = _meta(result)
    assert meta["quarantined_rows"] == 15 and meta["dagster/row_count"] == 6
    assert meta["rejected_by_reason"]["undecodable bytes"] == 2
    assert meta["ignored_files"] == ["landing/user_dumps/platform.truth.parquet"]
    check = _check(result)
    assert not check.passed and check.metadata["rejected_share"].value == round(15 / 21, 5)
    assert _import(s, max_rejected_share=0.75).success  # under a looser limit the same dumps pass


def test_imports_survive_crawls_and_a_rerun_replaces_exactly_the_previous_import(local_store, shared_dir):
    s = local_store
    text = open(os.path.join(shared_dir, "fixtures", "real", "pmsosa_scusers.sql"), encoding="utf-8").read()
    s.put_bytes("landing/user_dumps/scusers.sql", text.encode())
    s.put_bytes("landing/user_dumps/extra.csv", V1_HEADER.encode() + b"5,p5,x,1,0,0,0,0,0,\n6,p6,y,1,z,0,0,0,0,\n")
    assert _import(s, max_rejected_share=0.5).success
    before = {src: _records(s, src) for src in ("scusers.sql", "extra.csv")}
    # The crawl of the range whose key the old import used (min-max of the dump's ids):
    # the crawl publishes its own copy and the import stays (ids past the simulated
    # population are 404, so the crawl is quick).
    ids = [r["id"] for r in before["scusers.sql"]]
    key = user_range_key(min(ids), max(ids))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(user_id_ranges.name, [key])
    with running_simulator(seed=7, users=100) as url:
        for _ in range(2):  # a crawl and its re-run
            assert dg.materialize([raw_users], partition_key=key, instance=instance, resources={
                "object_store": s, "platform_api": PlatformAPI(base_url=url, client_id="t")}).success
    assert {src: _records(s, src) for src in before} == before
    # Re-run with scusers.sql shortened and extra.csv removed: exactly the new content stays.
    old_attempt = read_manifest(s, "raw/user_imports/source=scusers.sql/")["attempt"]
    s.put_bytes("landing/user_dumps/scusers.sql", "\n".join(
        line for line in text.splitlines() if not line.startswith("(261157969,")).encode())
    s.delete("landing/user_dumps/extra.csv")
    result = _import(s)
    assert result.success and _check(result).passed
    assert list(published_files(s, "user_imports")) == ["scusers.sql"]
    assert [r["id"] for r in _records(s, "scusers.sql")] == ids[1:]
    assert not list(s.list("raw/user_imports/source=extra.csv/"))
    assert not list(s.list("quarantine/user_imports/source=extra.csv/"))
    assert not any(f"attempt={old_attempt}" in k for k in s.list("raw/user_imports/"))
    assert _meta(result)["removed_imports"] == ["extra.csv"]


def test_simulated_api_v2_dump_imports_every_user(local_store, tmp_path):
    info = write_user_dump(tmp_path / "platform.jsonl.gz", n_users=500)
    local_store.upload_file(info["path"], "landing/user_dumps/platform.jsonl.gz")
    result = _import(local_store)
    assert result.success and _check(result).passed
    with gzip.open(info["path"], "rt") as f:
        users = [json.loads(line) for line in f]
    records = _records(local_store, "platform.jsonl.gz")
    assert [r["id"] for r in records] == [u["id"] for u in users]
    assert all(r["user"] == {k: v for k, v in u.items() if k != "web_profiles"} and r["web_profiles"] == u["web_profiles"]
               for r, u in zip(records, users, strict=True))


@pytest.mark.integration
@pytest.mark.slow
def test_a_million_row_dump_streams_in_bounded_memory(tmp_path):
    """1M rows (50 MB of SQL; over 1 GB as Python records) import with well under 100 MB
    of extra memory: the dump is read and written as a stream."""
    out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "import_process.py"),
                          str(tmp_path / "lake"), "1000000"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    growth_mb = (report["rss_peak"] - report["rss_before"]) / 2**20
    print(f"1M-row import: {report['seconds']} s ({report['cpu_seconds']} s CPU), dump {report['dump_bytes'] / 2**20:.0f} MB, "
          f"peak RSS growth {growth_mb:.1f} MB")
    assert report["success"] and report["rows"] == 1_000_000
    assert report["dump_bytes"] > 45 * 2**20
    assert growth_mb < 100, report
