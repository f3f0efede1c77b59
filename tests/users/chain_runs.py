"""The users chain materialised through Dagster on a raw zone of its own (real resources,
temporary storage): what the population and reproducibility tests share."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.users import assets as users_assets
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from tests.users.conftest import run_config, write_dump_as_raw

CHAIN = (users_assets.users, users_assets.user_features, users_assets.user_clusters, users_assets.feature_selection,
         users_assets.spam_model, users_assets.spam_scores)


def resources_at(root: Path) -> dict:
    return {"spark": SparkResource(master="local[2]", shuffle_partitions=2),
            "object_store": LocalObjectStore(root=str(root / "lake")),
            "warehouse": Warehouse(uri=str(root / "warehouse"))}


def materialise_chain(root: Path, users: list[dict] | None = None, **config) -> tuple[dg.ExecuteInJobResult, dict]:
    """users -> ... -> spam_scores on ``users`` written as an imported dump under ``root``
    (or on the raw zone already there when ``users`` is None); run config: the test-size
    one (``SMALL``) with ``config`` over it."""
    resources = resources_at(root)
    if users is not None:
        write_dump_as_raw(resources["object_store"], users)
    result = dg.materialize(list(CHAIN), resources=resources, run_config=run_config(**config), raise_on_error=False)
    return result, resources


def checks(result: dg.ExecuteInJobResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def metadata(result: dg.ExecuteInJobResult, asset: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[-1].metadata.items()}
