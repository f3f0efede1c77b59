"""The user population: every user is a pure function of (seed, id).

Shares (documented choices, shaped like seed 000; "live" = not dead):

* dead ids (deleted accounts, 404): 30% of all ids.
* Of live ids: pornographic spam 1.5%, SEO spam 1.0%, superstars 0.05%, regular musicians
  7.15%, mavens 0.2%, multi-follow bots 0.3%, the rest fans. Follow-farm members are fans
  turned into farm accounts (about 0.5% of ids, in half of the 4,096-id blocks).
* "fake" spam comes in batches: runs of 5-20 consecutive ids (in 8% of the 64-id blocks,
  about 1.5% of all ids) created in the same second with one identical description built
  from stock phrases. A batch overrides whatever the ids would otherwise be (dead included).
* Track counts: fans and spam have none; regular musicians 1-10 (84%) or 11-100 (16%);
  superstars 101-600. That gives 0 tracks ~92.8%, 1-10 ~6.0%, 11-100 ~1.15% of live users.
* Plans: Free ~99.8%, Pro Unlimited ~0.15%, Pro ~0.065% of live users (musicians pay most).
* Follows: ~39% of live users follow nobody, ~45% have no followers (see ``graph``).

The follow counts in a user object are the lengths of its collections in ``graph``, so
they depend on the number of users the server serves (``users``; ``None`` = unbounded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator import words
from simulator.rng import h64, h64_array, rng_for, uniform, uniform_array

# ---- class codes ---------------------------------------------------------------------
DEAD, FAN, MUSICIAN, SUPERSTAR, MAVEN, BOT, FARM, PORN, FAKE, SEO = range(10)
CLASS_NAMES = {
    DEAD: "dead",
    FAN: "fan",
    MUSICIAN: "regular_musician",
    SUPERSTAR: "superstar",
    MAVEN: "maven",
    BOT: "bot_multifollow",
    FARM: "follow_farm",
    PORN: "spam_porn",
    FAKE: "spam_fake",
    SEO: "spam_seo",
}
SPAM_CODES = (PORN, FAKE, SEO)
ARTIST_CODES = (MUSICIAN, SUPERSTAR)

DEAD_SHARE = 0.30
# cumulative thresholds over a uniform among live ids
_LIVE_SHARES = ((PORN, 0.015), (SEO, 0.010), (SUPERSTAR, 0.0005), (MUSICIAN, 0.0715), (MAVEN, 0.002), (BOT, 0.003))
FAKE_BLOCK, FAKE_BLOCK_RATE = 64, 0.08
BLOCK = 4096  # graph blocks: farms and bots act within one block
FARM_BLOCK_RATE, FARM_MEMBER_RATE = 0.5, 0.01

# ---- salts ---------------------------------------------------------------------------
S_CLASS, S_FAKE, S_FARMBLOCK, S_FARM, S_ACT0, S_ACT, S_POP0, S_POP, S_CREATED, S_DETAIL = range(1, 11)

# ---- time ----------------------------------------------------------------------------
T_START = int(dt.datetime(2008, 1, 1, tzinfo=dt.UTC).timestamp())
T_NOW = int(dt.datetime(2024, 6, 1, tzinfo=dt.UTC).timestamp())
ID_SPACE = 1_000_000_000
_LOG_SPACE = float(np.log1p(ID_SPACE / 10_000))


def iso(ts: float) -> str:
    """Epoch seconds -> '2016-03-21T18:39:11Z'."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- vectorised core -----------------------------------------------------------------
