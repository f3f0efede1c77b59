"""The code location: every asset, check, job, schedule, sensor and resource of Offbeat."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from assets.catalog import assets as catalog_assets
from assets.catalog import audio_assets
from assets.freshness import with_freshness
from assets.ingest import assets as ingest_assets
from assets.network import assets as network_assets
from assets.reports import assets as report_assets
from assets.streams import assets as streams_assets
from assets.users import assets as users_assets
from orchestration import jobs, schedules, sensors
from resources.environment import build_resources

ASSET_MODULES = [ingest_assets, catalog_assets, audio_assets, report_assets, network_assets, users_assets, streams_assets]


def build_defs(environ: Mapping[str, str] | None = None) -> dg.Definitions:
    """Definitions with resources chosen from ``environ`` (default: the process environment)."""
    return dg.Definitions(
        assets=dg.map_asset_specs(with_freshness, dg.load_assets_from_modules(ASSET_MODULES)),
        asset_checks=dg.load_asset_checks_from_modules(ASSET_MODULES),
        jobs=[jobs.catalog_landing_job, jobs.catalog_fingerprints_job, jobs.catalog_detection_job,
              jobs.user_crawl_job, jobs.artist_crawl_job, jobs.plays_landing_job, jobs.streams_detection_job],
        schedules=[schedules.catalog_daily_schedule],
        sensors=[sensors.landing_catalog_sensor, sensors.artist_watchlist_sensor, sensors.weekly_artist_recrawl,
                 sensors.weekly_user_recrawl, sensors.automation_sensor, sensors.landing_plays_sensor],
        resources=build_resources(environ),
        # One process per run: the Spark session is started once and shared by all assets.
        executor=dg.in_process_executor,
    )


defs = build_defs()
