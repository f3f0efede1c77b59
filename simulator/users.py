"""User objects as the platform serves them, raw-user records, and imported-user dumps.

This module imports both ``population`` (who a user is) and ``graph`` (whom they follow);
neither of those imports it, so there is no import cycle:

* ``user(seed, id, users)``: the api-v2 user object with follow counts from ``graph``
  (the server's ``/users/{id}``); ``web_profiles`` as served at ``/users/{id}/web-profiles``.
* ``raw_record`` / ``raw_records``: lines of the raw zone (DESIGN.md "Contract: raw
  users"), as the crawler would write them for a population of ``users`` ids.
* ``user_truth``: planted class, 4-class name and hard case of ids.
* ``write_user_dump``: an *imported* population of a different size and shape, see there.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import graph, population, words
from simulator.population import (
    BOT,
    CAMOUFLAGED,
    CLASS_NAMES,
    FAKE,
    FAN,
    FARM,
    HARD_CASE_NAMES,
    LEGIT_SHORTENER,
    MAVEN,
    MUSICIAN,
    NEW_HEAVY_FOLLOWER,
    PORN,
    SEO,
    SEO_NORMAL_COUNTS,
    SUPERSTAR,
    iso,
)

web_profiles = population.web_profiles

# The seed's four cluster names; planted classes map onto them like this (follow bots and
# farm members look like fans on their profiles; mavens are fans who repost early).
FOUR_CLASS = {
    FAN: "Fans", MAVEN: "Fans", BOT: "Fans", FARM: "Fans",
    MUSICIAN: "Regular Musicians", SUPERSTAR: "Superstars",
    PORN: "Spam", FAKE: "Spam", SEO: "Spam",
}


def user(seed: int, id: int, users: int | None = None) -> dict | None:
    """The api-v2 user object of ``id`` (follow counts from ``graph``), or None when dead/unknown."""
    if not population.is_live(seed, id, users):
        return None
    return population.user_object(seed, id, graph.followers_count(seed, id, users), graph.followings_count(seed, id, users))


def raw_record(seed: int, id: int, users: int | None = None, fetched_at: str = "2024-06-01T00:00:00Z") -> dict:
    """One raw-zone line for ``id``: fetched (user + web_profiles) or gone (404)."""
    u = user(seed, id, users)
    if u is None:
        return {"id": id, "status": "gone", "fetched_at": fetched_at, "user": None, "web_profiles": None}
    return {"id": id, "status": "fetched", "fetched_at": fetched_at, "user": u, "web_profiles": web_profiles(seed, id)}


def raw_records(seed: int, first_id: int, last_id: int, users: int | None = None) -> list[dict]:
    """Raw-zone lines for ids first_id..last_id of a population of ``users`` ids (default last_id)."""
    users = last_id if users is None else users
    return [raw_record(seed, i, users) for i in range(first_id, last_id + 1)]


def user_truth(seed: int, ids) -> pd.DataFrame:
    """(id, class, four_class, is_spam, hard_case) of ids (dead ones included, four_class None)."""
    ids = np.asarray(ids, dtype=np.int64)
    codes = population.class_codes(seed, ids)
    var = population.variant_codes(seed, ids, codes)
    return pd.DataFrame({
        "id": ids,
        "class": pd.Series(codes).map(CLASS_NAMES).to_numpy(),
        "four_class": pd.Series(codes).map(FOUR_CLASS).to_numpy(),
        "is_spam": population.spam_truth(codes),
        "hard_case": pd.Series(var).map(HARD_CASE_NAMES).to_numpy(),
    })


# ---- imported populations --------------------------------------------------------------
# A platform's own users are not SoundCloud's: different id space, sizes, time range,
# languages and spam mix. Only the api-v2 field names are shared.
NON_LATIN = ["Музыка для души. Пишу биты по ночам", "音楽が大好き。毎日聴いています", "موسيقى من القاهرة",
             "음악 프로듀서 / 서울", "ดนตรีคือชีวิต", "Μουσική και ταξίδια", "שירים מתל אביב"]
_DUMP_CLASSES = (  # (class code, variant, share of spam or of legit)
    ("spam", PORN, 0, 0.30), ("spam", PORN, CAMOUFLAGED, 0.20), ("spam", FAKE, 0, 0.20),
    ("spam", FAKE, CAMOUFLAGED, 0.10), ("spam", SEO, 0, 0.10), ("spam", SEO, SEO_NORMAL_COUNTS, 0.10),
    ("legit", FAN, 0, 0.62), ("legit", FAN, NEW_HEAVY_FOLLOWER, 0.06), ("legit", FAN, LEGIT_SHORTENER, 0.02),
    ("legit", MUSICIAN, 0, 0.22), ("legit", MUSICIAN, LEGIT_SHORTENER, 0.08),
)


def _dump_user(r: random.Random, uid: int, code: int, var: int, created: int, batch: dict | None) -> dict:
    """One imported api-v2 user (with web_profiles), drawn from the dump's own distributions."""
    name = words.username(r)
    desc: str | None
    profiles: list[dict] = []
    tracks, followers, followings, activity = 0, 0, 0, 0
    lognorm = lambda mu, sigma: int(r.lognormvariate(mu, sigma))  # noqa: E731
    if code == FAN:
        followings = 0 if r.random() < 0.3 else lognorm(3.0, 1.2)
        followers = 0 if r.random() < 0.4 else lognorm(1.0, 1.0)
        activity = lognorm(2.5, 1.5) if r.random() < 0.6 else 0
        desc = r.choice(NON_LATIN) if r.random() < 0.15 else (words.fan_description(r) if r.random() < 0.3 else None)
        if var == NEW_HEAVY_FOLLOWER:
            followings, followers, activity, desc = r.randint(150, 900), r.randint(0, 4), r.randint(0, 10), None
        if r.random() < 0.25:
            profiles = words.social_profiles(r, 1)
    else:  # MUSICIAN or spam
        desc = None
    if code == MUSICIAN:
        tracks = max(1, lognorm(1.8, 1.2))
        followers = lognorm(5.0, 1.5)  # an established scene: far more followers than the crawl
        followings = lognorm(4.0, 1.0)
        activity = lognorm(4.0, 1.2)
        desc = r.choice(NON_LATIN) if r.random() < 0.2 else words.artist_description(r)
        profiles = words.artist_profiles(r, name)
    if var == LEGIT_SHORTENER:
        h = words.handle(name)
        desc = words.release_promo(r, h, desc)
        profiles.append(words.link_hub_profile(r, h))
    if code == PORN:
        activity = r.randint(0, 5)
        if var == CAMOUFLAGED:
            desc, profiles = words.plausible_description(r), words.camouflaged_profiles(r)
            followings, followers = r.randint(40, 400), r.randint(0, 60)
        else:
            desc, profiles = words.porn_description(r), words.porn_profiles(r)
            followings, followers = r.randint(500, 2000), r.randint(0, 3)
    elif code == FAKE:
        desc, created = batch["description"], batch["created"]
        followings, followers = (r.randint(0, 40), r.randint(0, 15)) if var == CAMOUFLAGED else (r.randint(0, 5), 0)
    elif code == SEO:
        biz = r.randrange(40)
        name = words.business_name(biz)
        desc = words.seo_description(random.Random(biz))
        profiles = words.seo_profiles(biz)
        if var == SEO_NORMAL_COUNTS:
            followings, followers, tracks = lognorm(3.5, 1.0), lognorm(3.0, 1.2), r.randint(0, 3)
        else:
            followings, followers = r.randint(0, 30), r.randint(0, 5)
    link = words.permalink(name, uid)
    return {
        "id": uid, "kind": "user", "username": name, "permalink": link, "full_name": "",
        "followers_count": followers, "followings_count": followings, "track_count": tracks,
        "likes_count": activity * 2, "playlist_count": activity // 8, "playlist_likes_count": activity // 6,
        "reposts_count": None if r.random() < 0.3 else activity // 3, "comments_count": activity // 5,
        "description": desc, "city": None, "country_code": None,
        "created_at": iso(created), "last_modified": iso(created + r.randint(0, 86400 * 400)),
        "creator_subscription": {"product": {"id": "free" if r.random() < 0.97 else "creator-pro"}},
        "permalink_url": f"https://music.example.net/{link}", "verified": False,
        "web_profiles": profiles,
    }


