"""Child process: the stream chain (ingest one landing day, detect, money) on a given Spark
master; writes its tables under out_dir.

argv: master lake_dir day out_dir
"""

import sys
import time

from resources.spark import SparkResource
from tests.streams.chain import run_chain

master, lake, day, out = sys.argv[1:5]
started = time.monotonic()
spark = SparkResource(
    master=master, shuffle_partitions=2, driver_memory="1g", executor_memory="1g",
    checkpoint_dir=f"{out}/_checkpoints",
    extra_conf={"spark.sql.warehouse.dir": f"{out}/_spark-warehouse", "spark.cores.max": "2"},
).get_session()
print(f"session {time.monotonic() - started:.1f}s", flush=True)
run_chain(spark, lake, day, out)
print(f"chain {time.monotonic() - started:.1f}s", flush=True)
print("STANDALONE OK", spark.sparkContext.master, flush=True)
spark.stop()
