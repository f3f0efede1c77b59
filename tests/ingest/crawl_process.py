"""Child process for the kill test: crawls one user range into a local store until killed."""

import sys

import dagster as dg

from assets.ingest.assets import raw_users
from resources.object_store import LocalObjectStore
from resources.platform_api import PlatformAPI

root, base_url, key = sys.argv[1:4]
instance = dg.DagsterInstance.ephemeral()
instance.add_dynamic_partitions("user_id_ranges", [key])
result = dg.materialize(
    [raw_users],
    partition_key=key,
    instance=instance,
    resources={
        "object_store": LocalObjectStore(root=root),
        "platform_api": PlatformAPI(base_url=base_url, client_id="kill-test-client", concurrency=8, max_retries=12),
    },
    run_config={"ops": {"raw_users": {"config": {"chunk_size": 50, "chunks_in_flight": 1}}}},
)
print("DONE", result.success, flush=True)