def user_dump(seed: int = 5, n_users: int = 3000, spam_share: float = 0.5) -> tuple[list[dict], pd.DataFrame]:
    """An imported population: (api-v2 user objects with ``web_profiles`` inside, truth).

    Its shape differs from the crawled simulator on purpose: ``n_users`` users (default
    3,000), ``spam_share`` of them spam (default half), no superstars, sparse 7-9 digit
    ids, accounts created 2019-2025, musicians with far more followers, pornographic spam
    following 500-2,000 accounts (not 250-350), non-Latin descriptions, its own SEO
    businesses. Hard cases as in the simulator (camouflaged spam, SEO with normal counts,
    legitimate shortener users, new heavy followers). Fake accounts come in batches of
    4-15 sharing a creation second and a description. Truth columns: id, class,
    four_class, is_spam, hard_case. Deterministic in (seed, n_users, spam_share).
    """
    if n_users < 1 or not 0 <= spam_share <= 1:
        raise ValueError("n_users must be >= 1 and spam_share in [0, 1]")
    r = random.Random(f"user-dump:{seed}")
    ids = sorted(r.sample(range(1_000_000, 900_000_000), n_users))
    t0, t1 = 1_546_300_800, 1_750_000_000  # 2019-01-01 .. mid 2025
    n_spam = round(n_users * spam_share)
    kinds = ["spam"] * n_spam + ["legit"] * (n_users - n_spam)
    r.shuffle(kinds)
    table = {k: [(c, v) for kk, c, v, _ in _DUMP_CLASSES if kk == k] for k in ("spam", "legit")}
    weights = {k: [w for kk, _, _, w in _DUMP_CLASSES if kk == k] for k in ("spam", "legit")}
    users, truth, batch, left = [], [], None, 0
    for uid, kind in zip(ids, kinds, strict=True):
        code, var = r.choices(table[kind], weights[kind])[0]
        if code == FAKE:
            if left <= 0 or batch is None or batch["var"] != var:
                rb = random.Random(r.random())
                desc = words.plausible_description(rb) if var == CAMOUFLAGED else words.stock_description(rb)
                batch, left = {"var": var, "created": r.randint(t0, t1), "description": desc}, r.randint(4, 15)
            left -= 1
        created = r.randint(t0, t1)
        users.append(_dump_user(r, uid, code, var, created, batch))
        truth.append((uid, CLASS_NAMES[code], FOUR_CLASS[code], code in population.SPAM_CODES, HARD_CASE_NAMES[var]))
    return users, pd.DataFrame(truth, columns=["id", "class", "four_class", "is_spam", "hard_case"])


