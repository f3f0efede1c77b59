"""The warehouse: Parquet tables written by Spark under ``warehouse_uri``.

``warehouse_uri`` is a local directory by default; on a cluster with hadoop-aws it can be
``s3a://bucket/warehouse`` (paths go through Hadoop's FileSystem API, so the same code
serves both). A partitioned write replaces exactly the partitions it is told about, even
when the new data for a partition is empty, and leaves every other partition untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import dagster as dg
from pydantic import Field


def _is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


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

    def write_table(self, df, table: str) -> str:
        """Replace the whole (unpartitioned) table."""
        uri = self.table_uri(table)
        df.write.mode("overwrite").parquet(uri)
        return uri

    def write_partitions(
        self, df, table: str, partition_column: str, partition_values: Iterable[str]
    ) -> str:
        """Replace the given partitions of ``table`` with the rows of ``df``.

        Every value in ``partition_values`` is cleared first (so a partition whose new data
        is empty ends up empty, not stale); rows of ``df`` must belong to those partitions.
        Other partitions are untouched.
        """
        values = [str(v) for v in partition_values]
        uri = self.table_uri(table)
        spark = df.sparkSession
        for value in values:
            fs, path = self._fs_path(spark, f"{uri}/{partition_column}={value}")
            if fs.exists(path):
                fs.delete(path, True)
        (
            df.write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy(partition_column)
            .parquet(uri)
        )
        return uri

    def partitions(self, spark, table: str, partition_column: str) -> list[str]:
        """The partition values present in a table, sorted."""
        if not self.exists(spark, table):
            return []
        fs, path = self._fs_path(spark, self.table_uri(table))
        prefix = f"{partition_column}="
        out = []
        for status in fs.listStatus(path):
            name = status.getPath().getName()
            if status.isDirectory() and name.startswith(prefix):
                out.append(name[len(prefix) :])
        return sorted(out)
