"""Daily play logs for the simulated catalogue, with planted stream fraud and legitimate look-alikes.

Contract: DESIGN.md, "Contract: play events and stream fraud". Rows: ``user_id, track_id,
played_at (UTC), ms_played, country, device_id, ip_prefix, source, playlist_id``. Tracks and
labels are the catalogue's (``simulator/catalog.py``, same seed arguments), so the money side
links labels to the catalog fraud networks.

Honest listening: each user has a country and time zone, a taste community (tracks are split
into communities, popularity heavy-tailed inside each and over the whole catalogue), a small
set of favourites, a daily activity probability, sessions whose start hours follow a day/night
rhythm in local time, sequential plays inside a session with skips (an early-skip part and a
part-way part, both smooth around 30 s) and full plays, one or two devices and a home network.

Legitimate look-alikes (truth ``kind``): ``sleep_loop`` (a shared sleep playlist looped for
hours at local night, full plays), ``superfan`` (one album on repeat, many plays a day),
``viral_surge`` (a track many listeners start within hours), ``playlist_push`` (a push that
starts thousands of listeners on one playlist within minutes), ``household`` (2-6 people on
one device and network).

Planted schemes (truth ``kind``, every parameter drawn from a range per group):
``content_farm`` ("a lot of content and a little streaming": bots spread over thousands of
tracks of the fraud-network labels, each track getting little), ``track_swarm`` (many
accounts all on the same few dozen tracks), ``threshold_bots`` (plays just past the royalty
threshold), ``device_farm`` (groups sharing a few devices and one network).

``generate_plays(PlaysConfig(...))`` returns ``(plays, accounts, tracks)``: the plays
(pandas), the truth per account (``user_id, kind, group, scheme`` where scheme is True for
planted fraud) and the catalogue's tracks (``track_id, label_id``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

SCHEMES = ("content_farm", "track_swarm", "threshold_bots", "device_farm")
LOOKALIKES = ("sleep_loop", "superfan", "viral_surge", "playlist_push", "household")
# country, UTC offset in hours, weight (rough shares of a global streaming audience)
COUNTRIES = [("US", -5, 18), ("US", -8, 8), ("BR", -3, 10), ("MX", -6, 6), ("GB", 0, 8), ("DE", 1, 8), ("FR", 1, 6),
             ("SE", 1, 2), ("IN", 5, 8), ("ID", 7, 5), ("JP", 9, 6), ("AU", 10, 3), ("NG", 1, 3), ("TR", 3, 3)]
# local hour-of-day weights of session starts (people sleep 1-6h; peaks at commute and evening)
HOUR_WEIGHTS = np.array([2.0, 1.0, 0.5, 0.3, 0.3, 0.5, 1.5, 4, 6, 5, 4, 4, 5, 5, 4, 4, 5, 6, 7, 8, 8, 7, 5, 3.5])
SOURCES = np.array(["playlist", "album", "search", "radio", "artist", "library"])


@dataclass(frozen=True)
class PlaysConfig:
    seed: int = 1
    days: int = 7
    start_date: str = "2024-02-01"
    honest_users: int = 20_000
    scheme_scale: float = 1.0  # 1.0: ~1,000 farm bots, ~10,000 swarm accounts
    catalog_seed: int = 2
    catalog_days: int = 3
    tracks_per_day: int = 5000


def catalogue(cfg: PlaysConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tracks: track_id, label_id, role, kind; labels truth) of the simulated catalogue (valid rows)."""
    from simulator.catalog import catalog_truth, generate_catalog

    cat = generate_catalog(seed=cfg.catalog_seed, days=cfg.catalog_days, tracks_per_day=cfg.tracks_per_day)
    truth = pd.DataFrame(catalog_truth(seed=cfg.catalog_seed, days=cfg.catalog_days,
                                       tracks_per_day=cfg.tracks_per_day).labels)
    cat = cat[cat["label_id"].notna() & cat["title"].fillna("").ne("")].drop_duplicates("track_id")
    tracks = cat[["track_id", "label_id", "genre", "album_id"]].merge(
        truth[["label_id", "role", "kind"]], on="label_id", how="left")
    tracks["role"] = tracks["role"].fillna("filler")
    tracks["kind"] = tracks["kind"].fillna("filler")
    return tracks.reset_index(drop=True), truth


