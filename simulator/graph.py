"""Artist networks: follows, multi-follow bots, follow farms, tracks and reposts.

The follow graph is lazy and consistent. A live user ``u`` may follow any user ``a``
within ``WINDOW`` ids of it; the edge exists when a pair hash falls under
``min(1, act[u] * pop[a] / Z)`` (``act``: expected followings of u, ``pop``: how
attractive a is). Both ``followers(a)`` and ``followings(u)`` evaluate the same pair
hashes over the same window, so if A lists B as a follower, B's followings list A.

On top of that, within each 4,096-id block:

* multi-follow bots follow 1-3 artists of their block 3-25 times each (the same follower
  id appears that many times in the artist's followers, at different times);
* follow farms (half of the blocks): their members follow 5-12 artists of the block in
  lockstep, all within ten minutes of one farm time per artist.

Hard cases for the network detectors (issue 12), variants of the classes above chosen by
hashes; ``simulator.network_truth`` lists every planted group:

* farm variants (per farm block): ``classic`` (the ten-minute lockstep above), ``wide``
  (each member follows each target somewhere in a 2-8 hour window: wider than a naive
  window) and ``camouflaged`` (a 0.5-4 hour window; members also follow 5-15 of the
  block's most popular artists and 2-5 other members, at ordinary times);
* hijacked-looking accounts: 3-6 old fans with long normal follow histories per farm that
  join the farm's lockstep follows (bots in the network truth, fans in ``population``);
* farm reposts: members (and hijacked accounts) repost each target's newest track in the
  same lockstep window;
* legitimate bursts (must not be flagged): release days (1-2 artists per block: 200-500
  of the block's fans follow within one hour of a track's release), viral repost
  cascades (3% of tracks: a quarter of the artist's followers repost within about an hour
  of one moment) and heavy fans (1% of fans follow 30-120 of the block's artists, chosen
  by popularity, at ordinary times).

Every planted edge is new (an account never follows the same account twice except the
multi-follow bots), so multiplicity stays a bot signal.

Tracks: a musician's track ``i`` (0-based) has id ``user_id * 1000 + i``. Reposters of a
track are some of the artist's followers; a maven who reposts is followed within about
twenty minutes by a burst of reposts from the maven's own followers (other mavens are never
part of a burst or viral cascade, so every burst starts when its maven is seen reposting).

Times are epoch milliseconds. Collections are lists of ``(time_ms, user_id)`` sorted
newest first with strictly decreasing times (ties are broken by shifting one
millisecond), so an ``offset`` cursor of "time of the last item" pages them exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from simulator import population as pop_
from simulator import words
from simulator.population import ARTIST_CODES, BLOCK, BOT, DEAD, FAN, FARM, MAVEN, PORN, T_NOW
from simulator.rng import h64, rng_for, uniform, uniform_array

WINDOW = 1500
TRACK_ID_FACTOR = 1000
S_EDGE, S_ETIME, S_BOTS, S_FARMS, S_TRACK, S_REPOST, S_RTIME, S_BURST, S_BTIME = range(31, 40)
S_FVARIANT, S_HIJACK, S_CAMO, S_HEAVY, S_HEAVYPICK, S_RELEASE, S_VIRAL, S_VTIME, S_FREPOST = range(40, 49)
FARM_VARIANTS = ("classic", "wide", "camouflaged")
HEAVY_FAN_RATE, VIRAL_TRACK_RATE = 0.01, 0.03

Items = tuple[tuple[int, int], ...]  # ((time_ms, user_id), ...) newest first


@lru_cache(maxsize=64)
def _z(seed: int) -> float:
    """Normaliser: the total attractiveness of a typical window."""
    pops = [pop_.block(seed, b).pop.mean() for b in range(1, 9)]
    return float(np.mean(pops)) * (2 * WINDOW + 1)


@lru_cache(maxsize=64)
def _k(seed: int) -> float:
    """How many followable ids (pop > 0) a typical window holds."""
    shares = [(pop_.block(seed, b).pop > 0).mean() for b in range(1, 9)]
    return float(np.mean(shares)) * (2 * WINDOW + 1)


def _p_follow(seed: int, act: np.ndarray, pop: np.ndarray, src_code: np.ndarray | int) -> np.ndarray:
    """Probability that a user with (act, code) follows one with pop.

    Pornographic spam follows followable accounts uniformly (250-350 of them); everyone
    else prefers attractive accounts.
    """
    p = np.minimum(1.0, act * pop / _z(seed))
    return np.where(src_code == PORN, np.where(pop > 0, act / _k(seed), 0.0), p)


def _window(seed: int, center: int, users: int | None) -> tuple[np.ndarray, ...]:
    lo = max(1, center - WINDOW)
    hi = center + WINDOW if users is None else min(users, center + WINDOW)
    parts = []
    for b in range(lo // BLOCK, hi // BLOCK + 1):
        blk = pop_.block(seed, b)
        s, e = max(lo, blk.first) - blk.first, min(hi, blk.first + BLOCK - 1) - blk.first + 1
        parts.append((np.arange(blk.first + s, blk.first + e, dtype=np.int64), blk.act[s:e], blk.pop[s:e], blk.created[s:e], blk.codes[s:e]))
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(5))


def _edge_times(seed: int, src: np.ndarray, dst: np.ndarray, c_src: np.ndarray, c_dst: np.ndarray) -> np.ndarray:
    keys = (src << 32) | dst
    base = np.maximum(c_src, c_dst).astype(np.float64)
    frac = uniform_array(seed, S_ETIME, keys) ** 1.5
    return ((base + (T_NOW - base) * frac) * 1000).astype(np.int64)


def _sorted(items: list[tuple[int, int]]) -> Items:
    """Newest first, strictly decreasing times."""
    items.sort(key=lambda t: (-t[0], t[1]))
    out: list[tuple[int, int]] = []
    for t, i in items:
        if out and t >= out[-1][0]:
            t = out[-1][0] - 1
        out.append((t, i))
    return tuple(out)


def _exists(seed: int, id: int, users: int | None) -> bool:
    return id > 0 and (users is None or id <= users) and pop_.code_of(seed, id) != DEAD


def _normal_edge(seed: int, src: int, dst: int) -> bool:
    """Whether the ordinary (window) graph already has ``src -> dst``."""
    if src == dst or dst < 1 or src < 1 or abs(src - dst) > WINDOW:
        return False
    bs, bd = pop_.block(seed, src // BLOCK), pop_.block(seed, dst // BLOCK)
    ks, kd = src - bs.first, dst - bd.first
    if bs.act[ks] <= 0:
        return False
    p = float(_p_follow(seed, np.array([bs.act[ks]]), np.array([bd.pop[kd]]), int(bs.codes[ks]))[0])
    return uniform(seed, S_EDGE, (src << 32) | dst) < p


@dataclass
class BlockPlan:
    """Planted edges and reposts of one block, and the ground truth of its groups."""

    out: dict[int, list] = field(default_factory=dict)  # src -> [(ms, dst)]
    inn: dict[int, list] = field(default_factory=dict)  # dst -> [(ms, src)]
    reposts: dict[int, list] = field(default_factory=dict)  # track id -> [(ms, user)]
    groups: list[dict] = field(default_factory=list)  # planted groups (network_truth)
    _pairs: set = field(default_factory=set)

    def add(self, src: int, dst: int, ms: int, repeat: bool = False) -> bool:
        """Add a follow; a second follow of the same pair only when ``repeat`` (bots)."""
        if not repeat and (src, dst) in self._pairs:
            return False
        self._pairs.add((src, dst))
        self.out.setdefault(src, []).append((ms, dst))
        self.inn.setdefault(dst, []).append((ms, src))
        return True


def _ordinary_ms(r, seed: int, src: int, dst: int) -> int:
    """An ordinary follow time: after both accounts exist, skewed towards the past."""
    base = max(pop_.created_at(seed, src), pop_.created_at(seed, dst))
    return int((base + (T_NOW - base) * r.random() ** 1.5) * 1000)


def _newest_track(seed: int, artist: int, before_s: float) -> int | None:
    best = None
    for i in range(pop_.track_count(seed, artist)):
        tid = artist * TRACK_ID_FACTOR + i
        t = _track_time(seed, tid) / 1000
        if t < before_s and (best is None or t > best[0]):
            best = (t, tid)
    return None if best is None else best[1]


@lru_cache(maxsize=256)
def block_plan(seed: int, b: int) -> BlockPlan:
    """Everything planted in one block (see the module docstring); cached."""
    blk = pop_.block(seed, b)
    ids = np.arange(blk.first, blk.first + BLOCK, dtype=np.int64)
    artists = ids[np.isin(blk.codes, ARTIST_CODES)]
    plan = BlockPlan()
    if len(artists) == 0:
        return plan
    bots = [int(x) for x in ids[blk.codes == BOT] if x > 0]
    for bot in bots:
        r = rng_for(seed, S_BOTS, int(bot))
        targets = r.sample(list(artists), min(len(artists), r.randint(1, 3)))
        for target in targets:
            base = max(pop_.created_at(seed, int(bot)), pop_.created_at(seed, int(target)))
            t = base + (T_NOW - base) * r.random() * 0.5
            for _ in range(r.randint(3, 25)):
                plan.add(int(bot), int(target), int(t * 1000) + r.randrange(1000), repeat=True)
                t = min(T_NOW - 1, t + r.uniform(3600, 48 * 3600))
    if bots:
        plan.groups.append({"group": f"b{b}-multifollow", "kind": "multifollow_bots", "bot": True,
                            "members": bots, "targets": sorted({d for m in bots for _, d in plan.out.get(m, ())}),
                            "window_s": None})
    members = [int(x) for x in ids[blk.codes == FARM] if x > 0]
    fans = ids[(blk.codes == FAN) & (ids > 0)]
    # heavy fans: ordinary fans who follow many of the block's artists at ordinary times
    heavy = [int(f) for f in fans if uniform(seed, S_HEAVY, int(f)) < HEAVY_FAN_RATE]
    weights = blk.pop[np.isin(blk.codes, ARTIST_CODES)]
    weights = np.where(weights > 0, weights, 0.05)
    for f in heavy:
        g = np.random.default_rng(h64(seed, S_HEAVYPICK, f))
        k = min(len(artists), 30 + int(uniform(seed, S_HEAVYPICK, f) * 91))
        picks = g.choice(artists, size=k, replace=False, p=weights / weights.sum())
        r = rng_for(seed, S_HEAVYPICK, f)
        for a in sorted(int(x) for x in picks):
            if a != f and not _normal_edge(seed, f, a):
                plan.add(f, a, _ordinary_ms(r, seed, f, a))
    if heavy:
        plan.groups.append({"group": f"b{b}-heavy", "kind": "heavy_fans", "bot": False, "members": heavy,
                            "targets": [], "window_s": None})
    hijacked: list[int] = []
    if members:
        r = rng_for(seed, S_FARMS, b)
        variant = FARM_VARIANTS[min(2, int(uniform(seed, S_FVARIANT, b) * 3))]
        base = max(int(blk.created[blk.codes == FARM].max()), 0)
        rh = rng_for(seed, S_HIJACK, b)
        old_fans = [int(f) for f in fans if blk.act[f - blk.first] >= 5 and int(f) not in heavy]
        hijacked = sorted(rh.sample(old_fans, min(len(old_fans), rh.randint(3, 6))))
        window = {"classic": 600.0, "wide": rh.uniform(2, 8) * 3600, "camouflaged": rh.uniform(0.5, 4) * 3600}[variant]
        targets = [int(a) for a in r.sample(list(artists), min(len(artists), r.randint(5, 12)))]
        rr = rng_for(seed, S_FREPOST, b)
        for target in targets:
            start = max(base, pop_.created_at(seed, int(target)))
            farm_time = start + (T_NOW - 700 - start) * r.random()
            if variant != "classic":
                farm_time = min(farm_time, T_NOW - window - 1)
            for m in members:
                plan.add(int(m), int(target), int((farm_time + r.random() * window) * 1000))
            for h in hijacked:
                if not _normal_edge(seed, h, target):
                    plan.add(h, target, int((farm_time + rh.random() * window) * 1000))
            track = _newest_track(seed, target, farm_time)
            if track is not None:
                for m in members + hijacked:
                    plan.reposts.setdefault(track, []).append((int((farm_time + window + rr.random() * window) * 1000), m))
        if variant == "camouflaged":
            popular = [int(a) for a in artists[np.argsort(-blk.pop[artists - blk.first], kind="stable")][:20]]
            for m in members:
                rc = rng_for(seed, S_CAMO, m)
                for a in rc.sample(popular, min(len(popular), rc.randint(5, 15))):
                    if not _normal_edge(seed, m, a):
                        plan.add(m, a, _ordinary_ms(rc, seed, m, a))
                for o in rc.sample(members, min(len(members), rc.randint(2, 5))):
                    if o != m:
                        plan.add(m, o, _ordinary_ms(rc, seed, m, o))
        plan.groups.append({"group": f"b{b}-farm", "kind": f"farm_{variant}", "bot": True, "members": members,
                            "targets": targets, "window_s": window})
        if hijacked:
            plan.groups.append({"group": f"b{b}-hijacked", "kind": "hijacked", "bot": True, "members": hijacked,
                                "targets": targets, "window_s": window})
    # release days: hundreds of real fans follow within an hour of a release
    r = rng_for(seed, S_RELEASE, b)
    with_tracks = [int(a) for a in artists if pop_.track_count(seed, int(a)) > 0]
    excluded = set(heavy) | set(hijacked)
    for a in r.sample(with_tracks, min(len(with_tracks), 1 if r.random() < 0.5 else 2)):
        tid = a * TRACK_ID_FACTOR + r.randrange(pop_.track_count(seed, a))
        t_rel = min(_track_time(seed, tid) / 1000, T_NOW - 7200)
        pool = [int(f) for f in fans if blk.created[f - blk.first] < t_rel and int(f) not in excluded and f != a]
        chosen = sorted(r.sample(pool, min(len(pool), r.randint(200, 500))))
        joined = [f for f in chosen if not _normal_edge(seed, f, a) and plan.add(f, a, int((t_rel + r.random() * 3600) * 1000))]
        plan.groups.append({"group": f"b{b}-release-{a}", "kind": "release_day", "bot": False, "members": joined,
                            "targets": [a], "window_s": 3600.0, "track": tid, "at_ms": int(t_rel * 1000)})
    return plan


def _block_extras(seed: int, b: int) -> tuple[dict, dict]:
    """Planted edges of one block: (out: src -> [(ms, dst)], in: dst -> [(ms, src)])."""
    plan = block_plan(seed, b)
    return plan.out, plan.inn


@lru_cache(maxsize=8192)
def followings(seed: int, id: int, users: int | None = None) -> Items:
    """Whom ``id`` follows: ((follow_time_ms, user_id), ...) newest first."""
    if not _exists(seed, id, users):
        return ()
    ids, act, pop, created, codes = _window(seed, id, users)
    k = id - ids[0]
    if act[k] > 0:
        p = _p_follow(seed, act[k], pop, codes[k])
        hit = (uniform_array(seed, S_EDGE, (np.int64(id) << 32) | ids) < p) & (ids != id)
        dst = ids[hit]
        times = _edge_times(seed, np.full(dst.shape, id), dst, np.full(dst.shape, created[k]), created[hit])
        items = list(zip(times.tolist(), dst.tolist(), strict=True))
    else:
        items = []
    extra = _block_extras(seed, id // BLOCK)[0].get(id, ())
    items.extend((ms, d) for ms, d in extra if users is None or d <= users)
    return _sorted(items)


@lru_cache(maxsize=8192)
def followers(seed: int, id: int, users: int | None = None) -> Items:
    """Who follows ``id`` (a multi-follow bot appears once per follow), newest first."""
    if not _exists(seed, id, users):
        return ()
    ids, act, pop, created, codes = _window(seed, id, users)
    k = id - ids[0]
    if pop[k] > 0:
        p = _p_follow(seed, act, pop[k], codes)
        hit = (uniform_array(seed, S_EDGE, (ids << 32) | np.int64(id)) < p) & (ids != id)
        src = ids[hit]
        times = _edge_times(seed, src, np.full(src.shape, id), created[hit], np.full(src.shape, created[k]))
        items = list(zip(times.tolist(), src.tolist(), strict=True))
    else:
        items = []
    extra = _block_extras(seed, id // BLOCK)[1].get(id, ())
    items.extend((ms, s) for ms, s in extra if users is None or s <= users)
    return _sorted(items)


def followers_count(seed: int, id: int, users: int | None = None) -> int:
    return len(followers(seed, id, users))


def followings_count(seed: int, id: int, users: int | None = None) -> int:
    return len(followings(seed, id, users))


def multi_followers(seed: int, id: int, users: int | None = None) -> set[int]:
    """Followers that appear more than once in ``followers(id)`` (planted bots)."""
    seen: set[int] = set()
    dup: set[int] = set()
    for _, f in followers(seed, id, users):
        (dup if f in seen else seen).add(f)
    return dup


# ---- tracks --------------------------------------------------------------------------
def _track_time(seed: int, track_id: int) -> int:
    uid = track_id // TRACK_ID_FACTOR
    c = pop_.created_at(seed, uid)
    return int((c + (T_NOW - c) * uniform(seed, S_TRACK, track_id)) * 1000)


def track_exists(seed: int, track_id: int, users: int | None = None) -> bool:
    uid, idx = divmod(track_id, TRACK_ID_FACTOR)
    return _exists(seed, uid, users) and idx < pop_.track_count(seed, uid)


def tracks(seed: int, id: int, users: int | None = None) -> Items:
    """((created_ms, track_id), ...) of a user's tracks, newest first."""
    if not _exists(seed, id, users):
        return ()
    n = pop_.track_count(seed, id)
    return _sorted([(_track_time(seed, id * TRACK_ID_FACTOR + i), id * TRACK_ID_FACTOR + i) for i in range(n)])


