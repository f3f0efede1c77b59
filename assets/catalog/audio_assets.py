"""Audio re-upload assets (group ``catalog``): the wiring of assets/catalog/audio*.py.

    landing/audio/<track_id>.<ext> | catalogue audio_key
        -> audio_fingerprints -> audio_matches -> label_audio_similarity
        -> fraud_networks / network_summary (assets.py: components of title + audio edges)

Each table is written beside the warehouse, checked, and published only when its blocking
checks pass (the previous copy stays readable otherwise), like the title chain. Audio that
cannot be read is quarantined under ``quarantine/audio/`` with a reason; no audio at all is
a finding (an empty table, ``audio_tracks = 0``), not a failure: the title chain then runs
as before.
"""


import dagster as dg
import pandas as pd
from pydantic import Field
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.automation import ON_UPSTREAM_UPDATE, on_upstream_update
from assets.catalog.audio import (
    DEFAULT_SPEED_GRID,
    AudioConfig,
    fingerprint_table,
    landing_audio_files,
    plan_audio_sources,
    tools_available,
    unreadable,
    variant_rows,
)
from assets.catalog.audio import audio_fingerprints as fingerprint_files
from assets.catalog.audio_match import MatchConfig
from assets.catalog.audio_match import audio_matches as match_audio
from assets.catalog.audio_similarity import DEFAULT_AUDIO_THRESHOLD
from assets.catalog.audio_similarity import label_audio_similarity as audio_similarity
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse

GROUP = "catalog"
OWNERS = ["team:trust-and-safety"]
KINDS = {"spark", "parquet"}
LANDING = "landing/audio/"
QUARANTINE = "quarantine/audio/"
QUARANTINE_KEY = f"{QUARANTINE}rejected.jsonl.gz"
FILES_SCHEMA = "track_id string, label_id string, path string"
INSTALL_HINT = "fpcalc/sox not installed: `make audio-tools` (Debian: libchromaprint-tools sox libsox-fmt-mp3)"


def _preview(df: DataFrame, rows: int = 10) -> dg.MetadataValue:
    pdf = df.limit(rows).toPandas()
    return dg.MetadataValue.md(pdf.astype(str).to_markdown(index=False) if len(pdf) else "_no rows_")


def _schema(df: DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(f.name, f.dataType.simpleString()) for f in df.schema.fields])


def _catalogue_audio(session, object_store: ObjectStore, warehouse: Warehouse, landed_ids: list[str]) -> pd.DataFrame:
    """(track_id, label_id, audio_key) of the catalogue tracks that have audio: a landed
    file or a raw-catalog ``audio_key``. Joined on Spark; only those rows reach the driver."""
    if not warehouse.exists(session, "track_fingerprints"):
        return pd.DataFrame({"track_id": [], "label_id": [], "audio_key": []})
    catalogue = warehouse.read(session, "track_fingerprints").select("track_id", "label_id")
    raw_keys = [k for k in object_store.list("raw/catalog/") if k.endswith(".parquet")]
    keyed = None
    with object_store.local_paths(raw_keys) as paths:
        if paths:
            raw = session.read.option("mergeSchema", "true").parquet(*paths)
            if "audio_key" in raw.columns:
                keyed = (raw.where(F.col("audio_key").isNotNull() & (F.trim("audio_key") != ""))
                         .select(F.col("track_id").cast("string"), F.trim("audio_key").alias("audio_key"))
                         .dropDuplicates(["track_id"]))
        landed = session.createDataFrame([(t,) for t in landed_ids], "track_id string")
        with_audio = catalogue.join(F.broadcast(landed) if len(landed_ids) < 1_000_000 else landed, "track_id",
                                    "left_semi")
        if keyed is not None:
            with_audio = with_audio.unionByName(catalogue.join(keyed.select("track_id"), "track_id", "left_semi"))
            out = with_audio.distinct().join(keyed, "track_id", "left")
        else:
            out = with_audio.distinct().withColumn("audio_key", F.lit(None).cast("string"))
        return out.toPandas()


# ---------------------------------------------------------------------------- audio_fingerprints
class AudioFingerprintsConfig(dg.Config):
    max_seconds: int = Field(default=120, description="Seconds of each file fingerprinted (from its start).")
    speed_grid: list[float] = Field(
        default=list(DEFAULT_SPEED_GRID),
        description="Slow-down factors each track is also fingerprinted at (1.0 = as is), so copies sped up "
                    "by 2-5% line up with their original (assets/catalog/audio.py); [1.0] turns that off.")
    max_unreadable_share: float = Field(
        default=0.05, description="Blocking check: largest share of the audio files that may be quarantined "
                                  "(more is systemic: a broken delivery or decoder).")
    files_per_task: int = Field(default=50, description="Audio files per Spark task (fpcalc runs one file at a time).")


