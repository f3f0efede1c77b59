"""The warehouse: Parquet tables written by Spark under ``warehouse_uri``.

``warehouse_uri`` is a local directory by default; on a cluster with hadoop-aws it can be
``s3a://bucket/warehouse`` (paths go through Hadoop's FileSystem API, so the same code
serves both). A partitioned write replaces exactly the partitions it is told about, even
when the new data for a partition is empty, and leaves every other partition untouched.

Overwrites are write-beside-then-swap: the new data is written in full to a staging
directory (``<warehouse_uri>/.staging/<table>-<id>``) and only then renamed into place, so
a write that fails (a task error, a killed driver) leaves the previous table or partition
readable and untouched; the staging directory is removed either way.

Write-check-publish (for tables guarded by blocking checks): ``stage_table`` /
``stage_partitions`` write the new data beside the table and return a ``StagedTable``
handle without touching the table; the checks read the staged copy (``handle.read()``);
``handle.publish()`` swaps it in, ``handle.discard()`` removes it. A handle is also a
context manager that discards whatever was not published when the block ends, so a
failing check (or an exception) leaves the previous table readable::

    with warehouse.stage_table(df, "follow_edges") as staged:
        out = staged.read()
        passed = run_checks(out)
        ...  # metadata from ``out`` (a staged copy is gone once published)
        if passed:
            staged.publish()

For code that writes several tables through the warehouse interface (a stage runner, a
multi-table asset), ``warehouse.staged_writes()`` is a stand-in for the warehouse whose
``write_table`` / ``write_partitions`` stage instead, whose ``read`` sees the staged
copies (a staged partition replaces the published one), and whose ``publish()`` swaps
every staged table in; leaving the block discards what was not published.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg
from pydantic import Field


def _is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


@dataclass
class StagedTable:
    """New data for ``table`` written beside it (``uri``), not yet visible to readers.

    ``partitions`` is None for a whole-table replacement, else the partition directory
    names (``column=value``) that ``publish`` replaces. Use through ``Warehouse.stage_*``.
    """

    warehouse: Warehouse
    spark: object
    table: str
    uri: str
    partitions: list[str] | None = None
    state: str = field(default="staged")  # staged | published | discarded

    def read(self):
        """The staged rows as a DataFrame (what the blocking checks look at). Compute what
        you need from it before ``publish``: the staged directory moves into the table."""
        if self.state != "staged":
            raise RuntimeError(f"staged copy of {self.table!r} is already {self.state}")
        return self.spark.read.option("basePath", self.uri).parquet(self.uri)

    def publish(self) -> str:
        """Swap the staged copy in (the whole table, or just its partitions); returns the table URI."""
        if self.state != "staged":
            raise RuntimeError(f"staged copy of {self.table!r} is already {self.state}")
        wh, spark, target = self.warehouse, self.spark, self.warehouse.table_uri(self.table)
        try:
            if self.partitions is None:
                wh._swap_in(spark, self.uri, target)
            else:
                for name in self.partitions:
                    wh._swap_in(spark, f"{self.uri}/{name}", f"{target}/{name}")
                wh._fs_path(spark, target)[0].mkdirs(wh._fs_path(spark, target)[1])  # exists even if empty
        finally:
            self.state = "published"
            wh._remove(spark, self.uri)
        return target

    def discard(self) -> None:
        """Remove the staged copy; the table is untouched. Idempotent; a no-op once published."""
        if self.state == "staged":
            self.state = "discarded"
            self.warehouse._remove(self.spark, self.uri)

    def __enter__(self) -> StagedTable:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


class StagedWrites:
    """The warehouse interface with writes staged until ``publish`` (``Warehouse.staged_writes``)."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.staged: dict[str, StagedTable] = {}
        self._partition_column: dict[str, str] = {}

    def table_uri(self, table: str) -> str:
        return self.warehouse.table_uri(table)

    def exists(self, spark, table: str) -> bool:
        return table in self.staged or self.warehouse.exists(spark, table)

    def write_table(self, df, table: str) -> str:
        self._replace(table, self.warehouse.stage_table(df, table))
        return self.table_uri(table)

    def write_partitions(self, df, table: str, partition_column: str, partition_values: Iterable[str]) -> str:
        self._replace(table, self.warehouse.stage_partitions(df, table, partition_column, partition_values))
        self._partition_column[table] = partition_column
        return self.table_uri(table)

    def _replace(self, table: str, staged: StagedTable) -> None:
        if table in self.staged:
            self.staged[table].discard()
        self.staged[table] = staged

    def read(self, spark, table: str):
        """The table as it will be once published: the staged copy, or for staged partitions
        the published table with those partitions replaced by the staged ones."""
        staged = self.staged.get(table)
        if staged is None:
            return self.warehouse.read(spark, table)
        new = staged.read()
        if staged.partitions is None or not self.warehouse.exists(spark, table):
            return new
        from pyspark.sql import functions as F

        column = self._partition_column[table]
        unescape = spark.sparkContext._jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.unescapePathName
        replaced = [unescape(name.split("=", 1)[1]) for name in staged.partitions]
        old = self.warehouse.read(spark, table)
        return old.where(~F.col(column).cast("string").isin(replaced)).unionByName(new, allowMissingColumns=True)

    def partitions(self, spark, table: str, partition_column: str) -> list[str]:
        values = set(self.warehouse.partitions(spark, table, partition_column))
        if table in self.staged and self.staged[table].partitions is not None:
            values |= {str(r[0]) for r in self.staged[table].read().select(partition_column).distinct().collect()}
        return sorted(values)

    def publish(self) -> None:
        """Swap every staged table in (in the order they were written)."""
        for staged in self.staged.values():
            if staged.state == "staged":
                staged.publish()

    def discard(self) -> None:
        for staged in self.staged.values():
            staged.discard()

    def __enter__(self) -> StagedWrites:
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


