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
    assert sorted(p.name for p in (tmp_path / "wh").iterdir()) == ["t"]  # no staging left behind


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


def _failing(df, column: str, bad_value):
    """``df`` whose evaluation raises in a task when it reaches the row with ``bad_value``."""
    from pyspark.sql import functions as F

    col = F.col(column)
    return df.withColumn(column, F.when(col == bad_value, F.raise_error(F.lit("injected failure"))).otherwise(col))


def _files(root):
    import os

    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_failed_partition_overwrite_leaves_the_old_partitions_readable(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    old = spark.createDataFrame(
        [(1, "a", "d1"), (2, "b", "d1"), (3, "c", "d2"), (4, "d", "d3")], "id int, v string, day string"
    )
    wh.write_partitions(old, "t", "day", ["d1", "d2", "d3"])
    before = _files(tmp_path / "wh")
    # Many rows over 4 tasks for d1 and d2: the tasks before the bad row write files, then the job fails.
    new = spark.range(0, 400, numPartitions=4).selectExpr(
        "cast(id as int) id", "'new' v", "if(id % 2 = 0, 'd1', 'd2') day"
    )
    with pytest.raises(Exception, match="injected failure"):
        wh.write_partitions(_failing(new, "id", 399), "t", "day", ["d1", "d2"])
    assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (2, "b", "d1"), (3, "c", "d2"), (4, "d", "d3")]
    assert _files(tmp_path / "wh") == before  # no staging leftovers, nothing half-swapped
    # and the same write without the failure replaces d1 and d2
    wh.write_partitions(new, "t", "day", ["d1", "d2"])
    got = wh.read(spark, "t")
    assert got.count() == 401 and _rows(got.where("day = 'd3'")) == [(4, "d", "d3")]


def test_failed_table_overwrite_leaves_the_old_table_readable(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    wh.write_table(spark.createDataFrame([(1,), (2,)], "x int"), "u")
    before = _files(tmp_path / "wh")
    new = spark.range(0, 400, numPartitions=4).selectExpr("cast(id as int) x")
    with pytest.raises(Exception, match="injected failure"):
        wh.write_table(_failing(new, "x", 399), "u")
    assert sorted(r.x for r in wh.read(spark, "u").collect()) == [1, 2]
    assert _files(tmp_path / "wh") == before


def test_partition_values_with_special_characters_round_trip(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    df = spark.createDataFrame([(1, "a", "2024-01-01T00:00"), (2, "b", "x y")], "id int, v string, day string")
    wh.write_partitions(df, "t", "day", ["2024-01-01T00:00", "x y"])
    wh.write_partitions(df.where("id = 1"), "t", "day", ["2024-01-01T00:00"])
    assert wh.partitions(spark, "t", "day") == ["2024-01-01T00:00", "x y"]
    assert _rows(wh.read(spark, "t")) == [(1, "a", "2024-01-01T00:00"), (2, "b", "x y")]


def test_staged_table_is_invisible_until_published_and_discard_keeps_the_old_table(spark, tmp_path):
    """Write-check-publish: the checks read the staged copy; readers see the old table until
    publish; a discarded (failed-check) stage leaves the old table and no staging files."""
    wh = Warehouse(uri=str(tmp_path / "wh"))
    wh.write_table(spark.createDataFrame([(1,), (2,)], "x int"), "u")
    before = _files(tmp_path / "wh")
    with wh.stage_table(spark.createDataFrame([(7,), (8,), (9,)], "x int"), "u") as staged:
        assert sorted(r.x for r in staged.read().collect()) == [7, 8, 9]
        assert sorted(r.x for r in wh.read(spark, "u").collect()) == [1, 2]
    # the block ended without publish (a failed blocking check): discarded
    assert staged.state == "discarded"
    assert sorted(r.x for r in wh.read(spark, "u").collect()) == [1, 2]
    assert _files(tmp_path / "wh") == before
    with pytest.raises(RuntimeError, match="already discarded"):
        staged.publish()

    with wh.stage_table(spark.createDataFrame([(7,), (8,)], "x int"), "u") as staged:
        assert staged.read().count() == 2
        staged.publish()
    assert sorted(r.x for r in wh.read(spark, "u").collect()) == [7, 8]
    assert sorted(p.name for p in (tmp_path / "wh").iterdir()) == ["u"]

    # an exception between stage and publish discards too
    with pytest.raises(ValueError), wh.stage_table(spark.createDataFrame([(0,)], "x int"), "u"):
        raise ValueError("check crashed")
    assert sorted(r.x for r in wh.read(spark, "u").collect()) == [7, 8]
    assert sorted(p.name for p in (tmp_path / "wh").iterdir()) == ["u"]


def test_staged_partitions_publish_only_their_partitions(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    wh.write_partitions(spark.createDataFrame([(1, "a", "d1"), (2, "b", "d2")], "id int, v string, day string"),
                        "t", "day", ["d1", "d2"])
    new = spark.createDataFrame([(3, "c", "d2"), (4, "d", "d3")], "id int, v string, day string")
    with wh.stage_partitions(new, "t", "day", ["d2"]) as staged:
        assert _rows(staged.read()) == [(3, "c", "d2"), (4, "d", "d3")]
        assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (2, "b", "d2")]
    assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (2, "b", "d2")]
    with wh.stage_partitions(new, "t", "day", ["d2"]) as staged:
        staged.publish()
    assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (3, "c", "d2"), (4, "d", "d3")]


def test_staged_writes_stand_in_reads_staged_copies_and_publishes_together(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    wh.write_partitions(spark.createDataFrame([(1, "a", "d1"), (2, "b", "d2")], "id int, v string, day string"),
                        "t", "day", ["d1", "d2"])
    with wh.staged_writes() as st:
        st.write_partitions(spark.createDataFrame([(3, "c", "d2")], "id int, v string, day string"), "t", "day", ["d2"])
        st.write_table(spark.createDataFrame([(9,)], "x int"), "u")
        assert _rows(st.read(spark, "t")) == [(1, "a", "d1"), (3, "c", "d2")]  # as it will be
        assert st.read(spark, "u").count() == 1 and not wh.exists(spark, "u")
        assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (2, "b", "d2")]  # readers: unchanged
    assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (2, "b", "d2")] and not wh.exists(spark, "u")
    with wh.staged_writes() as st:
        st.write_partitions(spark.createDataFrame([(3, "c", "d2")], "id int, v string, day string"), "t", "day", ["d2"])
        st.write_table(spark.createDataFrame([(9,)], "x int"), "u")
        st.publish()
    assert _rows(wh.read(spark, "t")) == [(1, "a", "d1"), (3, "c", "d2")] and wh.read(spark, "u").count() == 1
    assert sorted(p.name for p in (tmp_path / "wh").iterdir()) == ["t", "u"]
