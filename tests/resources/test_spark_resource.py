"""Scenario: a SparkResource meets a session it did not create (the test session, a
notebook's) and leaves it exactly as it was: same checkpoint directory, same settings, same
process environment, still running after a Dagster run that used it ends.
"""

from __future__ import annotations

import os

import dagster as dg

from resources.spark import SparkResource


def _state(spark):
    sc = spark.sparkContext
    return {
        "checkpoint": sc.getCheckpointDir(),
        "python": sc.pythonExec,
        "shuffle": spark.conf.get("spark.sql.shuffle.partitions"),
        "env": dict(os.environ),
    }


def test_a_session_it_did_not_create_is_left_as_it_was(spark, tmp_path, monkeypatch):
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    monkeypatch.delenv("PYSPARK_DRIVER_PYTHON", raising=False)
    before = _state(spark)
    other = tmp_path / "other-checkpoints"
    resource = SparkResource(master="local[1]", shuffle_partitions=7, checkpoint_dir=str(other))
    assert resource.get_session() is spark
    resource.stop()
    assert _state(spark) == before
    assert not other.exists()
    assert spark.range(3).count() == 3  # still running

    @dg.asset
    def uses_spark(spark: SparkResource) -> int:
        return spark.get_session().range(5).count()

    result = dg.materialize([uses_spark], resources={"spark": resource})
    assert result.success and result.output_for_node("uses_spark") == 5
    assert _state(spark) == before and not other.exists()
    assert spark.range(3).count() == 3  # the run's teardown did not stop it
