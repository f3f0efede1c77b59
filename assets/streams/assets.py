"""Stream-fraud assets on Spark (group ``streams``): play logs in, the accounts that stream
for royalties and what they cost each label out.

- ``raw_plays`` (one landing day per partition): validates ``landing/plays/date=D/`` into the
  typed warehouse table ``plays`` (partition ``day=D``; re-running a day replaces it) and
  quarantines bad rows with a reason under ``quarantine/plays/date=D/``.
- ``stream_accounts``: the detectors of ``assets/streams/detect.py`` over every play.
- ``track_streams`` / ``label_stream_fraud``: royalty plays per track and label, the share
  from flagged accounts, and the catalog fraud network of each label (``assets/streams/money.py``).

Automation (assets/automation.py): the non-partitioned assets run once after their inputs
update (one run after a backfill of many days); a catalogue update re-attributes plays.
"""


import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile

import dagster as dg
import pydantic
from pydantic import Field
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.automation import ON_UPSTREAM_UPDATE
from assets.partitions import play_days
from assets.streams import detect
from assets.streams.config import StreamConfig
from assets.streams.ingest import (
    PARTITION_COLUMN,
    empty_plays,
    extra_columns,
    is_landing_file,
    landing_prefix,
    quarantine_prefix,
    read_landing,
    split_plays,
)
from assets.streams.money import (
    catalogue_tracks,
    flagged_label_accounts,
    network_sentence,
    network_stream_fraud,
)
from assets.streams.money import (
    label_stream_fraud as label_stream_fraud_table,
)
from assets.streams.money import (
    track_streams as track_streams_table,
)
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import StagedTable, Warehouse

GROUP = "streams"
OWNERS = ["team:trust-and-safety"]
KINDS = {"spark", "parquet"}
PLAYS = "plays"


def read_plays(session, warehouse: Warehouse) -> DataFrame:
    """The ``plays`` table; with no rows (``ingest.empty_plays``) while it does not exist or
    every day landed so far was empty, so the chain downstream scores nobody instead of failing."""
    if not warehouse.exists(session, PLAYS):
        return empty_plays(session)
    try:
        return warehouse.read(session, PLAYS)
    except AnalysisException as e:  # a table of empty days: no data file to read a schema from
        if "UNABLE_TO_INFER_SCHEMA" not in str(e):
            raise
        return empty_plays(session)
NETWORK_TABLE = "network_stream_fraud"  # written beside label_stream_fraud
MAX_PREVIEW = 10


def _preview(df: DataFrame, rows: int = MAX_PREVIEW) -> dg.MetadataValue:
    pdf = df.limit(rows).toPandas()
    return dg.MetadataValue.md(pdf.astype(str).to_markdown(index=False) if len(pdf) else "_no rows_")


def _schema(df: DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, f.dataType.simpleString()) for f in df.schema.fields])


def _min_royalty_ms_field() -> int:
    return Field(default=StreamConfig().min_royalty_ms,
                 description="A play is royalty-eligible at ms_played >= this (the contract's 30 s; keep it equal "
                             "to stream_accounts' min_royalty_ms).")


# ---------------------------------------------------------------------------- raw_plays
class RawPlaysConfig(dg.Config):
    max_rejected_share: float = Field(
        default=0.01, description="Above this share of rejected rows the day is a systemic failure (blocks downstream).")


