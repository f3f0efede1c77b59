"""Child process for the user-crawl kill tests: crawls one user range until killed.

Arguments: store spec (JSON: ``{"kind": "local", "root": ...}`` or ``{"kind": "s3", ...}``
with the ``S3ObjectStore`` fields), simulator base URL, range key.
"""

import json
import sys

import dagster as dg

from assets.ingest.assets import raw_users
from resources.object_store import LocalObjectStore, S3ObjectStore
from resources.platform_api import PlatformAPI

spec, base_url, key = sys.argv[1:4]
spec = json.loads(spec)
store = LocalObjectStore(root=spec["root"]) if spec.pop("kind") == "local" else S3ObjectStore(**spec)
instance = dg.DagsterInstance.ephemeral()
instance.add_dynamic_partitions("user_id_ranges", [key])
result = dg.materialize(
    [raw_users],
    partition_key=key,
    instance=instance,
    resources={
        "object_store": store,
        "platform_api": PlatformAPI(base_url=base_url, client_id="kill-test-client", concurrency=8, max_retries=12),
    },
    run_config={"ops": {"raw_users": {"config": {"chunk_size": 50, "chunks_in_flight": 1}}}},
)
print("DONE", result.success, flush=True)
