"""The Spark session resource: local mode by default, a standalone cluster via ``SPARK_MASTER``.

The session starts lazily (the first asset that asks for it), is shared by every asset of
a run (the project runs steps in-process), and is stopped once when the run ends. If a
session is already active in the process (a test's session fixture, a notebook), it is
reused exactly as it is: no setting, checkpoint directory or environment variable of it is
changed, and it is left running. Whoever started a session configures and stops it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr


class SparkResource(dg.ConfigurableResource):
    """A lazily started SparkSession with sensible local settings."""

    master: str = Field(
        default="local[*]",
        description="Spark master URL: local[*] (default) or spark://host:7077 (env SPARK_MASTER).",
    )
    app_name: str = "offbeat"
    shuffle_partitions: int = Field(
        default=8, description="spark.sql.shuffle.partitions; small suits 2-core local runs."
    )
    driver_memory: str = "4g"
    executor_memory: str = "2g"
    checkpoint_dir: str = Field(
        default="data/spark-checkpoints",
        description="Where iterative algorithms (connected components) checkpoint lineage; "
        "a local directory, or s3a://... / hdfs://... that every executor of a cluster reaches.",
    )
    extra_conf: dict[str, str] = Field(
        default_factory=dict, description="Any other spark.* settings, passed through."
    )

    _session: Any = PrivateAttr(default=None)
    _owns_session: bool = PrivateAttr(default=False)

    def conf(self) -> dict[str, str]:
        conf = {
            "spark.app.name": self.app_name,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.default.parallelism": str(self.shuffle_partitions),
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.sql.session.timeZone": "UTC",
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.sql.adaptive.enabled": "true",
            "spark.sql.sources.partitionOverwriteMode": "dynamic",
            # Partition values are Dagster partition keys: keep them strings on read.
            "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
            "spark.sql.parquet.compression.codec": "snappy",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            # The status store backs no UI here (it is off) but keeps every finished query's
            # plan in the driver heap: 1,000 by default, which in one long-lived session (a
            # run of the whole graph, the test suite) adds up. Keep the last 50.
            "spark.sql.ui.retainedExecutions": "50",
            "spark.ui.retainedJobs": "200",
            "spark.ui.retainedStages": "200",
        }
        if self.master.startswith("local"):
            conf["spark.driver.host"] = os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")
            conf["spark.driver.bindAddress"] = os.environ.get("SPARK_LOCAL_IP", "127.0.0.1")
        conf.update(self.extra_conf)
        return conf

    def get_session(self):
        """The run's SparkSession, started on first use."""
        if self._session is None:
            from pyspark import SparkContext
            from pyspark.sql import SparkSession

            active = SparkSession.getActiveSession()
            if active is None and SparkContext._active_spark_context is not None:
                active = SparkSession.builder.getOrCreate()  # a session of another thread
            if active is not None:
                self._session, self._owns_session = active, False  # used as it is
            else:
                builder = SparkSession.builder.master(self.master)
                for k, v in self.conf().items():
                    builder = builder.config(k, v)
                session = builder.getOrCreate()
                sc = session.sparkContext
                sc.setLogLevel("ERROR")
                if not os.environ.get("PYSPARK_PYTHON"):
                    # Python workers must import pandas/pyarrow: this interpreter, set on
                    # our context only (the process environment is left alone).
                    sc.pythonExec = sys.executable
                if "://" in self.checkpoint_dir:  # s3a://, hdfs://: Spark creates it
                    sc.setCheckpointDir(self.checkpoint_dir)
                else:
                    os.makedirs(self.checkpoint_dir, exist_ok=True)
                    sc.setCheckpointDir(os.path.abspath(self.checkpoint_dir))
                self._session, self._owns_session = session, True
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.stop()

    def stop(self) -> None:
        if self._session is not None and self._owns_session:
            self._session.stop()
        self._session, self._owns_session = None, False