def _write_quarantine(object_store: ObjectStore, rejected: DataFrame, day: str) -> tuple[dict[str, int], list[str]]:
    """Rejected rows as gzip JSON Lines under quarantine/plays/date=D/ (previous copy
    replaced); returns (rows by reason, keys written). Spark writes locally, then uploads."""
    object_store.delete_prefix(quarantine_prefix(day))
    tmp = tempfile.mkdtemp(prefix="offbeat-plays-quarantine-")
    try:
        out = os.path.join(tmp, "rejected")
        rejected.coalesce(4).write.mode("overwrite").option("compression", "gzip").json(out)
        spark = rejected.sparkSession
        written = spark.read.schema("reason string").json(out)
        by_reason = {r["reason"]: int(r["n"]) for r in written.groupBy("reason").agg(F.count(F.lit(1)).alias("n"))
                     .collect()}
        keys = []
        parts = sorted(f for f in os.listdir(out) if f.endswith(".json.gz")) if by_reason else []
        for i, name in enumerate(parts):
            key = f"{quarantine_prefix(day)}rejected-{i:05d}.jsonl.gz"
            object_store.upload_file(os.path.join(out, name), key)
            keys.append(key)
        return by_reason, keys
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _staged_plays(session, staged: StagedTable, schema) -> DataFrame:
    """The staged rows of a day with the accepted schema, also when the day has none (Spark
    cannot infer a schema from a directory without data files)."""
    return session.read.schema(schema).option("basePath", staged.uri).parquet(staged.uri)


def stage_day(session, object_store: ObjectStore, warehouse: Warehouse, day: str, log) -> tuple[StagedTable, DataFrame, dict]:
    """Validate one landing day: the accepted rows staged beside the ``plays`` table as its
    partition ``day=D`` (readers see nothing new until the caller publishes), the rejected rows
    in the quarantine (replacing the day's previous copy: it is for a person to look at either
    way). Returns (staged, the staged rows, the day's figures). A day with no landing files or
    no rows stages an empty partition: zero plays is a finding, not a failure."""
    keys = [k for k in object_store.list(landing_prefix(day)) if is_landing_file(k)]
    if not keys:
        log.warning(f"no landing files for {day} under {landing_prefix(day)}: the day has zero plays")
    with object_store.local_paths(keys) as paths:
        landing = read_landing(session, list(zip(keys, paths, strict=True)))
        accepted, rejected = split_plays(landing.frame)
        accepted = accepted.withColumn(PARTITION_COLUMN, F.lit(day))
        staged = warehouse.stage_partitions(accepted, PLAYS, PARTITION_COLUMN, [day])
        try:
            by_reason, quarantine_keys = _write_quarantine(object_store, rejected, day)
        except BaseException:
            staged.discard()
            raise
    if landing.unreadable:
        object_store.write_jsonl_gz(f"{quarantine_prefix(day)}unreadable_files.jsonl.gz", landing.unreadable)
        log.error(f"{len(landing.unreadable)} landing files of {day} could not be read; see {quarantine_prefix(day)}")
    plays = _staged_plays(session, staged, accepted.schema)
    f = plays.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum((F.to_date("played_at").cast("string") != F.lit(day)).cast("long")).alias("outside_day"),
        F.sum(F.col("ip_truncated").cast("long")).alias("ip_truncated"),
        F.sum((F.col("user_id").isNull() | (F.col("user_id") <= 0) | F.col("track_id").isNull()
               | F.col("played_at").isNull() | F.col("ms_played").isNull() | (F.col("ms_played") < 0))
              .cast("long")).alias("violations"),
    ).first()
    rejected_rows = sum(by_reason.values())
    log.info(f"plays {day}: {f.rows} accepted, {rejected_rows} quarantined from {len(keys)} files")
    return staged, plays, {
        "day": day, "accepted": f.rows, "rejected": rejected_rows, "by_reason": by_reason,
        "unreadable": landing.unreadable, "files": len(keys), "outside_day": f.outside_day or 0,
        "ip_truncated": f.ip_truncated or 0, "violations": f.violations or 0, "quarantine_files": quarantine_keys}


def ingest_day(session, object_store: ObjectStore, warehouse: Warehouse, day: str, log) -> dict:
    """Validate one landing day into the ``plays`` partition (published without checks: for
    callers outside Dagster, such as the standalone-cluster test) and the quarantine; its figures."""
    staged, _, figures = stage_day(session, object_store, warehouse, day, log)
    with staged:
        staged.publish()
    return figures


