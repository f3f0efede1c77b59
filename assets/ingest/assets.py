"""Ingest assets: bring the platform's data into the raw zone (group ``ingest``)."""


import asyncio
import io
from collections.abc import Coroutine
from typing import Any, TypeVar

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.ingest.catalog_landing import read_landing_file, split_catalog
from assets.ingest.network_crawl import store_follow_graph, store_repost_timelines
from assets.ingest.publish import IncompleteCrawl, open_attempt, publish, utc_now
from assets.ingest.raw_zone import partition_prefix
from assets.ingest.user_crawl import USER_STATUSES, crawl_range, read_range
from assets.ingest.user_import import dump_format, load_dump
from assets.partitions import (
    artists,
    catalog_days,
    parse_user_range_key,
    user_id_ranges,
)
from resources.crawler import Crawler, PlatformAuthError, PlatformUnreachableError
from resources.data_quality import Expectation, validate
from resources.object_store import ObjectStore
from resources.platform_api import PlatformAPI

OWNERS = ["team:ingest"]
T = TypeVar("T")
API_POOL = "platform_api"  # Dagster concurrency pool: how many crawls share the API at once
USER_COUNT_FIELDS = (
    "followers_count", "followings_count", "track_count", "likes_count", "playlist_count",
    "reposts_count", "comments_count",
)


def _preview(df: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(df.head(rows).astype(str).to_markdown(index=False) if len(df) else "_no rows_")


def _run_crawl(crawler: Crawler, coro: Coroutine[Any, Any, T]) -> T:
    """Run a crawl; an API that refuses us or cannot be reached, or a crawl with too many
    failures, fails the run with the diagnosis and ``errors_by_kind`` (nothing is
    published then: the previous copy stays the partition's complete one)."""
    try:
        return asyncio.run(coro)
    except (PlatformAuthError, PlatformUnreachableError) as e:
        stats = crawler.stats.as_metadata()
        raise dg.Failure(description=str(e), metadata={
            "errors_by_kind": stats["errors_by_kind"], "requests": stats["requests"],
            "responses_by_status": stats["responses_by_status"]}) from None
    except IncompleteCrawl as e:
        stats = crawler.stats.as_metadata()
        raise dg.Failure(description=str(e), metadata={
            "failed_share": e.summary.get("failed_share"), "max_failed_share": e.summary.get("max_failed_share"),
            "errors_by_kind": stats["errors_by_kind"], "requests": stats["requests"]}) from None


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    """Parquet that Spark reads as-is: microsecond timestamps, every other column a string."""
    df = df.copy()
    for col in df.columns:
        if not pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("string")
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------- catalog
class RawCatalogConfig(dg.Config):
    max_rejected_share: float = Field(
        default=0.01, description="Above this share of rejected rows the day is a systemic failure (blocks downstream)."
    )


@dg.asset(
    partitions_def=catalog_days,
    group_name="ingest",
    kinds={"pandas", "s3"},
    owners=OWNERS,
    check_specs=[
        dg.AssetCheckSpec("catalog_contract", asset="raw_catalog", blocking=True,
                          description="Accepted rows meet the catalog contract (great-expectations)."),
        dg.AssetCheckSpec("rejected_share", asset="raw_catalog", blocking=True,
                          description="Rejected rows stay under max_rejected_share; more is systemic."),
    ],
)
def raw_catalog(context: dg.AssetExecutionContext, config: RawCatalogConfig, object_store: ObjectStore):
    """A distributor's catalog drop for one day, validated: accepted tracks in the raw zone,
    every rejected row in quarantine with the reason it broke the contract."""
    day = context.partition_key
    frames, unreadable = [], []
    keys = list(object_store.list(f"landing/catalog/date={day}/"))
    for key in keys:
        try:
            frame = read_landing_file(key, object_store.get_bytes(key))
        except Exception as e:  # a file we cannot parse is kept in landing and reported
            unreadable.append({"source_file": key, "reason": f"unreadable file: {type(e).__name__}: {e}"})
            continue
        frames.append(frame.assign(source_file=key))
    if not keys:
        context.log.warning(f"no landing files for {day}: the partition is empty")
    landing = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"source_file": []})
    accepted, rejected = split_catalog(landing, day)

    object_store.delete_prefix(f"raw/catalog/date={day}/")  # re-running a day replaces it
    object_store.put_bytes(f"raw/catalog/date={day}/part-00000.parquet", _parquet_bytes(accepted))
    quarantine_key = f"quarantine/catalog/date={day}/rejected.jsonl.gz"
    object_store.delete_prefix(f"quarantine/catalog/date={day}/")
    quarantined = rejected.astype(object).where(rejected.notna(), None).to_dict("records") + unreadable
    if quarantined:
        object_store.write_jsonl_gz(quarantine_key, quarantined)

    contract = validate(
        accepted.assign(upload_day=accepted["uploaded_at"].dt.strftime("%Y-%m-%d") if len(accepted) else []),
        [Expectation("ExpectColumnValuesToNotBeNull", {"column": c})
         for c in ("track_id", "title", "album_id", "label_id", "uploaded_at")]
        + [Expectation("ExpectColumnValuesToBeUnique", {"column": "track_id"}),
           Expectation("ExpectColumnValuesToBeInSet", {"column": "upload_day", "value_set": [day]})],
        suite_name="raw_catalog",
    )
    n_in = len(landing)
    share = len(rejected) / n_in if n_in else 0.0
    reasons = rejected["reason"].value_counts().to_dict() if len(rejected) else {}
    if unreadable:
        context.log.error(f"{len(unreadable)} landing files could not be read; see {quarantine_key}")
    return dg.MaterializeResult(
        metadata={
            "input_rows": n_in,
            "dagster/row_count": len(accepted),
            "quarantined_rows": len(rejected),
            "unreadable_files": len(unreadable),
            "rejected_by_reason": reasons,
            "landing_files": len(keys),
            "preview": _preview(accepted),
        },
        check_results=[
            dg.AssetCheckResult(check_name="catalog_contract", passed=contract.success, metadata=contract.metadata()),
            dg.AssetCheckResult(
                check_name="rejected_share",
                passed=share <= config.max_rejected_share and not unreadable,
                metadata={"rejected_share": round(share, 5), "limit": config.max_rejected_share,
                          "unreadable_files": len(unreadable)},
            ),
        ],
    )


