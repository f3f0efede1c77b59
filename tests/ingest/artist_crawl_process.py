"""Child process for the artist kill tests: materialises one artist crawl asset until killed.

Arguments: store spec (JSON: ``{"kind": "local", "root": ...}`` or ``{"kind": "s3", ...}``
with the ``S3ObjectStore`` fields), simulator base URL, asset name, artist id, asset
config (JSON).
"""

import json
import sys

import dagster as dg

from assets.ingest.assets import raw_follow_graph, raw_repost_timelines
from assets.partitions import artists
from resources.object_store import LocalObjectStore, S3ObjectStore
from resources.platform_api import PlatformAPI

spec, base_url, asset_name, artist, config = sys.argv[1:6]
spec = json.loads(spec)
store = LocalObjectStore(root=spec["root"]) if spec.pop("kind") == "local" else S3ObjectStore(**spec)
asset = {"raw_follow_graph": raw_follow_graph, "raw_repost_timelines": raw_repost_timelines}[asset_name]
instance = dg.DagsterInstance.ephemeral()
instance.add_dynamic_partitions(artists.name, [artist])
result = dg.materialize(
    [asset],
    partition_key=artist,
    instance=instance,
    resources={"object_store": store,
               "platform_api": PlatformAPI(base_url=base_url, client_id="kill-test-client", concurrency=8)},
    run_config={"ops": {asset_name: {"config": json.loads(config)}}},
)
print("DONE", result.success, flush=True)
