"""The Dagster UI path end to end: `dagster-webserver` and `dagster-daemon` on 127.0.0.1 with a
fresh DAGSTER_HOME and data directory, the platform simulator, three landed catalog days.
Through the GraphQL API (what the UI sends) the test adds dynamic partitions, launches a
3-day catalog asset backfill and then a materialisation of the whole asset graph (every
materialisable asset, found with the ``assetNodes`` query, so assets added later are
included), waits for the backfills and for the runs that declarative automation starts,
and requires every run to succeed and every asset check to pass. Every process it started
is stopped by pid (its process group) at the end.

Run with `make test-e2e` (minutes; not part of `make test`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
USERS = 3000
USER_RANGE = (1, 3000)  # the whole simulated population: the users chain needs enough users to cluster and train
TIMEOUT_S = float(os.environ.get("OFFBEAT_E2E_TIMEOUT", "1500"))
QUIET_S = 40  # no run in progress for this long (automation sensor ticks every 30 s) = settled
IN_PROGRESS = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING", "MANAGED"}

pytestmark = pytest.mark.skipif(not os.environ.get("OFFBEAT_E2E"),
                                reason="end-to-end UI path takes minutes: run it with `make test-e2e`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_signals() -> None:  # background shells ignore SIGINT; children must not inherit that
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


class Started:
    """Processes this test started, each the leader of its own process group."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, cmd: list[str], env: dict, logs: Path) -> subprocess.Popen:
        log = logs / f"{name}.log"
        proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_reset_signals)
        self.procs.append((name, proc, log))
        return proc

    def check_alive(self) -> None:
        for name, proc, log in self.procs:
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")

    def stop(self, grace: float = 60) -> list[int]:
        """SIGTERM each group (by the pid we started: its children, such as code servers and
        run workers, share the group), wait up to ``grace`` seconds for every member to exit,
        then SIGKILL what is left; returns the group ids that had to be killed."""
        for _, proc, _ in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        for _, proc, _ in self.procs:
            try:
                proc.wait(timeout=max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
        left = []
        for _, proc, _ in self.procs:
            while time.time() < deadline and _group_alive(proc.pid):
                time.sleep(0.5)
            if _group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGKILL)
                left.append(proc.pid)
            if proc.poll() is None:
                proc.wait(timeout=10)
        return left


def _group_alive(pgid: int) -> bool:
    """A live (not zombie) process is still in the group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state ppid pgrp ...
            return True
    return False


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(timeout=60)

    def __call__(self, query: str, **variables) -> dict:
        r = self.client.post(f"{self.url}/graphql", json={"query": query, "variables": variables})
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        if body.get("errors"):  # a query this test got wrong: fail now, not at the timeout
            raise AssertionError(f"GraphQL errors: {json.dumps(body['errors'])[:3000]}")
        r.raise_for_status()
        return body["data"]


def wait_ready(gql: GraphQL, started: Started, timeout: float = 240) -> dict:
    """Webserver answers, the code location is LOADED and the daemon is healthy; returns
    the repository selector."""
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        started.check_alive()
        try:
            if gql.client.get(f"{gql.url}/server_info").status_code == 200:
                data = gql("""{ workspaceOrError { __typename ... on Workspace { locationEntries {
                    name loadStatus locationOrLoadError { __typename ... on PythonError { message }
                    ... on RepositoryLocation { repositories { name } } } } } }
                    instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }""")
                entries = data["workspaceOrError"]["locationEntries"]
                loc = entries[0]["locationOrLoadError"] if entries else None
                if loc and loc["__typename"] == "PythonError":
                    raise AssertionError(f"code location failed to load: {loc['message']}")
                healthy = all(d["healthy"] for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]
                              if d["required"])
                last = f"location={entries and entries[0]['loadStatus']} daemons healthy={healthy}"
                if entries and entries[0]["loadStatus"] == "LOADED" and loc and healthy:
                    return {"repositoryLocationName": entries[0]["name"],
                            "repositoryName": loc["repositories"][0]["name"]}
        except httpx.HTTPError as e:
            last = repr(e)
        time.sleep(2)
    raise AssertionError(f"Dagster not ready after {timeout} s: {last}")


ASSET_NODES = """{ assetNodes { assetKey { path } isMaterializable isExecutable
  partitionDefinition { type name dimensionTypes { name } } } }"""

LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message stack }
  ... on InvalidStepError { invalidStepKey } ... on InvalidOutputError { stepKey invalidOutputName }
  ... on PartitionSetNotFoundError { message } ... on UnauthorizedError { message }
  ... on InvalidSubsetError { message } } }"""


def launch_backfill(gql: GraphQL, params: dict) -> str:
    res = gql(LAUNCH, p=params)["launchPartitionBackfill"]
    if res["__typename"] != "LaunchBackfillSuccess":
        raise AssertionError(f"backfill not launched: {res}")
    return res["backfillId"]


def runs(gql: GraphQL) -> list[dict]:
    data = gql("""{ runsOrError(limit: 500) { __typename ... on Runs { results { runId status
        tags { key value } assetSelection { path } } } } }""")
    return data["runsOrError"]["results"]


