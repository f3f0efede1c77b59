"""Scenario: the catalogue's detection assets run as daily increments through ``materialize``
with the real resources (local object store and warehouse in a temporary directory, the
test Spark session). A first day lands (three labels re-using the same titles across
albums, one honest label, one bad actor of its own): label_reuse and label_similarity run
in full (no state yet). A second day lands (a fourth copy label, the bad actor grows):
the declarative automation requests both, they run as an increment of that day, and equal
the full recomputation. The first day is re-landed with one copy label's tracks moved to
another label: the automation requests them again, the increment recomputes that day's
labels (before and after the move) and still equals the full result. ``full: true`` runs
the full recomputation and gives the same tables.
"""

from __future__ import annotations

import dagster as dg
import pytest

from assets.catalog import assets as catalog_assets
from assets.catalog import audio_assets
from assets.ingest.assets import raw_catalog
from resources.catalog_contract import CatalogRules
from resources.catalog_rules import CatalogRulesResource
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse
from tests.catalog.test_increment import full_recomputation, rows_of

DAY1, DAY2 = "2024-03-01", "2024-03-02"
TABLES = ("label_reuse", "exempt_would_flag", "label_similarity")
DETECTION = [dg.AssetKey(k) for k in ("label_reuse", "exempt_would_flag", "label_similarity")]
WORDS = "amber birch cedar dune ember fjord grove heath inlet jade kelp lumen moss nectar onyx".split()
SHARED = [f"{WORDS[i]} {WORDS[(i * 7 + 3) % 15]} night" for i in range(12)]  # 12 titles, 2 tokens+
OWN = [f"{WORDS[i]} {WORDS[(i * 4 + 1) % 15]} solo" for i in range(12)]


pytestmark = pytest.mark.integration  # not in make test: make test-integration (CI runs it)


def _label(day: str, label: str, titles: list[str], albums: int) -> list[tuple]:
    return [(f"{day}-{label}-{a}-{i}", t, f"{label}-alb{a}", label, day)
            for a in range(albums) for i, t in enumerate(titles)]


def _honest(day: str, label: str, n: int) -> list[tuple]:
    return [(f"{day}-{label}-{i}", f"{WORDS[i % 15]} song number{i}", f"{label}-alb0", label, day) for i in range(n)]


def _land(store: LocalObjectStore, day: str, rows: list[tuple]) -> None:
    lines = ["track_id,title,album_id,label_id,label_name,distributor,genre,content_type,uploaded_at"]
    for i, (tid, title, album, label, d) in enumerate(rows):
        lines.append(f"{tid},{title},{album},{label},{label.title()} Records,indie,ambient,music,"
                     f"{d}T{8 + i % 12:02d}:{i % 60:02d}:00Z")
    store.put_bytes(f"landing/catalog/date={day}/catalog.csv", ("\n".join(lines) + "\n").encode())


DAY1_ROWS = (_label(DAY1, "NETA", SHARED, 2) + _label(DAY1, "NETB", SHARED, 2) + _label(DAY1, "NETC", SHARED[:11], 2)
             + _label(DAY1, "BAD", OWN[:10], 2) + _honest(DAY1, "HONEST", 30))
DAY2_ROWS = _label(DAY2, "NETD", SHARED, 2) + _label(DAY2, "BAD", OWN[10:], 2) + _honest(DAY2, "NEW", 20)
# DAY1 again: NETB's tracks now belong to NETX (a distributor fixed the label), HONEST lost a few
RELANDED = [(t, ti, al.replace("NETB", "NETX"), "NETX" if lab == "NETB" else lab, d)
            for t, ti, al, lab, d in DAY1_ROWS if not t.startswith(f"{DAY1}-HONEST-2")]


