"""Scenario: the audio assets first run with no audio at all (a finding, not a failure); then
a small catalogue lands (five labels, one day) and is fingerprinted, and a delivery of
synthesised audio lands under ``landing/audio/``:

* label ORIG owns three recordings and a remaster of one of them;
* label THIEF re-uploads all three under other titles: one re-encoded to mp3 128 kbit/s,
  one volume-changed, one sped up 3% (the dodge Chromaprint alone misses);
* label COVERS holds a cover of one of ORIG's songs (same melody, another recording) and
  an original of its own; label OWNER holds an original and its own remaster;
* label BROKEN delivers a corrupt mp3; one file names a track the catalogue does not know;
  one track's audio is named by the catalogue's ``audio_key`` (a flac elsewhere in the store).

Through ``materialize`` with the real resources (local object store and warehouse in a
temporary directory, the test Spark session): ORIG and THIEF form one network joined by
audio evidence, the cover matches nothing, the remasters match only inside their own label
and put no label in a network, the corrupt file is quarantined with its reason.
Needs ``fpcalc`` and ``sox`` (``make audio-tools``); skipped with the reason without them.
"""

from __future__ import annotations

import subprocess

import dagster as dg
import pytest

from assets.catalog import assets as catalog_assets
from assets.catalog import audio_assets
from assets.catalog.audio import landing_audio_files, plan_audio_sources, tools_available
from assets.ingest.assets import raw_catalog
from resources.catalog_rules import CatalogRulesResource
from resources.object_store import LocalObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse

DAY = "2024-03-01"
AUDIO = [dg.AssetKey(k) for k in ("label_reuse", "exempt_would_flag", "label_similarity", "audio_fingerprints",
                                  "audio_matches", "label_audio_similarity", "fraud_networks", "network_summary")]
# One corrupt file among a dozen is 8%: the run config says what share this delivery may lose.
AUDIO_CONFIG = {"ops": {"audio_fingerprints": {"config": {"max_unreadable_share": 0.1}}}}
AUDIO_KEYS = {"T22": "masters/covers/T22.flac"}  # named by the catalogue instead of landed
TRACKS = [  # track_id, label_id, title, hour
    ("T01", "ORIG", "morning light", 9), ("T02", "ORIG", "river song", 9), ("T03", "ORIG", "city dust", 10),
    ("T04", "ORIG", "river song remastered 2024", 11),
    ("T11", "THIEF", "sunrise glow", 9), ("T12", "THIEF", "water melody", 9), ("T13", "THIEF", "urban haze", 10),
    ("T21", "COVERS", "morning light cover", 14), ("T22", "COVERS", "quiet fields", 15),
    ("T31", "OWNER", "old road", 16), ("T32", "OWNER", "old road deluxe", 17),
    ("T41", "BROKEN", "static noise", 18),
]


def _land_catalogue(store: LocalObjectStore) -> None:
    rows = ["track_id,title,album_id,label_id,label_name,distributor,genre,content_type,uploaded_at,audio_key"]
    for tid, label, title, hour in TRACKS:
        rows.append(f"{tid},{title},{label}-album-{tid[-1]},{label},{label.title()} Records,indie,pop,music,"
                    f"{DAY}T{hour:02d}:{int(tid[-1]) * 5:02d}:00Z,{AUDIO_KEYS.get(tid, '')}")
    store.put_bytes(f"landing/catalog/date={DAY}/catalog.csv", ("\n".join(rows) + "\n").encode())


