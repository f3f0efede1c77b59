"""The catalog_scale benchmark's three methods agree, on its own generator, at small scale.

Scenario: ``simulator.catalog_bulk`` at 20,000 tracks (200 labels over a week: fraud
networks, near-miss groups, bad actors, all-generic labels, exempt / major / podcast
re-users, ordinary labels, generic titles held by most flagged labels). The benchmark's
own functions run our asset chain (warehouse tables), the seed's self-join on Spark and the
seed's self-join in DuckDB; all three edge tables must be identical row for row (jaccard bit
for bit) and equal the plain-Python oracle on the same tracks, while ours verifies far
fewer candidate pairs than the seed's self-join builds.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from assets.catalog.similarity import flagged_label_sets
from bench.baselines import candidate_pair_counts
from bench.catalog_scale import edge_set, run_ours, run_seed_duckdb, run_seed_spark
from resources.warehouse import Warehouse
from simulator.catalog_bulk import ensure
from tests.catalog import reference as ref

pytest.importorskip("duckdb")


@pytest.mark.integration
def test_ours_seed_spark_and_seed_duckdb_agree(spark, tmp_path):
    data_dir, meta = ensure(tmp_path / "data", tracks=20_000, seed=3, days=7)
    assert meta["tracks"] == 20_000
    wh = tmp_path / "warehouse"
    run_ours(spark, data_dir, wh, until="label_similarity")
    run_seed_spark(spark, wh)
    _, counts = run_seed_duckdb(wh)

    ours = edge_set(wh / "label_similarity")
    assert ours == edge_set(wh / "seed_spark_similarity")
    assert ours == edge_set(wh / "seed_duckdb_similarity.parquet")

    tracks = pq.read_table(str(data_dir)).to_pylist()
    rules = ref.CatalogRules()
    flagged = {lab: r.fingerprint_set for lab, r in ref.label_reuse(tracks, rules).items() if r.flagged}
    assert ours == set(ref.similarity_edges(flagged, rules.similarity_threshold))
    assert len(flagged) >= 20 and len(ours) >= 5

    assert counts["fanout_top"][0][1] >= len(flagged) // 3  # a generic title in many sets
    tables = Warehouse(uri=str(wh))
    sets = flagged_label_sets(tables.read(spark, "track_fingerprints"), tables.read(spark, "label_reuse"))
    mine = candidate_pair_counts(sets, rules.similarity_threshold, seed_pairs=False)
    assert 10 * mine["prefix_candidate_pairs"] <= counts["seed_candidate_pairs"]
