"""The stream chain as the assets run it (ingest_day, detect, money), on any Spark session:
shared by the standalone-cluster test and its child process."""

from __future__ import annotations

from assets.streams import detect
from assets.streams.assets import ingest_day
from assets.streams.config import StreamConfig
from assets.streams.money import (
    catalogue_tracks,
    flagged_label_accounts,
    label_stream_fraud,
    network_stream_fraud,
    track_streams,
)
from resources.object_store import LocalObjectStore
from resources.warehouse import Warehouse

TABLES = ("plays", "stream_accounts", "track_streams", "label_stream_fraud", "network_stream_fraud")


class _Log:
    def info(self, msg):
        pass

    warning = error = info


def run_chain(spark, lake: str, day: str, out: str) -> dict:
    """Ingest ``landing/plays/date=<day>/`` of the lake (with its ``catalogue/`` and
    ``networks/`` Parquet beside it), run detection and the money tables into ``out``."""
    store = LocalObjectStore(root=lake)
    wh = Warehouse(uri=f"{out}/warehouse")
    cfg = StreamConfig()
    figures = ingest_day(spark, store, wh, day, _Log())
    plays = wh.read(spark, "plays")
    wh.write_table(detect.stream_accounts(plays, cfg), "stream_accounts")
    accounts = wh.read(spark, "stream_accounts")
    tracks = catalogue_tracks(spark.read.parquet(f"{lake}/catalogue"))
    networks = spark.read.parquet(f"{lake}/networks")
    wh.write_table(track_streams(plays, accounts, tracks, cfg.min_royalty_ms), "track_streams")
    pairs = flagged_label_accounts(plays, accounts, tracks, cfg.min_royalty_ms)
    wh.write_table(label_stream_fraud(wh.read(spark, "track_streams"), pairs, networks), "label_stream_fraud")
    wh.write_table(network_stream_fraud(wh.read(spark, "label_stream_fraud"), pairs), "network_stream_fraud")
    for name in TABLES:
        wh.read(spark, name).write.mode("overwrite").parquet(f"{out}/{name}")
    return figures
