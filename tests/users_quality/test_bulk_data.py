"""The numpy raw-user generator of the scale benchmark agrees with the simulator."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq

from bench._users_data import bulk_columns, write_bulk_users
from simulator import population as P


def test_bulk_columns_match_the_population():
    cols = bulk_columns(3, 1, 30_000)
    ids = cols["id"]
    assert np.array_equal(cols["codes"], P.class_codes(3, ids)) and (cols["codes"] != P.DEAD).all()
    assert np.array_equal(cols["variants"], P.variant_codes(3, ids))
    sample = ids[:: 97]
    idx = np.searchsorted(ids, sample)
    assert [P.track_count(3, int(i)) for i in sample] == cols["track_count"][idx].tolist()
    plans = {"free": "free", "pro": "creator-pro", "pro_unlimited": "creator-pro-unlimited"}
    assert [plans[P.plan(3, int(i))] for i in sample] == cols["plan"][idx].tolist()
    created = cols["created_at"][idx].tolist()
    assert created == [P.iso(P.created_at(3, int(i))) for i in sample]
    porn = (cols["codes"] == P.PORN) & (cols["variants"] == P.NORMAL)
    assert np.mean((cols["followings_count"][porn] >= 250) & (cols["followings_count"][porn] <= 350)) > 0.9
    fake = cols["codes"] == P.FAKE
    start = P.fake_batch_start(3, ids[fake])
    same = {}
    for s, d, c in zip(start, cols["description"][fake], cols["created_at"][fake], strict=True):
        same.setdefault(s, set()).add((d, c))
    assert all(len(v) == 1 for v in same.values())  # a batch: one description, one second


def test_bulk_parquet_is_cached_and_complete(tmp_path):
    out, live = write_bulk_users(tmp_path, 4, 20_000, chunk_ids=9_000)
    t = pq.read_table(out)
    assert t.num_rows == live and 19_000 < live < 21_000
    assert t.column("id").to_pylist() == sorted(set(t.column("id").to_pylist()))
    assert {"id", "status", "fetched_at", "user", "web_profiles"} <= set(t.column_names)
    assert write_bulk_users(tmp_path, 4, 20_000) == (out, live)