@dg.asset(
    partitions_def=play_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
    kinds={"spark", "parquet", "s3"},
    owners=OWNERS,
    check_specs=[
        dg.AssetCheckSpec("rejected_share", asset="raw_plays", blocking=True,
                          description="On every day of the run rejected rows stay under max_rejected_share and "
                                      "every landing file was read; more is systemic."),
        dg.AssetCheckSpec("plays_contract", asset="raw_plays", blocking=True,
                          description="The days' plays table rows meet the contract: ids present, user_id > 0, "
                                      "ms_played >= 0, played_at set."),
    ],
)
def raw_plays(context: dg.AssetExecutionContext, config: RawPlaysConfig, spark: SparkResource,
              object_store: ObjectStore, warehouse: Warehouse):
    """The platform's play log by landing day, validated: every play (user, track, start,
    milliseconds played, device and network) in the typed warehouse table ``plays``, every bad
    row in quarantine with the reason. Plays of tracks the catalogue does not know yet are
    kept (and counted here). A backfill over many days is one Spark run. The days are written
    beside the table and published only when both blocking checks pass: a failed check leaves
    the previous copy of every day readable. A day with no plays is reported, not failed."""
    days = context.partition_keys
    session = spark.get_session()
    with contextlib.ExitStack() as stack:  # write, check, then publish: a failed check keeps the previous days
        frames, results = [], []
        for day in days:
            staged, frame, figures = stage_day(session, object_store, warehouse, day, context.log)
            stack.enter_context(staged)  # discarded on leaving unless published
            frames.append((staged, frame))
            results.append(figures)
        plays = functools.reduce(DataFrame.unionByName, [f for _, f in frames])
        unknown_tracks = None
        if warehouse.exists(session, "track_fingerprints"):
            known = warehouse.read(session, "track_fingerprints").select("track_id").distinct()
            unknown_tracks = (plays.select(F.col("track_id").cast("string").alias("track_id"))
                              .join(known, "track_id", "left_anti").count())
        accepted = sum(r["accepted"] for r in results)
        rejected = sum(r["rejected"] for r in results)
        by_reason: dict[str, int] = {}
        for r in results:
            for k, v in r["by_reason"].items():
                by_reason[k] = by_reason.get(k, 0) + v
        shares = {r["day"]: (r["rejected"] / (r["accepted"] + r["rejected"]) if r["accepted"] + r["rejected"]
                             else 0.0) for r in results}
        worst = max(shares.values(), default=0.0)
        unreadable = [u for r in results for u in r["unreadable"]]
        violations = sum(r["violations"] for r in results)
        share_ok = worst <= config.max_rejected_share and not unreadable
        published = share_ok and violations == 0
        schema, preview, carried = _schema(plays), _preview(plays), extra_columns(plays)
        if published:
            for staged, _ in frames:
                staged.publish()
        else:
            context.log.error("raw_plays: a blocking check failed; the new days are discarded and the plays "
                              "table keeps its previous copy of them (the rejected rows are in quarantine)")
    if not accepted:
        context.log.info("no plays accepted: zero plays is a finding, not a failure")
    metadata = {
        "input_rows": accepted + rejected,
        "dagster/row_count": accepted,
        "quarantined_rows": rejected,
        "rejected_by_reason": dict(sorted(by_reason.items())),
        "days": len(days),
        "days_without_plays": dg.MetadataValue.json([r["day"] for r in results if not r["accepted"]]),
        "rows_by_day": dg.MetadataValue.json({r["day"]: r["accepted"] for r in results}),
        "unreadable_files": len(unreadable),
        "landing_files": sum(r["files"] for r in results),
        "plays_starting_outside_their_landing_day": sum(r["outside_day"] for r in results),
        "raw_ipv4_truncated_to_prefix": sum(r["ip_truncated"] for r in results),
        "carried_columns": dg.MetadataValue.json(carried),
        "published": published,
        "table": dg.MetadataValue.path(warehouse.table_uri(PLAYS)),
        "quarantine_files": dg.MetadataValue.json([k for r in results for k in r["quarantine_files"]]),
        "dagster/column_schema": schema,
        "preview": preview,
    }
    if unknown_tracks is not None:
        metadata["plays_of_tracks_not_in_catalogue"] = unknown_tracks
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="rejected_share", passed=share_ok,
                metadata={"worst_rejected_share": round(worst, 6), "limit": config.max_rejected_share,
                          "rejected_share_by_day": dg.MetadataValue.json({d: round(s, 6) for d, s in shares.items()}),
                          "unreadable_files": len(unreadable)}),
            dg.AssetCheckResult(check_name="plays_contract", passed=violations == 0,
                                metadata={"violations": violations}),
        ],
    )