def class_codes(seed: int, ids: np.ndarray) -> np.ndarray:
    """Class code of every id (int8 array)."""
    ids = np.asarray(ids, dtype=np.int64)
    u = uniform_array(seed, S_CLASS, ids)
    codes = np.full(ids.shape, FAN, dtype=np.int8)
    live = u >= DEAD_SHARE
    v = (u - DEAD_SHARE) / (1 - DEAD_SHARE)
    lo = 0.0
    for code, share in _LIVE_SHARES:
        codes[live & (v >= lo) & (v < lo + share)] = code
        lo += share
    codes[~live] = DEAD
    # follow farms: fans in blocks that host a farm
    farm_block = uniform_array(seed, S_FARMBLOCK, ids // BLOCK) < FARM_BLOCK_RATE
    farm = farm_block & (uniform_array(seed, S_FARM, ids) < FARM_MEMBER_RATE) & (codes == FAN)
    codes[farm] = FARM
    codes[fake_batch_start(seed, ids) > 0] = FAKE
    codes[ids <= 0] = DEAD
    return codes


def fake_batch_start(seed: int, ids: np.ndarray) -> np.ndarray:
    """First id of the fake batch each id belongs to, or 0 when it is in none."""
    ids = np.asarray(ids, dtype=np.int64)
    blocks = ids // FAKE_BLOCK
    hb = h64_array(seed, S_FAKE, blocks)
    has = (hb >> np.uint64(11)).astype(np.float64) / float(1 << 53) < FAKE_BLOCK_RATE
    start = blocks * FAKE_BLOCK + (hb % np.uint64(40)).astype(np.int64)
    length = 5 + ((hb >> np.uint64(20)) % np.uint64(16)).astype(np.int64)
    inside = has & (ids >= start) & (ids < start + length)
    return np.where(inside, start, 0)


def base_created(ids: np.ndarray) -> np.ndarray:
    """Account creation time implied by the id alone (ids grow with time)."""
    ids = np.asarray(ids, dtype=np.float64)
    return T_START + (T_NOW - 86400 * 30 - T_START) * np.log1p(ids / 10_000) / _LOG_SPACE


def created_array(seed: int, ids: np.ndarray) -> np.ndarray:
    """Creation time (epoch seconds, int64); a fake batch shares one second."""
    ids = np.asarray(ids, dtype=np.int64)
    jitter = uniform_array(seed, S_CREATED, ids) * 3600
    t = (base_created(ids) + jitter).astype(np.int64)
    fb = fake_batch_start(seed, ids)
    return np.where(fb > 0, base_created(fb).astype(np.int64), t)


# expected followings (act) and attractiveness (pop) per class:
# (share following nobody, median act, share with no followers, median pop)
_FOLLOW = {
    FAN: (0.41, 8.0, 0.45, 0.35),
    MUSICIAN: (0.12, 20.0, 0.10, 3.0),
    SUPERSTAR: (0.30, 10.0, 0.0, 400.0),
    MAVEN: (0.0, 60.0, 0.0, 25.0),
    BOT: (0.0, 15.0, 1.0, 0.0),
    FARM: (0.0, 3.0, 1.0, 0.0),
    PORN: (0.0, 300.0, 1.0, 0.0),
    FAKE: (0.55, 3.0, 1.0, 0.0),
    SEO: (0.2, 10.0, 0.6, 0.1),
}


@dataclass(frozen=True)
class Block:
    """Per-id arrays of one 4,096-id block (cached: the graph reads them constantly)."""

    first: int
    codes: np.ndarray
    act: np.ndarray
    pop: np.ndarray
    created: np.ndarray


def follow_params(seed: int, ids: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(act, pop): expected followings and relative attractiveness of each id."""
    act = np.zeros(ids.shape, dtype=np.float64)
    pop = np.zeros(ids.shape, dtype=np.float64)
    a0 = uniform_array(seed, S_ACT0, ids)
    a = uniform_array(seed, S_ACT, ids)
    p0 = uniform_array(seed, S_POP0, ids)
    p = uniform_array(seed, S_POP, ids)
    for code, (none_act, med_act, none_pop, med_pop) in _FOLLOW.items():
        m = codes == code
        if code == PORN:  # a tight band: 280-320 expected, so 250-350 observed
            act[m] = 280 + 40 * a[m]
        else:
            act[m] = np.where(a0[m] < none_act, 0.0, med_act * np.exp(1.0 * (a[m] - 0.5) * 2))
        pop[m] = np.where(p0[m] < none_pop, 0.0, med_pop * np.exp(1.2 * (p[m] - 0.5) * 2))
    return act, pop


@lru_cache(maxsize=512)
def block(seed: int, b: int) -> Block:
    ids = np.arange(b * BLOCK, (b + 1) * BLOCK, dtype=np.int64)
    codes = class_codes(seed, ids)
    act, pop = follow_params(seed, ids, codes)
    return Block(first=b * BLOCK, codes=codes, act=act, pop=pop, created=created_array(seed, ids))


def code_of(seed: int, id: int) -> int:
    blk = block(seed, id // BLOCK)
    return int(blk.codes[id - blk.first])


def user_class(seed: int, id: int) -> str:
    """True class name of an id: dead, fan, regular_musician, superstar, maven,
    bot_multifollow, follow_farm, spam_porn, spam_fake or spam_seo."""
    return CLASS_NAMES[code_of(seed, id)]


def created_at(seed: int, id: int) -> int:
    blk = block(seed, id // BLOCK)
    return int(blk.created[id - blk.first])


# ---- per-user details ----------------------------------------------------------------
def track_count(seed: int, id: int) -> int:
    code = code_of(seed, id)
    u = uniform(seed, S_DETAIL, id * 7 + 1)
    if code == MUSICIAN:
        if u < 6.0 / 7.15:
            return 1 + int(u / (6.0 / 7.15) * 10)
        return 11 + int((u - 6.0 / 7.15) / (1.15 / 7.15) * 90)
    if code == SUPERSTAR:
        return 101 + int(u * 500)
    return 0


def plan(seed: int, id: int) -> str:
    """free | pro | pro_unlimited."""
    code = code_of(seed, id)
    u = uniform(seed, S_DETAIL, id * 7 + 2)
    pu, pro = {MUSICIAN: (0.016, 0.0065), SUPERSTAR: (0.5, 0.2)}.get(code, (0.0002, 0.0001))
    if u < pu:
        return "pro_unlimited"
    if u < pu + pro:
        return "pro"
    return "free"


_PRODUCT = {"free": "free", "pro": "creator-pro", "pro_unlimited": "creator-pro-unlimited"}


def seo_business(seed: int, id: int) -> int:
    """Which of a few hundred businesses an SEO account promotes (duplicates share it)."""
    return int(uniform(seed, S_DETAIL, id * 7 + 3) * 300)


def description(seed: int, id: int) -> str | None:
    code = code_of(seed, id)
    if code == FAKE:
        start = int(fake_batch_start(seed, np.array([id]))[0])
        return words.stock_description(rng_for(seed, S_DETAIL, start * 7 + 4))
    if code == SEO:
        return words.seo_description(rng_for(seed, S_DETAIL + 100, seo_business(seed, id)))
    r = rng_for(seed, S_DETAIL, id * 7 + 4)
    if code == PORN:
        return words.porn_description(r)
    if code in ARTIST_CODES:
        return words.artist_description(r) if r.random() < 0.8 else None
    return words.fan_description(r) if r.random() < 0.35 else None


def user(seed: int, id: int, users: int | None = None) -> dict | None:
    """The api-v2 user object of ``id``, or None when the id is dead (404)."""
    from simulator import graph  # graph needs population; import here to avoid a cycle

    if id <= 0 or (users is not None and id > users):
        return None
    code = code_of(seed, id)
    if code == DEAD:
        return None
    r = rng_for(seed, S_DETAIL, id * 7 + 5)
    name = words.username(r) if code != SEO else words.business_name(seed_business(seed, id))
    permalink = words.permalink(name, id)
    created = created_at(seed, id)
    modified = created + int((T_NOW - created) * r.random())
    p = plan(seed, id)
    city, country = words.place(r) if r.random() < 0.4 else (None, None)
    null = r.random
    followers = graph.followers_count(seed, id, users)
    followings = graph.followings_count(seed, id, users)
    activity = 0 if code in (FAKE, FARM, BOT) else int(r.paretovariate(1.3) * 3) - 3
    if code == PORN:
        activity = r.randint(0, 2)
    sub = {"product": {"id": _PRODUCT[p]}}
    return {
        "id": id,
        "kind": "user",
        "username": name,
        "permalink": permalink,
        "first_name": "",
        "last_name": "",
        "full_name": "",
        "followers_count": followers,
        "followings_count": followings,
        "track_count": track_count(seed, id),
        "likes_count": None if null() < 0.02 else max(0, activity * 3),
        "playlist_count": max(0, activity // 10),
        "playlist_likes_count": None if null() < 0.05 else max(0, activity // 5),
        "reposts_count": None if null() < 0.2 else max(0, activity // 2),
        "comments_count": None if null() < 0.05 else max(0, activity // 4),
        "groups_count": 0,
        "description": description(seed, id),
        "city": city,
        "country_code": country,
        "created_at": iso(created),
        "last_modified": iso(modified),
        "creator_subscriptions": [sub],
        "creator_subscription": sub,
        "visuals": None,
        "badges": {"pro": p == "pro", "pro_unlimited": p == "pro_unlimited", "verified": code == SUPERSTAR},
        "urn": f"soundcloud:users:{id}",
        "uri": f"https://api.soundcloud.com/users/{id}",
        "permalink_url": f"https://soundcloud.com/{permalink}",
        "avatar_url": f"https://i1.sndcdn.com/avatars-{h64(seed, 99, id) % 10**12:012d}-large.jpg",
        "station_urn": f"soundcloud:system-playlists:artist-stations:{id}",
        "station_permalink": f"artist-stations:{id}",
        "verified": code == SUPERSTAR,
    }


def seed_business(seed: int, id: int) -> int:
    return seed * 1000 + seo_business(seed, id)


def web_profiles(seed: int, id: int) -> list[dict] | None:
    """The api-v2 web profiles of ``id`` (None when the id is dead)."""
    code = code_of(seed, id)
    if code == DEAD or id <= 0:
        return None
    r = rng_for(seed, S_DETAIL, id * 7 + 6)
    if code == PORN:
        return words.porn_profiles(r)
    if code == SEO:
        return words.seo_profiles(seed_business(seed, id))
    if code in ARTIST_CODES:
        return words.artist_profiles(r, words.username(rng_for(seed, S_DETAIL, id * 7 + 5)))
    if code == FAKE:
        return [] if r.random() < 0.7 else words.social_profiles(r, 1)
    return words.social_profiles(r, 1) if r.random() < 0.2 else []