class Warehouse(dg.ConfigurableResource):
    """Parquet tables, one directory per table (``<warehouse_uri>/<table>``)."""

    uri: str = Field(
        default="data/warehouse",
        description="Local directory (default) or s3a://bucket/prefix on a cluster with hadoop-aws.",
    )

    def table_uri(self, table: str) -> str:
        if _is_local(self.uri):
            return os.path.abspath(os.path.join(self.uri.removeprefix("file://"), table))
        return f"{self.uri.rstrip('/')}/{table}"

    def _fs_path(self, spark, uri: str):
        jvm = spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path

    def exists(self, spark, table: str) -> bool:
        fs, path = self._fs_path(spark, self.table_uri(table))
        return bool(fs.exists(path))

    def read(self, spark, table: str):
        """The whole table as a DataFrame (partition columns included)."""
        uri = self.table_uri(table)
        if not self.exists(spark, table):
            raise FileNotFoundError(
                f"warehouse table {table!r} does not exist at {uri}: materialise it first"
            )
        return spark.read.option("basePath", uri).parquet(uri)

    def _staging_uri(self, table: str) -> str:
        root = os.path.dirname(self.table_uri(table)) if _is_local(self.uri) else self.uri.rstrip("/")
        return f"{root}/.staging/{table}-{uuid.uuid4().hex}"

    def _swap_in(self, spark, staged_uri: str, target_uri: str) -> None:
        """Replace ``target_uri`` with ``staged_uri`` (old copy moved aside, then removed)."""
        fs, target = self._fs_path(spark, target_uri)
        _, staged = self._fs_path(spark, staged_uri)
        jvm = spark.sparkContext._jvm
        aside = None
        if fs.exists(target):
            aside = jvm.org.apache.hadoop.fs.Path(f"{staged_uri}.old")
            if not fs.rename(target, aside):
                raise OSError(f"could not move {target_uri} aside to replace it")
        if fs.exists(staged):
            fs.mkdirs(target.getParent())
            if not fs.rename(staged, target):
                if aside is not None:  # put the previous copy back
                    fs.rename(aside, target)
                raise OSError(f"could not move the new copy {staged_uri} to {target_uri}")
        if aside is not None:
            fs.delete(aside, True)

    def _remove(self, spark, uri: str) -> None:
        """Delete a staging directory, and ``.staging`` itself once nothing else is in it."""
        fs, path = self._fs_path(spark, uri)
        if fs.exists(path):
            fs.delete(path, True)
        parent = path.getParent()
        try:
            if fs.exists(parent) and len(fs.listStatus(parent)) == 0:
                fs.delete(parent, False)  # fails harmlessly if another write just started
        except Exception:  # noqa: BLE001 - best-effort tidy-up
            pass

    def staged_writes(self) -> StagedWrites:
        """A stand-in for this warehouse whose writes are staged until ``publish()``."""
        return StagedWrites(self)

    def stage_table(self, df, table: str) -> StagedTable:
        """Write ``df`` beside ``table`` as its next whole copy; nothing readers see changes
        until ``publish``. A failed write leaves nothing staged (and raises)."""
        spark = df.sparkSession
        staged = self._staging_uri(table)
        try:
            df.write.mode("overwrite").parquet(staged)
        except BaseException:
            self._remove(spark, staged)
            raise
        return StagedTable(self, spark, table, staged)

    def stage_partitions(self, df, table: str, partition_column: str, partition_values: Iterable[str]) -> StagedTable:
        """Write ``df`` beside ``table`` as the next copy of the given partitions (see
        ``write_partitions``); ``publish`` replaces exactly those partitions."""
        spark = df.sparkSession
        jvm = spark.sparkContext._jvm
        escape = jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.escapePathName
        names = {f"{partition_column}={escape(str(v))}" for v in partition_values}
        staged = self._staging_uri(table)
        try:
            df.write.mode("overwrite").partitionBy(partition_column).parquet(staged)
            fs, staged_path = self._fs_path(spark, staged)
            listing = fs.listStatus(staged_path) if fs.exists(staged_path) else []
            for status in listing:
                name = status.getPath().getName()
                if status.isDirectory() and name.startswith(f"{partition_column}="):
                    names.add(name)
        except BaseException:
            self._remove(spark, staged)
            raise
        return StagedTable(self, spark, table, staged, sorted(names))

    def write_table(self, df, table: str) -> str:
        """Replace the whole (unpartitioned) table; a failed write leaves the old one."""
        with self.stage_table(df, table) as staged:
            return staged.publish()

    def write_partitions(
        self, df, table: str, partition_column: str, partition_values: Iterable[str]
    ) -> str:
        """Replace the given partitions of ``table`` with the rows of ``df``.

        Every value in ``partition_values`` is replaced (so a partition whose new data is
        empty ends up empty, not stale), as is any other partition ``df`` has rows for.
        The rows are written beside the table first; only when that write has succeeded
        are the partitions swapped in. Other partitions are untouched.
        """
        with self.stage_partitions(df, table, partition_column, partition_values) as staged:
            return staged.publish()

    def partitions(self, spark, table: str, partition_column: str) -> list[str]:
        """The partition values present in a table, sorted."""
        if not self.exists(spark, table):
            return []
        fs, path = self._fs_path(spark, self.table_uri(table))
        prefix = f"{partition_column}="
        unescape = spark.sparkContext._jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.unescapePathName
        out = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isDirectory() and name.startswith(prefix):
                out.append(unescape(name[len(prefix) :]))
        return sorted(out)
