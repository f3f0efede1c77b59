"""`make demo`: the whole asset graph on the embedded defaults, recorded in DAGSTER_HOME.

Starts the bundled simulator on 127.0.0.1, lands three days of distributor catalog in the
local object store, then materialises every asset (ingest, catalog detection, reports) in
dependency order through the Dagster instance, so `make dev` shows the runs afterwards.
Settings: README.md "Configuration" (the same environment variables as production).
"""

from __future__ import annotations

import os
import sys

import dagster as dg

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
USERS = 20_000
USER_RANGES = [(1, 1000), (1001, 2000)]


def _run(job, instance, label: str, **kwargs) -> None:
    result = job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    status = "ok" if result.success and not failed else "FAILED"
    print(f"  {label:<48} {status}", flush=True)
    if not result.success:
        raise SystemExit(f"demo step failed: {label} (see the run in `make dev`)")
    for c in failed:
        print(f"    check {c.check_name} failed: {dict(c.metadata)}", flush=True)


def main() -> int:
    from simulator.catalog import write_catalog
    from simulator.testing import running_simulator

    os.environ.setdefault("OFFBEAT_CLIENT_ID", "demo-client-id")  # the simulator accepts any id
    with running_simulator(seed=1, users=USERS) as api_url:
        os.environ["OFFBEAT_API_BASE_URL"] = api_url
        from assets.partitions import artists, user_id_ranges, user_range_key
        from orchestration.definitions import build_defs
        from simulator import graph

        defs = build_defs()
        store = defs.resources["object_store"]
        if hasattr(store, "ensure_bucket"):
            store.ensure_bucket()
        instance = dg.DagsterInstance.get()
        print(f"Offbeat demo: object store {store.describe()}, API {api_url}", flush=True)
        summary = write_catalog(store, seed=2, days=len(DAYS), tracks_per_day=2000, start_date=DAYS[0],
                                bad_row_rate=0.004)
        print(f"  landed {summary['rows']} catalog rows in {len(summary['files'])} files", flush=True)

        job = defs.resolve_implicit_global_asset_job_def()
        for day in DAYS:
            _run(job, instance, f"raw_catalog {day}", partition_key=day, asset_selection=[dg.AssetKey("raw_catalog")])
        _run(job, instance, f"track_fingerprints {DAYS[0]}..{DAYS[-1]} (one run)",
             asset_selection=[dg.AssetKey("track_fingerprints")],
             tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]})
        _run(job, instance, "catalog detection + report",
             asset_selection=[dg.AssetKey(k) for k in ("label_reuse", "label_similarity", "fraud_networks",
                                                      "network_summary", "catalog_fraud_report")])

        keys = [user_range_key(a, b) for a, b in USER_RANGES]
        instance.add_dynamic_partitions(user_id_ranges.name, keys)
        for key in keys:
            _run(job, instance, f"raw_users {key}", partition_key=key, asset_selection=[dg.AssetKey("raw_users")])
        artist = max(range(1, 3000), key=lambda uid: len(graph.tracks(1, uid, USERS)) * 1000
                     + min(graph.followers_count(1, uid, USERS), 999))
        instance.add_dynamic_partitions(artists.name, [str(artist)])
        _run(job, instance, f"raw_follow_graph + raw_repost_timelines {artist}", partition_key=str(artist),
             asset_selection=[dg.AssetKey("raw_follow_graph"), dg.AssetKey("raw_repost_timelines")])
        _run(job, instance, "raw_user_imports", asset_selection=[dg.AssetKey("raw_user_imports")])

        print("\nReports:", flush=True)
        for key in store.list("reports/"):
            print(f"  {store.describe()}/{key}", flush=True)
        print(f"Warehouse tables: {defs.resources['warehouse'].uri}", flush=True)
        print("Browse the runs and assets with `make dev` (http://127.0.0.1:3000).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
