"""Child process: run the catalog detection chain on a given Spark master, write the tables.

argv: master tracks_parquet out_dir
"""

import sys

from assets.catalog.detect import detect
from resources.spark import SparkResource

master, tracks_path, out = sys.argv[1:4]
spark = SparkResource(master=master, shuffle_partitions=4, driver_memory="1g", executor_memory="1g",
                      checkpoint_dir=f"{out}/_checkpoints").get_session()
tables = detect(spark.read.parquet(tracks_path))
for name in ("label_reuse", "label_similarity", "fraud_networks", "network_summary"):
    tables[name].write.mode("overwrite").parquet(f"{out}/{name}")
print("STANDALONE OK", spark.sparkContext.master, flush=True)
spark.stop()
