"""Real labelled account sets (``../shared/fixtures/real/accounts/``) as api-v2 user objects.

The mapping (see the fixtures' README for the facts it rests on):

cresci-2017 (Twitter; genuine vs the three social-spambot files, label = file):

* ``id`` -> ``id``; ``screen_name`` -> ``username`` and ``permalink`` (lower case);
  ``name`` -> ``full_name``; ``description`` -> ``description``;
* ``followers_count`` -> ``followers_count``; ``friends_count`` (whom the account follows)
  -> ``followings_count``; ``statuses_count`` (what the account published) ->
  ``track_count`` (the api-v2 count of published items, read as the ``tracks`` feature);
  ``favourites_count`` (tweets the account liked) -> ``likes_count``; Twitter has no
  playlists, reposts-as-count or comments: those stay null; ``listed_count`` counts lists
  OTHER accounts put this one on (popularity, not the account's own activity): not mapped;
* ``url`` -> one ``web_profiles`` entry (network ``personal``);
* ``created_at`` (``"Fri Apr 06 10:58:22 +0000 2007"``) -> ISO 8601 UTC;
* fetched time: ONE snapshot per set, the latest ``crawled_at`` of the whole set (per-row
  crawl times differ between the files and would leak the label);
* ``verified`` -> ``verified``; plan ``free`` (Twitter had no paid plan then).

Instagram SRF (counts only, 10% fake): ``Username`` -> ``username``/``permalink``, ``id``
derived from the username (the file has none: the first 12 hex digits of its SHA-1, so the
id split is a random one); ``Number.of.posts`` -> ``track_count``;
``Number.of.people.they.follow`` -> ``followings_count``; ``Number.of.followers`` ->
``followers_count``; no description, links or creation time (account age unknown: null);
one snapshot time for the set (the labelling, 2017-10). ``has_profile_picture`` and
``Private.account`` have no api-v2 count the features read: not mapped.

Truth: (user_id, is_spam, group). ``half(ids)``: 0 for even ids, 1 for odd ones (the
development half is 0; 1 is the check).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "real" / "accounts"
CRESCI_FILES = {"genuine_accounts.csv": False, "social_spambots_1.csv": True, "social_spambots_2.csv": True,
                "social_spambots_3.csv": True}
INSTAGRAM_SNAPSHOT = "2017-10-01T00:00:00Z"


def _count(v) -> int | None:
    x = pd.to_numeric(v, errors="coerce")
    return None if pd.isna(x) else max(0, int(x))


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "" else str(v)


def twitter_time(v) -> str | None:
    """``"Fri Apr 06 10:58:22 +0000 2007"`` -> ``"2007-04-06T10:58:22Z"`` (None if unparsable)."""
    s = _text(v)
    if s is None:
        return None
    try:
        return datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def _crawl_time(v) -> datetime | None:
    s = _text(v)
    if s is None:
        return None
    try:
        return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def cresci_user(row: dict, snapshot: str) -> dict:
    """One cresci-2017 profile row as an api-v2 user object (see the module docstring)."""
    handle = _text(row.get("screen_name")) or f"user{row['id']}"
    url = _text(row.get("url"))
    return {
        "id": int(row["id"]), "kind": "user", "username": handle, "permalink": handle.lower(),
        "full_name": _text(row.get("name")) or "",
        "followers_count": _count(row.get("followers_count")),
        "followings_count": _count(row.get("friends_count")),
        "track_count": _count(row.get("statuses_count")),
        "likes_count": _count(row.get("favourites_count")),
        "playlist_count": None, "playlist_likes_count": None, "reposts_count": None, "comments_count": None,
        "description": _text(row.get("description")),
        "city": None, "country_code": None,
        "created_at": twitter_time(row.get("created_at")), "last_modified": None,
        "creator_subscriptions": [{"product": {"id": "free"}}],
        "verified": str(row.get("verified") or "").strip() in ("1", "True", "true"),
        "web_profiles": [{"url": url, "network": "personal", "title": ""}] if url else [],
        "_fetched_at": snapshot,
    }


def cresci2017(folder: Path = FIXTURES / "cresci2017") -> tuple[list[dict], pd.DataFrame]:
    """(api-v2 users, truth) of cresci-2017: genuine accounts vs all social spambots."""
    frames = []
    for name, spam in CRESCI_FILES.items():
        df = pd.read_csv(folder / name, dtype=str, keep_default_na=False, na_values=[""])
        frames.append(df.assign(_spam=spam, _group=name.removesuffix(".csv")))
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[pd.to_numeric(rows["id"], errors="coerce").notna()]
    rows = rows.drop_duplicates("id", keep="first")  # an id in two files keeps its first label
    crawled = [t for t in map(_crawl_time, rows["crawled_at"]) if t is not None]
    snapshot = max(crawled).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = rows.to_dict(orient="records")
    users = [cresci_user(r, snapshot) for r in records]
    truth = pd.DataFrame({"user_id": [u["id"] for u in users], "is_spam": rows["_spam"].to_numpy(dtype=bool),
                          "group": rows["_group"].to_numpy()})
    return users, truth


def username_id(name: str) -> int:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:12], 16)


def instagram_srf(path: Path = FIXTURES / "instagram_srf" / "labelled_accounts.csv") -> tuple[list[dict], pd.DataFrame]:
    """(api-v2 users, truth) of the SRF Instagram followers (counts only; rating TRUE = fake)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    users, truth = [], []
    for r in df.to_dict(orient="records"):
        name = r["Username"].strip()
        uid = username_id(name)
        users.append({
            "id": uid, "kind": "user", "username": name, "permalink": name.lower(), "full_name": "",
            "followers_count": _count(r["Number.of.followers"]),
            "followings_count": _count(r["Number.of.people.they.follow"]),
            "track_count": _count(r["Number.of.posts"]),
            "likes_count": None, "playlist_count": None, "playlist_likes_count": None, "reposts_count": None,
            "comments_count": None, "description": None, "created_at": None, "last_modified": None,
            "creator_subscriptions": [{"product": {"id": "free"}}], "verified": False, "web_profiles": [],
            "_fetched_at": INSTAGRAM_SNAPSHOT,
        })
        truth.append((uid, r["rating"].strip().upper() == "TRUE", "fake" if r["rating"].strip().upper() == "TRUE"
                      else "real"))
    return users, pd.DataFrame(truth, columns=["user_id", "is_spam", "group"])


SETS = {"cresci2017": cresci2017, "instagram_srf": instagram_srf}


def half(user_ids) -> pd.Series:
    """0 (development half: even ids) or 1 (check half: odd ids)."""
    return pd.Series(user_ids).astype("int64") % 2


def load(name: str, part: int | None = None) -> tuple[list[dict], pd.DataFrame]:
    """A set by name, whole (``part=None``) or one half (0 / 1)."""
    users, truth = SETS[name]()
    if part is None:
        return users, truth
    keep = set(truth.loc[half(truth["user_id"]).to_numpy() == part, "user_id"])
    return [u for u in users if u["id"] in keep], truth[truth["user_id"].isin(keep)].reset_index(drop=True)


def main() -> None:
    """``python -m bench real_accounts``: the mapped sets, their halves and spam shares."""
    for name in SETS:
        users, truth = load(name)
        h = half(truth["user_id"]).to_numpy()
        parts = ", ".join(f"half {p}: {int((h == p).sum()):,} users, spam {truth.loc[h == p, 'is_spam'].mean():.3f}"
                          for p in (0, 1))
        print(f"{name}: {len(users):,} users, spam {truth['is_spam'].mean():.3f}; {parts}")
