"""The api-v2 server over real HTTP: endpoints, pagination, errors, determinism."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import httpx

from simulator import graph, population
from simulator.testing import running_simulator
from simulator.users import user as api_user
from tests.simulator.conftest import SEED, USERS, get


def _first(cls: str, start: int = 1) -> int:
    return next(i for i in range(start, USERS) if population.user_class(SEED, i) == cls)


def walk(client, url: str, limit: int) -> tuple[list[dict], list[int]]:
    """All items of a collection via next_href (client_id added back); and the offsets seen."""
    items, offsets = [], []
    r = get(client, url, limit=limit)
    while True:
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"collection", "next_href"}
        assert len(page["collection"]) <= min(limit, 200)
        items += page["collection"]
        nxt = page["next_href"]
        if nxt is None:
            return items, offsets
        assert "client_id" not in nxt and nxt.startswith(url.split("/users")[0].split("/tracks")[0])
        offsets.append(int(parse_qs(urlparse(nxt).query)["offset"][0]))
        r = client.get(nxt + "&client_id=test")


def test_user_shape_matches_fixture(sim_url, client, shared_dir):
    fixture = json.load(open(f"{shared_dir}/fixtures/api-v2/user.json"))
    uid = _first("fan")
    r = get(client, f"{sim_url}/users/{uid}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    user = r.json()
    assert set(fixture) - {"visuals"} <= set(user)
    assert user["id"] == uid and user["kind"] == "user" and user["urn"] == f"soundcloud:users:{uid}"
    assert user == api_user(SEED, uid, USERS)


def test_web_profiles(sim_url, client):
    porn = _first("spam_porn")
    profiles = get(client, f"{sim_url}/users/{porn}/web-profiles").json()
    assert profiles and all(set(p) == {"url", "network", "title", "username"} for p in profiles)
    assert get(client, f"{sim_url}/users/{_first('dead')}/web-profiles").status_code == 404


def test_401_and_404(sim_url, client):
    assert client.get(f"{sim_url}/users/{_first('fan')}").status_code == 401
    assert client.get(f"{sim_url}/users/{_first('fan')}", params={"client_id": ""}).status_code == 401
    assert get(client, f"{sim_url}/users/{_first('dead')}").status_code == 404
    assert get(client, f"{sim_url}/users/{USERS + 1}").status_code == 404
    assert get(client, f"{sim_url}/users/abc").status_code == 404
    assert get(client, f"{sim_url}/nothing").status_code == 404
    assert get(client, f"{sim_url}/users/{_first('dead')}/followers").status_code == 404
    assert get(client, f"{sim_url}/tracks/1/reposters").status_code == 404
    assert get(client, f"{sim_url}/users/{_first('fan')}/followers", limit="x").status_code == 400


def test_followers_pagination_with_multi_follow(sim_url, client):
    # an artist targeted by a multi-follow bot
    bot = _first("bot_multifollow", 100)
    target = graph._block_extras(SEED, bot // population.BLOCK)[0][bot][0][1]  # one of its multi-follow targets
    items, offsets = walk(client, f"{sim_url}/users/{target}/followers", limit=37)
    ids = [u["id"] for u in items]
    expected = graph.followers(SEED, target, USERS)
    assert ids == [i for _, i in expected]
    assert offsets == sorted(offsets, reverse=True) and len(set(offsets)) == len(offsets)
    times = [t for t, _ in expected]
    assert all(a > b for a, b in zip(times, times[1:], strict=False))
    dups = {i for i in ids if ids.count(i) > 1}
    assert bot in dups and dups <= {i for i in dups if population.user_class(SEED, i) == "bot_multifollow"}
    assert get(client, f"{sim_url}/users/{target}").json()["followers_count"] == len(ids)


def test_limit_caps_at_200_and_limit_1_recovers_times(sim_url, client):
    star = _first("superstar")
    page = get(client, f"{sim_url}/users/{star}/followers", limit=1000).json()
    assert len(page["collection"]) == 200
    expected = graph.followers(SEED, star, USERS)
    r = get(client, f"{sim_url}/users/{star}/followers", limit=1)
    for t, uid in expected[:5]:
        page = r.json()
        assert page["collection"][0]["id"] == uid
        assert int(parse_qs(urlparse(page["next_href"]).query)["offset"][0]) == t
        r = client.get(page["next_href"] + "&client_id=test")


def test_graph_is_consistent_over_http(sim_url, client):
    musician = _first("regular_musician", 500)
    followers, _ = walk(client, f"{sim_url}/users/{musician}/followers", limit=200)
    for f in followers[:15]:
        followings, _ = walk(client, f"{sim_url}/users/{f['id']}/followings", limit=200)
        assert musician in {u["id"] for u in followings}


def test_follow_farm_lockstep():
    """Every farm variant: members follow each target inside the variant's window (ten
    minutes for classic farms, hours for wide and camouflaged ones), hijacked accounts with
    them; camouflaged members also follow popular artists and each other."""
    seen = set()
    for b in range(1, 40):  # past the served ids: the graph functions take users=None
        plan = graph.block_plan(SEED, b)
        farm = next((g for g in plan.groups if g["kind"].startswith("farm_")), None)
        if farm is None or farm["kind"] in seen:
            continue
        seen.add(farm["kind"])
        members = [i for i in range(b * population.BLOCK, (b + 1) * population.BLOCK)
                   if population.user_class(SEED, i) == "follow_farm"]
        assert farm["members"] == members
        window_ms = farm["window_s"] * 1000
        assert (window_ms == 600_000) == (farm["kind"] == "farm_classic")
        hijacked = next(g for g in plan.groups if g["kind"] == "hijacked")["members"]
        assert hijacked and all(population.user_class(SEED, h) == "fan" for h in hijacked)
        for a in farm["targets"]:
            ts = [t for m in members for t, x in plan.out[m] if x == a]
            assert len(ts) == len(members) and max(ts) - min(ts) <= window_ms
            followers = {f for _, f in graph.followers(SEED, a)}
            assert set(members) <= followers
            hs = [t for h in hijacked for t, x in plan.out.get(h, ()) if x == a]
            assert all(min(ts) - window_ms <= t <= max(ts) + window_ms for t in hs)
        extra = {x for m in members for _, x in plan.out[m]} - set(farm["targets"])
        assert bool(extra) == (farm["kind"] == "farm_camouflaged")
    assert seen == {"farm_classic", "farm_wide", "farm_camouflaged"}


def test_legitimate_bursts_and_heavy_fans():
    """Release days bring hundreds of real fans within an hour; heavy fans follow dozens of
    artists at ordinary times; no planted edge repeats a follow (only bots multi-follow)."""
    plan = graph.block_plan(SEED, 1)
    release = next(g for g in plan.groups if g["kind"] == "release_day")
    a = release["targets"][0]
    times = dict((u, t) for t, u in graph.followers(SEED, a, USERS))
    burst = [times[f] for f in release["members"]]
    assert len(burst) >= 150 and max(burst) - min(burst) <= 3_600_000 and min(burst) >= release["at_ms"]
    assert all(population.user_class(SEED, f) == "fan" for f in release["members"])
    heavy = next(g for g in plan.groups if g["kind"] == "heavy_fans")["members"]
    for h in heavy[:5]:
        artists = [x for _, x in graph.followings(SEED, h, USERS) if population.user_class(SEED, x) in
                   ("regular_musician", "superstar")]
        assert len(artists) >= 30 and len(set(artists)) == len(artists)
    for u in list(plan.out)[:300]:
        if population.user_class(SEED, u) != "bot_multifollow":
            dsts = [x for _, x in graph.followings(SEED, u, USERS)]
            assert len(dsts) == len(set(dsts)), u


def test_viral_cascade_and_farm_reposts():
    artists = [i for i in range(population.BLOCK, USERS) if population.user_class(SEED, i) == "regular_musician"]
    viral = next(t for a in artists for _, t in graph.tracks(SEED, a, USERS) if graph.viral_moment(SEED, t))
    at = graph.viral_moment(SEED, viral)
    owner_followers = {f for _, f in graph.followers(SEED, viral // graph.TRACK_ID_FACTOR, USERS)}
    after = [u for t, u in graph.reposters(SEED, viral, USERS) if at <= t <= at + 3 * 3_600_000]
    assert len(set(after) & owner_followers) >= 0.1 * len(owner_followers)  # a quarter of the fans, within hours
    for b in range(1, USERS // population.BLOCK + 1):
        plan = graph.block_plan(SEED, b)
        for track, reps in plan.reposts.items():
            reposters = {u for _, u in graph.reposters(SEED, track, USERS)}
            assert {u for _, u in reps} <= reposters
            return
    raise AssertionError("no farm reposts planted")


def test_tracks_and_reposters_with_maven_burst(sim_url, client):
    # a superstar whose track was reposted by a maven
    for star in (i for i in range(1, USERS) if population.user_class(SEED, i) == "superstar"):
        tracks, _ = walk(client, f"{sim_url}/users/{star}/tracks", limit=200)
        assert len(tracks) == population.track_count(SEED, star)
        assert all(t["kind"] == "track" and t["user_id"] == star for t in tracks)
        for tr in tracks:
            reposters, _ = walk(client, f"{sim_url}/tracks/{tr['id']}/reposters", limit=50)
            assert len(reposters) == tr["reposts_count"]
            ids = [u["id"] for u in reposters]
            assert len(ids) == len(set(ids))
            times = dict((u, t) for t, u in graph.reposters(SEED, tr["id"], USERS))
            mavens = [u for u in ids if population.user_class(SEED, u) == "maven"]
            for m in mavens:
                mfollowers = {f for _, f in graph.followers(SEED, m, USERS)}
                burst = [u for u in ids if u in mfollowers and 0 <= times[u] - times[m] <= 3_600_000]
                if len(burst) >= 3:
                    return
    raise AssertionError("no maven burst found")


def test_next_href_absent_on_last_page(sim_url, client):
    fan = next(i for i in range(1, USERS) if population.user_class(SEED, i) == "fan"
               and 0 < api_user(SEED, i, USERS)["followings_count"] < 50)
    page = get(client, f"{sim_url}/users/{fan}/followings").json()
    assert page["next_href"] is None and len(page["collection"]) > 0


def test_same_seed_same_bytes(sim_url, client):
    star = _first("superstar")
    paths = [f"/users/{i}" for i in range(1, 40)] + [f"/users/{star}/followers", f"/users/{star}/tracks",
                                                     f"/users/{_first('spam_porn')}/web-profiles"]
    with running_simulator(seed=SEED, users=USERS) as other:
        for p in paths:
            a = get(client, sim_url + p)
            b = get(client, other + p)
            assert a.status_code == b.status_code
            assert a.content.replace(sim_url.encode(), b"BASE") == b.content.replace(other.encode(), b"BASE"), p
        with running_simulator(seed=SEED + 1, users=USERS) as third:
            assert any(get(client, sim_url + p).content != get(client, third + p).content for p in paths[:10])


def test_kill_and_restart_same_port():
    with running_simulator(seed=SEED, users=100) as url:
        assert httpx.get(f"{url}/users/1", params={"client_id": "x"}).status_code in (200, 404)
        url.kill()
        try:
            httpx.get(f"{url}/users/1", params={"client_id": "x"}, timeout=2)
            raise AssertionError("server still up")
        except httpx.TransportError:
            pass
        assert url.restart() == url
        assert httpx.get(f"{url}/users/1", params={"client_id": "x"}).status_code in (200, 404)
