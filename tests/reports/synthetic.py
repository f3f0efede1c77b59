"""Small synthetic inputs with the warehouse tables' columns (DESIGN.md and the issues)."""

from __future__ import annotations

import numpy as np
import pandas as pd

HAN_TITLE = "雨夜 月光"  # a Han-script title that must render with the bundled font
ARABIC_TITLE = "ليل مطر"


def catalog_tables(flagged_labels: int = 12, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    ids = [f"L{i:05d}" for i in range(flagged_labels)]
    flagged = pd.DataFrame({
        "label_id": ids,
        "label_name": [f"{HAN_TITLE} Records {i}" if i % 3 == 0 else f"Label {i}" for i in range(flagged_labels)],
        "albums": rng.integers(2, 30, flagged_labels), "tracks": rng.integers(20, 300, flagged_labels),
        "fingerprints": rng.integers(15, 200, flagged_labels),
        "reused_fingerprints": rng.integers(10, 80, flagged_labels),
        "reuse_ratio": np.r_[[0.35], rng.uniform(0.45, 0.95, flagged_labels - 1)],
        "reasons": "flagged: 12 reused fingerprints >= 10 and reuse ratio 0.50 >= 0.3",
        "reused_titles": [[HAN_TITLE, "gentle rain", ARABIC_TITLE]] * flagged_labels,
    })
    networks = pd.DataFrame({"network_id": ["L00001"] * 4 + ["L00005"] * 3,
                             "label_id": ids[1:5] + ids[5:8]})
    edges = pd.DataFrame({"label_a": ["L00001", "L00001", "L00002", "L00003", "L00005", "L00005"],
                          "label_b": ["L00002", "L00003", "L00003", "L00004", "L00006", "L00007"],
                          "shared": [40, 38, 39, 41, 20, 21], "size_a": 45, "size_b": 44,
                          "jaccard": [0.9, 0.85, 0.88, 0.93, 0.81, 0.99]})
    summary = pd.DataFrame({
        "network_id": ["L00001", "L00005"], "labels": [4, 3], "edges": [4, 2],
        "avg_similarity": [0.89, 0.90], "min_similarity": [0.85, 0.81],
        "top_titles": [[HAN_TITLE, "gentle rain"], ["calm sea", ARABIC_TITLE]],
        "dominant_genre": ["ambient", None], "upload_synchrony": [0.75, None],
        "member_labels": [ids[1:5], ids[5:8]], "tracks": [400, 120], "top_titles_labels": [[4, 3], [3, 2]],
    })
    exempt = pd.DataFrame({"label_id": ["X1"], "label_name": ["Karaoke Co"], "albums": [5], "tracks": [50],
                           "fingerprints": [40], "reused_fingerprints": [20], "reuse_ratio": [0.6],
                           "reused_tracks": [30], "exempt_tracks": [50], "exempt_genres": [["karaoke"]],
                           "eligible_tracks": [0], "reasons": ["would be flagged without genre exemptions"]})
    hours = 473_352  # 2024-01-01T00Z in hours since the epoch
    hourly = pd.DataFrame({"network_id": ["L00001"] * 5, "upload_hour": [hours + h for h in (0, 1, 2, 5, 9)],
                           "labels": [3, 1, 2, 1, 4], "tracks": [12, 3, 7, 2, 20]})
    figures = {"labels": 100, "flagged_labels": flagged_labels, "networks": 2, "labels_in_networks": 7,
               "exempt_labels_to_review": 1}
    return dict(flagged=flagged, summary=summary, networks=networks, edges=edges, exempt=exempt, hourly=hourly,
                figures=figures)