# ---------------------------------------------------------------------------- stream_accounts
def _config_from_dataclass(name: str, cls) -> type[dg.Config]:
    """A Dagster config class with the fields (defaults, descriptions) of a config dataclass,
    so the detectors' thresholds show in the Launchpad without being listed twice."""
    fields = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        fields[f.name] = (f.type if not isinstance(f.type, str) else type(default),
                          Field(default=default, description=f.metadata.get("description", f.name)))
    return pydantic.create_model(name, __base__=dg.Config, **fields)


StreamAccountsConfig = _config_from_dataclass("StreamAccountsConfig", StreamConfig)


@dg.asset(
    deps=["raw_plays"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("one_row_per_account", asset="stream_accounts", blocking=True,
                                   description="Every account with plays scored exactly once; suspicion in [0, 1]; "
                                               "every flagged account names a detector.")],
)
def stream_accounts(context: dg.AssetExecutionContext, config: StreamAccountsConfig, spark: SparkResource,
                    warehouse: Warehouse):
    """Every listening account scored for artificial streaming: suspicion, whether it is flagged,
    which detectors fired and the evidence in words (lockstep co-listening, dense account x track
    blocks, no rest, plays just past 30 s, shared devices, concentrated tracks)."""
    session = spark.get_session()
    cfg = StreamConfig(**config.model_dump())
    plays = read_plays(session, warehouse)
    warehouse.write_table(detect.stream_accounts(plays, cfg), "stream_accounts")
    # The detectors cache intermediate tables (per-account figures, pairs, blocks) that their
    # result is built from; once it is written they only hold memory (the driver's, in local
    # mode). Drop them: a cache only saves recomputation, so nothing else changes.
    session.catalog.clearCache()
    accounts = warehouse.read(session, "stream_accounts")
    f = accounts.agg(
        F.count(F.lit(1)).alias("accounts"), F.countDistinct("user_id").alias("distinct_users"),
        F.sum(F.col("flagged").cast("long")).alias("flagged"),
        F.sum(F.when(F.col("flagged"), F.col("royalty_plays"))).alias("flagged_royalty"),
        F.sum("royalty_plays").alias("royalty"),
        F.sum(((F.col("suspicion") < 0) | (F.col("suspicion") > 1)).cast("long")).alias("bad_suspicion"),
        F.sum((F.col("flagged") & (F.size("detectors") == 0)).cast("long")).alias("flagged_without_detector"),
    ).first()
    users_with_plays = plays.select("user_id").distinct().count()
    fired = (accounts.select(F.explode("detectors").alias("detector")).groupBy("detector")
             .agg(F.count(F.lit(1)).alias("accounts")).toPandas())
    metadata = {
        "dagster/row_count": f.accounts,
        "flagged_accounts": f.flagged or 0,
        "flagged_share_of_royalty_plays": round((f.flagged_royalty or 0) / f.royalty, 6) if f.royalty else 0.0,
        "fired_by_detector": dg.MetadataValue.json({r.detector: int(r.accounts) for r in fired.itertuples()}),
        "dagster/column_schema": _schema(accounts),
        "preview": _preview(accounts.where("flagged").orderBy(F.desc("suspicion"))
                            .select("user_id", "suspicion", "detectors", "evidence", "plays", "royalty_plays")),
        # per detector: the accounts it fired on, and those it alone flagged
        "contributions": dg.MetadataValue.md(detect.detector_contributions(accounts).to_markdown(index=False)),
    }
    if not f.flagged:
        context.log.info("no account flagged: nothing found is a finding, not a failure")
    ok = (f.accounts == f.distinct_users == users_with_plays and not f.bad_suspicion
          and not f.flagged_without_detector)
    return dg.MaterializeResult(metadata=metadata, check_results=[dg.AssetCheckResult(
        check_name="one_row_per_account", passed=bool(ok),
        metadata={"accounts": f.accounts, "users_with_plays": users_with_plays,
                  "suspicion_out_of_range": f.bad_suspicion or 0,
                  "flagged_without_detector": f.flagged_without_detector or 0})])