def _reuse_meta(result) -> dict:
    [mat] = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()
             if e.asset_key == dg.AssetKey("label_reuse")]
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def _similarity_meta(result) -> dict:
    [mat] = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()
             if e.asset_key == dg.AssetKey("label_similarity")]
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def _requested(defs, instance, cursor):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    keys = {k.to_user_string() for k in result.get_requested_asset_keys()} if hasattr(
        result, "get_requested_asset_keys") else {s.key.to_user_string() for s in result._requested_subsets}
    return result.cursor, keys


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("increment-assets")
    store = LocalObjectStore(root=str(root / "lake"))
    warehouse = Warehouse(uri=str(root / "wh"))
    resources = {"object_store": store, "spark": SparkResource(), "warehouse": warehouse,
                 "catalog_rules": CatalogRulesResource()}
    assets = [raw_catalog, *dg.load_assets_from_modules([catalog_assets, audio_assets])]
    defs = dg.Definitions(assets=assets, resources=resources)
    instance = dg.DagsterInstance.ephemeral()
    ingest = [dg.AssetKey("raw_catalog"), dg.AssetKey("track_fingerprints")]
    out, requested, full, published = {}, {}, {}, {}

    def land(name: str, day: str, rows: list[tuple]) -> None:
        _land(store, day, rows)
        out[f"{name}_ingest"] = dg.materialize(assets, selection=ingest, partition_key=day, instance=instance,
                                               resources=resources)

    def detect(name: str, run_config: dict | None = None, compare: bool = True) -> None:
        out[name] = dg.materialize(assets, selection=DETECTION, instance=instance, resources=resources,
                                   run_config=run_config)
        published[name] = {t: rows_of(warehouse.read(spark, t)) for t in TABLES}
        if compare:
            full[name] = full_recomputation(spark, warehouse, RULES)

    land("day1", DAY1, DAY1_ROWS)
    detect("day1", compare=False)  # the full path itself
    cursor, _ = _requested(defs, instance, None)
    land("day2", DAY2, DAY2_ROWS)
    cursor, requested["day2"] = _requested(defs, instance, cursor)
    detect("day2")
    cursor, requested["after_day2"] = _requested(defs, instance, cursor)
    land("relanded", DAY1, RELANDED)
    cursor, requested["relanded"] = _requested(defs, instance, cursor)
    detect("relanded")
    detect("full", {"ops": {"label_reuse": {"config": {"full": True}},
                            "label_similarity": {"config": {"full": True}}}}, compare=False)
    return out, requested, full, published


RULES = CatalogRules()  # CatalogRulesResource's defaults


def test_every_run_succeeds_and_every_check_passes(runs):
    out = runs[0]
    for name, result in out.items():
        assert result.success, name
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks), name


def test_modes_touched_labels_and_days_in_the_metadata(runs):
    out = runs[0]
    first, second, relanded, full = (_reuse_meta(out[k]) for k in ("day1", "day2", "relanded", "full"))
    assert first["mode"] == "full" and full["mode"] == "full"
    assert (second["mode"], second["days"], second["touched_labels"], second["touched_label_sample"]) == (
        "increment", DAY2, 3, "BAD, NETD, NEW")
    assert (relanded["mode"], relanded["days"], relanded["touched_labels"]) == ("increment", DAY1, 6)
    assert relanded["touched_label_sample"] == "BAD, HONEST, NETA, NETB, NETC, NETX"
    sims = [_similarity_meta(out[k]) for k in ("day1", "day2", "relanded", "full")]
    assert [s["mode"] for s in sims] == ["full", "increment", "increment", "full"]
    assert [s.get("touched_labels") for s in sims[1:3]] == [3, 6]


def test_increment_equals_the_full_recomputation(runs):
    _, _, full, published = runs
    assert full["day2"]["label_similarity"], "the scenario must have edges"
    edges = {(a, b) for a, b, *_ in full["relanded"]["label_similarity"]}
    assert ("NETA", "NETX") in edges and not any("NETB" in e for e in edges)  # the move is seen
    flagged = {r[0] for r in full["relanded"]["label_reuse"] if r[7]}
    assert {"NETA", "NETC", "NETD", "NETX", "BAD"} <= flagged and "HONEST" not in flagged
    # what each run published equals the full recomputation over the same fingerprints
    for name in ("day2", "relanded"):
        assert published[name] == full[name], name
    assert published["full"] == published["relanded"]  # full: true gives the same tables
    assert published["day1"] != published["day2"]
    assert full["day2"] != full["relanded"]


def test_automation_requests_the_increment_when_a_day_lands_or_is_relanded(runs):
    requested = runs[1]
    for name in ("day2", "relanded"):
        assert {"label_reuse", "exempt_would_flag", "label_similarity"} <= requested[name], (name, requested[name])
    assert not ({"label_reuse", "label_similarity"} & requested["after_day2"]), requested["after_day2"]
