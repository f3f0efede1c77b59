"""label_audio_similarity equals a brute-force reference (union-find identities, every
label pair's Jaccard), and fraud networks over the union of title and audio edges say
which evidence joined them."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from assets.catalog.audio_similarity import label_audio_similarity, network_edges, network_evidence
from assets.catalog.networks import fraud_networks


def _reference(tracks: pd.DataFrame, matches: pd.DataFrame, t: float) -> pd.DataFrame:
    parent = {int(x): int(x) for x in tracks["track_id"]}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(matches["track_a"], matches["track_b"], strict=True):
        ra, rb = find(int(a)), find(int(b))
        parent[max(ra, rb)] = min(ra, rb)
    sets = {}
    for tid, lab in zip(tracks["track_id"], tracks["label_id"], strict=True):
        sets.setdefault(lab, set()).add(find(int(tid)))
    rows = []
    for a, b in combinations(sorted(sets), 2):
        shared = len(sets[a] & sets[b])
        union = len(sets[a] | sets[b])
        if shared and shared / union >= t:
            rows.append((a, b, shared, len(sets[a]), len(sets[b]), shared / union))
    return pd.DataFrame(rows, columns=["label_a", "label_b", "shared", "size_a", "size_b", "jaccard"])


def _random_catalog(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = 400
    tracks = pd.DataFrame({"track_id": np.arange(1, n + 1, dtype="int64"),
                           "label_id": [f"L{int(x):03d}" for x in rng.integers(0, 60, n)]})
    # copy rings: a few recordings re-uploaded under several labels, plus label-internal copies
    pairs = set()
    for _ in range(40):
        ring = rng.choice(n, size=int(rng.integers(2, 6)), replace=False) + 1
        for a, b in zip(ring[:-1], ring[1:], strict=True):
            pairs.add((int(min(a, b)), int(max(a, b))))
    # a cloned catalogue: CLONE_B re-uploads all five recordings of CLONE_A, CLONE_C four
    clone = pd.DataFrame({"track_id": np.arange(n + 1, n + 16, dtype="int64"),
                          "label_id": ["CLONE_A"] * 5 + ["CLONE_B"] * 5 + ["CLONE_C"] * 5})
    tracks = pd.concat([tracks, clone], ignore_index=True)
    pairs |= {(n + 1 + i, n + 6 + i) for i in range(5)} | {(n + 6 + i, n + 11 + i) for i in range(4)}
    m = pd.DataFrame(sorted(pairs), columns=["track_a", "track_b"])
    lab = tracks.set_index("track_id")["label_id"]
    m["label_a"] = lab.reindex(m["track_a"]).to_numpy()
    m["label_b"] = lab.reindex(m["track_b"]).to_numpy()
    return tracks, m


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["label_a", "label_b"]).reset_index(drop=True)


def test_label_audio_similarity_equals_brute_force(spark):
    for seed in (0,):
        tracks, matches = _random_catalog(seed)
        for t in (0.1, 0.8):
            ours = label_audio_similarity(spark.createDataFrame(tracks), spark.createDataFrame(matches), t).toPandas()
            ref = _reference(tracks, matches, t)
            assert len(ref) > 0
            pd.testing.assert_frame_equal(_sorted(ours).astype(ref.dtypes.to_dict()), _sorted(ref), check_exact=True)


def test_own_copies_make_no_edge_and_audio_joins_networks(spark):
    # A and B re-upload the same three recordings (audio only: their titles differ);
    # C holds a remaster of its own track (a match inside one label); D~E share titles.
    tracks = pd.DataFrame({"track_id": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                           "label_id": ["A", "A", "A", "B", "B", "B", "C", "C", "D", "E"]})
    matches = pd.DataFrame({"track_a": [1, 2, 3, 7], "track_b": [4, 5, 6, 8],
                            "label_a": ["A", "A", "A", "C"], "label_b": ["B", "B", "B", "C"]})
    audio = label_audio_similarity(spark.createDataFrame(tracks), spark.createDataFrame(matches), 0.8)
    got = audio.toPandas()
    assert got[["label_a", "label_b", "shared", "size_a", "size_b", "jaccard"]].values.tolist() == [
        ["A", "B", 3, 3, 3, 1.0]]
    title = spark.createDataFrame(pd.DataFrame({"label_a": ["D"], "label_b": ["E"], "shared": [4], "size_a": [4],
                                                "size_b": [4], "jaccard": [1.0]}))
    edges = network_edges(title, audio)
    nets = fraud_networks(edges).toPandas()
    assert sorted(map(tuple, nets[["network_id", "label_id"]].values.tolist())) == [
        ("A", "A"), ("A", "B"), ("D", "D"), ("D", "E")]
    ev = network_evidence(fraud_networks(edges), edges).toPandas().set_index("network_id")
    assert list(ev.loc["A", "evidence"]) == ["audio"] and list(ev.loc["D", "evidence"]) == ["title"]
    assert ev.loc["A", "audio_edges"] == 1 and ev.loc["D", "title_edges"] == 1
    # title edges alone: the audio network is not there
    assert set(fraud_networks(network_edges(title, None)).toPandas()["label_id"]) == {"D", "E"}