# ---------------------------------------------------------------------------- money
class TrackStreamsConfig(dg.Config):
    min_royalty_ms: int = _min_royalty_ms_field()


class LabelStreamFraudConfig(dg.Config):
    min_royalty_ms: int = _min_royalty_ms_field()


def _catalogue(session, warehouse: Warehouse) -> DataFrame:
    """track_id -> label_id of the catalogue now (empty before the catalog chain has run)."""
    if warehouse.exists(session, "track_fingerprints"):
        return catalogue_tracks(warehouse.read(session, "track_fingerprints"))
    return session.createDataFrame([], "track_id string, label_id string")


@dg.asset(
    deps=["raw_plays", "stream_accounts", "track_fingerprints"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("royalty_plays_add_up", asset="track_streams", blocking=True,
                                   description="Per track clean + flagged = royalty <= plays; totals equal the "
                                               "plays table's.")],
)
def track_streams(context: dg.AssetExecutionContext, config: TrackStreamsConfig, spark: SparkResource,
                  warehouse: Warehouse):
    """Royalty plays per track (plays of at least 30 s), how many came from flagged accounts and
    the clean rest a payout should be based on, with the track's label from the catalogue;
    plays of tracks the catalogue does not know yet are kept with no label until it does."""
    session = spark.get_session()
    plays = read_plays(session, warehouse)
    accounts = warehouse.read(session, "stream_accounts")
    tracks = _catalogue(session, warehouse)
    warehouse.write_table(track_streams_table(plays, accounts, tracks, config.min_royalty_ms), "track_streams")
    ts = warehouse.read(session, "track_streams")
    f = ts.agg(
        F.count(F.lit(1)).alias("tracks"), F.sum("plays").alias("plays"), F.sum("royalty_plays").alias("royalty"),
        F.sum("flagged_royalty_plays").alias("flagged"),
        F.sum(F.col("label_id").isNull().cast("long")).alias("unattributed_tracks"),
        F.sum(F.when(F.col("label_id").isNull(), F.col("plays"))).alias("unattributed_plays"),
        F.sum(F.when(F.col("label_id").isNull(), F.col("royalty_plays"))).alias("unattributed_royalty"),
        F.sum(((F.col("clean_royalty_plays") + F.col("flagged_royalty_plays") != F.col("royalty_plays"))
               | (F.col("royalty_plays") > F.col("plays")) | (F.col("clean_royalty_plays") < 0)).cast("long"))
        .alias("bad"),
    ).first()
    p = plays.agg(F.count(F.lit(1)).alias("plays"),
                  F.sum((F.col("ms_played") >= config.min_royalty_ms).cast("long")).alias("royalty")).first()
    ok = (f.bad or 0) == 0 and (f.plays or 0) == p.plays and (f.royalty or 0) == (p.royalty or 0)
    share = (f.flagged or 0) / f.royalty if f.royalty else 0.0
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": f.tracks,
            "plays": f.plays or 0,
            "royalty_plays": f.royalty or 0,
            "flagged_royalty_plays": f.flagged or 0,
            "flagged_share": round(share, 6),
            "unattributed_tracks": f.unattributed_tracks or 0,
            "unattributed_plays": f.unattributed_plays or 0,
            "unattributed_royalty_plays": f.unattributed_royalty or 0,
            "catalogue_known": warehouse.exists(session, "track_fingerprints"),
            "dagster/column_schema": _schema(ts),
            "preview": _preview(ts.orderBy(F.desc("flagged_royalty_plays"), "track_id")),
        },
        check_results=[dg.AssetCheckResult(
            check_name="royalty_plays_add_up", passed=bool(ok),
            metadata={"rows_not_adding_up": f.bad or 0, "plays_in_table": p.plays,
                      "plays_counted": f.plays or 0})],
    )


