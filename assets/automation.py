"""Declarative automation shared by every asset that follows its inputs.

The automation condition sensor (orchestration/definitions.py, running by default)
evaluates these conditions; no run-status sensor chains the work.

- ``ON_UPSTREAM_UPDATE``: for non-partitioned downstream assets (catalog detection, users,
  network, reports). Runs the asset ONCE after any input updated, when no input is still
  being written by a run or a backfill and every blocking check of the inputs passed (or
  runs in the same request). A backfill of N days of a partitioned input therefore causes
  one run after the backfill, not one per day. Missing partitions of a partitioned input do
  not hold it back (only a few days of a long daily range ever exist).
- ``ON_UPSTREAM_DAY_UPDATE``: for a partitioned asset whose input has the same partitions
  (``track_fingerprints`` after ``raw_catalog``): each partition follows its input partition,
  on any day, not only the latest one (``eager()`` targets only the latest time window).
  Days that become ready on one tick are requested together, so a single-run backfill
  policy fingerprints them in one run.
"""

from __future__ import annotations

import dagster as dg

AC = dg.AutomationCondition

ON_UPSTREAM_UPDATE = (
    AC.any_deps_updated().since_last_handled()
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
    & AC.all_deps_blocking_checks_passed()
).with_label("on_upstream_update")

ON_UPSTREAM_DAY_UPDATE = (
    AC.any_deps_updated().since_last_handled()
    & ~AC.any_deps_missing()
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
    & AC.all_deps_blocking_checks_passed()
).with_label("on_upstream_day_update")
