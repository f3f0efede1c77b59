"""The catalog-fraud chain, stage by stage, on warehouse tables: the one code path.

Each stage reads its inputs from the warehouse, runs the pure transforms and writes its
table(s) back, exactly as its asset needs it:

    track_fingerprints -> label_reuse (+ exempt_would_flag) -> label_similarity
        -> fraud_networks -> network_summary

The Dagster assets (assets/catalog/assets.py) call ``run_stage`` one stage each;
``run_catalog_chain`` runs every stage in order and is what ``bench/catalog_scale.py``
times and what ``detect`` (tests, the standalone-cluster check) runs, so the benchmark
and the tests measure the product's own code path.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame

from assets.catalog.audio_similarity import network_edges
from assets.catalog.fingerprint import track_fingerprints
from assets.catalog.label_reuse import exempt_would_flag, label_reuse, reuse_stats
from assets.catalog.networks import fraud_networks, network_summary
from assets.catalog.similarity import flagged_label_sets, label_similarity
from resources.catalog_contract import DEFAULT_RULES, CatalogRules
from resources.warehouse import Warehouse

# Stage name -> the warehouse tables it writes.
STAGES: dict[str, tuple[str, ...]] = {
    "track_fingerprints": ("track_fingerprints",),
    "label_reuse": ("label_reuse", "exempt_would_flag"),
    "label_similarity": ("label_similarity",),
    "fraud_networks": ("fraud_networks",),
    "network_summary": ("network_summary",),
}
TABLES = tuple(t for tables in STAGES.values() for t in tables)
AUDIO_EDGES = "label_audio_similarity"  # joins the networks when present (written by the audio assets)


def _audio_edges(spark, warehouse: Warehouse) -> DataFrame | None:
    """``label_audio_similarity`` once the audio path has run (audio_assets.py), else None:
    networks then rest on title edges alone, exactly as before audio existed."""
    return warehouse.read(spark, AUDIO_EDGES) if warehouse.exists(spark, AUDIO_EDGES) else None


def run_stage(
    stage: str,
    spark,
    warehouse: Warehouse,
    rules: CatalogRules = DEFAULT_RULES,
    *,
    tracks: DataFrame | None = None,
    days: Sequence[str] = (),
    checkpoint_every: int = 4,
) -> None:
    """Run one stage: read its inputs from ``warehouse``, write its tables.

    ``track_fingerprints`` needs the raw ``tracks`` of ``days`` (the partitions it replaces).
    """
    if stage == "track_fingerprints":
        if tracks is None:
            raise ValueError("track_fingerprints needs the raw tracks of its days")
        warehouse.write_partitions(track_fingerprints(tracks, rules), "track_fingerprints", "upload_date", days)
    elif stage == "label_reuse":
        fps = warehouse.read(spark, "track_fingerprints")
        stats = reuse_stats(fps, rules).cache()  # one label-level pass feeds both tables
        try:
            warehouse.write_table(label_reuse(fps, rules, stats=stats), "label_reuse")
            warehouse.write_table(exempt_would_flag(fps, rules, stats=stats), "exempt_would_flag")
        finally:
            stats.unpersist()
    elif stage == "label_similarity":
        sets = flagged_label_sets(warehouse.read(spark, "track_fingerprints"), warehouse.read(spark, "label_reuse"))
        warehouse.write_table(label_similarity(sets, rules.similarity_threshold), "label_similarity")
    elif stage == "fraud_networks":
        edges = network_edges(warehouse.read(spark, "label_similarity"), _audio_edges(spark, warehouse))
        warehouse.write_table(fraud_networks(edges, checkpoint_every=checkpoint_every), "fraud_networks")
    elif stage == "network_summary":
        warehouse.write_table(
            network_summary(warehouse.read(spark, "fraud_networks"), warehouse.read(spark, "label_similarity"),
                            warehouse.read(spark, "track_fingerprints"),
                            audio_similarity_df=_audio_edges(spark, warehouse),
                            synchrony_permutations=rules.synchrony_permutations, seed=rules.synchrony_seed),
            "network_summary",
        )
    else:
        raise ValueError(f"unknown catalog stage {stage!r}; one of {list(STAGES)}")


def run_catalog_chain(
    spark,
    warehouse: Warehouse,
    tracks: DataFrame,
    days: Sequence[str],
    rules: CatalogRules = DEFAULT_RULES,
    *,
    until: str = "network_summary",
    around: Callable[[str, Callable[[], None]], None] | None = None,
    checkpoint_every: int = 4,
) -> None:
    """Every stage in order (up to and including ``until``). ``around(name, run)`` wraps each
    stage (the benchmark times them); by default the stage just runs."""
    for stage in STAGES:
        def run(stage: str = stage) -> None:
            run_stage(stage, spark, warehouse, rules, tracks=tracks, days=days, checkpoint_every=checkpoint_every)

        (around or (lambda _name, fn: fn()))(stage, run)
        if stage == until:
            return


def detect(
    tracks_df: DataFrame,
    rules: CatalogRules = DEFAULT_RULES,
    *,
    warehouse: Warehouse | None = None,
    checkpoint_every: int = 4,
) -> dict[str, DataFrame]:
    """Every table of the contract plus the exempt-genre report for a catalog DataFrame (the
    raw_catalog contract columns), through ``run_catalog_chain``: each table is written once
    to ``warehouse`` (default: a temporary one, removed at exit) and read back."""
    spark = tracks_df.sparkSession
    if warehouse is None:
        root = tempfile.mkdtemp(prefix="offbeat-detect-")
        atexit.register(shutil.rmtree, root, True)
        warehouse = Warehouse(uri=root)
    # No explicit days: every upload day present in the tracks is written.
    run_catalog_chain(spark, warehouse, tracks_df, (), rules, checkpoint_every=checkpoint_every)
    return {table: warehouse.read(spark, table) for table in TABLES}
