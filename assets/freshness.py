"""Freshness policies of the tables and reports analysts read (shown per asset in the UI).

Catalog detection follows the daily landing (a day late is a warning, more is a failure);
the spam, bot and maven tables follow the weekly re-crawls. Applied to the asset specs
when the Definitions are built (``orchestration/definitions.py``).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

DAILY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=48), warn_window=timedelta(hours=26))
WEEKLY = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=9), warn_window=timedelta(days=8))

ANALYST_TABLES: dict[str, dg.FreshnessPolicy] = {
    "label_reuse": DAILY,
    "fraud_networks": DAILY,
    "network_summary": DAILY,
    "catalog_fraud_report": DAILY,
    "spam_scores": WEEKLY,
    "population_overview": WEEKLY,
    "spam_report": WEEKLY,
    "platform_overview_report": WEEKLY,
    "follow_bots": WEEKLY,
    "clean_counts": WEEKLY,
    "maven_candidates": WEEKLY,
    "network_report": WEEKLY,
}


def with_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec with its analyst-facing freshness policy, if it has one."""
    policy = ANALYST_TABLES.get(spec.key.to_user_string())
    return spec.replace_attributes(freshness_policy=policy) if policy is not None else spec
