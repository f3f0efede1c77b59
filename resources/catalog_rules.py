"""The catalog-detection thresholds and lists, as one configurable resource (run config)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from resources.catalog_contract import (
    DEFAULT_EXEMPT_GENRES,
    DEFAULT_MAJOR_DISTRIBUTORS,
    CatalogRules,
)


class CatalogRulesResource(dg.ConfigurableResource):
    """DESIGN.md "Contract: catalog detection"; every field defaults to the contract's value."""

    min_title_tokens: int = Field(default=2, description="Fewer fingerprint tokens: not eligible.")
    min_albums_per_fingerprint: int = Field(default=2, description="Distinct albums for a fingerprint to count as reused.")
    min_reused_fingerprints: int = Field(default=10, description="Reused fingerprints needed to flag a label.")
    min_reuse_ratio: float = Field(default=0.3, description="Share of eligible tracks with a reused fingerprint needed to flag.")
    similarity_threshold: float = Field(default=0.8, description="Jaccard at or above which two flagged labels are linked.")
    exempt_genres: list[str] = Field(default=list(DEFAULT_EXEMPT_GENRES), description="Genres of legitimate re-users.")
    allowlisted_labels: list[str] = Field(default_factory=list, description="Label ids never flagged.")
    major_distributors: list[str] = Field(default=list(DEFAULT_MAJOR_DISTRIBUTORS), description="Distributors excluded.")
    synchrony_permutations: int = Field(
        default=999, ge=99, description="Draws of the week-cyclic null behind each network's upload_synchrony_p "
        "(999: p-values down to 0.001).")
    synchrony_seed: int = Field(default=0, description="Seed of those draws (same seed, same p-values).")

    def rules(self) -> CatalogRules:
        return CatalogRules(
            min_title_tokens=self.min_title_tokens,
            min_albums_per_fingerprint=self.min_albums_per_fingerprint,
            min_reused_fingerprints=self.min_reused_fingerprints,
            min_reuse_ratio=self.min_reuse_ratio,
            similarity_threshold=self.similarity_threshold,
            exempt_genres=tuple(self.exempt_genres),
            allowlisted_labels=tuple(self.allowlisted_labels),
            major_distributors=tuple(self.major_distributors),
            synchrony_permutations=self.synchrony_permutations,
            synchrony_seed=self.synchrony_seed,
        )