# ---------------------------------------------------------------------------- users
class RawUsersConfig(dg.Config):
    chunk_size: int = Field(default=200, description="Ids per checkpoint file (a killed crawl resumes per chunk).")
    chunks_in_flight: int = Field(default=4, description="Chunks crawled concurrently.")
    max_failed_share: float = Field(
        default=0.01, description="Above this share of ids failed after retries the range is not published (run fails)."
    )


def users_frame(records: list[dict]) -> pd.DataFrame:
    """Flat view of raw user records for checks: id, status, and the user's counts."""
    rows = []
    for r in records:
        user = r.get("user") or {}
        rows.append({"id": r["id"], "status": r["status"], **{f: user.get(f) for f in USER_COUNT_FIELDS}})
    return pd.DataFrame(rows, columns=["id", "status", *USER_COUNT_FIELDS])


@dg.asset(
    partitions_def=user_id_ranges,
    group_name="ingest",
    kinds={"python", "s3"},
    owners=OWNERS,
    pool=API_POOL,
    check_specs=[
        dg.AssetCheckSpec("one_record_per_id", asset="raw_users", blocking=True,
                          description="Every id of the range has exactly one record with a valid status and counts."),
    ],
)
def raw_users(
    context: dg.AssetExecutionContext, config: RawUsersConfig, object_store: ObjectStore, platform_api: PlatformAPI
):
    """Platform users of one id range as crawled from /users/{id} and their web profiles:
    one record per id (fetched, gone or failed), the input of spam detection."""
    key = context.partition_key
    first, last = parse_user_range_key(key)
    crawler = platform_api.crawler()
    summary = _run_crawl(crawler, crawl_range(
        object_store, crawler, key, first, last, chunk_size=config.chunk_size,
        chunks_in_flight=config.chunks_in_flight, max_failed_share=config.max_failed_share, log=context.log.info))
    df = users_frame(read_range(object_store, key))
    check = validate(
        df,
        [Expectation("ExpectTableRowCountToEqual", {"value": last - first + 1}),
         Expectation("ExpectColumnValuesToBeUnique", {"column": "id"}),
         Expectation("ExpectColumnValuesToBeBetween", {"column": "id", "min_value": first, "max_value": last}),
         Expectation("ExpectColumnValuesToBeInSet", {"column": "status", "value_set": list(USER_STATUSES)})]
        + [Expectation("ExpectColumnValuesToBeBetween", {"column": f, "min_value": 0}) for f in USER_COUNT_FIELDS],
        suite_name="raw_users",
    )
    counts = df["status"].value_counts().to_dict()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(df),
            "by_status": {s: int(counts.get(s, 0)) for s in USER_STATUSES},
            "failed_share": summary["failed_share"],
            "max_failed_share": config.max_failed_share,
            "users_per_s": summary["users_per_s"],
            "resumed_ids": summary["resumed"],
            "requests": summary["crawl"]["requests"],
            "retries": summary["crawl"]["retries"],
            "responses_by_status": summary["crawl"]["responses_by_status"],
            "errors_by_kind": summary["crawl"]["errors_by_kind"],
            "preview": _preview(df[df["status"] == "fetched"]),
        },
        check_results=[
            dg.AssetCheckResult(check_name="one_record_per_id", passed=check.success, metadata=check.metadata()),
        ],
    )


