"""Scenario: the JVM row features (Spark SQL, ``features_sql``) equal the Python reference
(``features.row_features``, which the scoring service runs) value for value: on the
hand-made users, on edge cases (unicode, empty, null, malformed URLs, suffix-list
wildcards) and on a few thousand simulator users; plain rows really take the JVM path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from assets.users import features, features_sql
from assets.users.config import DEFAULT_CONFIG, UsersConfig
from assets.users.load import users_from_api_objects
from simulator.users import user_dump
from tests.users.handmade import EDGE_USERS, FETCHED, USERS


def _norm(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_norm(x) for x in v]
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _column_diffs(ref, ours) -> dict:
    """Per column of ``ref``: up to three (user_id, reference, ours) rows that differ."""
    diffs = {}
    for c in ref.columns:
        a, b = [_norm(v) for v in ref[c]], [_norm(v) for v in ours[c]]
        bad = [(int(ref["user_id"][i]), x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if bad:
            diffs[c] = bad[:3]
    return diffs


def _compare(spark, users, config=DEFAULT_CONFIG):
    df = users_from_api_objects(spark, [{**u, "_fetched_at": FETCHED} for u in users]).persist()
    ours = features.jvm_row_features(df, config).toPandas().sort_values("user_id").reset_index(drop=True)
    ref = features.python_row_features(df, config).toPandas().sort_values("user_id").reset_index(drop=True)
    assert list(ours.columns) == [f.name for f in features.ROW_SCHEMA.fields]
    assert ours["user_id"].tolist() == ref["user_id"].tolist()
    diffs = _column_diffs(ref, ours)
    assert not diffs, diffs
    rows = features.row_input(df)
    plain = rows.select("user_id", features_sql._ascii_gate(rows).alias("plain")).toPandas()
    return plain.set_index("user_id")["plain"]


def test_handmade_edge_and_simulator_users_equal_the_reference(spark):
    sim, _ = user_dump(seed=23, n_users=2000, spam_share=0.3)
    sim = [s for s in sim if s["id"] > 1000]  # hand-made ids are small
    plain = _compare(spark, USERS + EDGE_USERS + sim)
    # ASCII users take the JVM path; accented, non-Latin, IDN and bracketed-host users do not
    assert plain[1] and plain[3] and plain[16] and plain[108] and plain[110] and plain[105]
    assert not plain[11] and not plain[104] and not plain[111] and not plain[107] and not plain[106]
    # most simulator users are plain (the JVM path does the work), some are not: both paths
    share = plain[[s["id"] for s in sim]].mean()
    assert 0.8 < share < 1.0


def test_config_lists_are_read(spark):
    config = UsersConfig(shorteners=("soundcloud.com",), link_hubs=("bit.ly",), free_tlds=("de",),
                         abused_tlds=("jp",), commercial_terms=("new beats", "new beats", "friday", "Müll"))
    _compare(spark, EDGE_USERS, config)


def test_inert_characters_are_stable():
    import unicodedata

    chars = features_sql.inert_chars()
    assert "🔥" in chars and "❤" in chars and "é" not in chars and "’" not in chars
    for c in chars:
        assert unicodedata.normalize("NFKC", "a" + c + "b") == "a" + c + "b"
        assert not c.isalnum() and not c.isspace()


def test_vectorised_pandas_baseline_equals_the_reference(spark):
    """bench.baselines.users_row_features (the column-wise pandas baseline of the users
    scale benchmark) computes the same values as the per-row reference."""
    from bench.baselines import users_row_features

    sim, _ = user_dump(seed=29, n_users=1500, spam_share=0.3)
    sim = [s for s in sim if s["id"] > 1000]
    config = UsersConfig(commercial_terms=("new beats", "new beats", "friday", "Müll", "booking"))
    df = users_from_api_objects(spark, [{**u, "_fetched_at": FETCHED} for u in USERS + EDGE_USERS + sim])
    pdf = features.row_input(df).toPandas()
    for cfg in (DEFAULT_CONFIG, config):
        ref = features.row_features(pdf, cfg)
        ours = users_row_features(pdf, cfg)
        assert list(ours.columns) == list(ref.columns)
        diffs = _column_diffs(ref, ours)
        assert not diffs, diffs
