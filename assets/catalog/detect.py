"""The whole catalog-fraud chain on a tracks DataFrame, in memory, for tests.

``detect(tracks_df, rules)`` returns every table of the contract plus the exempt-genre
report, each materialised once (see ``detect``). The Dagster assets (and
``bench/catalog_scale.py``, which times each stage) wire the same functions, one
warehouse table each.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from assets.catalog.fingerprint import track_fingerprints
from assets.catalog.label_reuse import exempt_would_flag, label_reuse, reuse_stats
from assets.catalog.networks import fraud_networks, network_summary
from assets.catalog.reference import CatalogRules
from assets.catalog.similarity import flagged_label_sets, label_similarity

DEFAULT_RULES = CatalogRules()


def _materialise(df: DataFrame) -> DataFrame:
    return df.localCheckpoint(eager=True)


def _lazy(df: DataFrame) -> DataFrame:
    return df


def detect(
    tracks_df: DataFrame,
    rules: CatalogRules = DEFAULT_RULES,
    *,
    checkpoint_every: int = 4,
    materialise: bool = True,
) -> dict[str, DataFrame]:
    """track_fingerprints, label_reuse, exempt_would_flag, label_similarity, fraud_networks,
    network_summary for a catalog DataFrame (the raw_catalog contract columns).

    With ``materialise`` (default) each table is computed once and kept (local checkpoint,
    memory and disk), as the assets do by writing each table to the warehouse: without it,
    every downstream table would replay the whole chain from the raw tracks.
    ``fraud_networks`` is always materialised (connected components is iterative).
    """
    keep = _materialise if materialise else _lazy
    fingerprints = keep(track_fingerprints(tracks_df, rules))
    stats = reuse_stats(fingerprints, rules)
    if materialise:
        stats = stats.cache()  # one label-level pass feeds label_reuse and exempt_would_flag
    reuse = keep(label_reuse(fingerprints, rules, stats=stats))
    exempt = keep(exempt_would_flag(fingerprints, rules, stats=stats))
    if materialise:
        stats.unpersist()
    sets = flagged_label_sets(fingerprints, reuse)
    similarity = keep(label_similarity(sets, rules.similarity_threshold))
    networks = fraud_networks(similarity, checkpoint_every=checkpoint_every)
    return {
        "track_fingerprints": fingerprints,
        "label_reuse": reuse,
        "exempt_would_flag": exempt,
        "label_similarity": similarity,
        "fraud_networks": networks,
        "network_summary": keep(network_summary(networks, similarity, fingerprints)),
    }
