"""Asset jobs. Partitions come from the assets themselves (never set on the job).

One backfill policy per job (Dagster resolves a job's backfill to one policy): the landing
job validates one day per run; the fingerprint job fingerprints any number of days in one
run. Day-to-day chaining is declarative automation (assets/automation.py), not jobs.
"""

import dagster as dg

catalog_landing_job = dg.define_asset_job(
    "catalog_landing",
    selection=dg.AssetSelection.assets("raw_catalog"),
    description="Validate one landing day of the distributor catalog into the raw zone "
                "(one run per day; fingerprints and detection follow by automation).",
)
catalog_fingerprints_job = dg.define_asset_job(
    "catalog_fingerprints",
    selection=dg.AssetSelection.assets("track_fingerprints"),
    description="Fingerprint catalog days; a backfill over any number of days is one Spark run.",
)
catalog_detection_job = dg.define_asset_job(
    "catalog_detection",
    selection=dg.AssetSelection.assets(
        "label_reuse", "exempt_would_flag", "label_similarity", "audio_fingerprints", "audio_matches",
        "label_audio_similarity", "fraud_networks", "network_summary", "catalog_fraud_report",
    ),
    description="Label reuse, the Jaccard graph, audio re-uploads and fraud networks over all catalog history "
                "(runs by itself after new fingerprints; this job is for a manual refresh). label_reuse and "
                "label_similarity run as daily increments of the days landed since; run config full: true "
                "recomputes them over everything.",
)
plays_landing_job = dg.define_asset_job(
    "plays_landing",
    selection=dg.AssetSelection.assets("raw_plays"),
    description="Validate landing days of play logs into the plays table (the sensor starts one run per day; "
                "a backfill over any number of days is one Spark run; detection follows by automation).",
)
streams_detection_job = dg.define_asset_job(
    "streams_detection",
    selection=dg.AssetSelection.assets("stream_accounts", "track_streams", "label_stream_fraud",
                                       "stream_fraud_report"),
    description="Stream-fraud accounts, royalty plays per track and label, and the report over all plays "
                "(runs by itself after new plays; this job is for a manual refresh).",
)
user_crawl_job = dg.define_asset_job(
    "user_crawl", selection=dg.AssetSelection.assets("raw_users"),
    description="Crawl one user-id range; a backfill over ranges is the crawl.",
)
artist_crawl_job = dg.define_asset_job(
    "artist_crawl", selection=dg.AssetSelection.assets("raw_follow_graph", "raw_repost_timelines"),
    description="Crawl one artist's follower network and repost timelines.",
)
