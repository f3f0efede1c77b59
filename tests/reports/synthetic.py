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
    # L00001: title edges only; L00005: titles and audio; L00009: audio alone (titles all changed)
    networks = pd.DataFrame({"network_id": ["L00001"] * 4 + ["L00005"] * 3 + ["L00009"] * 2,
                             "label_id": ids[1:5] + ids[5:8] + ids[9:11]})
    edges = pd.DataFrame({"label_a": ["L00001", "L00001", "L00002", "L00003", "L00005", "L00005"],
                          "label_b": ["L00002", "L00003", "L00003", "L00004", "L00006", "L00007"],
                          "shared": [40, 38, 39, 41, 20, 21], "size_a": 45, "size_b": 44,
                          "jaccard": [0.9, 0.85, 0.88, 0.93, 0.81, 0.99]})
    audio_edges = pd.DataFrame({"label_a": ["L00005", "L00009"], "label_b": ["L00007", "L00010"],
                                "shared": [18, 6], "size_a": [19, 6], "size_b": [20, 7], "jaccard": [0.857, 0.857]})
    audio_matches = pd.DataFrame({
        "track_a": ["T0500", "T0501", "T0900", "T0901", "T0100"], "track_b": ["T0700", "T0701", "T1000", "T1001", "T0101"],
        "label_a": ["L00005", "L00005", "L00009", "L00009", "L00001"],
        "label_b": ["L00007", "L00007", "L00010", "L00010", "L00001"],  # the last: L00001's own remaster
        "bit_error_rate": [0.041, 0.063, 0.152, 0.030, 0.050], "offset_s": [0.0, 2.5, 0.0, -3.1, 0.0],
        "matched_s": [118.0, 110.2, 95.0, 116.9, 120.0], "speed_ratio": [1.0, 1.0, 1.03, 1.0, 1.0]})
    summary = pd.DataFrame({
        "network_id": ["L00001", "L00005", "L00009"], "labels": [4, 3, 2], "edges": [4, 3, 1],
        "avg_similarity": [0.89, 0.90, None], "min_similarity": [0.85, 0.81, None],
        "top_titles": [[HAN_TITLE, "gentle rain"], ["calm sea", ARABIC_TITLE], ["night drive"]],
        "dominant_genre": ["ambient", None, "lofi"], "upload_synchrony": [0.75, None, 0.5],
        "member_labels": [ids[1:5], ids[5:8], ids[9:11]], "tracks": [400, 120, 13],
        "top_titles_labels": [[4, 3], [3, 2], [1]],
        "upload_synchrony_p": [0.001, None, 0.42], "synchrony_null_share": [0.12, None, 0.31],
        "synchrony_sessions": [30, 0, 8],
        "evidence": ["title", "both", "audio"], "title_edges": [4, 2, 0], "audio_edges": [0, 1, 1],
    })
    exempt = pd.DataFrame({"label_id": ["X1"], "label_name": ["Karaoke Co"], "albums": [5], "tracks": [50],
                           "fingerprints": [40], "reused_fingerprints": [20], "reuse_ratio": [0.6],
                           "reused_tracks": [30], "exempt_tracks": [50], "exempt_genres": [["karaoke"]],
                           "eligible_tracks": [0], "reasons": ["would be flagged without genre exemptions"]})
    hours = 473_352  # 2024-01-01T00Z in hours since the epoch
    hourly = pd.DataFrame({"network_id": ["L00001"] * 5, "upload_hour": [hours + h for h in (0, 1, 2, 5, 9)],
                           "labels": [3, 1, 2, 1, 4], "tracks": [12, 3, 7, 2, 20]})
    figures = {"labels": 100, "flagged_labels": flagged_labels, "networks": 3, "labels_in_networks": 9,
               "exempt_labels_to_review": 1}
    return dict(flagged=flagged, summary=summary, networks=networks, edges=edges, exempt=exempt, hourly=hourly,
                figures=figures, audio_edges=audio_edges, audio_matches=audio_matches)