class _Log:
    """Collects plays as arrays (all in seconds from the start of day 0 unless stated)."""

    def __init__(self):
        self.parts: list[dict] = []

    def add(self, user, track, t_s, ms, device, ip, source, playlist=None):
        n = len(user)
        if n == 0:
            return
        self.parts.append({"user_id": np.asarray(user, dtype=np.int64), "track": np.asarray(track, dtype=np.int64),
                           "t_s": np.asarray(t_s, dtype=np.float64), "ms_played": np.asarray(ms, dtype=np.int64),
                           "device": np.broadcast_to(np.asarray(device, dtype=object), (n,)),
                           "ip": np.broadcast_to(np.asarray(ip, dtype=object), (n,)),
                           "source": np.broadcast_to(np.asarray(source, dtype=object), (n,)),
                           "playlist_id": np.broadcast_to(np.asarray(playlist, dtype=object), (n,))})

    def frame(self) -> pd.DataFrame:
        cols = self.parts[0].keys()
        return pd.DataFrame({c: np.concatenate([p[c] for p in self.parts]) for c in cols})


def _sequential(session: np.ndarray, start_s: np.ndarray, ms: np.ndarray, gap_s: np.ndarray) -> np.ndarray:
    """Start times of plays played one after another inside each session (plays sorted by session)."""
    step = ms / 1000.0 + gap_s
    cs = np.cumsum(step) - step
    first = np.r_[True, session[1:] != session[:-1]]
    base = np.maximum.accumulate(np.where(first, np.arange(len(cs)), 0))
    return start_s[session] + cs - cs[base]


def _honest_ms(r: np.random.Generator, dur_ms: np.ndarray, skip_p: np.ndarray) -> np.ndarray:
    """ms_played of honest plays: full, or a skip (early: exponential; part-way: uniform)."""
    n = len(dur_ms)
    skip = r.random(n) < skip_p
    early = r.random(n) < 0.6
    t_early = r.exponential(r.uniform(12_000, 45_000), n)
    t_part = r.uniform(0, 1, n) * dur_ms
    ms = np.where(skip, np.where(early, t_early, t_part), dur_ms)
    return np.minimum(ms, dur_ms).astype(np.int64)