def write_user_dump(path: str | Path, seed: int = 5, n_users: int = 3000, spam_share: float = 0.5,
                    truth_path: str | Path | None = None) -> dict:
    """Write an imported population as JSON Lines (``.jsonl`` or ``.jsonl.gz``) plus its truth.

    The dump is what a platform drops under ``landing/user_dumps/`` (DESIGN.md "Contract:
    user dumps and scores"): one api-v2 user object per line with its ``web_profiles``
    list inside. See ``user_dump`` for the shape (default: 3,000 users, half spam, no
    superstars). The truth goes to ``truth_path`` (default: ``<path stem>.truth.parquet``
    beside the dump; ``.csv`` also accepted) with columns id, class, four_class, is_spam,
    hard_case. Returns {"path", "truth_path", "users", "spam"}.

    Example (end-to-end test of an imported population)::

        from simulator.users import write_user_dump
        info = write_user_dump(tmp_path / "landing/user_dumps/platform.jsonl.gz")
        truth = pd.read_parquet(info["truth_path"])
    """
    path = Path(path)
    if not (path.name.endswith(".jsonl") or path.name.endswith(".jsonl.gz")):
        raise ValueError(f"dump path must end in .jsonl or .jsonl.gz, got {path.name!r}")
    users, truth = user_dump(seed, n_users, spam_share)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        for u in users:
            f.write(json.dumps(u, ensure_ascii=False, separators=(",", ":")) + "\n")
    stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
    tp = Path(truth_path) if truth_path is not None else path.with_name(f"{stem}.truth.parquet")
    tp.parent.mkdir(parents=True, exist_ok=True)
    if tp.suffix == ".csv":
        truth.to_csv(tp, index=False)
    else:
        truth.to_parquet(tp, index=False)
    return {"path": str(path), "truth_path": str(tp), "users": len(users), "spam": int(truth["is_spam"].sum())}

