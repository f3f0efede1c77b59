"""Run config of the catalog detection assets that run as daily increments (label_reuse,
label_similarity; assets/catalog/increment.py)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from assets.catalog.increment import DEFAULT_MAX_ORDER_DRIFT


class IncrementConfig(dg.Config):
    full: bool = Field(
        default=False,
        description="Recompute over all catalog history instead of the daily increment (which updates only "
                    "the labels of the days landed or re-landed since the last run, and equals the full "
                    "result). The full run also rebuilds the increment's state; it runs anyway when that "
                    "state is missing or the rules changed.")


class SimilarityIncrementConfig(IncrementConfig):
    max_order_drift: float = Field(
        default=DEFAULT_MAX_ORDER_DRIFT,
        description="The frozen token order and prefix index are rebuilt when the index entries whose "
                    "fingerprint the order has not seen reach this share of the index (they rank as rarest, "
                    "so they enter prefixes and only add candidates to verify; the edges stay exact).")
