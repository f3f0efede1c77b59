"""Asset jobs. Partitions come from the assets themselves (never set on the job)."""

import dagster as dg

catalog_daily_job = dg.define_asset_job(
    "catalog_daily",
    selection=dg.AssetSelection.assets("raw_catalog", "track_fingerprints"),
    description="Validate one landing day into the raw zone and fingerprint its tracks.",
)
catalog_detection_job = dg.define_asset_job(
    "catalog_detection",
    selection=dg.AssetSelection.assets(
        "label_reuse", "label_similarity", "fraud_networks", "network_summary", "catalog_fraud_report"
    ),
    description="Label reuse, the Jaccard graph and fraud networks over all catalog history.",
)
user_crawl_job = dg.define_asset_job(
    "user_crawl", selection=dg.AssetSelection.assets("raw_users"),
    description="Crawl one user-id range; a backfill over ranges is the crawl.",
)
artist_crawl_job = dg.define_asset_job(
    "artist_crawl", selection=dg.AssetSelection.assets("raw_follow_graph", "raw_repost_timelines"),
    description="Crawl one artist's follower network and repost timelines.",
)