def _land_audio(store: LocalObjectStore, tmp) -> None:
    from simulator.audio import derive, recording, write_wav

    seconds = 20.0
    src = {}
    for i, tid in enumerate(("T01", "T02", "T03", "T22", "T31")):
        src[tid] = write_wav(tmp / f"{tid}.wav", recording(100 + i, seconds))
    cover = recording(900, seconds, melody=100, timbre=901, tempo=97.0)  # T01's melody, another recording
    files = {
        "T01.wav": src["T01"], "T02.wav": src["T02"], "T03.wav": src["T03"],
        "T04.mp3": derive(src["T02"], tmp / "T04.mp3", "reencode", 192),  # ORIG's own remaster
        "T11.mp3": derive(src["T01"], tmp / "T11.mp3", "reencode", 128),
        "T12.wav": derive(src["T02"], tmp / "T12.wav", "volume", 0.6),
        "T13.wav": derive(src["T03"], tmp / "T13.wav", "speed", 1.03),
        "T21.wav": write_wav(tmp / "T21.wav", cover),
        "T31.wav": src["T31"], "T32.mp3": derive(src["T31"], tmp / "T32.mp3", "reencode", 192),
        "T99.wav": src["T01"],  # a track the catalogue does not know (yet)
    }
    for name, path in files.items():
        store.upload_file(path, f"landing/audio/{name}")
    subprocess.run(["sox", str(src["T22"]), str(tmp / "T22.flac")], check=True, capture_output=True)
    store.upload_file(tmp / "T22.flac", AUDIO_KEYS["T22"])
    store.put_bytes("landing/audio/T41.mp3", b"ID3" + b"\x00garbage, not an mp3 frame" * 200)


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory):
    if not tools_available():
        pytest.skip("fpcalc/sox not installed: `make audio-tools` (Debian: libchromaprint-tools sox libsox-fmt-mp3)")
    root = tmp_path_factory.mktemp("audio-assets")
    store = LocalObjectStore(root=str(root / "lake"))
    resources = {"object_store": store, "spark": SparkResource(), "warehouse": Warehouse(uri=str(root / "wh")),
                 "catalog_rules": CatalogRulesResource()}
    assets = [raw_catalog, *dg.load_assets_from_modules([catalog_assets, audio_assets])]
    instance = dg.DagsterInstance.ephemeral()
    # before anything landed: no audio files and no catalogue naming any
    out = {"no_audio": dg.materialize(assets, selection=AUDIO[3:6], instance=instance, resources=resources)}
    _land_catalogue(store)
    out["catalogue"] = dg.materialize(assets, selection=[dg.AssetKey("raw_catalog"), dg.AssetKey("track_fingerprints")],
                                      partition_key=DAY, instance=instance, resources=resources)
    _land_audio(store, root)
    out["audio"] = dg.materialize(assets, selection=AUDIO, instance=instance, resources=resources,
                                  run_config=AUDIO_CONFIG)
    return store, resources["warehouse"], out


def _meta(result, key: str) -> dict:
    (mat,) = result.asset_materializations_for_node(key)
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


@pytest.mark.integration
def test_every_run_succeeds_and_every_check_passes(runs):
    _, _, out = runs
    for name, result in out.items():
        assert result.success, name
        evaluations = result.get_asset_check_evaluations()
        assert evaluations and all(c.passed for c in evaluations), (name, [c.check_name for c in evaluations
                                                                           if not c.passed])


@pytest.mark.integration
def test_no_audio_is_a_finding_not_a_failure(runs):
    _, _, out = runs
    meta = _meta(out["no_audio"], "audio_fingerprints")
    assert meta["audio_tracks"] == 0 and meta["audio_files"] == 0 and meta["quarantined_files"] == 0
    assert _meta(out["no_audio"], "audio_matches")["dagster/row_count"] == 0
    assert _meta(out["no_audio"], "label_audio_similarity")["dagster/row_count"] == 0


