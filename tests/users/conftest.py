"""One materialisation of the whole users group on a generated imported population
(3,000 users, half spam, no superstars), shared by the pipeline and service tests."""

from __future__ import annotations

import gzip
import json

import dagster as dg
import pytest

from assets.users import assets as users_assets
from assets.users.run_config import (
    SpamModelConfig,
    SpamScoresConfig,
    UserClustersConfig,
    UserFeaturesConfig,
)
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from simulator.users import user_dump

SMALL = {"cluster_sample_size": 3000, "train_per_class": 600, "test_per_class": 400}


STEP_CONFIGS = {"user_features": UserFeaturesConfig, "user_clusters": UserClustersConfig,
                "spam_model": SpamModelConfig, "spam_scores": SpamScoresConfig}


def run_config(**over) -> dg.RunConfig:
    """SMALL (and ``over``) for every users asset, each given only the fields it declares."""
    cfg = {**SMALL, **over}
    return dg.RunConfig(ops={name: {"config": {k: v for k, v in cfg.items() if k in cls.model_fields}}
                             for name, cls in STEP_CONFIGS.items()})


def write_dump_as_raw(store: LocalObjectStore, users: list[dict], source: str = "dump") -> str:
    """The dump as the raw zone holds imports: one raw-user record per line."""
    key = f"raw/user_imports/source={source}/part-00000.jsonl.gz"
    records = [{"id": u["id"], "status": "fetched", "fetched_at": "2025-07-01T00:00:00Z", "user": u,
                "web_profiles": u.get("web_profiles")} for u in users]
    with store.open_write(key) as f, gzip.GzipFile(fileobj=f, mode="wb") as gz:
        for r in records:
            gz.write((json.dumps(r) + "\n").encode())
    return key


@pytest.fixture(scope="session")
def users_run(spark, tmp_path_factory):
    """Materialise every users asset once; yields (result, resources, truth)."""
    root = tmp_path_factory.mktemp("users_run")
    store = LocalObjectStore(root=str(root / "lake"))
    users, truth = user_dump(seed=5, n_users=3000, spam_share=0.5)
    write_dump_as_raw(store, users)
    # a crawled range too: one gone id and one failed id are counted, not loaded
    store.write_jsonl_gz("raw/users/range=1-2/part-import-x.jsonl.gz", [
        {"id": 1, "status": "gone", "fetched_at": "2025-07-01T00:00:00Z", "user": None, "web_profiles": []},
        {"id": 2, "status": "failed", "fetched_at": "2025-07-01T00:00:00Z", "user": None, "web_profiles": [],
         "error": "timeout"}])
    resources = {
        "spark": SparkResource(master="local[2]", shuffle_partitions=2),
        "object_store": store,
        "warehouse": Warehouse(uri=str(root / "warehouse")),
    }
    selection = [users_assets.users, users_assets.user_features, users_assets.user_clusters,
                 users_assets.feature_selection, users_assets.spam_model, users_assets.spam_scores,
                 users_assets.population_overview]
    result = dg.materialize(selection, resources=resources, run_config=run_config(), raise_on_error=True)
    yield {"result": result, "resources": resources, "truth": truth, "users": users, "root": root,
           "selection": selection}
