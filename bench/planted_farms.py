"""Real follow backgrounds with planted bot farms (truth kept), for structure-only detection.

Backgrounds (``../shared/fixtures/real/``, see its README):

* ``wiki_vote``: SNAP wiki-Vote, voter -> candidate (7,115 accounts, 103,689 arcs);
* ``lastfm``: HetRec 2011 Last.fm, user -> artist (each user's listened artists as
  follows; 1,892 users, 17,632 artists) plus ``user_friends.dat`` (user -> user), artist ids
  offset by ``ARTIST_OFFSET`` so both kinds of account share one id space.

Hard legitimate cases come from the background itself: the real accounts with the most
follows are the heavy honest followers; the real followers of a few mid-popular accounts
are release-day fans (with times, their follow of that account falls inside one day after
a release: a real burst, not lockstep of a farm).

A farm (``FarmShape``): ``accounts`` new accounts each following every one of ``targets``
accounts with probability ``overlap`` (partial overlap), plus ``camouflage`` follows of
popular accounts (drawn per bot from the background's most followed ``popular_pool``),
``noise`` follows of accounts drawn uniformly from the background, and a follow of each
other farm account with probability ``inter``. Targets are real small accounts of the
background (``target_source="small"``: 1..``small_max_followers`` real followers, so they
keep their organic audience) or new accounts (``"new"``). With times, each target gets one
farm time and the farm's follows of it fall within ``window_s`` of it; camouflage and noise
follows fall at random times. Background follows get random times over two years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
ARTIST_OFFSET = 1_000_000
FARM_ID_BASE = 900_000_000  # planted accounts (farm members, new targets) live above this
T0_MS = 1_600_000_000_000
SPAN_MS = 2 * 365 * 86_400_000


def load_background(name: str) -> pd.DataFrame:
    """Distinct real follows (follower_id, followee_id) of a background."""
    if name == "wiki_vote":
        df = pd.read_csv(REAL / "Wiki-Vote.txt", sep=r"\s+", comment="#", header=None,
                         names=["follower_id", "followee_id"], dtype="int64")
    elif name == "lastfm":
        d = REAL / "listening" / "hetrec2011-lastfm-2k"
        ua = pd.read_csv(d / "user_artists.dat", sep="\t")
        uf = pd.read_csv(d / "user_friends.dat", sep="\t")
        df = pd.concat([
            pd.DataFrame({"follower_id": ua["userID"], "followee_id": ua["artistID"] + ARTIST_OFFSET}),
            pd.DataFrame({"follower_id": uf["userID"], "followee_id": uf["friendID"]}),
        ], ignore_index=True).astype("int64")
    else:
        raise ValueError(f"unknown background {name!r} (wiki_vote | lastfm)")
    df = df[df["follower_id"] != df["followee_id"]]
    return df.drop_duplicates().reset_index(drop=True)


@dataclass(frozen=True)
class FarmShape:
    name: str
    accounts: int
    targets: int
    overlap: float = 1.0
    camouflage: int = 0
    popular_pool: int = 100
    noise: int = 0
    inter: float = 0.0
    target_source: str = "small"
    small_max_followers: int = 20
    window_s: int = 600


@dataclass
class Planted:
    """A background with farms planted: edges (follower_id, followee_id, multiplicity, t_ms)
    and the truth."""

    background: str
    edges: pd.DataFrame
    bots: set[int]
    farm_of: dict[int, str]
    heavy_honest: set[int]
    release_day_fans: set[int]
    real_accounts: set[int]
    farm_targets: dict[str, list[int]] = field(default_factory=dict)


def hard_legit_cases(bg: pd.DataFrame, *, heavy_share: float = 0.01, release_artists: int = 3,
                     seed: int = 0) -> tuple[set[int], dict[int, set[int]]]:
    """(heavy honest followers: the top ``heavy_share`` of real accounts by follows, at least
    20; {account: its real followers} for ``release_artists`` accounts between the 95th and
    99.5th percentile of followers, whose followers are the release-day fans)."""
    out = bg.groupby("follower_id").size().sort_values(ascending=False)
    heavy = set(out.index[: max(20, int(len(out) * heavy_share))].tolist())
    indeg = bg.groupby("followee_id").size()
    lo, hi = indeg.quantile(0.95), indeg.quantile(0.995)
    pool = np.sort(indeg.index[(indeg >= max(lo, 20)) & (indeg <= hi)].to_numpy())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(pool, size=min(release_artists, len(pool)), replace=False)
    fans = {int(a): set(bg.loc[bg["followee_id"] == a, "follower_id"].tolist()) for a in chosen}
    return heavy, fans


def plant(background: str, shapes: list[FarmShape], *, timed: bool, seed: int = 0,
          bg: pd.DataFrame | None = None) -> Planted:
    """The background with one farm per shape planted (new account ids), with or without times."""
    rng = np.random.default_rng(seed)
    bg = load_background(background) if bg is None else bg
    real = set(bg["follower_id"].tolist()) | set(bg["followee_id"].tolist())
    indeg = bg.groupby("followee_id").size()
    popular = indeg.sort_values(ascending=False).index.to_numpy()
    small = np.sort(indeg.index[indeg <= shapes[0].small_max_followers if shapes else 20].to_numpy())
    all_real = np.sort(np.fromiter(real, dtype=np.int64))
    heavy, release = hard_legit_cases(bg, seed=seed)
    t = rng.integers(T0_MS, T0_MS + SPAN_MS, size=len(bg)) if timed else np.full(len(bg), np.nan)
    bg_t = pd.DataFrame({"follower_id": bg["follower_id"].to_numpy(), "followee_id": bg["followee_id"].to_numpy(),
                         "multiplicity": 1, "t_ms": t.astype(float)})
    if timed:  # release-day fans: their follow of the released account within one day of the release
        for a in release:
            rel = int(rng.integers(T0_MS, T0_MS + SPAN_MS - 86_400_000))
            m = bg_t["followee_id"].eq(a).to_numpy()
            bg_t.loc[m, "t_ms"] = (rel + rng.integers(0, 86_400_000, size=int(m.sum()))).astype(float)
    parts = [bg_t]
    next_id = FARM_ID_BASE
    bots: set[int] = set()
    farm_of: dict[int, str] = {}
    targets_of: dict[str, list[int]] = {}
    used_targets: set[int] = set()
    for s in shapes:
        members = np.arange(next_id, next_id + s.accounts, dtype=np.int64)
        next_id += s.accounts
        if s.target_source == "new":
            tg = np.arange(next_id, next_id + s.targets, dtype=np.int64)
            next_id += s.targets
        else:
            pool = np.setdiff1d(small, np.fromiter(used_targets, dtype=np.int64, count=len(used_targets)))
            tg = rng.choice(pool, size=s.targets, replace=False)
        used_targets |= set(tg.tolist())
        targets_of[s.name] = tg.tolist()
        farm_t = rng.integers(T0_MS, T0_MS + SPAN_MS - 86_400_000, size=len(tg))
        src, dst, ms = [], [], []
        for m in members:
            hit = rng.random(len(tg)) < s.overlap
            if not hit.any():
                hit[rng.integers(len(tg))] = True
            src += [m] * int(hit.sum())
            dst += tg[hit].tolist()
            ms += (farm_t[hit] + rng.integers(0, s.window_s * 1000, size=int(hit.sum()))).tolist()
            extra = []
            if s.camouflage:
                extra += rng.choice(popular[: s.popular_pool], size=min(s.camouflage, s.popular_pool), replace=False).tolist()
            if s.noise:
                extra += rng.choice(all_real, size=s.noise, replace=False).tolist()
            if s.inter:
                others = members[(rng.random(len(members)) < s.inter) & (members != m)]
                extra += others.tolist()
            extra = sorted(set(extra) - set(tg[hit].tolist()))
            src += [m] * len(extra)
            dst += extra
            ms += rng.integers(T0_MS, T0_MS + SPAN_MS, size=len(extra)).tolist()
        parts.append(pd.DataFrame({"follower_id": src, "followee_id": dst, "multiplicity": 1,
                                   "t_ms": np.asarray(ms, dtype=float) if timed else np.nan}))
        bots |= set(members.tolist())
        farm_of.update(dict.fromkeys(members.tolist(), s.name))
    edges = pd.concat(parts, ignore_index=True).astype({"follower_id": "int64", "followee_id": "int64",
                                                        "multiplicity": "int64"})
    fans = set().union(*release.values()) - heavy if release else set()
    return Planted(background=background, edges=edges, bots=bots, farm_of=farm_of, heavy_honest=heavy,
                   release_day_fans=fans, real_accounts=set(bg["follower_id"].tolist()), farm_targets=targets_of)
