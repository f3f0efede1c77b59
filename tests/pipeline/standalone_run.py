"""Child process: run the catalog detection chain on a given Spark master, write the tables.

argv: master tracks_parquet out_dir
"""

import sys
import time

from assets.catalog.detect import detect
from resources.spark import SparkResource
from resources.warehouse import Warehouse

TABLES = ("label_reuse", "label_similarity", "fraud_networks", "network_summary")

master, tracks_path, out = sys.argv[1:4]
started = time.monotonic()
spark = SparkResource(
    master=master, shuffle_partitions=2, driver_memory="1g", executor_memory="1g",
    checkpoint_dir=f"{out}/_checkpoints",
    extra_conf={"spark.sql.warehouse.dir": f"{out}/_spark-warehouse", "spark.cores.max": "2"},
).get_session()
print(f"session {time.monotonic() - started:.1f}s", flush=True)
tables = detect(spark.read.parquet(tracks_path), warehouse=Warehouse(uri=f"{out}/_warehouse"))
for name in TABLES:
    tables[name].write.mode("overwrite").parquet(f"{out}/{name}")
print(f"detect {time.monotonic() - started:.1f}s", flush=True)
print("STANDALONE OK", spark.sparkContext.master, flush=True)
spark.stop()