@dg.asset(
    deps=["track_streams", "stream_accounts", "raw_plays", "track_fingerprints", "fraud_networks"],
    automation_condition=ON_UPSTREAM_UPDATE,
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    check_specs=[dg.AssetCheckSpec("shares_valid", asset="label_stream_fraud", blocking=True,
                                   description="fraud_share in [0, 1]; one row per label; label totals equal the "
                                               "attributed tracks'.")],
)
def label_stream_fraud(context: dg.AssetExecutionContext, config: LabelStreamFraudConfig, spark: SparkResource,
                       warehouse: Warehouse):
    """Per label, the royalty plays it earned, the share that came from flagged accounts and how
    many such accounts, beside the label's catalog fraud network: "these N labels in network 7
    earned X% of their royalty plays from M accounts". Also writes ``network_stream_fraud``."""
    session = spark.get_session()
    plays = read_plays(session, warehouse)
    accounts = warehouse.read(session, "stream_accounts")
    tracks = _catalogue(session, warehouse)
    networks = warehouse.read(session, "fraud_networks") if warehouse.exists(session, "fraud_networks") else None
    pairs = flagged_label_accounts(plays, accounts, tracks, config.min_royalty_ms).persist()
    ts = warehouse.read(session, "track_streams")
    warehouse.write_table(label_stream_fraud_table(ts, pairs, networks), "label_stream_fraud")
    lf = warehouse.read(session, "label_stream_fraud")
    warehouse.write_table(network_stream_fraud(lf, pairs), NETWORK_TABLE)
    pairs.unpersist()
    nets = warehouse.read(session, NETWORK_TABLE).orderBy(F.desc("flagged_royalty_plays")).toPandas()
    f = lf.agg(
        F.count(F.lit(1)).alias("labels"), F.countDistinct("label_id").alias("distinct_labels"),
        F.sum("royalty_plays").alias("royalty"), F.sum("flagged_royalty_plays").alias("flagged"),
        F.sum((F.col("flagged_royalty_plays") > 0).cast("long")).alias("labels_with_fraud"),
        F.sum(F.col("network_id").isNotNull().cast("long")).alias("in_networks"),
        F.sum(((F.col("fraud_share") < 0) | (F.col("fraud_share") > 1)).cast("long")).alias("bad"),
    ).first()
    attributed = ts.where(F.col("label_id").isNotNull()).agg(F.sum("royalty_plays")).first()[0] or 0
    sentences = [network_sentence(r) for r in nets.head(5).to_dict("records")]
    ok = (f.bad or 0) == 0 and f.labels == f.distinct_labels and (f.royalty or 0) == attributed
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": f.labels,
            "labels_with_flagged_royalty_plays": f.labels_with_fraud or 0,
            "labels_in_catalog_fraud_networks": f.in_networks or 0,
            "royalty_plays": f.royalty or 0,
            "flagged_royalty_plays": f.flagged or 0,
            "fraud_share": round((f.flagged or 0) / f.royalty, 6) if f.royalty else 0.0,
            "networks_with_plays": len(nets),
            "networks": dg.MetadataValue.md("\n".join(f"- {s}" for s in sentences) or "_no network has plays_"),
            "fraud_networks_known": networks is not None,
            "dagster/column_schema": _schema(lf),
            "preview": _preview(lf.orderBy(F.desc("flagged_royalty_plays"), "label_id")),
        },
        check_results=[dg.AssetCheckResult(
            check_name="shares_valid", passed=bool(ok),
            metadata={"invalid_shares": f.bad or 0, "labels": f.labels, "distinct_labels": f.distinct_labels,
                      "royalty_plays": f.royalty or 0, "attributed_royalty_plays": attributed})],
    )
