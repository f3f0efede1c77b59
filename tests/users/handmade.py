"""Hand-made api-v2 users whose every feature is known by hand (see test_features.py)."""

from __future__ import annotations

BASE = {"kind": "user", "followers_count": 0, "followings_count": 0, "track_count": 0, "likes_count": 0,
        "playlist_count": 0, "playlist_likes_count": 0, "reposts_count": 0, "comments_count": 0,
        "description": None, "created_at": "2020-01-01T00:00:00Z", "creator_subscription": {"product": {"id": "free"}}}
FETCHED = "2020-01-11T00:00:00Z"  # ten days after BASE's created_at


def u(id: int, **fields) -> dict:
    return {**BASE, "id": id, "username": f"name{'abcdefghij'[id % 10]}", "permalink": f"name{'abcdefghij'[id % 10]}",
            **fields}


STOCK = "Coffee addict. Twitter enthusiast. Music lover."
USERS = [
    # 1: counts, activity with a null, pro plan, a personal site
    u(1, followers_count=10, followings_count=4, track_count=3, likes_count=5, reposts_count=None, playlist_count=2,
      comments_count=1, playlist_likes_count=4, creator_subscription={"product": {"id": "creator-pro-unlimited"}},
      web_profiles=[{"url": "https://www.mara-music.com/", "network": "personal", "title": "My site"}]),
    # 2: every count null, no web profiles key at all, no created_at
    u(2, followers_count=None, followings_count=None, track_count=None, likes_count=None, playlist_count=None,
      playlist_likes_count=None, reposts_count=None, comments_count=None, created_at=None),
    # 3: profanity in description and link title, shortener, follows many
    u(3, description="Hot girls: nude pics, XXX porn!", followings_count=300,
      web_profiles=[{"url": "https://bit.ly/Ab12", "network": "personal", "title": "see me naked"}]),
    # 4, 5, 6: a fake batch (same second, same stock-phrase description); 7 same text, other second
    u(4, description=STOCK, created_at="2016-03-21T18:39:11Z"),
    u(5, description=STOCK, created_at="2016-03-21T18:39:11Z"),
    u(6, description=STOCK, created_at="2016-03-21T18:39:11Z"),
    u(7, description="coffee addict.  twitter ENTHUSIAST. music lover.", created_at="2017-01-01T00:00:00Z"),
    # 8, 9: the same URL (modulo scheme, www and trailing slash) -> duplicate URLs
    u(8, web_profiles=[{"url": "http://www.plumber-berlin.com/", "network": "personal", "title": None}]),
    u(9, web_profiles=[{"url": "https://plumber-berlin.com", "network": "personal", "title": None}]),
    # 10: random-looking name on a free TLD; digits in the name; default permalink
    u(10, username="x9k2p7", permalink="user-483920193",
      web_profiles=[{"url": "http://sungzkfpm.ga/", "network": "personal", "title": ""}]),
    # 11: non-Latin description (no profanity, one sentence), empty web profiles
    u(11, description="Музыка для души. 音楽が大好き", web_profiles=[]),
    # 12: random-looking name on a paid TLD (not free)
    u(12, web_profiles=[{"url": "https://xrzdlizlm.com/", "network": "personal", "title": "photos"}]),
    # 13-15: stock phrases in different combinations (3 distinct descriptions share them)
    u(13, description="Bacon ninja. Beer evangelist. Travel geek."),
    u(14, description="Travel geek. Bacon ninja. Web junkie. I write long sentences about my favourite records here."),
    u(15, description="Beer evangelist. Bacon ninja."),
    # 16: a business promoting itself on a much-abused cheap TLD
    u(16, username="Berlin Plumbing Pro", permalink="berlin-plumbing-pro",
      description="Best plumbing in Berlin. Call now! Cheap prices.",
      web_profiles=[{"url": "https://berlinplumbingpro.xyz", "network": "personal", "title": "Berlin Plumbing Pro"}]),
    # 17: a musician's link-in-bio page (a link hub, not a shortener) beside a personal site
    u(17, web_profiles=[{"url": "https://juno-sings.net/", "network": "personal", "title": "My site"},
                        {"url": "linktr.ee/mara_music", "network": "personal", "title": "All my links"}]),
]

# Edge cases for the JVM row features (tests/users/test_features_sql.py compares them with
# the Python reference value for value): unicode, empty, null, malformed URLs, suffix-list
# wildcards and exceptions, IP hosts, emoji beside ASCII text.
EDGE_USERS = [
    u(101, description="", username="", permalink="", web_profiles=[{"url": "", "title": ""}, {"url": None, "title": None}]),
    u(102, description=None, username=None, permalink=None, web_profiles=None, plan=None, creator_subscription=None),
    u(103, description="   \t\n  ", web_profiles=[{"url": "   ", "title": "  "}]),
    u(104, description="Café crème. Naïve résumé!", username="Jürgen", permalink="jurgen",
      web_profiles=[{"url": "https://bücher.de/x", "title": "Bücher"}]),
    u(105, description="🔥🔥 new beats 🎧 every friday ❤️ link below 👇", username="dj🎧beats",
      web_profiles=[{"url": "https://soundcloud.com/dj", "title": "🎵 my music"}]),
    u(106, description="ok1\ufe0f keycap after a digit", web_profiles=[]),
    u(107, description="Stream it: www.example.com/track and mail me: me@example.com. Fuck yeah; blow job jokes",
      web_profiles=[{"url": "http://[::1]/x", "title": "ipv6"}, {"url": "http://[broken", "title": None}]),
    u(108, web_profiles=[{"url": "HTTP://WWW.Bit.LY/AbC/?q=1#frag", "title": "Short"},
                         {"url": "ftp://user:pw@files.example.co.uk:2121/a/b/", "title": "files"},
                         {"url": "foo.ck", "title": None}, {"url": "www.ck", "title": None},
                         {"url": "a.b.kawasaki.jp", "title": None}, {"url": "city.kawasaki.jp", "title": None}]),
    u(109, web_profiles=[{"url": "192.168.0.1/admin", "title": None}, {"url": "localhost:8080", "title": None},
                         {"url": "http://exa\tmple.com/pa\nth//", "title": None}, {"url": "mailto:x@qwrtzxcvb.tk", "title": None},
                         {"url": "http://xn--bcher-kva.de", "title": None}, {"url": "http:// spaced.com. /", "title": None},
                         {"url": "https://..a..com..", "title": None}, {"url": "qwrtzpl.ml", "title": None},
                         {"url": "https://bit.ly", "title": None}, {"url": "https://bit.ly/", "title": None}]),
    u(110, username="USER 4821", permalink=" User-4821 ", description="x\x1cy\x1fz Buy Now! buy now. BUY  NOW",
      web_profiles=[{"url": "\x01weird", "title": "call us call us"}]),
    u(111, description="Σίσυφος ΣΣ straße ǅ ﬁre", username="İstanbul", permalink="istanbul",
      web_profiles=[{"url": "https://例え.jp", "title": "日本"}]),
    u(112, description="a.b.c. d! e? f; g| h: i", created_at="1969-12-31T23:59:59Z", followers_count=-5,
      followings_count=2**40, web_profiles=[{"url": "https://x.y.z.github.io/p?", "title": "  fuck  "}]),
]
