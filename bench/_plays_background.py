"""A real listening background for stream fraud: Last.fm HetRec 2011 user -> artist play counts
expanded into play events, with the simulator's schemes and look-alikes planted, truth kept.

Source: ``../shared/fixtures/real/listening/hetrec2011-lastfm-2k/user_artists.dat`` (1,892
real users, 17,632 artists, 69.2M plays over the users' Last.fm history; no times).

Honest expansion (documented model, deliberately NOT the simulator's timing shapes):

* rate: a user's plays per day are their lifetime count over four years (``weight / 1460``),
  clipped to [1, 300]; each day is active with probability 0.7 (Poisson count on active days);
* what: artists drawn in proportion to the user's real play counts; each artist has
  ``3 + log2(listeners)`` tracks with Zipf(1) shares inside the artist;
* when: a uniform time zone in [-10, +10] h per user; 1 + Poisson(1) sessions a day whose
  local start hour follows a sinusoid (rate 1 + 0.9 cos(2 pi (h - 17) / 24): peak 17 h,
  trough 5 h); plays inside a session back to back;
* how long: track lengths lognormal (median 230 s, sigma 0.4); a quarter of plays skipped at
  a Weibull(0.8, 45 s) time (smooth through 30 s);
* where: one device per user (households: 4% of users in twos and threes share one), an
  ISP network id from a pool of about users / 30.
* labels: artist ``a`` belongs to label ``LFM{a // 7}``.

Planted (``simulator.plays.plant_schemes``: content farm, track swarm, threshold bots,
device farm) on an added fraud catalogue (150 labels x 25 tracks; the first 100 labels are
the "network" labels), plus look-alikes on real users: sleep loops (2%: a shared sleep
playlist of long real tracks looped 4-9 h at local night), playlist push (10%: a 30-track
playlist started within minutes), superfans (1%: their top artist on repeat 40-200 plays a
day), households (above).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.plays import _Log, _sequential, plant_schemes

LASTFM = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real" / "listening" / "hetrec2011-lastfm-2k"


def lastfm_background(seed: int = 5, days: int = 7, scheme_scale: float = 0.1, start_date: str = "2024-03-01",
                      path: Path = LASTFM) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(plays, accounts truth: user_id, kind, group, scheme; tracks: track_id, label_id)."""
    r = np.random.default_rng([seed, 4242])
    ua = pd.read_csv(path / "user_artists.dat", sep="\t")
    ua.columns = ["user_id", "artist_id", "weight"]
    listeners = ua.groupby("artist_id").size()
    artists = listeners.index.to_numpy()
    n_tr = (3 + np.log2(listeners.to_numpy())).astype(int)
    first = np.r_[0, np.cumsum(n_tr)[:-1]]
    a_first = pd.Series(first, index=artists)
    a_ntr = pd.Series(n_tr, index=artists)
    n_real = int(n_tr.sum())
    track_artist = np.repeat(artists, n_tr)
    track_k = np.concatenate([np.arange(k) for k in n_tr])
    real_ids = np.array([f"LFM-A{a}-{k}" for a, k in zip(track_artist, track_k, strict=True)], dtype=object)
    n_fl, per_label = 150, 25
    fraud_ids = np.array([f"AI-{i:05d}" for i in range(n_fl * per_label)], dtype=object)
    track_ids = np.r_[real_ids, fraud_ids]
    labels = np.r_[np.array([f"LFM{a // 7}" for a in track_artist], dtype=object),
                   np.array([f"AIL{i // per_label:03d}" for i in range(n_fl * per_label)], dtype=object)]
    n_tracks = len(track_ids)
    dur_ms = np.clip(r.lognormal(np.log(230_000), 0.4, n_tracks), 45_000, 900_000).astype(np.int64)
    # global popularity (real artists' listeners, Zipf inside the artist); fraud tracks: tail
    art_plays = ua.groupby("artist_id")["weight"].sum().reindex(track_artist).to_numpy(dtype=float)
    pop = np.r_[art_plays / (1 + track_k) / np.repeat(n_tr, n_tr), np.full(len(fraud_ids), 1e-9)]
    glob_cdf = np.cumsum(pop) / pop.sum()

    users = np.sort(ua["user_id"].unique())
    n_u = len(users)
    tot = ua.groupby("user_id")["weight"].sum().reindex(users).to_numpy(dtype=float)
    lam = np.clip(tot / 1460.0, 1.0, 300.0)
    tz = r.integers(-10, 11, n_u)
    idx_of = pd.Series(np.arange(n_u), index=users)
    device = np.array([f"lfm-dev-{u}" for u in users], dtype=object)
    isp = np.array([f"net{k:04d}" for k in r.integers(0, max(10, n_u // 30), n_u)], dtype=object)
    kind = np.array(["honest"] * n_u, dtype=object)
    group = np.full(n_u, -1)
    hh = r.permutation(n_u)[: int(0.04 * n_u)]
    for gi, start in enumerate(range(0, len(hh) - 1, 3)):
        m = hh[start : start + int(r.integers(2, 4))]
        if len(m) < 2:
            continue
        device[m], isp[m], kind[m], group[m] = device[m[0]], isp[m[0]], "household", gi

    log = _Log()
    # honest plays
    ua_u = idx_of.reindex(ua["user_id"]).to_numpy()
    order = np.argsort(ua_u, kind="stable")
    ua_u, ua_a, ua_w = ua_u[order], ua["artist_id"].to_numpy()[order], ua["weight"].to_numpy(dtype=float)[order]
    starts = np.searchsorted(ua_u, np.arange(n_u))
    ends = np.searchsorted(ua_u, np.arange(n_u), side="right")
    hours = np.arange(24)
    hw = 1 + 0.9 * np.cos(2 * np.pi * (hours - 17) / 24)
    hw = hw / hw.sum()
    for i in range(n_u):
        a_ids, w = ua_a[starts[i] : ends[i]], ua_w[starts[i] : ends[i]]
        cdf = np.cumsum(w) / w.sum()
        for d in range(days):
            if r.random() > 0.7:
                continue
            k = int(r.poisson(lam[i] / 0.7))
            if k == 0:
                continue
            n_s = 1 + int(r.poisson(1.0))
            sess = np.sort(r.integers(0, n_s, k))
            art = a_ids[np.minimum(np.searchsorted(cdf, r.random(k)), len(a_ids) - 1)]
            nt = a_ntr.reindex(art).to_numpy()
            kk = np.minimum((nt * r.random(k) ** 2).astype(int), nt - 1)  # Zipf-like within the artist
            trk = a_first.reindex(art).to_numpy() + kk
            ms = dur_ms[trk].copy()
            skip = r.random(k) < 0.25
            ms[skip] = np.minimum(ms[skip], (r.weibull(0.8, skip.sum()) * 45_000).astype(np.int64))
            st = d * 86400.0 + (r.choice(24, n_s, p=hw) + r.random(n_s) - tz[i]) * 3600.0
            tt = _sequential(sess, st, ms, r.exponential(3.0, k))
            log.add(np.full(k, users[i]), trk, tt, ms, device[i], isp[i], "library")

    def pick(share: float, name: str) -> np.ndarray:
        free = np.flatnonzero(kind == "honest")
        chosen = r.choice(free, max(1, int(share * n_u)), replace=False)
        kind[chosen] = name
        return chosen

    long_real = np.flatnonzero(dur_ms[:n_real] > 300_000)
    sleep_pl = r.choice(long_real, 40, replace=False)
    for i in pick(0.02, "sleep_loop"):
        for d in range(days):
            if r.random() < 0.25:
                continue
            k = int(r.uniform(4, 9) * 3600 / 360) + 1
            seq = sleep_pl[(np.arange(k) + r.integers(40)) % 40]
            ms = dur_ms[seq]
            st = d * 86400.0 + (r.uniform(22, 25) - tz[i]) * 3600.0
            log.add(np.full(k, users[i]), seq, _sequential(np.zeros(k, int), np.array([st]), ms, np.full(k, 0.5)),
                    ms, device[i], isp[i], "playlist", "lfm-sleep")
    push_pl = r.choice(n_real, 30, replace=False, p=pop[:n_real] / pop[:n_real].sum())
    pushed = pick(0.10, "playlist_push")
    t0 = int(r.integers(days)) * 86400.0 + r.uniform(0, 86400)
    for i in pushed:
        k = int(r.integers(3, 31))
        seq = push_pl[:k]
        ms = dur_ms[seq].copy()
        skip = r.random(k) < 0.25
        ms[skip] = np.minimum(ms[skip], (r.weibull(0.8, skip.sum()) * 45_000).astype(np.int64))
        st = np.array([t0 + r.exponential(300.0)])
        log.add(np.full(k, users[i]), seq, _sequential(np.zeros(k, int), st, ms, np.full(k, 1.0)), ms, device[i],
                isp[i], "playlist", "lfm-push")
    for i in pick(0.01, "superfan"):
        top = ua_a[starts[i] : ends[i]][np.argmax(ua_w[starts[i] : ends[i]])]
        album = a_first[top] + np.arange(a_ntr[top])
        per_day = r.uniform(40, 200)
        for d in range(days):
            k = int(r.poisson(per_day))
            seq = album[np.arange(k) % len(album)]
            ms = dur_ms[seq]
            n_s = int(r.integers(1, 4))
            st = d * 86400.0 + (r.choice(24, n_s, p=hw) + r.random(n_s) - tz[i]) * 3600.0
            log.add(np.full(k, users[i]), seq, _sequential(np.sort(r.integers(0, n_s, k)), st, ms, np.full(k, 1.0)),
                    ms, device[i], isp[i], "album")

    truth = [pd.DataFrame({"user_id": users.astype(np.int64), "kind": kind, "group": group})]
    fraud_idx = np.arange(n_real, n_tracks)
    truth += plant_schemes(r, log, days=days, scale=scheme_scale, network_tracks=fraud_idx[: 100 * per_label],
                           fraud_tracks=fraud_idx, dur_ms=dur_ms, glob_cdf=glob_cdf, ip_pool=np.unique(isp),
                           first_id=5_000_000)
    df = log.frame()
    df = df[(df["t_s"] >= 0) & (df["t_s"] < days * 86400.0)]
    t0 = pd.Timestamp(dt.date.fromisoformat(start_date), tz="UTC")
    plays = pd.DataFrame({
        "user_id": df["user_id"].to_numpy(), "track_id": track_ids[df["track"].to_numpy()],
        "played_at": (t0 + pd.to_timedelta(np.round(df["t_s"].to_numpy() * 1000).astype(np.int64), unit="ms")),
        "ms_played": df["ms_played"].to_numpy(), "device_id": df["device"].to_numpy(), "ip_prefix": df["ip"].to_numpy(),
        "source": df["source"].to_numpy(), "playlist_id": df["playlist_id"].to_numpy(),
    })
    plays["played_at"] = plays["played_at"].astype("datetime64[ms, UTC]")
    accounts = pd.concat(truth, ignore_index=True)[["user_id", "kind", "group"]]
    accounts["scheme"] = accounts["kind"].isin(["content_farm", "track_swarm", "threshold_bots", "device_farm"])
    accounts = accounts[accounts["user_id"].isin(plays["user_id"].unique())].reset_index(drop=True)
    tracks = pd.DataFrame({"track_id": track_ids, "label_id": labels})
    return plays, accounts, tracks