def generate_plays(cfg: PlaysConfig = PlaysConfig()) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    r = np.random.default_rng([cfg.seed, 7019])
    tracks, _ = catalogue(cfg)
    n_tracks = len(tracks)
    dur_ms = np.clip(r.lognormal(np.log(205_000), 0.35, n_tracks), 60_000, 720_000).astype(np.int64)
    fraud = (tracks["role"] == "fraud").to_numpy()
    network = (tracks["kind"] == "network").to_numpy()
    honest_idx = np.flatnonzero(~fraud)
    # popularity: Zipf over a random order of the honest catalogue; fraud tracks sit in the tail
    pop = np.zeros(n_tracks)
    pop[honest_idx] = 1.0 / np.arange(1, len(honest_idx) + 1) ** r.uniform(0.9, 1.1)
    r.shuffle(pop[honest_idx])
    pop[fraud] = pop[honest_idx].min() * r.uniform(0.2, 1.0, fraud.sum())
    n_comm = 24
    comm_of_track = r.integers(0, n_comm, n_tracks)
    comm_tracks = [np.flatnonzero(comm_of_track == c) for c in range(n_comm)]
    comm_cdf = [np.cumsum(pop[t]) / pop[t].sum() for t in comm_tracks]
    glob_cdf = np.cumsum(pop) / pop.sum()

    log = _Log()
    truth: list[pd.DataFrame] = []
    n_h = cfg.honest_users
    uid = np.arange(1, n_h + 1, dtype=np.int64) * 7 + 1_000_000  # honest ids
    c_idx = r.choice(len(COUNTRIES), n_h, p=np.array([c[2] for c in COUNTRIES]) / sum(c[2] for c in COUNTRIES))
    tz = np.array([COUNTRIES[i][1] for i in c_idx])
    country = np.array([COUNTRIES[i][0] for i in c_idx], dtype=object)
    comm = r.integers(0, n_comm, n_h)
    active_p = r.beta(2.0, 2.0, n_h)
    sess_lam = r.lognormal(0.0, 0.6, n_h)
    sess_len = r.uniform(4, 16, n_h)
    skip_p = r.uniform(0.1, 0.5, n_h)
    fav = np.stack([comm_tracks[c][np.minimum(np.searchsorted(comm_cdf[c], r.random(20)), len(comm_cdf[c]) - 1)]
                    for c in comm])
    fav_p = r.uniform(0.05, 0.35, n_h)
    n_isp = max(20, n_h // 25)
    isp_w = 1.0 / np.arange(1, n_isp + 1) ** 0.8
    home_ip = np.array([f"isp{k:05d}" for k in r.choice(n_isp, n_h, p=isp_w / isp_w.sum())], dtype=object)
    device1 = np.array([f"dev-{u:x}" for u in uid], dtype=object)
    device2 = np.where(r.random(n_h) < 0.3, np.array([f"mob-{u:x}" for u in uid], dtype=object), device1)
    kind = np.array(["honest"] * n_h, dtype=object)
    group = np.full(n_h, -1)

    # households: 2-6 people on one device and home network
    hh_users = r.permutation(n_h)[: int(0.03 * n_h)]
    pos = 0
    g = 0
    while pos < len(hh_users) - 1:
        size = int(r.choice([2, 3, 4, 5, 6], p=[0.5, 0.25, 0.14, 0.07, 0.04]))
        members = hh_users[pos : pos + size]
        pos += size
        if len(members) < 2:
            break
        device1[members] = device1[members[0]]
        device2[members] = device1[members[0]]
        home_ip[members] = home_ip[members[0]]
        kind[members] = "household"
        group[members] = g
        g += 1

    # --- honest sessions -------------------------------------------------------------
    days = cfg.days
    act = r.random((n_h, days)) < active_p[:, None]
    n_sess = np.where(act, 1 + r.poisson(sess_lam[:, None], (n_h, days)), 0)
    su, sd = np.nonzero(n_sess)
    reps = n_sess[su, sd]
    su, sd = np.repeat(su, reps), np.repeat(sd, reps)
    hour = r.choice(24, len(su), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    start = sd * 86400.0 + (hour - tz[su]) * 3600.0 + r.uniform(0, 3600, len(su))
    ntr = 1 + r.geometric(1.0 / sess_len[su])
    pu = np.repeat(su, ntr)
    psess = np.repeat(np.arange(len(su)), ntr)
    n = len(pu)
    u01 = r.random(n)
    pick = r.random(n)
    trk = np.empty(n, dtype=np.int64)
    is_fav = pick < fav_p[pu]
    trk[is_fav] = fav[pu[is_fav], r.integers(0, 20, is_fav.sum())]
    is_glob = (~is_fav) & (pick > 0.75)
    trk[is_glob] = np.minimum(np.searchsorted(glob_cdf, u01[is_glob]), n_tracks - 1)
    rest = np.flatnonzero(~is_fav & ~is_glob)
    rc = comm[pu[rest]]
    for c in range(n_comm):
        m = rest[rc == c]
        trk[m] = comm_tracks[c][np.minimum(np.searchsorted(comm_cdf[c], u01[m]), len(comm_tracks[c]) - 1)]
    ms = _honest_ms(r, dur_ms[trk], skip_p[pu])
    t = _sequential(psess, start, ms, r.exponential(2.0, n))
    sess_dev = np.where(r.random(len(su)) < 0.5, device1[su], device2[su])
    sess_ip = np.where(sess_dev == device1[su], home_ip[su],
                       np.array([f"mobile{k:03d}" for k in range(40)], dtype=object)[r.integers(0, 40, len(su))])
    src = SOURCES[r.integers(0, len(SOURCES), len(su))]
    log.add(uid[pu], trk, t, ms, sess_dev[psess], sess_ip[psess], src[psess])

    def lookalike_users(share: float, name: str) -> np.ndarray:
        free = np.flatnonzero(kind == "honest")
        chosen = r.choice(free, max(1, int(share * n_h)), replace=False)
        kind[chosen] = name
        return chosen

    # sleep loops: 2-4 shared sleep playlists of long tracks, looped for hours at local night
    long_tracks = honest_idx[dur_ms[honest_idx] > 240_000]
    playlists = [r.choice(long_tracks, int(r.integers(25, 80)), replace=False) for _ in range(int(r.integers(2, 5)))]
    sleepers = lookalike_users(0.02, "sleep_loop")
    for u in sleepers:
        pl = int(r.integers(len(playlists)))
        group[u] = pl
        items = playlists[pl]
        for d in range(days):
            if r.random() > r.uniform(0.6, 1.0):
                continue
            hours = r.uniform(4, 9)
            k = int(hours * 3600 / 330) + 1
            seq = items[(np.arange(k) + r.integers(len(items))) % len(items)] if r.random() < 0.5 else r.choice(items, k)
            ms = dur_ms[seq]
            st = d * 86400.0 + (r.uniform(21.5, 25.0) - tz[u]) * 3600.0
            tt = st + np.cumsum(ms / 1000.0 + 0.5) - (ms[0] / 1000.0 + 0.5)
            log.add(np.full(k, uid[u]), seq, tt, ms, device1[u], home_ip[u], "playlist", f"sleep-{pl}")

    # superfans: one album (10-16 of a community's tracks) on repeat, 40-200 plays a day
    albums = [comm_tracks[c][r.choice(len(comm_tracks[c]), int(r.integers(10, 17)), replace=False,
                                       p=pop[comm_tracks[c]] / pop[comm_tracks[c]].sum())]
              for c in r.integers(0, n_comm, 8)]
    fans = lookalike_users(0.01, "superfan")
    for u in fans:
        a = int(r.integers(len(albums)))
        group[u] = a
        per_day = r.uniform(40, 200)
        for d in range(days):
            if r.random() < 0.2:
                continue
            k = int(r.poisson(per_day))
            n_s = int(r.integers(1, 5))
            seq = albums[a][np.arange(k) % len(albums[a])] if r.random() < 0.5 else r.choice(albums[a], k)
            ms = _honest_ms(r, dur_ms[seq], np.full(k, 0.08))
            sess = np.sort(r.integers(0, n_s, k))
            st = d * 86400.0 + (r.choice(np.arange(7, 23), n_s) - tz[u] + r.random(n_s)) * 3600.0
            tt = _sequential(sess, st, ms, r.exponential(1.0, k))
            log.add(np.full(k, uid[u]), seq, tt, ms, device1[u], home_ip[u], "album")

    # viral surge: one track, many listeners start it over a few hours of one day
    vt = int(r.choice(honest_idx))
    viral = lookalike_users(0.06, "viral_surge")
    vday = int(r.integers(1, days)) if days > 1 else 0  # a later day when there is one
    t0 = vday * 86400.0 + r.uniform(0, 86400)
    tv = t0 + r.gamma(2.0, r.uniform(1800, 7200), len(viral))
    reps_v = 1 + r.poisson(1.0, len(viral))
    vu = np.repeat(viral, reps_v)
    tt = np.repeat(tv, reps_v) + np.concatenate([np.arange(k) for k in reps_v]) * dur_ms[vt] / 1000.0
    ms = _honest_ms(r, np.full(len(vu), dur_ms[vt]), skip_p[vu])
    log.add(uid[vu], np.full(len(vu), vt), tt, ms, device2[vu], home_ip[vu], "search")

    # playlist push: a notification starts thousands of listeners on one playlist within minutes
    push_pl = r.choice(honest_idx, int(r.integers(25, 50)), replace=False)
    pushed = lookalike_users(0.12, "playlist_push")
    pday = int(r.integers(0, days))
    tp = pday * 86400.0 + r.uniform(0, 86400) + r.exponential(r.uniform(60, 600), len(pushed))
    k_each = 1 + r.geometric(1 / r.uniform(4, 15), len(pushed))
    k_each = np.minimum(k_each, len(push_pl))
    pu = np.repeat(pushed, k_each)
    sess = np.repeat(np.arange(len(pushed)), k_each)
    order = np.concatenate([np.arange(k) for k in k_each])
    seq = push_pl[order]
    ms = _honest_ms(r, dur_ms[seq], skip_p[pu])
    tt = _sequential(sess, tp, ms, r.exponential(1.0, len(pu)))
    log.add(uid[pu], seq, tt, ms, device2[pu], home_ip[pu], "playlist", "push-1")

    truth.append(pd.DataFrame({"user_id": uid, "kind": kind, "group": group, "country": country}))

    # --- planted schemes ---------------------------------------------------------------
    truth += plant_schemes(r, log, days=days, scale=cfg.scheme_scale, network_tracks=np.flatnonzero(network),
                           fraud_tracks=np.flatnonzero(fraud), dur_ms=dur_ms, glob_cdf=glob_cdf,
                           ip_pool=np.unique(home_ip))

    df = log.frame()
    accounts = pd.concat(truth, ignore_index=True)
    accounts["scheme"] = accounts["kind"].isin(SCHEMES)
    df = df[(df["t_s"] >= 0) & (df["t_s"] < days * 86400.0)]
    t0 = pd.Timestamp(dt.date.fromisoformat(cfg.start_date), tz="UTC")
    out = pd.DataFrame({
        "user_id": df["user_id"].to_numpy(),
        "track_id": tracks["track_id"].to_numpy()[df["track"].to_numpy()],
        "played_at": t0 + pd.to_timedelta(np.round(df["t_s"].to_numpy() * 1000).astype(np.int64), unit="ms"),
        "ms_played": df["ms_played"].to_numpy(),
        "country": accounts.set_index("user_id")["country"].reindex(df["user_id"].to_numpy()).to_numpy(),
        "device_id": df["device"].to_numpy(), "ip_prefix": df["ip"].to_numpy(), "source": df["source"].to_numpy(),
        "playlist_id": df["playlist_id"].to_numpy(),
    }).sort_values("played_at", kind="stable").reset_index(drop=True)
    out["played_at"] = out["played_at"].astype("datetime64[ms, UTC]")  # Spark reads ms/us, not ns
    accounts = accounts[accounts["user_id"].isin(out["user_id"].unique())].reset_index(drop=True)
    return out, accounts, tracks[["track_id", "label_id", "role", "kind"]]


def plant_schemes(r: np.random.Generator, log: _Log, *, days: int, scale: float, network_tracks: np.ndarray,
                  fraud_tracks: np.ndarray, dur_ms: np.ndarray, glob_cdf: np.ndarray, ip_pool: np.ndarray,
                  first_id: int = 9_000_000) -> list[pd.DataFrame]:
    """Plant the four schemes into ``log`` (track indices into ``dur_ms`` / ``glob_cdf``); truth frames.
    ``network_tracks``: tracks of the label networks (content farm); ``fraud_tracks``: every fraud track."""
    next_id = [first_id]

    def new_ids(k: int) -> np.ndarray:
        ids = next_id[0] + np.arange(k, dtype=np.int64) * 3
        next_id[0] += 3 * k + 11
        return ids

    s = scale
    net_tracks = network_tracks
    other_fraud = np.setdiff1d(fraud_tracks, network_tracks)
    n_tracks = len(glob_cdf)
    truth: list[pd.DataFrame] = []

    # (a) content farm: cloud accounts of 10-30 bots on one cloud network, thousands of tracks
    n_a = max(20, int(r.uniform(800, 1200) * s))
    ids = new_ids(n_a)
    cloud = np.repeat(np.arange(n_a), 1)[: n_a] // int(r.integers(10, 31))
    truth.append(pd.DataFrame({"user_id": ids, "kind": "content_farm", "group": cloud, "country": "US"}))
    for ci in np.unique(cloud):
        members = ids[cloud == ci]
        per_day = r.uniform(60, 450)
        duty_h = r.choice([24.0, r.uniform(14, 22)])
        full = r.random() < 0.3
        short_hi = r.uniform(40_000, 150_000)
        for b in members:
            for d in range(days):
                k = int(r.poisson(per_day * r.uniform(0.8, 1.2)))
                seq = r.choice(net_tracks, k)
                ms = dur_ms[seq] if full else r.uniform(30_500, short_hi, k).astype(np.int64)
                ms = np.minimum(ms, dur_ms[seq])
                t_start = d * 86400.0 + r.uniform(0, 24 - duty_h) * 3600.0
                tt = np.sort(t_start + r.uniform(0, duty_h * 3600.0, k))
                log.add(np.full(k, b), seq, tt, ms, f"emu-{b:x}", f"cloud{ci:04d}", "radio")

    # (b) track swarm: many accounts all on the same few dozen tracks of one or two labels
    n_b = max(50, int(10_000 * s * r.uniform(0.8, 1.2)))
    ids = new_ids(n_b)
    truth.append(pd.DataFrame({"user_id": ids, "kind": "track_swarm", "group": 0, "country": "BR"}))
    pool = r.choice(other_fraud if len(other_fraud) > 80 else fraud_tracks, int(r.integers(40, 81)),
                    replace=False)
    per_day = r.uniform(10, 60, n_b)
    full = r.random() < 0.5
    for i, b in enumerate(ids):
        for d in range(days):
            if r.random() < 0.15:
                continue
            k = int(r.poisson(per_day[i]))
            seq = r.choice(pool, k)
            ms = dur_ms[seq] if full else np.minimum(r.uniform(30_500, 65_000, k).astype(np.int64), dur_ms[seq])
            tt = np.sort(d * 86400.0 + r.uniform(0, 86400, k))
            log.add(np.full(k, b), seq, tt, ms, f"swarm-{b:x}", ip_pool[int(r.integers(len(ip_pool)))], "playlist")

    # (c) threshold bots: human-looking sessions, every play ends just past 30 s
    n_c = max(20, int(r.uniform(200, 400) * s))
    ids = new_ids(n_c)
    truth.append(pd.DataFrame({"user_id": ids, "kind": "threshold_bots", "group": 0, "country": "GB"}))
    pool = r.choice(fraud_tracks, min(len(fraud_tracks), int(r.integers(200, 2000))), replace=False)
    for b in ids:
        per_day = r.uniform(40, 300)
        over = r.uniform(1_500, 15_000)
        btz = COUNTRIES[int(r.integers(len(COUNTRIES)))][1]
        for d in range(days):
            k = int(r.poisson(per_day))
            n_s = int(r.integers(1, 6))
            sess = np.sort(r.integers(0, n_s, k))
            seq = r.choice(pool, k)
            ms = np.minimum((30_000 + r.uniform(100, over, k)).astype(np.int64), dur_ms[seq])
            st = d * 86400.0 + (r.choice(24, n_s, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) - btz + r.random(n_s)) * 3600.0
            tt = _sequential(sess, st, ms, r.exponential(1.5, k))
            log.add(np.full(k, b), seq, tt, ms, f"dev-{b:x}", ip_pool[int(r.integers(len(ip_pool)))], "search")

    # (d) device farm: groups of 8-40 accounts sharing 1-3 devices and one network
    n_groups = max(3, int(r.uniform(15, 40) * s))
    sizes = r.integers(8, 41, n_groups)
    ids = new_ids(int(sizes.sum()))
    grp = np.repeat(np.arange(n_groups), sizes)
    truth.append(pd.DataFrame({"user_id": ids, "kind": "device_farm", "group": grp, "country": "DE"}))
    for gi in range(n_groups):
        members = ids[grp == gi]
        devs = [f"phone-{gi}-{j}" for j in range(int(r.integers(1, 4)))]
        ip = ip_pool[int(r.integers(len(ip_pool)))] if r.random() < 0.5 else f"proxy{gi:04d}"
        gpool = r.choice(fraud_tracks, int(r.integers(50, 400)), replace=False)
        camo = r.uniform(0.0, 0.4)
        for b in members:
            per_day = r.uniform(20, 120)
            for d in range(days):
                k = int(r.poisson(per_day))
                n_s = int(r.integers(1, 4))
                sess = np.sort(r.integers(0, n_s, k))
                seq = np.where(r.random(k) < camo, np.minimum(np.searchsorted(glob_cdf, r.random(k)), n_tracks - 1),
                               r.choice(gpool, k))
                ms = _honest_ms(r, dur_ms[seq], np.full(k, 0.1))
                st = d * 86400.0 + (r.choice(24, n_s, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()) - 1 + r.random(n_s)) * 3600.0
                tt = _sequential(sess, st, ms, r.exponential(1.5, k))
                log.add(np.full(k, b), seq, tt, ms, np.array(devs, dtype=object)[r.integers(0, len(devs), k)], ip,
                        "library")

    return truth


def true_clean_royalties(plays: pd.DataFrame, accounts: pd.DataFrame, tracks: pd.DataFrame,
                         min_royalty_ms: int = 30_000) -> pd.DataFrame:
    """Per label: royalty plays and the truly clean ones (royalty plays of accounts not planted)."""
    bots = set(accounts.loc[accounts["scheme"], "user_id"])
    roy = plays[plays["ms_played"] >= min_royalty_ms]
    m = roy[["user_id", "track_id"]].merge(tracks[["track_id", "label_id"]], on="track_id", how="left")
    m["clean"] = ~m["user_id"].isin(bots)
    return m.groupby("label_id").agg(royalty_plays=("clean", "size"), true_clean=("clean", "sum")).reset_index()


def write_plays(store, plays: pd.DataFrame) -> list[str]:
    """Write ``landing/plays/date=D/part-00000.csv.gz`` per UTC day through an ``ObjectStore``."""
    import gzip
    import io

    keys = []
    day = plays["played_at"].dt.strftime("%Y-%m-%d")
    for d, part in plays.groupby(day):
        p = part.copy()
        p["played_at"] = p["played_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        buf = io.StringIO()
        p.to_csv(buf, index=False, lineterminator="\n")
        key = f"landing/plays/date={d}/part-00000.csv.gz"
        store.put_bytes(key, gzip.compress(buf.getvalue().encode("utf-8")))
        keys.append(key)
    return keys