@lru_cache(maxsize=4096)
def reposters(seed: int, track_id: int, users: int | None = None) -> Items:
    """Who reposted a track: ((repost_time_ms, user_id), ...) newest first."""
    if not track_exists(seed, track_id, users):
        return ()
    owner = track_id // TRACK_ID_FACTOR
    t0 = _track_time(seed, track_id) / 1000
    first: dict[int, int] = {}

    def add(uid: int, ms: int) -> None:
        if uid != owner and (uid not in first or ms < first[uid]):
            first[uid] = ms

    for f in sorted({f for _, f in followers(seed, owner, users)}):
        code = pop_.code_of(seed, f)
        share = 0.5 if code == MAVEN else 0.04
        key = track_id * 4_000_000_000 + f
        if uniform(seed, S_REPOST, key) < share:
            add(f, int((t0 + (T_NOW - t0) * uniform(seed, S_RTIME, key) ** 3) * 1000))
    viral = viral_moment(seed, track_id)
    if viral is not None:
        for f in sorted({f for _, f in followers(seed, owner, users)}):
            key = track_id * 4_000_000_000 + f
            if pop_.code_of(seed, f) != MAVEN and uniform(seed, S_VIRAL, key) < 0.25:
                delay = -math.log(1 - uniform(seed, S_VTIME, key)) * 1800
                add(f, min(T_NOW * 1000 - 1, viral + int(delay * 1000)))
    for ms, uid in block_plan(seed, owner // pop_.BLOCK).reposts.get(track_id, ()):
        if users is None or uid <= users:
            add(uid, min(T_NOW * 1000 - 1, ms))
    # maven bursts: 35% of the maven's followers repost within ~20 minutes of the maven's
    # own repost (other mavens keep their own time, so every burst starts at the time its
    # maven is seen reposting)
    for ms, m in sorted((ms, uid) for uid, ms in first.items() if pop_.code_of(seed, uid) == MAVEN):
        for g in sorted({g for _, g in followers(seed, m, users)}):
            key = (track_id * 4_000_000_000 + g) ^ (m << 20)
            if pop_.code_of(seed, g) != MAVEN and uniform(seed, S_BURST, key) < 0.35:
                delay = -math.log(1 - uniform(seed, S_BTIME, key)) * 1200
                add(g, min(T_NOW * 1000 - 1, ms + int(delay * 1000)))
    return _sorted([(ms, uid) for uid, ms in first.items()])


def viral_moment(seed: int, track_id: int) -> int | None:
    """The time (ms) a track goes viral (a legitimate repost cascade), or None."""
    if uniform(seed, S_VIRAL, track_id) >= VIRAL_TRACK_RATE:
        return None
    t0 = _track_time(seed, track_id) / 1000
    return int((t0 + (T_NOW - 7200 - t0) * uniform(seed, S_VTIME, track_id) ** 2) * 1000)


def track(seed: int, track_id: int, users: int | None = None) -> dict | None:
    """The api-v2 track object, or None when there is no such track."""
    if not track_exists(seed, track_id, users):
        return None
    owner = track_id // TRACK_ID_FACTOR
    r = rng_for(seed, S_TRACK, track_id)
    title = words.track_title(r)
    slug = words.permalink(title, track_id)
    owner_link = words.permalink(words.username(rng_for(seed, pop_.S_DETAIL, owner * 7 + 5)), owner)
    reposts = len(reposters(seed, track_id, users))
    plays = int(r.paretovariate(1.1) * 50) + reposts * 20
    return {
        "id": track_id,
        "kind": "track",
        "title": title,
        "user_id": owner,
        "created_at": pop_.iso(_track_time(seed, track_id) / 1000),
        "genre": r.choice(words.GENRES),
        "duration": r.randint(60_000, 420_000),
        "permalink": slug,
        "permalink_url": f"https://soundcloud.com/{owner_link}/{slug}",
        "playback_count": plays,
        "likes_count": plays // 30,
        "comment_count": plays // 200,
        "reposts_count": reposts,
        "public": True,
        "urn": f"soundcloud:tracks:{track_id}",
        "uri": f"https://api.soundcloud.com/tracks/{track_id}",
    }
