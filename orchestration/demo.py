"""`make demo`: the whole asset graph on the embedded defaults, recorded in DAGSTER_HOME.

Starts the bundled simulator on 127.0.0.1 and ingests what a platform would deliver: three
landing days of distributor catalog, two user-id ranges crawled, the follower networks (two
hops) and repost timelines of the artist with the most tracks and followers and of the
artists on the watchlist (the simulator's planted farm targets), and one imported user
dump. Then it materialises EVERY other asset of the Definitions in dependency order
(whatever the code location holds: catalog detection, users, network, reports), one line per
step with its key figures and where its output is. Engine events, Spark's and the
libraries' logs go to ``<data dir>/demo.log`` and to the runs in DAGSTER_HOME (`make dev`).
Settings: README.md "Configuration" (the same environment variables as production).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

import dagster as dg

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]
USERS = 20_000
USER_RANGES = [(1, 1000), (1001, 2000)]
ARTISTS = 1  # the most-tracked, most-followed artist
WATCHLIST_PER_FARM = 4  # targets of each planted farm put on the artist watchlist (see _watchlist)
# Two hops: each artist's network holds its neighbours' follows too, so it has triads
# (motif z-scores) and co-follows; the page sizes stay the defaults (README "Follow times").
FOLLOW_CRAWL = {"hops": 2}
PLAY_USERS = 1000  # honest listeners of the demo's play logs (kept small: the demo's budget for plays is ~40 s)
PLAY_SCHEME_SCALE = 0.05  # planted farms at a twentieth of the simulator's default size
AUDIO_BACKGROUND = 120  # honest originals beside the planted re-upload rings (15 s clips; ~180 files in all)
INGESTED = ("raw_catalog", "raw_users", "raw_follow_graph", "raw_repost_timelines", "raw_user_imports")
WIDTH = 50  # label column
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # events stay in the run's log


def _quiet_python() -> None:
    """Warnings we understand (Dagster beta/preview APIs we chose, libraries' deprecations)
    and library loggers stay off the console; run events are kept in the instance."""
    for category in (dg.BetaWarning, dg.PreviewWarning, DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", message=".*BackfillPolic.*")
    for name in ("py4j", "pyspark", "great_expectations", "httpx", "botocore", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)


class Console:
    """Our lines on stdout; everything written to stderr (the Spark JVM's banner and log4j,
    progress bars, library logs) goes to ``log_path`` instead."""

    def __init__(self, log_path: str) -> None:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        self.log_path = log_path
        self._log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (closed in restore)
        self._saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(self._log.fileno(), 2)  # the JVM inherits fd 2 when Spark starts
        sys.stderr = self._log

    def restore(self) -> None:
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        sys.stderr = sys.__stderr__
        self._log.close()

    @staticmethod
    def line(text: str) -> None:
        print(text, flush=True)


def _figures(metadata: dict, limit: int = 3) -> str:
    """Row count first, then up to ``limit`` other numeric figures."""
    out = []
    for key, value in metadata.items():
        v = getattr(value, "value", value)
        if isinstance(v, bool) or not isinstance(v, int | float) or key.startswith("dagster/") and key != "dagster/row_count":
            continue
        name = "rows" if key == "dagster/row_count" else key.replace("_", " ")
        text = f"{name} {v:,}" if isinstance(v, int) else f"{name} {v:,.3g}"
        out.insert(0, text) if key == "dagster/row_count" else out.append(text)
    return ", ".join(out[: limit + 1])


def _where(metadata: dict, fallback: Callable[[], str | None]) -> str | None:
    for value in metadata.values():
        if isinstance(value, dg.PathMetadataValue | dg.UrlMetadataValue):
            return str(value.value)
    return fallback()


class Demo:
    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, console: Console) -> None:
        self.defs, self.instance, self.console = defs, instance, console
        self.job = defs.resolve_implicit_global_asset_job_def()
        self.store = defs.resources["object_store"]
        self.warehouse = defs.resources["warehouse"]
        self.failed: list[str] = []

    def _location(self, key: dg.AssetKey) -> str | None:
        name = key.to_user_string()
        path = self.warehouse.table_uri(name)
        if os.path.isdir(path):
            return path
        raw = {"raw_catalog": "raw/catalog/", "raw_users": "raw/users/", "raw_follow_graph": "raw/follow_graph/",
               "raw_repost_timelines": "raw/repost_timelines/", "raw_user_imports": "raw/user_imports/"}.get(name)
        return f"{self.store.describe()}/{raw}" if raw else None

    def run(self, label: str, keys: list[dg.AssetKey], ops: dict | None = None, **kwargs) -> bool:
        start = time.perf_counter()
        result = self.job.execute_in_process(instance=self.instance, raise_on_error=False, asset_selection=keys,
                                             run_config={**QUIET, **({"ops": ops} if ops else {})}, **kwargs)
        seconds = time.perf_counter() - start
        figures, where = [], None
        by_key: dict[dg.AssetKey, dict] = {}
        for event in result.get_asset_materialization_events():
            by_key.setdefault(event.asset_key, dict(event.materialization.metadata))
        for key in keys:
            meta = by_key.get(key, {})
            f = _figures(meta)
            if f:
                figures.append(f"{key.to_user_string()}: {f}" if len(keys) > 1 else f)
            where = where or _where(meta, lambda k=key: self._location(k))
        failed_checks = [c for c in result.get_asset_check_evaluations() if not c.passed]
        ok = result.success and not failed_checks
        status = "ok" if ok else "FAILED"
        text = f"  {label:<{WIDTH}} {status:<6} {seconds:5.1f}s"
        if figures:
            text += "  " + "; ".join(figures)
        if where:
            text += f"  -> {where}"
        self.console.line(text)
        for c in failed_checks:
            self.console.line(f"      check {c.asset_key.to_user_string()}.{c.check_name} failed: "
                              f"{ {k: getattr(v, 'value', v) for k, v in c.metadata.items()} }")
        if not result.success:
            self.console.line(f"      run {result.run_id} failed: see it in `make dev` or {self.console.log_path}")
            self.failed.extend(k.to_user_string() for k in keys)
        return ok

    def remaining(self, done: set[dg.AssetKey]) -> None:
        """Every other materialisable asset, in dependency order, one run per execution set
        (a multi-asset's keys run together); partitioned ones over their known partitions."""
        graph = self.defs.resolve_asset_graph()
        seen = set(done)
        for key in graph.toposorted_asset_keys:
            node = graph.get(key)
            if key in seen or not node.is_materializable:
                continue
            group = sorted(k for k in graph.get_execution_set_asset_and_check_keys(key) if isinstance(k, dg.AssetKey))
            seen.update(group)
            upstream_failed = {p.to_user_string() for k in group for p in graph.get(k).parent_keys} & set(self.failed)
            label = ", ".join(k.to_user_string() for k in group)
            if upstream_failed:
                self.console.line(f"  {label:<{WIDTH}} skipped (upstream failed: {', '.join(sorted(upstream_failed))})")
                self.failed.extend(k.to_user_string() for k in group)
                continue
            pdef = node.partitions_def
            if pdef is None:
                self.run(label, group)
                continue
            if isinstance(pdef, dg.TimeWindowPartitionsDefinition):
                partitions = DAYS
            elif isinstance(pdef, dg.DynamicPartitionsDefinition):
                partitions = self.instance.get_dynamic_partitions(pdef.name)
            else:
                partitions = list(pdef.get_partition_keys(dynamic_partitions_store=self.instance))
            if not partitions:
                self.console.line(f"  {label:<{WIDTH}} skipped (no partitions)")
                continue
            policy = node.backfill_policy
            if policy is not None and policy.max_partitions_per_run is None and len(partitions) > 1:
                self.run(f"{label} {partitions[0]}..{partitions[-1]} (one run)", group,
                         tags={"dagster/asset_partition_range_start": partitions[0],
                               "dagster/asset_partition_range_end": partitions[-1]})
            else:
                for p in partitions:
                    self.run(f"{label} {p}", group, partition_key=p)


def _land_and_ingest_plays(demo: Demo, store, console: Console) -> None:
    """Play logs of the demo's catalogue days (simulator/plays.py: honest listening, planted
    farms and legitimate look-alikes), landed per day as the platform would, then raw_plays
    over the days in one run (its backfill policy)."""
    from simulator.plays import PlaysConfig, generate_plays, write_plays

    cfg = PlaysConfig(seed=1, days=len(DAYS), start_date=DAYS[0], honest_users=PLAY_USERS,
                      scheme_scale=PLAY_SCHEME_SCALE, catalog_seed=2, catalog_days=len(DAYS), tracks_per_day=2000)
    plays, accounts, _ = generate_plays(cfg)
    keys = write_plays(store, plays)
    console.line(f"  landed plays: {len(plays):,} plays of {plays['user_id'].nunique():,} accounts "
                 f"({int(accounts['scheme'].sum()):,} planted fraud accounts) in {len(keys)} files "
                 f"-> {store.describe()}/landing/plays/")
    days = sorted({k.split("date=", 1)[1].split("/", 1)[0] for k in keys})
    demo.run(f"raw_plays {days[0]}..{days[-1]} (one run)", [dg.AssetKey("raw_plays")],
             tags={"dagster/asset_partition_range_start": days[0], "dagster/asset_partition_range_end": days[-1]})


def _land_audio(demo: Demo, store, console: Console) -> list:
    """Synthesised audio (simulator/audio.py) for tracks of the landed catalogue: re-upload
    rings across labels, a cover label, a label's own remasters, honest background and one
    corrupt file, landed under landing/audio/<track_id>.<ext>. Returns the planted truth
    (only the demo's closing lines read it)."""
    import io

    import pandas as pd

    from assets.catalog.audio import tools_available
    from simulator.audio import plant_catalog_audio
    from simulator.catalog import catalog_truth

    if not tools_available():
        console.line("  audio: skipped (fpcalc/sox not installed: `make audio-tools`)")
        return []
    raw = pd.concat([pd.read_parquet(io.BytesIO(store.get_bytes(k))) for k in store.list("raw/catalog/")
                     if k.endswith(".parquet")], ignore_index=True)
    special = {lab["label_id"] for lab in catalog_truth(seed=2, days=len(DAYS), tracks_per_day=2000,
                                                        start_date=DAYS[0], bad_row_rate=0.004).labels}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        planted = plant_catalog_audio(raw[["track_id", "label_id"]], tmp, seed=1, background=AUDIO_BACKGROUND,
                                      exclude_labels=special)
        for p in planted:
            store.upload_file(p.path, f"landing/audio/{os.path.basename(p.path)}")
    kinds = pd.Series([p.kind for p in planted]).value_counts().to_dict()
    console.line(f"  landed audio: {len(planted)} synthesised files ({', '.join(f'{n} {k}' for k, n in kinds.items())}) "
                 f"in {time.perf_counter() - start:.1f}s -> {store.describe()}/landing/audio/")
    return planted


def audio_lines(planted: list, matches, networks, summary, quarantined: list[dict]) -> list[str]:
    """The audio path against the planted truth: precision of the matched pairs, recall of
    the re-uploads per derivation, covers and remasters, the rings' networks."""
    if not planted:
        return []
    identity = {p.track_id: (p.source if p.kind in ("reupload", "compilation") else p.track_id) for p in planted}
    label = {p.track_id: p.label_id for p in planted}
    found = {(str(a), str(b)) for a, b in zip(matches["track_a"], matches["track_b"], strict=True)}
    right = sum(1 for a, b in found if a in identity and b in identity and identity[a] == identity[b])
    lines = [f"Audio: {len(found)} matched track pairs, precision {right / len(found) if found else float('nan'):.3f} "
             f"({right} are copies of one recording)"]
    per: dict[str, list[int]] = {}
    for p in planted:
        if p.kind == "reupload":
            hit = tuple(sorted((p.track_id, p.source))) in found
            per.setdefault(p.derivation, [0, 0])[0] += hit
            per[p.derivation][1] += 1
    recall = sum(h for h, _ in per.values()) / max(1, sum(n for _, n in per.values()))
    lines.append(f"  re-uploads found beside their original: recall {recall:.3f} ("
                 + ", ".join(f"{k} {h}/{n}" for k, (h, n) in sorted(per.items())) + ")")
    covers = {p.track_id for p in planted if p.kind == "cover"}
    comps = {tuple(sorted((p.track_id, p.source))) for p in planted if p.kind == "compilation"}
    lines.append(f"  covers matched: {sum(1 for a, b in found if a in covers or b in covers)} of {len(covers)}; "
                 f"own remasters matched inside their label: {len(comps & found)} of {len(comps)}")
    net = dict(zip(networks["label_id"], networks["network_id"], strict=True))
    evidence = dict(zip(summary["network_id"], summary["evidence"], strict=True)) if "evidence" in summary else {}
    rings = sorted({(label[p.source], p.label_id) for p in planted if p.kind == "reupload"})
    joined = [(v, t) for v, t in rings if v in net and net.get(v) == net.get(t)]
    owners = {p.label_id for p in planted if p.kind == "compilation"} - {v for v, _ in rings}
    lines.append(f"  re-upload rings in one fraud network: {len(joined)} of {len(rings)} (evidence: "
                 + ", ".join(sorted({str(evidence.get(net[v])) for v, _ in joined})) + "); "
                 f"remaster-only owners in a network: {len(owners & set(net))} of {len(owners)}")
    corrupt = [p.track_id for p in planted if p.kind == "corrupt"]
    reasons = {str(q.get("track_id")): q.get("reason") for q in quarantined}
    lines.append(f"  corrupt files quarantined: {sum(1 for t in corrupt if t in reasons)} of {len(corrupt)} planted"
                 + (f" (reason: {reasons.get(corrupt[0])})" if corrupt and corrupt[0] in reasons else "")
                 + f"; {len(quarantined)} files in quarantine/audio/ in all")
    return lines


def _stream_fraud_lines(demo: Demo) -> None:
    """The stream-fraud findings in words: flagged accounts and the networks they pay."""
    for key in ("stream_accounts", "label_stream_fraud"):
        event = demo.instance.get_latest_materialization_event(dg.AssetKey(key))
        meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
        if key == "stream_accounts" and "flagged_accounts" in meta:
            demo.console.line(f"Stream fraud: {meta['flagged_accounts'].value:,} flagged accounts "
                              f"(fired by detector: {meta['fired_by_detector'].value})")
        if key == "label_stream_fraud" and "networks" in meta:
            for line in str(meta["networks"].value).splitlines()[:3]:
                demo.console.line(f"  {line.lstrip('- ')}")


def _top_artists(n: int) -> list[int]:
    """The ``n`` simulated artists with the most tracks, then the most followers."""
    from simulator import graph

    def score(uid: int) -> tuple[int, int]:
        return len(graph.tracks(1, uid, USERS)), graph.followers_count(1, uid, USERS)

    return sorted(range(1, 3000), key=score, reverse=True)[:n]


def _watchlist(per_farm: int) -> list[int]:
    """Artists a trust-and-safety analyst would put on the watchlist: in the simulator, the
    ``per_farm`` least-followed targets of each planted farm (``simulator.network_truth``).
    Only the choice of artists to crawl comes from the truth; detection never sees it."""
    from simulator import graph
    from simulator import network_truth as NT

    groups = NT.planted_groups(1, USERS)
    farms = groups[groups["kind"].str.startswith("farm_")].drop_duplicates("group")
    out: list[int] = []
    for targets in farms["targets"]:
        ranked = sorted(targets, key=lambda a: (graph.followers_count(1, a, USERS), a))
        out += [int(a) for a in ranked[:per_farm] if a not in out]
    return out


def farm_lines(bots, crawled: list[int]) -> list[str]:
    """One line per planted farm with a crawled target: members, how many the demo flagged."""
    from simulator import network_truth as NT

    groups = NT.planted_groups(1, USERS)
    farms = groups[groups["kind"].str.startswith("farm_") | (groups["kind"] == "hijacked")]
    flagged = set(bots.loc[bots["flagged"].astype(bool), "user_id"].astype(int)) if bots is not None else set()
    lines = []
    for name, g in farms.groupby("group", sort=True):
        targets = set(g["targets"].iloc[0]) & set(crawled)
        if not targets:
            continue
        members = set(g["user_id"].astype(int))
        lines.append(f"  planted {name} ({g['kind'].iloc[0]}, {len(members)} accounts, {len(targets)} crawled "
                     f"targets): {len(members & flagged)} flagged")
    return lines


def detection_line(bots, crawled: list[int]) -> str:
    """The demo's bot detection against the simulator's truth: precision over every flagged
    account (planted bots of any kind are right), recall over the members of the planted
    farms (and their hijacked accounts) with a crawled target."""
    from simulator import network_truth as NT

    groups = NT.planted_groups(1, USERS)
    bots_truth = set(groups.loc[groups["bot"].astype(bool), "user_id"].astype(int))
    farms = groups[(groups["kind"].str.startswith("farm_") | (groups["kind"] == "hijacked"))
                   & groups["targets"].map(lambda t: bool(set(t) & set(crawled)))]
    planted = set(farms["user_id"].astype(int))
    flagged = set(bots.loc[bots["flagged"].astype(bool), "user_id"].astype(int)) if bots is not None else set()
    right = len(flagged & bots_truth)
    precision = right / len(flagged) if flagged else float("nan")
    recall = len(flagged & planted) / len(planted) if planted else float("nan")
    return (f"  against the simulator's truth: precision {precision:.3f} ({right} of {len(flagged)} flagged are planted "
            f"bots), farm recall {recall:.3f} ({len(flagged & planted)} of {len(planted)} farm accounts)")


def _dagster_home() -> None:
    """DAGSTER_HOME from the environment (`make demo` sets it), else <data dir>/dagster_home
    with the local instance config."""
    if os.environ.get("DAGSTER_HOME"):
        return
    from resources.environment import data_dir

    home = os.path.abspath(os.path.join(data_dir(os.environ), "dagster_home"))
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        shutil.copy(os.path.join(os.path.dirname(__file__), "..", "infra", "dagster", "dagster.yaml"), config)
    os.environ["DAGSTER_HOME"] = home


def main() -> int:
    from resources.environment import data_dir

    _quiet_python()
    _dagster_home()
    log_path = os.path.abspath(os.path.join(data_dir(os.environ), "demo.log"))
    console = Console(log_path)
    try:
        return _demo(console)
    except Exception as e:  # the traceback is in the log; one line here
        logging.getLogger("offbeat.demo").exception("demo failed")
        console.line(f"demo failed: {type(e).__name__}: {e} (traceback in {log_path})")
        return 1
    finally:
        console.restore()


def _demo(console: Console) -> int:
    from assets.partitions import artists, user_id_ranges, user_range_key
    from simulator.catalog import write_catalog
    from simulator.testing import running_simulator
    from simulator.users import write_user_dump

    os.environ.setdefault("OFFBEAT_CLIENT_ID", "demo-client-id")  # the simulator accepts any id
    with running_simulator(seed=1, users=USERS) as api_url:
        os.environ["OFFBEAT_API_BASE_URL"] = api_url
        from orchestration.definitions import build_defs

        defs = build_defs()
        store = defs.resources["object_store"]
        if hasattr(store, "ensure_bucket"):
            store.ensure_bucket()
        instance = dg.DagsterInstance.get()
        demo = Demo(defs, instance, console)
        console.line(f"Offbeat demo: object store {store.describe()}, warehouse {defs.resources['warehouse'].uri}, "
                     f"API {api_url}, Dagster {os.environ['DAGSTER_HOME']}")
        console.line(f"  (engine events, Spark and library logs: {console.log_path})")

        summary = write_catalog(store, seed=2, days=len(DAYS), tracks_per_day=2000, start_date=DAYS[0],
                                bad_row_rate=0.004)
        console.line(f"  landed catalog: {summary['rows']:,} rows in {len(summary['files'])} files "
                     f"-> {store.describe()}/landing/catalog/")
        with tempfile.TemporaryDirectory() as tmp:
            dump = write_user_dump(os.path.join(tmp, "platform.jsonl.gz"), seed=5, n_users=3000)
            store.upload_file(dump["path"], "landing/user_dumps/platform.jsonl.gz")
        console.line(f"  landed user dump: {dump['users']:,} users -> {store.describe()}/landing/user_dumps/")

        from orchestration.landing import landing_days, landing_run_request

        digests = landing_days(store)
        for day in DAYS:  # tagged as the landing sensor would, so it does not request them again
            request = landing_run_request(day, digests[day])
            demo.run(f"raw_catalog {day}", [dg.AssetKey("raw_catalog")], partition_key=day, tags=request.tags)
        keys = [user_range_key(a, b) for a, b in USER_RANGES]
        instance.add_dynamic_partitions(user_id_ranges.name, keys)
        for key in keys:
            demo.run(f"raw_users {key}", [dg.AssetKey("raw_users")], partition_key=key)
        top = [str(a) for a in _top_artists(ARTISTS)]
        watch = [str(a) for a in _watchlist(WATCHLIST_PER_FARM) if str(a) not in top]
        console.line(f"  artists: {', '.join(top)} (most tracks and followers) + watchlist {', '.join(watch)} "
                     f"(targets of the simulator's planted farms), {FOLLOW_CRAWL['hops']} hops")
        instance.add_dynamic_partitions(artists.name, top + watch)
        for artist in top + watch:
            demo.run(f"raw_follow_graph + raw_repost_timelines {artist}",
                     [dg.AssetKey("raw_follow_graph"), dg.AssetKey("raw_repost_timelines")], partition_key=artist,
                     ops={"raw_follow_graph": {"config": FOLLOW_CRAWL}})
        demo.run("raw_user_imports", [dg.AssetKey("raw_user_imports")])
        _land_and_ingest_plays(demo, store, console)
        planted_audio = _land_audio(demo, store, console)

        demo.remaining({dg.AssetKey(k) for k in (*INGESTED, "raw_plays")})
        _stream_fraud_lines(demo)

        warehouse = defs.resources["warehouse"]
        session = defs.resources["spark"].get_session()
        if planted_audio and warehouse.exists(session, "audio_matches"):
            for line in audio_lines(planted_audio, warehouse.read(session, "audio_matches").toPandas(),
                                    warehouse.read(session, "fraud_networks").toPandas(),
                                    warehouse.read(session, "network_summary").toPandas(),
                                    list(store.read_jsonl_gz("quarantine/audio/rejected.jsonl.gz"))
                                    if store.exists("quarantine/audio/rejected.jsonl.gz") else []):
                console.line(line)
        if warehouse.exists(session, "follow_bots"):
            bots = warehouse.read(session, "follow_bots").where("flagged").select("user_id", "flagged").toPandas()
            console.line(f"Bot farms: {len(bots):,} accounts flagged; the simulator's planted farms among the "
                         "crawled artists:")
            for line in farm_lines(bots, [int(a) for a in top + watch]):
                console.line(line)
            console.line(detection_line(bots, [int(a) for a in top + watch]))
        pages = sorted(k for k in store.list("reports/") if k.endswith("/index.html"))
        if pages:
            console.line("Reports (each directory also holds its CSV/JSON/PNG files):")
            for key in pages:
                console.line(f"  {store.describe()}/{key}")
        console.line(f"Warehouse tables: {defs.resources['warehouse'].uri}")
        console.line(f"Browse the runs and assets: DAGSTER_HOME={os.environ['DAGSTER_HOME']} make dev "
                     "(http://127.0.0.1:3000, Runs tab)")
        if demo.failed:
            console.line(f"FAILED: {', '.join(demo.failed)}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