@pytest.mark.integration
def test_reupload_network_is_joined_by_audio_and_look_alikes_are_not(runs, spark):
    _, warehouse, out = runs
    nets = {r.label_id: r.network_id for r in warehouse.read(spark, "fraud_networks").collect()}
    assert nets == {"ORIG": "ORIG", "THIEF": "ORIG"}  # cover, remaster owner and broken label: in no network
    (summary,) = warehouse.read(spark, "network_summary").collect()
    assert (summary.network_id, summary.evidence, summary.audio_edges, summary.title_edges, summary.edges) == (
        "ORIG", "audio", 1, 0, 1)
    assert summary.upload_synchrony_p is not None  # the synchrony test runs on audio networks too
    edges = [tuple(r) for r in warehouse.read(spark, "label_audio_similarity")
             .select("label_a", "label_b", "shared", "size_a", "size_b", "jaccard").collect()]
    assert edges == [("ORIG", "THIEF", 3, 3, 3, 1.0)]
    matches = warehouse.read(spark, "audio_matches").toPandas()
    pairs = {(r.track_a, r.track_b): r for r in matches.itertuples()}
    # each re-upload beside its original (and T12 beside T04: both copies of T02)
    assert {("T01", "T11"), ("T02", "T12"), ("T03", "T13")} <= set(pairs)
    assert abs(pairs[("T03", "T13")].speed_ratio - 1.03) < 0.01
    cross = {p for p, r in pairs.items() if r.label_a != r.label_b}
    assert cross <= {("T01", "T11"), ("T02", "T12"), ("T03", "T13"), ("T04", "T12")}
    assert not [p for p in pairs if "T21" in p or "T22" in p]  # the cover (and COVERS' own song) match nothing
    own = {p for p, r in pairs.items() if r.label_a == r.label_b}
    assert own == {("T02", "T04"), ("T31", "T32")}  # remasters: inside their own label only
    meta = _meta(out["audio"], "audio_matches")
    assert meta["cross_label_matches"] == len(cross) and meta["speed_changed_matches"] >= 1


@pytest.mark.integration
def test_corrupt_audio_is_quarantined_with_its_reason(runs, spark):
    store, warehouse, out = runs
    meta = _meta(out["audio"], "audio_fingerprints")
    assert meta["audio_tracks"] == 11 and meta["quarantined_files"] == 1 and meta["audio_without_catalogue_track"] == 1
    (bad,) = list(store.read_jsonl_gz("quarantine/audio/rejected.jsonl.gz"))
    assert bad["track_id"] == "T41" and bad["label_id"] == "BROKEN" and bad["key"] == "landing/audio/T41.mp3"
    assert bad["reason"] and ("fpcalc" in bad["reason"] or "no audio" in bad["reason"])
    ids = {r.track_id for r in warehouse.read(spark, "audio_fingerprints").select("track_id").collect()}
    assert "T41" not in ids and "T99" not in ids and len(ids) == 11
    keys = dict(warehouse.read(spark, "audio_fingerprints").select("track_id", "source_key").collect())
    assert keys["T22"] == "masters/covers/T22.flac" and keys["T01"] == "landing/audio/T01.wav"


def test_plan_audio_sources_rules():
    import pandas as pd

    landing = landing_audio_files(["landing/audio/A.wav", "landing/audio/A.mp3", "landing/audio/B.txt",
                                   "landing/audio/C.ogg", "landing/audio/Z.flac", "landing/audio/K.wav"],
                                  "landing/audio/")
    catalogue = pd.DataFrame({"track_id": ["A", "B", "C", "K"], "label_id": ["L1", "L1", "L2", "L3"],
                              "audio_key": [None, None, None, "masters/K.flac"]})
    sources, rejected, orphans = plan_audio_sources(landing, catalogue)
    assert sources.values.tolist() == [["A", "L1", "landing/audio/A.mp3"], ["C", "L2", "landing/audio/C.ogg"],
                                       ["K", "L3", "masters/K.flac"]]
    reasons = dict(zip(rejected["key"], rejected["reason"], strict=True))
    assert reasons["landing/audio/B.txt"].startswith("unsupported audio format '.txt'")
    assert reasons["landing/audio/A.wav"] == "another audio file for the same track (kept landing/audio/A.mp3)"
    assert "audio_key names another file" in reasons["landing/audio/K.wav"]
    assert orphans["key"].tolist() == ["landing/audio/Z.flac"]
