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
* Follows: ~30% of live users follow nobody (~37% in the window graph alone; ``graph`` adds
  release-day and heavy-fan follows), ~45% have no followers (see ``graph``).

Hard cases (issue 11): variants inside the classes above, chosen by a hash of (seed, id)
(fake batches: of the batch's first id), so the class codes stay what ``graph`` and the
network detectors rely on. ``variant_codes`` gives them; ``HARD_CASE_NAMES`` names them.

* camouflaged spam (35% of pornographic spam, 40% of fake batches): plausible
  descriptions without profanity or stock phrases, no shortener, some followers;
  pornographic ones follow 30-150 accounts (not the 250-350 band) and link a
  random-looking domain (free TLD or a cheap one); fake batches still share one second
  and one description.
* SEO accounts with normal-looking counts (50% of SEO): musician-like followings and
  followers, 40% of them with 1-3 (promo) tracks.
* legitimate shortener / link-hub users: 15% of regular musicians, 30% of superstars and
  1% of fans link bit.ly, linktr.ee, ffm.to, ... (often in the description too).
* new heavy followers (3% of fans): follow about 60-300 accounts, have few followers, a
  little activity, usually no description.

The follow counts in a user object are the lengths of its collections in ``graph``, so
they depend on the number of users the server serves (``users``; ``None`` = unbounded).
The api-v2 object with those counts is assembled by ``simulator.users.user`` (which
imports both modules); this module never imports ``graph``.
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
S_VARIANT, S_KNOWN, S_KNOWN_WRONG = 11, 12, 13

# ---- hard-case variants (within classes) -----------------------------------------------
NORMAL, CAMOUFLAGED, SEO_NORMAL_COUNTS, LEGIT_SHORTENER, NEW_HEAVY_FOLLOWER = range(5)
HARD_CASE_NAMES = {
    NORMAL: None,
    CAMOUFLAGED: "camouflaged_spam",
    SEO_NORMAL_COUNTS: "seo_normal_counts",
    LEGIT_SHORTENER: "legit_shortener",
    NEW_HEAVY_FOLLOWER: "new_heavy_follower",
}
CAMO_PORN_SHARE, CAMO_FAKE_BATCH_SHARE, SEO_NORMAL_SHARE = 0.35, 0.40, 0.50
SHORTENER_SHARE = {MUSICIAN: 0.15, SUPERSTAR: 0.30, FAN: 0.01}
NEW_HEAVY_SHARE = 0.03  # of fans, after the shortener share

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


def variant_codes(seed: int, ids: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
    """Hard-case variant of every id (int8: NORMAL, CAMOUFLAGED, ...; see HARD_CASE_NAMES)."""
    ids = np.asarray(ids, dtype=np.int64)
    codes = class_codes(seed, ids) if codes is None else codes
    u = uniform_array(seed, S_VARIANT, ids)
    out = np.full(ids.shape, NORMAL, dtype=np.int8)
    out[(codes == PORN) & (u < CAMO_PORN_SHARE)] = CAMOUFLAGED
    fb = fake_batch_start(seed, ids)
    out[(codes == FAKE) & (uniform_array(seed, S_VARIANT, fb) < CAMO_FAKE_BATCH_SHARE)] = CAMOUFLAGED
    out[(codes == SEO) & (u < SEO_NORMAL_SHARE)] = SEO_NORMAL_COUNTS
    for code, share in SHORTENER_SHARE.items():
        out[(codes == code) & (u < share)] = LEGIT_SHORTENER
    fan_new = (codes == FAN) & (u >= SHORTENER_SHARE[FAN]) & (u < SHORTENER_SHARE[FAN] + NEW_HEAVY_SHARE)
    out[fan_new] = NEW_HEAVY_FOLLOWER
    return out


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
    variants: np.ndarray


# hard-case variants: (share following nobody, median act, share with no followers, median pop)
_FOLLOW_VARIANT = {
    (PORN, CAMOUFLAGED): (0.0, 0.0, 0.3, 0.6),  # act drawn 30-150 below (uniform targets)
    (FAKE, CAMOUFLAGED): (0.3, 6.0, 0.4, 0.4),
    (SEO, SEO_NORMAL_COUNTS): (0.12, 20.0, 0.10, 3.0),
    (FAN, NEW_HEAVY_FOLLOWER): (0.0, 0.0, 0.6, 0.15),  # act drawn 100-400 below
}


def follow_params(seed: int, ids: np.ndarray, codes: np.ndarray,
                  variants: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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
    variants = variant_codes(seed, ids, codes) if variants is None else variants
    for (code, var), (none_act, med_act, none_pop, med_pop) in _FOLLOW_VARIANT.items():
        m = (codes == code) & (variants == var)
        if not m.any():
            continue
        if code == PORN:
            act[m] = 30 + 120 * a[m]
        elif code == FAN:
            act[m] = 150 + 450 * a[m] ** 1.5
        else:
            act[m] = np.where(a0[m] < none_act, 0.0, med_act * np.exp(1.0 * (a[m] - 0.5) * 2))
        pop[m] = np.where(p0[m] < none_pop, 0.0, med_pop * np.exp(1.2 * (p[m] - 0.5) * 2))
    return act, pop


@lru_cache(maxsize=512)
def block(seed: int, b: int) -> Block:
    ids = np.arange(b * BLOCK, (b + 1) * BLOCK, dtype=np.int64)
    codes = class_codes(seed, ids)
    variants = variant_codes(seed, ids, codes)
    act, pop = follow_params(seed, ids, codes, variants)
    return Block(first=b * BLOCK, codes=codes, act=act, pop=pop, created=created_array(seed, ids), variants=variants)


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


def variant_of(seed: int, id: int) -> int:
    blk = block(seed, id // BLOCK)
    return int(blk.variants[id - blk.first])


def hard_case(seed: int, id: int) -> str | None:
    """The hard case an id plants (see HARD_CASE_NAMES), or None."""
    return HARD_CASE_NAMES[variant_of(seed, id)]


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
    if code == SEO and variant_of(seed, id) == SEO_NORMAL_COUNTS and u < 0.4:
        return 1 + int(u / 0.4 * 3)  # promo audio
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


def _handle(seed: int, id: int) -> str:
    return words.handle(words.username(rng_for(seed, S_DETAIL, id * 7 + 5)))


def description(seed: int, id: int) -> str | None:
    code = code_of(seed, id)
    var = variant_of(seed, id)
    if code == FAKE:
        start = int(fake_batch_start(seed, np.array([id]))[0])
        rb = rng_for(seed, S_DETAIL, start * 7 + 4)
        return words.plausible_description(rb) if var == CAMOUFLAGED else words.stock_description(rb)
    if code == SEO:
        return words.seo_description(rng_for(seed, S_DETAIL + 100, seo_business(seed, id)))
    r = rng_for(seed, S_DETAIL, id * 7 + 4)
    if code == PORN:
        return words.plausible_description(r) if var == CAMOUFLAGED else words.porn_description(r)
    if code in ARTIST_CODES:
        text = words.artist_description(r) if r.random() < 0.8 else None
        if var == LEGIT_SHORTENER and r.random() < 0.5:
            return words.release_promo(r, _handle(seed, id), text)
        return text
    if var == NEW_HEAVY_FOLLOWER:
        return words.fan_description(r) if r.random() < 0.2 else None
    text = words.fan_description(r) if r.random() < 0.35 else None
    if var == LEGIT_SHORTENER and r.random() < 0.3:
        return words.release_promo(r, _handle(seed, id), text)
    return text


def is_live(seed: int, id: int, users: int | None = None) -> bool:
    """True when ``id`` is a live user of a population of ``users`` ids (None = unbounded)."""
    return id > 0 and (users is None or id <= users) and code_of(seed, id) != DEAD


def user_object(seed: int, id: int, followers_count: int, followings_count: int) -> dict | None:
    """The api-v2 user object of ``id`` given its follow counts, or None when the id is dead.

    ``simulator.users.user`` fills the counts from ``graph``; this function never does.
    """
    if id <= 0:
        return None
    code = code_of(seed, id)
    if code == DEAD:
        return None
    var = variant_of(seed, id)
    r = rng_for(seed, S_DETAIL, id * 7 + 5)
    name = words.username(r) if code != SEO else words.business_name(seed_business(seed, id))
    permalink = words.permalink(name, id)
    created = created_at(seed, id)
    modified = created + int((T_NOW - created) * r.random())
    p = plan(seed, id)
    city, country = words.place(r) if r.random() < 0.4 else (None, None)
    null = r.random
    activity = 0 if code in (FAKE, FARM, BOT) else int(r.paretovariate(1.3) * 3) - 3
    if code == PORN:
        activity = r.randint(0, 2) if var != CAMOUFLAGED else r.randint(0, 12)
    elif var == NEW_HEAVY_FOLLOWER:
        activity = r.randint(0, 8)
    elif code == FAKE and var == CAMOUFLAGED:
        activity = r.randint(0, 3)
    sub = {"product": {"id": _PRODUCT[p]}}
    return {
        "id": id,
        "kind": "user",
        "username": name,
        "permalink": permalink,
        "first_name": "",
        "last_name": "",
        "full_name": "",
        "followers_count": int(followers_count),
        "followings_count": int(followings_count),
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


def __getattr__(name: str):
    if name == "user":  # moved: it needs graph's follow counts (and graph imports this module)
        raise AttributeError("simulator.population.user moved to simulator.users.user (no import cycle)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def seed_business(seed: int, id: int) -> int:
    return seed * 1000 + seo_business(seed, id)


def web_profiles(seed: int, id: int) -> list[dict] | None:
    """The api-v2 web profiles of ``id`` (None when the id is dead)."""
    code = code_of(seed, id)
    if code == DEAD or id <= 0:
        return None
    var = variant_of(seed, id)
    r = rng_for(seed, S_DETAIL, id * 7 + 6)
    if code == PORN:
        return words.camouflaged_profiles(r) if var == CAMOUFLAGED else words.porn_profiles(r)
    if code == SEO:
        return words.seo_profiles(seed_business(seed, id))
    if code in ARTIST_CODES:
        out = words.artist_profiles(r, words.username(rng_for(seed, S_DETAIL, id * 7 + 5)))
        if var == LEGIT_SHORTENER:
            out.append(words.link_hub_profile(r, _handle(seed, id)))
        return out
    if code == FAKE:
        return [] if r.random() < 0.7 else words.social_profiles(r, 1)
    out = words.social_profiles(r, 1) if r.random() < 0.2 else []
    if var == LEGIT_SHORTENER:
        out.append(words.link_hub_profile(r, _handle(seed, id)))
    return out


# ---- known labels (with noise) ---------------------------------------------------------
def spam_truth(codes: np.ndarray) -> np.ndarray:
    """Planted spam (pornographic, fake, SEO) as booleans."""
    return np.isin(codes, SPAM_CODES)


def known_label_frame(seed: int, ids: np.ndarray, share: float = 0.01, wrong: float = 0.05,
                      label_seed: int = 0):
    """Known labels for a ``share`` of the live ``ids``, a ``wrong`` share of them flipped.

    Returns a pandas DataFrame (user_id, is_spam, wrong): ``is_spam`` is the label as an
    analyst would hand it over (wrong where ``wrong`` is True); pass only
    (user_id, is_spam) to a detector. Deterministic in (seed, label_seed, id).
    """
    import pandas as pd

    ids = np.asarray(ids, dtype=np.int64)
    codes = class_codes(seed, ids)
    key = seed * 1_000_003 + label_seed
    pick = (uniform_array(key, S_KNOWN, ids) < share) & (codes != DEAD)
    flip = uniform_array(key, S_KNOWN_WRONG, ids) < wrong
    ids, codes, flip = ids[pick], codes[pick], flip[pick]
    return pd.DataFrame({"user_id": ids, "is_spam": spam_truth(codes) ^ flip, "wrong": flip})