def failures(gql: GraphQL, all_runs: list[dict]) -> list[dict]:
    """Each run that did not succeed, with its failed steps' error messages (from the event log)."""
    out = []
    for r in all_runs:
        if r["status"] in IN_PROGRESS or r["status"] == "SUCCESS":
            continue
        data = gql("""query($id: ID!) { logsForRun(runId: $id) { __typename ... on EventConnection { events {
            __typename ... on ExecutionStepFailureEvent { stepKey error { message } }
            ... on RunFailureEvent { message } } } } }""", id=r["runId"])
        events = (data["logsForRun"] or {}).get("events", [])
        errors = [f"{e.get('stepKey') or 'run'}: {(e.get('error') or {}).get('message') or e.get('message')}"
                  for e in events if e["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent")]
        out.append({"run": r["runId"], "status": r["status"],
                    "assets": ["/".join(a["path"]) for a in r["assetSelection"] or []], "errors": errors})
    return out


def backfill_status(gql: GraphQL, backfill_id: str) -> str:
    data = gql("""query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
        ... on PartitionBackfill { status } ... on PythonError { message } } }""", id=backfill_id)
    return data["partitionBackfillOrError"]["status"]


def wait_settled(gql: GraphQL, started: Started, backfill_id: str, deadline: float) -> None:
    """The backfill finished and no run has been in progress for QUIET_S seconds."""
    quiet_since = None
    while time.time() < deadline:
        started.check_alive()
        status = backfill_status(gql, backfill_id)
        busy = [r for r in runs(gql) if r["status"] in IN_PROGRESS]
        if status in ("FAILED", "CANCELED", "COMPLETED_FAILED"):
            raise AssertionError(f"backfill {backfill_id} ended {status}: {failures(gql, runs(gql))}")
        if status.startswith("COMPLETED") and not busy:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= QUIET_S:
                return
        else:
            quiet_since = None
        time.sleep(3)
    raise AssertionError(f"backfill {backfill_id} not settled before the deadline: "
                         f"status {backfill_status(gql, backfill_id)}, runs {runs(gql)}")


def pick_artist(seed: int, users: int) -> str:
    """The artist the demo would crawl: most tracks, then most followers."""
    from simulator import graph

    return str(max(range(1, min(users, 3000)), key=lambda uid: len(graph.tracks(seed, uid, users)) * 1000
                   + min(graph.followers_count(seed, uid, users), 999)))


