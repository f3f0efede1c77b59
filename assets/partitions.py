"""Every partition definition of the project, in one place (assets, jobs, schedules and sensors import them from here)."""

from __future__ import annotations

import dagster as dg

CATALOG_START_DATE = "2024-01-01"

# One partition per landing day of the distributor catalog feed (UTC).
catalog_days = dg.DailyPartitionsDefinition(start_date=CATALOG_START_DATE, timezone="UTC")

# One partition per landing day of the platform's play logs (UTC); plays start with the catalog.
PLAYS_START_DATE = CATALOG_START_DATE
play_days = dg.DailyPartitionsDefinition(start_date=PLAYS_START_DATE, timezone="UTC")

# User-id ranges of the crawl ("000000001-000001000"); a backfill over them is the crawl.
# Dynamic so the id space can be extended as the platform grows (see `user_range_keys`).
user_id_ranges = dg.DynamicPartitionsDefinition(name="user_id_ranges")

# Artists whose follower network and repost timelines are crawled; added from config or by
# the `artist_watchlist_sensor`.
artists = dg.DynamicPartitionsDefinition(name="artists")

RANGE_KEY_DIGITS = 9


def user_range_key(first: int, last: int) -> str:
    """Partition key of an id range; zero-padded so keys sort in id order."""
    if first < 1 or last < first:
        raise ValueError(f"invalid id range {first}-{last}")
    return f"{first:0{RANGE_KEY_DIGITS}d}-{last:0{RANGE_KEY_DIGITS}d}"


def parse_user_range_key(key: str) -> tuple[int, int]:
    try:
        first, last = (int(x) for x in key.split("-"))
    except ValueError as e:
        raise ValueError(f"user-id range partition key must look like '000000001-000001000', got {key!r}") from e
    if first < 1 or last < first:
        raise ValueError(f"invalid id range in partition key {key!r}")
    return first, last


def user_range_keys(up_to_id: int, range_size: int, start_id: int = 1) -> list[str]:
    """Keys covering ids start_id..up_to_id in ranges of `range_size` (the last one is full-sized)."""
    if range_size < 1:
        raise ValueError("range_size must be >= 1")
    keys = []
    first = start_id
    while first <= up_to_id:
        keys.append(user_range_key(first, first + range_size - 1))
        first += range_size
    return keys