# ---------------------------------------------------------------------------- imports
USER_DUMPS = "landing/user_dumps/"
QUARANTINE_IMPORTS = "quarantine/user_imports/"


class RawUserImportsConfig(dg.Config):
    max_rejected_share: float = Field(
        default=0.01, description="Above this share of rejected rows the import is a systemic failure (blocks downstream)."
    )
    part_rows: int = Field(default=500_000, description="Records per output file of one dump.")


def import_source(name: str) -> str:
    """The raw partition key of a dump file: its name under landing/user_dumps/ ('/' -> '__')."""
    return name.replace("/", "__")


def _remove_stale_imports(store: ObjectStore, sources: set[str], log) -> list[str]:
    """Remove the imports of dump files that are gone, and the pre-namespace import files
    (``raw/users/range=*/part-import-*``) an older version of this asset wrote."""
    removed = []
    root = "raw/user_imports/source="
    for src in sorted({k[len(root):].split("/", 1)[0] for k in store.list(root)} - sources):
        store.delete_prefix(partition_prefix("user_imports", src))
        store.delete_prefix(f"{QUARANTINE_IMPORTS}source={src}/")
        removed.append(src)
        log(f"dump {src} is gone from {USER_DUMPS}: its import was removed")
    for key in store.list("raw/users/"):
        if "/part-import-" in key:
            store.delete(key)
            removed.append(key)
    for key in store.list(QUARANTINE_IMPORTS):
        if "/" not in key[len(QUARANTINE_IMPORTS):]:  # old flat quarantine files
            store.delete(key)
    return removed


@dg.asset(
    group_name="ingest",
    kinds={"python", "s3"},
    owners=OWNERS,
    check_specs=[
        dg.AssetCheckSpec("rejected_share", asset="raw_user_imports", blocking=True,
                          description="Rejected rows stay under max_rejected_share and every dump could be read."),
    ],
)
def raw_user_imports(context: dg.AssetExecutionContext, config: RawUserImportsConfig, object_store: ObjectStore):
    """Users loaded from dumps a platform drops under landing/user_dumps/ (the seed's MariaDB
    dump or CSV of v1 fields, or JSON Lines of api-v2 users), in the raw-users record layout
    under raw/user_imports/; bad rows quarantined with the reason."""
    imported_at = utc_now()
    dumps, ignored = {}, []
    for key in object_store.list(USER_DUMPS):
        name = key[len(USER_DUMPS):]
        if dump_format(name)[0] is None:
            ignored.append(key)
            context.log.warning(f"{key}: not a user dump (.sql, .csv, .jsonl, optionally .gz): ignored")
            continue
        dumps[import_source(name)] = (key, name)
    removed = _remove_stale_imports(object_store, set(dumps), context.log.info)
    rows_by_file, rejected_by_reason, unreadable = {}, {}, {}
    for src, (key, name) in sorted(dumps.items()):
        attempt = open_attempt(object_store, partition_prefix("user_imports", src), context.log.info, resume=False)
        quarantine_key = f"{QUARANTINE_IMPORTS}source={src}/rejected.jsonl.gz"
        try:
            loaded = load_dump(object_store, key, name, attempt.root, quarantine_key, imported_at,
                               part_rows=config.part_rows, log=context.log.info)
        except Exception as e:  # an unreadable dump keeps its previous import and fails the check
            object_store.delete_prefix(attempt.root)
            unreadable[key] = f"{type(e).__name__}: {e}"[:500]
            context.log.error(f"{key}: could not be read ({unreadable[key]}); its previous import (if any) stays")
            continue
        publish(attempt, loaded["files"], {"source_file": key, "rows": loaded["rows"],
                                           "rejected_by_reason": loaded["rejected_by_reason"]})
        rows_by_file[key] = loaded["rows"]
        for kind, n in loaded["rejected_by_reason"].items():
            rejected_by_reason[kind] = rejected_by_reason.get(kind, 0) + n
        rejected = sum(loaded["rejected_by_reason"].values())
        context.log.info(f"{key}: {loaded['rows']} users imported, {rejected} rows quarantined"
                         + (f" ({quarantine_key})" if rejected else ""))
    loaded_rows = sum(rows_by_file.values())
    rejected_rows = sum(rejected_by_reason.values())
    share = rejected_rows / (loaded_rows + rejected_rows) if loaded_rows + rejected_rows else 0.0
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": loaded_rows,
            "quarantined_rows": rejected_rows,
            "files": len(dumps),
            "rows_by_file": rows_by_file,
            "rejected_by_reason": dict(sorted(rejected_by_reason.items())),
            "unreadable_files": unreadable,
            "ignored_files": ignored,
            "removed_imports": removed,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="rejected_share",
                passed=share <= config.max_rejected_share and not unreadable,
                metadata={"rejected_share": round(share, 5), "limit": config.max_rejected_share,
                          "unreadable_files": len(unreadable)},
            ),
        ],
    )