def overview_tables(seed: int = 0) -> dict:
    """The population_* tables as assets/users/overview.py writes them."""
    buckets = ["0", "1-10", "11-100", "101-1000", "1001+"]
    rng = np.random.default_rng(seed)
    cells = [(fo, fr, int(rng.integers(1, 500))) for fo in buckets for fr in buckets]
    cells.append(("101-1000", "0", 900))  # the seed's spam band: follow hundreds, no followers
    follow = pd.DataFrame(cells, columns=["followings", "followers", "users"])
    follow["share_pct"] = (follow["users"] * 100 / follow["users"].sum()).round(4)
    return {
        "plans": pd.DataFrame({"plan": ["free", "pro-unlimited", "pro"], "users": [9980, 14, 6],
                               "share_pct": [99.8, 0.14, 0.06]}),
        "track_buckets": pd.DataFrame({"tracks": ["0", "1-10", "11-100", "101-500"], "users": [9280, 600, 115, 5],
                                       "share_pct": [92.8, 6.0, 1.15, 0.05]}),
        "engagement": pd.DataFrame({"activity": buckets, "users": [5000, 3000, 1500, 450, 50],
                                    "share_pct": [50.0, 30.0, 15.0, 4.5, 0.5]}),
        "follow": follow,
        "domains": pd.DataFrame({"domain": ["bit.ly", "youtube.com", "goo.gl", "facebook.com", "音乐.cn"],
                                 "users": [300, 250, 120, 90, 10],
                                 "shortener": [True, False, True, False, False]}),
    }


def spam_inputs(seed: int = 0, users: int = 300) -> dict:
    rng = np.random.default_rng(seed)
    classes = rng.choice(["spam", "fans", "regular_musicians", "superstars"], users, p=[0.3, 0.5, 0.15, 0.05])
    prob = np.where(classes == "spam", rng.uniform(0.6, 1, users), rng.uniform(0, 0.4, users))
    types = np.where(classes == "spam", rng.choice(["pornographic", "fake_batch", "seo", "other"], users), None)
    reasons = np.where(classes == "spam", "shortener link bit.ly; created with 14 others at 2016-03-21T18:39:11Z, "
                       f"same description ({HAN_TITLE})", "")
    scores = pd.DataFrame({"user_id": np.arange(1, users + 1), "spam_probability": prob,
                           "predicted_class": classes, "spam_type": types, "reasons": reasons})
    return {
        "elbow": pd.DataFrame({"k": range(2, 11), "inertia": [1000 / k ** 1.2 for k in range(2, 11)]}),
        "chosen_k": 4,
        "clusters": pd.DataFrame({"cluster": [0, 1, 2, 3], "name": ["Spam", "Fans", "Regular Musicians", "Superstars"],
                                  "users": [90, 150, 45, 15], "followers": [0.2, 12.0, 150.0, 90000.0],
                                  "followings": [300.0, 80.0, 120.0, 50.0], "url_shortener": [0.9, 0.01, 0.05, 0.0]}),
        "confusion": pd.DataFrame({"actual": ["spam", "spam", "fans", "fans"], "predicted": ["spam", "fans", "fans", "spam"],
                                   "count": [95, 5, 97, 3]}),
        "metrics": {"model_version": "20260101T000000Z-ab12", "accuracy": 0.96, "roc_auc": 0.991,
                    "spam_precision": 0.97, "spam_recall": 0.95},
        "scores": scores,
    }


