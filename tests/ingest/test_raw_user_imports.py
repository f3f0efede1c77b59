"""Scenario: the seed's real 38-user MariaDB dump (v1 fields) and a CSV with one broken line
are dropped into landing/user_dumps/; raw_user_imports loads them into the raw-users
layout with api-v2 names, exactly, and quarantines the broken line.
"""

from __future__ import annotations

import os
import re

import dagster as dg

from assets.ingest.assets import raw_user_imports


def test_real_dump_loads_exactly(local_store, shared_dir):
    path = os.path.join(shared_dir, "fixtures", "real", "pmsosa_scusers.sql")
    text = open(path, encoding="utf-8").read()
    local_store.put_bytes("landing/user_dumps/scusers.sql", text.encode())
    local_store.put_bytes(
        "landing/user_dumps/extra.csv",
        b"id,permalink,username,online,track_count,playlist_count,followers_count,followings_count,public_favorites_count,website\n"
        b"5,p5,User Five,1,3,0,10,300,7,https://bit.ly/x\n"
        b"6,p6,broken,1,notanumber,0,0,0,0,\n",
    )
    result = dg.materialize([raw_user_imports], resources={"object_store": local_store})
    assert result.success
    keys = [k for k in local_store.list("raw/users/") if "part-import-scusers" in k]
    assert len(keys) == 1
    records = list(local_store.read_jsonl_gz(keys[0]))
    dump_ids = sorted(int(i) for i in re.findall(r"^\((\d+),", text, re.M))
    assert [r["id"] for r in records] == dump_ids and len(records) == 38
    first = records[0]
    assert first["status"] == "fetched" and first["user"]["username"] == "Omar Flores"
    assert first["user"]["likes_count"] == 2  # v1 public_favorites_count -> v2 likes_count
    assert first["user"]["permalink_url"] == "http://soundcloud.com/omar-flores-778306823"
    (csv_key,) = [k for k in local_store.list("raw/users/") if "part-import-extra" in k]
    (five,) = local_store.read_jsonl_gz(csv_key)
    assert five["user"]["followings_count"] == 300 and five["web_profiles"][0]["url"] == "https://bit.ly/x"
    (bad,) = local_store.read_jsonl_gz("quarantine/user_imports/extra.csv.jsonl.gz")
    assert "line 3" in bad["reason"]
    mat = result.asset_materializations_for_node("raw_user_imports")[0]
    assert mat.metadata["dagster/row_count"].value == 39 and mat.metadata["quarantined_rows"].value == 1
