"""Scenario: a partitioned warehouse table is re-written for one day; that day is replaced
(exactly one copy, even when the new data is empty) and the other days are untouched.
Runs on the shared local Spark session.
"""

from __future__ import annotations

import pytest

from resources.warehouse import Warehouse


def _rows(df):
    return sorted(tuple(r) for r in df.select("id", "v", "day").collect())


def test_rewriting_a_partition_replaces_only_that_partition(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    first = spark.createDataFrame(
        [(1, "a", "2024-01-01"), (2, "b", "2024-01-01"), (3, "c", "2024-01-02"), (4, "d", "2024-01-03")],
        "id int, v string, day string",
    )
    wh.write_partitions(first, "t", "day", ["2024-01-01", "2024-01-02", "2024-01-03"])
    assert wh.partitions(spark, "t", "day") == ["2024-01-01", "2024-01-02", "2024-01-03"]

    again = spark.createDataFrame([(5, "e", "2024-01-02"), (6, "f", "2024-01-02")], "id int, v string, day string")
    wh.write_partitions(again, "t", "day", ["2024-01-02"])
    wh.write_partitions(again, "t", "day", ["2024-01-02"])  # twice: still one copy

    assert _rows(wh.read(spark, "t")) == [
        (1, "a", "2024-01-01"),
        (2, "b", "2024-01-01"),
        (4, "d", "2024-01-03"),
        (5, "e", "2024-01-02"),
        (6, "f", "2024-01-02"),
    ]


def test_rewriting_a_partition_with_no_rows_empties_it(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    df = spark.createDataFrame([(1, "a", "d1"), (2, "b", "d2")], "id int, v string, day string")
    wh.write_partitions(df, "t", "day", ["d1", "d2"])
    empty = spark.createDataFrame([], "id int, v string, day string")
    wh.write_partitions(empty, "t", "day", ["d1"])
    assert _rows(wh.read(spark, "t")) == [(2, "b", "d2")]
    assert wh.partitions(spark, "t", "day") == ["d2"]


def test_unpartitioned_write_replaces_table_and_missing_table_is_a_clear_error(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    with pytest.raises(FileNotFoundError, match="materialise it first"):
        wh.read(spark, "absent")
    wh.write_table(spark.createDataFrame([(1,)], "x int"), "u")
    wh.write_table(spark.createDataFrame([(2,), (3,)], "x int"), "u")
    assert sorted(r.x for r in wh.read(spark, "u").collect()) == [2, 3]
