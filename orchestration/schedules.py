"""Schedules: yesterday's catalog drop at 02:00 UTC (a safety net beside the landing sensor)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.jobs import catalog_landing_job
from orchestration.landing import already_requested, landing_days, landing_run_request
from resources.object_store import ObjectStore


@dg.schedule(job=catalog_landing_job, cron_schedule="0 2 * * *", execution_timezone="UTC")
def catalog_daily_schedule(context: dg.ScheduleEvaluationContext, object_store: ObjectStore):
    """Daily at 02:00 UTC: validate yesterday's landing files unless the landing sensor
    already requested the same files (both tag the run with the day's file digest)."""
    day = (context.scheduled_execution_time.astimezone(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    digest = landing_days(object_store, day).get(day)
    if digest is None:
        return dg.SkipReason(f"no landing files for {day} yet (landing/catalog/date={day}/)")
    if already_requested(context.instance, catalog_landing_job.name, day, digest):
        return dg.SkipReason(f"{day} already requested with the same files (landing sensor)")
    return landing_run_request(day, digest)
