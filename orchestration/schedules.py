"""Schedules: the daily catalog chain and the weekly crawl refresh."""

import dagster as dg

from assets.partitions import artists, user_id_ranges
from orchestration.jobs import artist_crawl_job, catalog_daily_job, user_crawl_job

catalog_daily_schedule = dg.build_schedule_from_partitioned_job(
    catalog_daily_job, hour_of_day=2, minute_of_hour=0, description="Yesterday's catalog drop, daily at 02:00 UTC."
)


@dg.schedule(job=artist_crawl_job, cron_schedule="0 3 * * 1", execution_timezone="UTC")
def weekly_artist_crawl_refresh(context: dg.ScheduleEvaluationContext):
    """Every Monday: re-crawl the network and repost timelines of every watched artist."""
    for key in context.instance.get_dynamic_partitions(artists.name):
        yield dg.RunRequest(run_key=f"{key}-{context.scheduled_execution_time:%Y%m%d}", partition_key=key)


@dg.schedule(job=user_crawl_job, cron_schedule="0 4 * * 1", execution_timezone="UTC")
def weekly_user_crawl_refresh(context: dg.ScheduleEvaluationContext):
    """Every Monday: re-crawl every known user-id range (the run queue bounds concurrency)."""
    for key in context.instance.get_dynamic_partitions(user_id_ranges.name):
        yield dg.RunRequest(run_key=f"{key}-{context.scheduled_execution_time:%Y%m%d}", partition_key=key)