def network_inputs(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    from assets.reports.network_report import TRIADS

    artists = [101, 202, 303]
    metrics = pd.DataFrame({"artist_id": artists, "nodes": [500, 800, 120], "edges": [2100, 5200, 300],
                            "transitivity": [0.1, 0.2, 0.05], "reciprocity": [0.3, 0.25, 0.5]})
    for code in TRIADS:
        metrics[f"triad_{code}"] = rng.integers(0, 10_000, 3)
    for code in TRIADS[3:]:
        metrics[f"z_{code}"] = rng.normal(0, 3, 3)
    bots = pd.DataFrame({"user_id": np.arange(1, 61), "suspicion": rng.uniform(0, 1, 60)})
    bots["flagged"] = bots["suspicion"] > 0.7
    bots["detectors"] = [["multi_follow", "fraudar"] if f else [] for f in bots["flagged"]]
    bots["evidence"] = [f"follows artist 101 5 times; dense block with 30 others ({HAN_TITLE})" if f else ""
                        for f in bots["flagged"]]
    clean = pd.DataFrame({
        "level": ["artist"] * 3 + ["track"] * 2, "artist_id": artists + [101, 101], "track_id": [None] * 3 + [11, 12],
        "raw_follows": [520, 800, 120, None, None], "raw_followers": [500, 800, 120, None, None],
        "flagged_followers": [70, 10, 2, None, None], "clean_followers": [430, 790, 118, None, None],
        "raw_reposts": [None] * 3 + [60, 30], "flagged_reposters": [None] * 3 + [20, 10],
        "clean_reposts": [None] * 3 + [40, 20]})
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    hourly, spikes = [], []
    for track in (11, 12):
        for h in range(48):
            n = int(rng.poisson(2)) + (30 if h == 20 else 0)
            if n:
                hourly.append({"artist_id": 101, "track_id": track, "hour": t0 + pd.Timedelta(hours=h), "reposts": n})
            for k in range(n):
                ms = int((t0 + pd.Timedelta(hours=h, minutes=k)).timestamp() * 1000)
                spikes.append({"artist_id": 101, "track_id": track, "user_id": 7 if (h == 19 and k == 0) else 1000 + k,
                               "reposted_at_ms": ms, "precedes_spike": h == 19 and k == 0})
        spikes.append({"artist_id": 101, "track_id": track, "user_id": 7,
                       "reposted_at_ms": int((t0 + pd.Timedelta(hours=19, minutes=59)).timestamp() * 1000),
                       "precedes_spike": True})
    mavens = pd.DataFrame({"artist_id": [101, 101], "user_id": [7, 9], "tracks_reposted": [2, 3],
                           "tracks_preceding_spike": [2, 2], "expected_preceding": [0.1, 0.4],
                           "p_value": [0.001, 0.04], "significance": [4.2, 2.1], "rank": [1, 2],
                           "evidence": ["repost preceded a spike on 2 of 2 tracks", "2 of 3 tracks"],
                           "flagged_bot": [False, False]})
    return {"metrics": metrics, "bots": bots, "clean": clean, "timelines": pd.DataFrame(hourly),
            "spikes": pd.DataFrame(spikes), "mavens": mavens, "farms": farms_table(rng)}


def farms_table(rng, members: int = 12, targets: tuple[int, ...] = (101, 202, 303, 404)) -> pd.DataFrame:
    """One timed farm (each target followed by every member within ten minutes; some exact,
    some intervals) and one untimed farm (a snapshot), as ``network_farms.farm_follows`` gives them."""
    rows = []
    t0 = int(pd.Timestamp("2024-03-01T12:00:00Z").timestamp() * 1000)
    for k, target in enumerate(targets):
        start = t0 + k * 86_400_000
        for u in range(1, members + 1):
            t = start + int(rng.integers(0, 600_000))
            lo, hi = (t, t) if u % 3 == 0 else (t - 120_000, t + 240_000)
            rows.append({"farm": "lockstep_group:g1", "user_id": 5000 + u, "followee_id": target, "t_ms": t if lo == hi
                         else None, "t_min_ms": lo, "t_max_ms": hi, "members": members,
                         "detectors": "lockstep, dense_block"})
    for u in range(1, 6):
        for target in targets[:3]:
            rows.append({"farm": "dense_block_id:3", "user_id": 7000 + u, "followee_id": target, "t_ms": None,
                         "t_min_ms": None, "t_max_ms": None, "members": 5, "detectors": "dense_block"})
    return pd.DataFrame(rows)