# ---------------------------------------------------------------------------- artist networks
class FollowGraphConfig(dg.Config):
    hops: int = Field(default=1, description="Follow steps out from the artist (1 = direct followers/followings).")
    page_size: int = Field(default=5, description=(
        "Items per page of the artist's own followers/followings lists. Each page's cursor bounds its follows' "
        "times (followed_at_min/max; 1 = every follow exact). Measured (python -m bench crawl_times, seed 1, "
        "every farm target + top 3 artists, hops=1; farm members timed within 1 h on 3+ targets): 1 = 5,602 "
        "requests, 100%; 3 = 1,883, 100%; 5 = 1,134, 100% (87% of farm follows within 1 h); 10 = 577, 64%; "
        "50 = 133 and 200 = 56, 0%. 5 is the largest page that still timed every farm member."))
    hop_page_size: int = Field(default=200, description=(
        "Items per page of the lists of users beyond the artist (hops >= 2): they give the network's structure "
        "(triads, co-follows), so 200 (the API's maximum) keeps it to ~2 requests per user."))
    max_nodes: int = Field(default=20_000, description="Stop expanding once this many users are known.")
    batch_size: int = Field(default=50, description="Nodes per checkpoint file (a killed crawl resumes per batch).")
    batches_in_flight: int = Field(default=4, description="Batches of nodes crawled concurrently.")
    max_failed_share: float = Field(
        default=0.01, description="Above this share of expanded nodes failed the graph is not published (run fails)."
    )


@dg.asset(partitions_def=artists, group_name="ingest", kinds={"python", "s3"}, owners=OWNERS, pool=API_POOL)
def raw_follow_graph(context: dg.AssetExecutionContext, config: FollowGraphConfig,
                     object_store: ObjectStore, platform_api: PlatformAPI):
    """The follower network around one artist as an edge list with follow times and depth:
    the input of bot and multi-follow detection."""
    crawler = platform_api.crawler()
    graph, summary = _run_crawl(crawler, store_follow_graph(
        object_store, crawler, int(context.partition_key), hops=config.hops,
        page_size=config.page_size, hop_page_size=config.hop_page_size, max_nodes=config.max_nodes,
        batch_size=config.batch_size,
        batches_in_flight=config.batches_in_flight, max_failed_share=config.max_failed_share, log=context.log.info,
    ))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": summary["edges"], "nodes": summary["nodes"], "nodes_failed": summary["nodes_failed"],
        "failed_share": summary["failed_share"],
        "resumed_nodes": summary["resumed_nodes"], "fetched_nodes": summary["fetched_nodes"],
        "requests": summary["crawl"]["requests"], "retries": summary["crawl"]["retries"],
        "errors_by_kind": summary["crawl"]["errors_by_kind"],
        "preview": _preview(pd.DataFrame(graph.edges)),
    })


class RepostTimelineConfig(dg.Config):
    page_size: int = Field(default=1, description="Reposters per page; 1 recovers every repost time (seed 001).")
    batch_size: int = Field(default=20, description="Tracks per checkpoint file (a killed crawl resumes per batch).")
    batches_in_flight: int = Field(default=4, description="Batches of tracks crawled concurrently.")
    max_failed_share: float = Field(
        default=0.01, description="Above this share of tracks failed the timelines are not published (run fails)."
    )


@dg.asset(partitions_def=artists, group_name="ingest", kinds={"python", "s3"}, owners=OWNERS, pool=API_POOL)
def raw_repost_timelines(context: dg.AssetExecutionContext, config: RepostTimelineConfig,
                         object_store: ObjectStore, platform_api: PlatformAPI):
    """Every track of one artist with who reposted it and when: the timelines in which
    "mavens" and coordinated repost bursts show up."""
    crawler = platform_api.crawler()
    timelines, summary = _run_crawl(crawler, store_repost_timelines(
        object_store, crawler, int(context.partition_key), page_size=config.page_size,
        batch_size=config.batch_size, batches_in_flight=config.batches_in_flight,
        max_failed_share=config.max_failed_share, log=context.log.info,
    ))
    return dg.MaterializeResult(metadata={
        "dagster/row_count": summary["reposts"], "tracks": summary["tracks"],
        "tracks_failed": summary["tracks_failed"], "failed_share": summary["failed_share"],
        "resumed_tracks": summary["resumed_tracks"], "fetched_tracks": summary["fetched_tracks"],
        "requests": summary["crawl"]["requests"], "retries": summary["crawl"]["retries"],
        "errors_by_kind": summary["crawl"]["errors_by_kind"],
        "preview": _preview(pd.DataFrame(timelines.reposts)),
    })