@dg.asset(
    deps=["track_fingerprints", "raw_catalog"],
    group_name=GROUP, kinds=KINDS | {"chromaprint"}, owners=OWNERS,
    # follows the fingerprints of a landed day, not the day itself (it would run twice)
    automation_condition=on_upstream_update(not_triggered_by=dg.AssetSelection.assets("raw_catalog")),
    check_specs=[dg.AssetCheckSpec(
        "audio_fingerprints_contract", asset="audio_fingerprints", blocking=True,
        description="One row per fingerprinted track with a non-empty fingerprint, a duration and a label; "
                    "the quarantined share of audio files at most max_unreadable_share.")],
)
def audio_fingerprints(context: dg.AssetExecutionContext, config: AudioFingerprintsConfig, spark: SparkResource,
                       object_store: ObjectStore, warehouse: Warehouse):
    """What every catalogue track with audio sounds like, as a Chromaprint fingerprint
    (robust to re-encoding, volume and cuts; also taken slowed down, against sped-up
    copies): the evidence that finds re-uploads of the same recording under other titles.
    Unreadable audio is quarantined with the reason."""
    session = spark.get_session()
    keys = sorted(object_store.list(LANDING))
    landing = landing_audio_files(keys, LANDING)
    catalogue = _catalogue_audio(session, object_store, warehouse, sorted(set(landing["track_id"])))
    sources, rejected, orphans = plan_audio_sources(landing, catalogue)
    listed = set(keys)
    unlisted = sources[~sources["key"].isin(listed)]  # catalogue keys outside landing/audio/: asked one by one
    missing = unlisted[[not object_store.exists(k) for k in unlisted["key"]]]
    if len(missing):  # a catalogue audio_key naming no object
        rejected = pd.concat([rejected, missing.assign(reason=lambda d: "no object at audio_key " + d["key"])],
                             ignore_index=True)
        sources = sources[~sources.index.isin(missing.index)].reset_index(drop=True)
    if len(sources) and not tools_available():
        raise dg.Failure(description=f"{len(sources)} audio files to fingerprint but {INSTALL_HINT}")
    cfg = AudioConfig(max_seconds=config.max_seconds, speed_grid=tuple(config.speed_grid))
    with object_store.local_paths(list(sources["key"])) as paths:
        rows = list(zip(sources["track_id"], sources["label_id"], paths, strict=True))
        files = session.createDataFrame(rows, FILES_SCHEMA)
        if rows:
            files = files.repartition(max(1, -(-len(rows) // max(1, config.files_per_task))))
        keys = session.createDataFrame(list(zip(sources["track_id"], sources["key"], strict=True)),
                                       "track_id string, source_key string")
        fps = fingerprint_files(files, cfg).cache()  # read once: the table and the quarantine come from it
        try:
            unread = (unreadable(fps).join(keys, "track_id", "left").toPandas()
                      .rename(columns={"source_key": "key"})[["track_id", "label_id", "key", "reason"]])
            table = fingerprint_table(fps).join(keys, "track_id", "left")
            with warehouse.stage_table(table, "audio_fingerprints") as staged:
                out = staged.read()  # the check and the figures read the staged copy
                fig = out.agg(
                    F.count("*").alias("rows"), F.countDistinct("track_id").alias("tracks"),
                    F.countDistinct("label_id").alias("labels"), F.sum("duration_s").alias("seconds"),
                    F.sum((F.col("fingerprint").isNull() | (F.size("fingerprint") == 0) | F.col("label_id").isNull()
                           | ~(F.col("duration_s") > 0)).cast("int")).alias("bad"),
                    F.sum(F.size("slowed")).alias("variants")).first()
                preview = _preview(out.select("track_id", "label_id", "duration_s",
                                              F.size("fingerprint").alias("items"),
                                              F.size("slowed").alias("slowed_variants"), "source_key"))
                schema = _schema(out)
                quarantined = pd.concat([rejected, unread], ignore_index=True)
                files_seen = len(sources) + len(rejected)
                share = len(quarantined) / files_seen if files_seen else 0.0
                duplicates = (fig.rows or 0) - (fig.tracks or 0)
                passed = share <= config.max_unreadable_share and duplicates == 0 and (fig.bad or 0) == 0
                if passed:
                    staged.publish()
                else:
                    context.log.error("audio_fingerprints: blocking check failed; the previous table stays "
                                      "published")
        finally:
            fps.unpersist()
    object_store.delete_prefix(QUARANTINE)  # the quarantine of this run replaces the last one
    if len(quarantined):
        object_store.write_jsonl_gz(QUARANTINE_KEY, quarantined.astype(object).where(quarantined.notna(), None)
                                    .to_dict("records"))
        context.log.warning(f"{len(quarantined)} audio files quarantined -> {QUARANTINE_KEY}")
    if not files_seen:
        context.log.info("no audio this run: no files under landing/audio/ and no catalogue audio_key")
    reasons = quarantined["reason"].str.split(":").str[0].value_counts().to_dict() if len(quarantined) else {}
    return dg.MaterializeResult(
        metadata={"dagster/row_count": fig.rows or 0, "audio_tracks": fig.tracks or 0, "labels": fig.labels or 0,
                  "audio_files": files_seen, "quarantined_files": len(quarantined),
                  "quarantined_by_reason": reasons,
                  "audio_without_catalogue_track": len(orphans), "audio_hours": round((fig.seconds or 0) / 3600, 3),
                  "slowed_variants": fig.variants or 0, "published": passed,
                  "quarantine": dg.MetadataValue.path(f"{object_store.describe()}/{QUARANTINE_KEY}")
                  if len(quarantined) else "-",
                  "dagster/column_schema": schema, "preview": preview},
        check_results=[dg.AssetCheckResult(
            check_name="audio_fingerprints_contract", passed=passed,
            metadata={"unreadable_share": round(share, 5), "max_unreadable_share": config.max_unreadable_share,
                      "duplicate_tracks": duplicates, "rows_without_fingerprint_label_or_duration": fig.bad or 0})],
    )


# ---------------------------------------------------------------------------- audio_matches
class AudioMatchesConfig(dg.Config):
    band_bits: int = Field(default=MatchConfig.band_bits, description="Bits per hashed band of a fingerprint item.")
    bands: int = Field(default=MatchConfig.bands, description="Bands hashed per item (each a candidate key).")
    sample_mod: int = Field(default=MatchConfig.sample_mod,
                            description="Keep keys divisible by this (content-defined sample; 1 keeps all).")
    max_key_tracks: int = Field(default=MatchConfig.max_key_tracks,
                                description="A key held by more tracks (silence, click tracks) is dropped.")
    salt_buckets: int = Field(default=MatchConfig.salt_buckets,
                              description="Tasks a common key is spread over in the candidate join (salting).")
    min_votes: int = Field(default=MatchConfig.min_votes,
                           description="Key hits at one offset for a pair to be verified.")
    max_bit_error_rate: float = Field(default=MatchConfig.max_bit_error_rate,
                                      description="Largest bit error rate of a verified match (unrelated: 0.4+).")
    min_matched_s: float = Field(default=MatchConfig.min_matched_s,
                                 description="Shortest overlap, in seconds, of a verified match.")
    align_slack: int = Field(default=MatchConfig.align_slack,
                             description="Items either side of the voted offset tried in verification.")

    def match_config(self) -> MatchConfig:
        return MatchConfig(**{f: getattr(self, f) for f in MatchConfig.__dataclass_fields__})


@dg.asset(
    deps=["audio_fingerprints"], group_name=GROUP, kinds=KINDS, owners=OWNERS,
    automation_condition=ON_UPSTREAM_UPDATE,
    check_specs=[dg.AssetCheckSpec(
        "audio_matches_valid", asset="audio_matches", blocking=True,
        description="track_a < track_b, both fingerprinted, bit error rate and overlap within the config.")],
)
def audio_matches(context: dg.AssetExecutionContext, config: AudioMatchesConfig, spark: SparkResource,
                  warehouse: Warehouse):
    """Pairs of tracks that are the same recording (re-encoded, volume-changed, trimmed,
    padded or sped up), verified bit by bit: a pair across two labels is a re-upload of
    someone's audio; a pair inside one label is its own remaster or compilation."""
    session = spark.get_session()
    cfg = config.match_config()
    fps = warehouse.read(session, "audio_fingerprints")
    with warehouse.stage_table(match_audio(variant_rows(fps), cfg), "audio_matches") as staged:
        out = staged.read()
        ids = fps.select("track_id")
        unknown = (out.select(F.col("track_a").alias("track_id")).union(out.select(F.col("track_b").alias("track_id")))
                   .distinct().join(ids, "track_id", "left_anti").count())
        fig = out.agg(
            F.count("*").alias("rows"),
            F.sum((F.col("label_a") != F.col("label_b")).cast("int")).alias("cross"),
            F.sum((F.abs(F.col("speed_ratio") - 1.0) > 0.01).cast("int")).alias("speed"),
            F.sum(((F.col("track_a") >= F.col("track_b")) | (F.col("bit_error_rate") > cfg.max_bit_error_rate)
                   | (F.col("bit_error_rate") < 0) | (F.col("matched_s") < cfg.min_matched_s)).cast("int")).alias("bad"),
            F.percentile_approx("bit_error_rate", 0.5).alias("median_ber"),
        ).first()
        preview, schema = _preview(out.orderBy("bit_error_rate")), _schema(out)
        passed = (fig.bad or 0) == 0 and unknown == 0
        if passed:
            staged.publish()
    rows = fig.rows or 0
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, "cross_label_matches": fig.cross or 0,
                  "same_label_matches": rows - (fig.cross or 0), "speed_changed_matches": fig.speed or 0,
                  "median_bit_error_rate": float(fig.median_ber) if fig.median_ber is not None else 0.0,
                  "published": passed, "dagster/column_schema": schema, "preview": preview},
        check_results=[dg.AssetCheckResult(check_name="audio_matches_valid", passed=passed,
                                           metadata={"invalid_matches": fig.bad or 0, "unknown_tracks": unknown})],
    )


# ---------------------------------------------------------------------------- label_audio_similarity
class LabelAudioSimilarityConfig(dg.Config):
    similarity_threshold: float = Field(
        default=DEFAULT_AUDIO_THRESHOLD,
        description="Jaccard of two labels' sets of audio identities at or above which they are linked "
                    "(an identity: one recording and all its matched copies).")


@dg.asset(
    deps=["audio_matches", "audio_fingerprints"], group_name=GROUP, kinds=KINDS, owners=OWNERS,
    automation_condition=ON_UPSTREAM_UPDATE,
    check_specs=[dg.AssetCheckSpec(
        "audio_edges_valid", asset="label_audio_similarity", blocking=True,
        description="label_a < label_b, 0 < jaccard <= 1 and at or above the threshold, shared <= both sizes.")],
)
def label_audio_similarity(context: dg.AssetExecutionContext, config: LabelAudioSimilarityConfig,
                           spark: SparkResource, warehouse: Warehouse):
    """Pairs of labels whose catalogues are the same recordings (exact Jaccard over their
    sets of audio identities): the audio edges that join fake-label networks even when
    every title was changed. A label's own remasters make no edge."""
    session = spark.get_session()
    tracks = warehouse.read(session, "audio_fingerprints").select("track_id", "label_id")
    matches = warehouse.read(session, "audio_matches")
    table = audio_similarity(tracks, matches, config.similarity_threshold)
    with warehouse.stage_table(table, "label_audio_similarity") as staged:
        out = staged.read()
        fig = out.agg(
            F.count("*").alias("edges"),
            F.sum(((F.col("label_a") >= F.col("label_b")) | (F.col("jaccard") <= 0) | (F.col("jaccard") > 1)
                   | (F.col("jaccard") < config.similarity_threshold - 1e-12)
                   | (F.col("shared") > F.least("size_a", "size_b"))).cast("int")).alias("bad"),
            F.avg("jaccard").alias("avg"),
        ).first()
        labels = out.select(F.col("label_a").alias("l")).union(out.select(F.col("label_b").alias("l"))).distinct().count()
        preview, schema = _preview(out.orderBy(F.desc("jaccard"), "label_a")), _schema(out)
        passed = (fig.bad or 0) == 0
        if passed:
            staged.publish()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": fig.edges or 0, "labels_with_audio_edges": labels,
                  "avg_jaccard": float(fig.avg or 0.0), "published": passed,
                  "dagster/column_schema": schema, "preview": preview},
        check_results=[dg.AssetCheckResult(check_name="audio_edges_valid", passed=passed,
                                           metadata={"invalid_edges": fig.bad or 0})],
    )
