"""Users data for the users benchmarks and quality tests.

* ``write_raw_records``: the crawled simulator population (ids 1..n of a seed, follow
  counts from ``simulator.graph``) as raw-zone JSON Lines, exactly what the crawler stores
  (``simulator.users.raw_record``); per-user Python, about 15 s per 50,000 ids.
* ``write_bulk_users``: millions of raw-user records generated with numpy for the scale
  benchmark, written as Parquet with the raw-record layout (``id``, ``status``,
  ``fetched_at``, ``user`` struct, ``web_profiles`` list). Class codes, hard-case
  variants, creation times (fake batches share a second), track counts and plans are the
  population's own vectorised functions; follow counts are Poisson draws around the
  population's ``follow_params`` (the graph's expected values, without its window
  saturation); texts and links come from pools built with ``simulator.words`` (so
  duplicate descriptions and URLs are somewhat more frequent than in the crawl).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np

from simulator import population as P
from simulator import words
from simulator.rng import uniform_array
from simulator.users import raw_record, user_truth

FETCHED_AT = "2024-06-01T00:00:00Z"


def write_raw_records(path: Path, seed: int, n_ids: int) -> Path:
    """Raw records of ids 1..n_ids (a population of n_ids) as .jsonl.gz; cached when present."""
    path = Path(path)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
        for i in range(1, n_ids + 1):
            f.write(json.dumps(raw_record(seed, i, n_ids, FETCHED_AT), separators=(",", ":"), ensure_ascii=False))
            f.write("\n")
    tmp.rename(path)
    return path


def simulator_version() -> str:
    """Short hash of the simulator sources a population depends on (part of cache names)."""
    import hashlib

    root = Path(__file__).resolve().parent.parent / "simulator"
    h = hashlib.sha1()
    for name in ("rng.py", "population.py", "graph.py", "words.py", "users.py"):
        h.update((root / name).read_bytes())
    return h.hexdigest()[:10]


def raw_records_path(root: Path, seed: int, n_ids: int) -> Path:
    return Path(root) / f"raw_seed{seed}_{n_ids}_{simulator_version()}.jsonl.gz"


def truth(seed: int, n_ids: int):
    """user_truth of ids 1..n_ids (dead ones dropped)."""
    t = user_truth(seed, np.arange(1, n_ids + 1))
    return t[t["class"] != "dead"].reset_index(drop=True)


# ---- bulk (vectorised) -----------------------------------------------------------------
_POOL = 4096


_POOLS: dict = {}


def _pool(make, n: int, seed: int) -> list:
    """``n`` values of ``make(random.Random(seed))``, built once per (function, n, seed)."""
    key = (getattr(make, "__name__", repr(make)), getattr(make, "__code__", None), n, seed)
    if key not in _POOLS:
        r = random.Random(seed)
        _POOLS[key] = [make(r) for _ in range(n)]
    return _POOLS[key]


def _pick(pool: list, keys: np.ndarray, seed: int, salt: int) -> np.ndarray:
    arr = np.empty(len(pool), dtype=object)
    arr[:] = pool
    return arr[(uniform_array(seed, salt, keys) * len(pool)).astype(np.int64)]


def _iso(ts: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(ts.astype("datetime64[s]"), unit="s").astype("U20"), "Z")


def bulk_columns(seed: int, first_id: int, last_id: int) -> dict:
    """Columns of the live users among ids first_id..last_id (numpy arrays, object arrays for text)."""
    ids = np.arange(first_id, last_id + 1, dtype=np.int64)
    codes = P.class_codes(seed, ids)
    live = codes != P.DEAD
    ids, codes = ids[live], codes[live]
    var = P.variant_codes(seed, ids, codes)
    act, pop = P.follow_params(seed, ids, codes, var)
    rng = np.random.default_rng([seed, first_id])
    # the graph's follow probability saturates at 1 for attractive accounts: heavy
    # followers follow fewer than ``act`` and stars are followed by at most their window
    followings = rng.poisson(np.where(codes == P.PORN, act, act / (1 + act / 600)))
    scale = 1.25  # mean followings per unit of attractiveness in a typical window
    followers = rng.poisson(np.minimum(pop * scale * np.mean(act) / max(np.mean(pop), 1e-9), 1300))
    created = P.created_array(seed, ids)
    u1 = uniform_array(seed, P.S_DETAIL, ids * 7 + 1)
    tracks = np.zeros(ids.shape, dtype=np.int64)
    m = codes == P.MUSICIAN
    lo = u1 < 6.0 / 7.15
    tracks[m & lo] = 1 + (u1[m & lo] / (6.0 / 7.15) * 10).astype(np.int64)
    tracks[m & ~lo] = 11 + ((u1[m & ~lo] - 6.0 / 7.15) / (1.15 / 7.15) * 90).astype(np.int64)
    s = codes == P.SUPERSTAR
    tracks[s] = 101 + (u1[s] * 500).astype(np.int64)
    seo_t = (codes == P.SEO) & (var == P.SEO_NORMAL_COUNTS) & (u1 < 0.4)
    tracks[seo_t] = 1 + (u1[seo_t] / 0.4 * 3).astype(np.int64)
    u2 = uniform_array(seed, P.S_DETAIL, ids * 7 + 2)
    pu = np.where(np.isin(codes, P.ARTIST_CODES), np.where(s, 0.5, 0.016), 0.0002)
    pro = np.where(np.isin(codes, P.ARTIST_CODES), np.where(s, 0.2, 0.0065), 0.0001)
    plan = np.where(u2 < pu, "creator-pro-unlimited", np.where(u2 < pu + pro, "creator-pro", "free"))
    u3 = uniform_array(seed, P.S_DETAIL + 200, ids)
    activity = np.maximum(0, (3 * u3 ** (-1 / 1.3)).astype(np.int64) - 3)
    activity[np.isin(codes, (P.FAKE, P.FARM, P.BOT))] = 0
    activity[codes == P.PORN] = (u3[codes == P.PORN] * 3).astype(np.int64)
    heavy = var == P.NEW_HEAVY_FOLLOWER
    activity[heavy] = (u3[heavy] * 9).astype(np.int64)

    # texts: pools built with the simulator's word functions, picked by hash
    n = len(ids)
    desc = np.full(n, None, dtype=object)
    u4 = uniform_array(seed, P.S_DETAIL + 201, ids)
    fan = np.isin(codes, (P.FAN, P.MAVEN, P.BOT, P.FARM))
    pools = {
        "fan": _pool(words.fan_description, 64, seed),
        "artist": _pool(words.artist_description, 256, seed + 1),
        "porn": _pool(words.porn_description, _POOL * 8, seed + 2),
        "plausible": _pool(words.plausible_description, _POOL * 4, seed + 3),
        "stock": _pool(words.stock_description, _POOL * 8, seed + 4),
        "seo": _pool(words.seo_description, 300, seed + 5),
        "promo": _pool(lambda r: words.release_promo(r, "artist" + str(r.randrange(10**6)), None), _POOL, seed + 6),
    }
    sel = fan & (u4 < 0.35) & ~heavy
    desc[sel] = _pick(pools["fan"], ids[sel], seed, 301)
    sel = np.isin(codes, P.ARTIST_CODES) & (u4 < 0.8)
    desc[sel] = _pick(pools["artist"], ids[sel], seed, 302)
    shortener_user = var == P.LEGIT_SHORTENER
    sel = shortener_user & (u4 > 0.6)
    desc[sel] = _pick(pools["promo"], ids[sel], seed, 303)
    porn = codes == P.PORN
    camo = var == P.CAMOUFLAGED
    desc[porn & ~camo] = _pick(pools["porn"], ids[porn & ~camo], seed, 304)
    desc[porn & camo] = _pick(pools["plausible"], ids[porn & camo], seed, 305)
    fake = codes == P.FAKE
    batch = P.fake_batch_start(seed, ids)
    desc[fake & ~camo] = _pick(pools["stock"], batch[fake & ~camo], seed, 306)
    desc[fake & camo] = _pick(pools["plausible"], batch[fake & camo], seed, 307)
    seo = codes == P.SEO
    business = (uniform_array(seed, P.S_DETAIL, ids * 7 + 3) * 300).astype(np.int64)
    seo_pool = np.empty(300, dtype=object)
    seo_pool[:] = [words.seo_description(random.Random(seed * 1000 + b)) for b in range(300)]
    desc[seo] = seo_pool[business[seo]]

    names_pool = _pool(words.username, _POOL * 4, seed + 7)
    name = _pick(names_pool, ids, seed, 308)
    biz_names = np.empty(300, dtype=object)
    biz_names[:] = [words.business_name(seed * 1000 + b) for b in range(300)]
    name[seo] = biz_names[business[seo]]
    permalink = np.char.add(np.char.add(np.char.lower(np.char.replace(name.astype(str), " ", "-")), "-"),
                            ids.astype(str)).astype(object)

    # web profiles: lists of (url, network, title) dicts from pools
    prof = np.empty(n, dtype=object)
    prof[:] = [[] for _ in range(n)]
    u5 = uniform_array(seed, P.S_DETAIL + 202, ids)
    social = _pool(lambda r: words.social_profiles(r, 1), _POOL * 4, seed + 8)
    sel = fan & (u5 < 0.2)
    prof[sel] = _pick(social, ids[sel], seed, 309)
    artist_pool = _pool(lambda r: words.artist_profiles(r, words.username(r)), _POOL * 4, seed + 9)
    sel = np.isin(codes, P.ARTIST_CODES)
    prof[sel] = _pick(artist_pool, ids[sel], seed, 310)
    hub_pool = _pool(lambda r: [words.link_hub_profile(r, "artist" + str(r.randrange(10**6)))], _POOL * 4, seed + 10)
    for i in np.flatnonzero(shortener_user):
        prof[i] = list(prof[i]) + _pick(hub_pool, ids[i : i + 1], seed, 311)[0]
    prof[porn & ~camo] = _pick(_pool(words.porn_profiles, _POOL * 8, seed + 11), ids[porn & ~camo], seed, 312)
    prof[porn & camo] = _pick(_pool(words.camouflaged_profiles, _POOL * 4, seed + 12), ids[porn & camo], seed, 313)
    seo_prof = np.empty(300, dtype=object)
    seo_prof[:] = [words.seo_profiles(seed * 1000 + b) for b in range(300)]
    prof[seo] = seo_prof[business[seo]]
    sel = fake & (u5 < 0.3)
    prof[sel] = _pick(social, ids[sel], seed, 314)
    return {
        "id": ids, "codes": codes, "variants": var, "username": name, "permalink": permalink,
        "followers_count": followers, "followings_count": followings, "track_count": tracks,
        "likes_count": activity * 3, "playlist_count": activity // 10, "playlist_likes_count": activity // 5,
        "reposts_count": activity // 2, "comments_count": activity // 4, "description": desc,
        "created_at": _iso(created), "plan": plan, "verified": s, "web_profiles": prof,
    }


def bulk_table(cols: dict):
    """A pyarrow Table in the raw-record layout from ``bulk_columns``."""
    import pyarrow as pa

    n = len(cols["id"])
    count = lambda k: pa.array(cols[k], type=pa.int64())  # noqa: E731
    product = pa.StructArray.from_arrays([pa.array(cols["plan"].astype(object), type=pa.string())], ["id"])
    sub = pa.StructArray.from_arrays([product], ["product"])
    prof_struct = pa.struct([("url", pa.string()), ("network", pa.string()), ("service", pa.string()),
                             ("title", pa.string()), ("username", pa.string())])
    profiles = pa.array([[{"url": p["url"], "network": p["network"], "service": None, "title": p["title"],
                           "username": p.get("username")} for p in ps] for ps in cols["web_profiles"]],
                        type=pa.list_(prof_struct))
    plan = cols["plan"]
    badges = pa.StructArray.from_arrays(
        [pa.array(plan == "creator-pro"), pa.array(plan == "creator-pro-unlimited"), pa.array(cols["verified"])],
        ["pro", "pro_unlimited", "verified"])
    subs = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), sub)
    nulls = pa.nulls(n, pa.string())
    user = pa.StructArray.from_arrays(
        [pa.array(cols["id"], type=pa.int64()), pa.array(cols["username"], type=pa.string()),
         pa.array(cols["permalink"], type=pa.string()), pa.array(np.full(n, "", dtype=object), type=pa.string()),
         *[count(k) for k in ("followers_count", "followings_count", "track_count", "likes_count",
                              "playlist_count", "playlist_likes_count", "reposts_count", "comments_count")],
         pa.array(cols["description"], type=pa.string()), nulls, nulls,
         pa.array(cols["created_at"].astype(object), type=pa.string()),
         pa.array(cols["created_at"].astype(object), type=pa.string()), subs, sub, badges,
         pa.array(cols["verified"], type=pa.bool_()), pa.nulls(n, pa.list_(prof_struct))],
        ["id", "username", "permalink", "full_name", "followers_count", "followings_count", "track_count",
         "likes_count", "playlist_count", "playlist_likes_count", "reposts_count", "comments_count", "description",
         "city", "country_code", "created_at", "last_modified", "creator_subscriptions", "creator_subscription",
         "badges", "verified", "web_profiles"])
    return pa.table({
        "id": pa.array(cols["id"], type=pa.int64()),
        "status": pa.array(np.full(n, "fetched", dtype=object), type=pa.string()),
        "fetched_at": pa.array(np.full(n, FETCHED_AT, dtype=object), type=pa.string()),
        "user": user,
        "web_profiles": profiles,
        "error": pa.nulls(n, pa.string()),
    })


def write_bulk_users(root: Path, seed: int, live_users: int, chunk_ids: int = 700_000) -> tuple[Path, int]:
    """Parquet files (raw-record layout) with about ``live_users`` live users; cached by parameters.

    Returns (directory, number of live users written). Ids run 1..ceil(live_users / 0.7).
    """
    import pyarrow.parquet as pq

    out = Path(root) / f"users_seed{seed}_{live_users}"
    done = out / "_DONE"
    if done.exists():
        return out, int(done.read_text())
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    last = int(np.ceil(live_users / (1 - P.DEAD_SHARE)))
    total, part = 0, 0
    for first in range(1, last + 1, chunk_ids):
        cols = bulk_columns(seed, first, min(last, first + chunk_ids - 1))
        pq.write_table(bulk_table(cols), out / f"part-{part:05d}.parquet", row_group_size=200_000)
        total += len(cols["id"])
        part += 1
    done.write_text(str(total))
    return out, total
