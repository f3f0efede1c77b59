"""Declarative automation shared by every asset that follows its inputs.

The automation condition sensor (orchestration/definitions.py, running by default)
evaluates these conditions; no run-status sensor chains the work.

- ``ON_UPSTREAM_UPDATE``: for non-partitioned downstream assets (catalog detection, users,
  network, reports). Runs the asset ONCE after any input updated, when no input is still
  being written by a run or a backfill and every blocking check of the inputs passed (or
  runs in the same request). A backfill of N days of a partitioned input therefore causes
  one run after the backfill, not one per day. Missing partitions of a partitioned input do
  not hold it back (only a few days of a long daily range ever exist); a missing
  non-partitioned input does (unless it runs in the same request).
- ``ON_UPSTREAM_DAY_UPDATE``: for a partitioned asset whose input has the same partitions
  (``track_fingerprints`` after ``raw_catalog``): each partition follows its input partition,
  on any day, not only the latest one (``eager()`` targets only the latest time window).
  Days that become ready on one tick are requested together, so a single-run backfill
  policy fingerprints them in one run.
"""

from __future__ import annotations

import dagster as dg

AC = dg.AutomationCondition

# Inputs without partitions. A non-partitioned input requested on the same tick runs in the
# same run (so a chain of them runs as one run, in order); a partitioned input requested on
# the same tick would run in a separate run (or backfill), so the asset waits until that
# input has actually updated instead of racing it.
UNPARTITIONED = dg.AssetSelection.from_string("partitions:none")

_UNPARTITIONED_INPUT_REQUESTED = (
    AC.any_deps_match(AC.will_be_requested()).allow(UNPARTITIONED).with_label("any_unpartitioned_dep_requested")
)


def _inputs_updated(not_triggered_by: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """Some input updated since the last tick (by a run that did not also run this asset)."""
    updated = AC.any_deps_match(
        (AC.newly_updated() & ~AC.executed_with_root_target()).with_label("newly_updated_without_root"))
    if not_triggered_by is not None:
        updated = updated.ignore(not_triggered_by)
    return updated.with_label("any_deps_updated")


def on_upstream_update(not_triggered_by: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """``ON_UPSTREAM_UPDATE``; with ``not_triggered_by``, updates of those inputs alone do not
    start the asset (an input that another input is always derived from: ``audio_fingerprints``
    reads ``raw_catalog`` and ``track_fingerprints``, which follows every landed day in a run
    of its own; triggered by the day too, it would run once on the day and again after the
    fingerprints)."""
    updated = _inputs_updated(not_triggered_by)
    return (
        (updated | _UNPARTITIONED_INPUT_REQUESTED).since_last_handled()
        & ~AC.any_deps_missing().allow(UNPARTITIONED)
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
        & AC.all_deps_blocking_checks_passed()
    ).with_label("on_upstream_update")


ON_UPSTREAM_UPDATE = on_upstream_update()

ON_UPSTREAM_DAY_UPDATE = (
    AC.any_deps_updated().since_last_handled()
    & ~AC.any_deps_missing()
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
    & AC.all_deps_blocking_checks_passed()
).with_label("on_upstream_day_update")