def test_ui_path_whole_graph_and_catalog_backfill(tmp_path):
    from assets.partitions import user_range_key
    from resources.environment import build_object_store
    from simulator.catalog import write_catalog
    from simulator.testing import running_simulator

    t0 = time.time()
    deadline = t0 + TIMEOUT_S
    home, data, logs = tmp_path / "dagster_home", tmp_path / "data", tmp_path / "logs"
    for d in (home, data, logs):
        d.mkdir()
    shutil.copy(ROOT / "infra" / "dagster" / "dagster.yaml", home / "dagster.yaml")
    py = Path(sys.executable)
    env = {**os.environ, "DAGSTER_HOME": str(home), "OFFBEAT_DATA_DIR": str(data),
           "OFFBEAT_OBJECT_STORE": "local", "OFFBEAT_CLIENT_ID": "e2e-client-id",
           "SPARK_MASTER": "local[2]", "OFFBEAT_SHUFFLE_PARTITIONS": "2", "OFFBEAT_SPARK_DRIVER_MEMORY": "1g",
           "PYSPARK_PYTHON": str(py), "PYSPARK_DRIVER_PYTHON": str(py), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("OFFBEAT_WAREHOUSE_URI", None)
    started = Started()
    with running_simulator(seed=1, users=USERS) as api_url:
        env["OFFBEAT_API_BASE_URL"] = api_url
        port = free_port()
        bin_dir = py.parent
        # Create the instance's storage once, before three processes race to create it
        # (the race leaves two alembic heads in the SQLite event log).
        subprocess.run([str(bin_dir / "dagster"), "instance", "migrate"], cwd=str(ROOT), env=env, check=True,
                       capture_output=True, timeout=120)
        started.start("webserver", [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                                    "-w", "workspace.yaml"], env, logs)
        started.start("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"], env, logs)
        try:
            store = build_object_store(env)
            landed = write_catalog(store, seed=2, days=len(DAYS), tracks_per_day=1500, start_date=DAYS[0],
                                   bad_row_rate=0.004)
            assert landed["rows"] > 0
            # the same days' play logs (landing/plays/date=D/), for raw_plays and the stream chain
            from simulator.plays import PlaysConfig, generate_plays, write_plays
            plays, _, _ = generate_plays(PlaysConfig(seed=1, days=len(DAYS), start_date=DAYS[0], honest_users=500,
                                                     scheme_scale=0.05, catalog_seed=2, catalog_days=len(DAYS),
                                                     tracks_per_day=1500))
            assert {k.split("date=", 1)[1].split("/", 1)[0] for k in write_plays(store, plays)} == set(DAYS)
            gql = GraphQL(f"http://127.0.0.1:{port}")
            repo = wait_ready(gql, started)
            print(f"ready after {time.time() - t0:.0f} s", flush=True)

            nodes = gql(ASSET_NODES)["assetNodes"]
            selectable = [n for n in nodes if n["isMaterializable"] and n["isExecutable"]]
            assert selectable, "no materialisable assets in the code location"
            dynamic_keys = {"user_id_ranges": [user_range_key(*USER_RANGE)], "artists": [pick_artist(1, USERS)]}
            by_asset: list[dict] = []
            for n in selectable:
                pdef = n["partitionDefinition"]
                key = {"path": n["assetKey"]["path"]}
                if pdef is None:
                    by_asset.append({"assetKey": key, "partitions": None})
                elif pdef["type"] == "TIME_WINDOW":
                    by_asset.append({"assetKey": key, "partitions": {"range": {"start": DAYS[0], "end": DAYS[-1]}}})
                elif pdef["type"] == "DYNAMIC":
                    keys = dynamic_keys.get(pdef["name"])
                    if not keys:
                        pytest.fail(f"asset {key['path']} has dynamic partitions {pdef['name']!r} this test has no "
                                    "keys for: add them to dynamic_keys in tests/e2e/test_ui_path.py")
                    by_asset.append({"assetKey": key, "partitions": {"range": {"start": keys[0], "end": keys[-1]}}})
                else:
                    pytest.fail(f"asset {key['path']}: partitions of type {pdef['type']} not handled by this test")
            for name, keys in dynamic_keys.items():
                for k in keys:
                    res = gql("""mutation($r: RepositorySelector!, $n: String!, $k: String!) {
                        addDynamicPartition(repositorySelector: $r, partitionsDefName: $n, partitionKey: $k) {
                        __typename ... on AddDynamicPartitionSuccess { partitionKey }
                        ... on PythonError { message } ... on UnauthorizedError { message } } }""",
                              r=repo, n=name, k=k)["addDynamicPartition"]
                    assert res["__typename"] == "AddDynamicPartitionSuccess", res

            # 1. The 3-day catalog backfill, as the UI's "Materialize" dialog over a date range.
            daily = [n["assetKey"] for n in selectable
                     if n["partitionDefinition"] and n["partitionDefinition"]["type"] == "TIME_WINDOW"]
            catalog_backfill = launch_backfill(gql, {"partitionNames": DAYS, "assetSelection": daily,
                                                     "title": "e2e: 3 catalog days"})
            wait_settled(gql, started, catalog_backfill, deadline)
            print(f"catalog backfill settled after {time.time() - t0:.0f} s", flush=True)

            # 2. The whole graph (every materialisable asset; partitioned ones over the partitions above).
            whole = launch_backfill(gql, {"partitionsByAssets": by_asset, "title": "e2e: whole graph"})
            wait_settled(gql, started, whole, deadline)
            print(f"whole graph settled after {time.time() - t0:.0f} s", flush=True)

            all_runs = runs(gql)
            failed = [(r["runId"], r["status"], [a["path"] for a in r["assetSelection"] or []])
                      for r in all_runs if r["status"] != "SUCCESS"]
            assert not failed, f"runs that did not succeed: {failures(gql, all_runs)}; logs in {logs}"
            for bid in (catalog_backfill, whole):
                assert backfill_status(gql, bid) == "COMPLETED_SUCCESS"
                assert any(t["key"] == "dagster/backfill" and t["value"] == bid for r in all_runs for t in r["tags"])

            # Every selected asset materialised; every check that ran passed.
            mats = gql("""{ assetNodes { assetKey { path } isMaterializable isExecutable
                assetMaterializations(limit: 1) { runId }
                assetChecksOrError { __typename ... on AssetChecks { checks { name
                  executionForLatestMaterialization { status evaluation { success } } } } } } }""")["assetNodes"]
            not_materialised, bad_checks, checks_seen = [], [], 0
            for n in mats:
                if not (n["isMaterializable"] and n["isExecutable"]):
                    continue
                if not n["assetMaterializations"]:
                    not_materialised.append(n["assetKey"]["path"])
                for c in (n["assetChecksOrError"] or {}).get("checks", []):
                    ex = c["executionForLatestMaterialization"]
                    checks_seen += 1
                    if ex is None or ex["status"] != "SUCCEEDED":
                        bad_checks.append((n["assetKey"]["path"], c["name"], ex))
            assert not not_materialised, f"assets never materialised: {not_materialised}"
            assert not bad_checks, f"checks that did not pass: {bad_checks}"
            assert checks_seen > 0
            reports = sorted(k for k in store.list("reports/") if k.endswith("index.html"))
            print(f"{len(all_runs)} runs succeeded, {checks_seen} checks passed, {len(selectable)} assets, "
                  f"reports {reports}; {time.time() - t0:.0f} s", flush=True)
            assert "reports/catalog/index.html" in reports
        finally:
            left = started.stop()
    assert not left, f"process groups still running 60 s after SIGTERM (then killed): {left}"
