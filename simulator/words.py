"""Word pools and text builders for names, descriptions, web profiles and titles."""

from __future__ import annotations

import random
import re
import string

SYLLABLES = ["ka", "lo", "mi", "ra", "den", "so", "vi", "an", "el", "tor", "ma", "nu", "li", "ber", "go", "sha", "ri", "ton", "je", "fa"]
FIRST = ["Mara", "Jonas", "Aiko", "Luca", "Nia", "Omar", "Sven", "Lea", "Diego", "Yuki", "Ava", "Kofi", "Ines", "Tariq", "Zoe", "Ivan"]
LAST = ["Lindqvist", "Okafor", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Berg", "Rossi", "Kim", "Petrov", "Walsh"]
PLACES = [("Berlin", "DE"), ("London", "GB"), ("Lagos", "NG"), ("Seoul", "KR"), ("Austin", "US"),
          ("Paris", "FR"), ("Sao Paulo", "BR"), ("Stockholm", "SE"), ("Toronto", "CA"), ("Tokyo", "JP")]
STOCK_PHRASES = ["Coffee addict.", "Twitter enthusiast.", "Music lover.", "Travel geek.", "Bacon ninja.",
                 "Internet scholar.", "Beer evangelist.", "Food fanatic.", "Web junkie.", "Zombie guru.",
                 "Pop culture maven.", "Tv fan.", "Alcohol nerd.", "Social media expert.", "Hardcore gamer."]
PROFANE = ["sexy", "horny", "nude", "xxx", "porn", "hot girls", "18+", "naked", "slut", "webcam"]
PORN_LINES = ["see my private photos", "hot girls near you", "click for my naked pics", "free webcam 18+"]
SHORTENERS = ["goo.gl", "bit.ly", "tinyurl.com"]
SPAM_TLDS = ["ga", "ml", "cf", "gq", "tk"]
CHEAP_TLDS = ["xyz", "top", "online", "site", "club"]
# shorteners and link hubs legitimate musicians use to promote releases
LINK_HUBS = ["bit.ly", "linktr.ee", "ffm.to", "lnk.to", "smarturl.it", "found.ee", "tinyurl.com", "hypeddit.com"]
# plausible bios for camouflaged spam (no profanity, no stock phrases, no link)
BIO_OPENERS = ["Hey, I'm {first}", "{first} here", "Just a girl from {city}", "{first}, {age}, {city}",
               "Living in {city}", "Model and dancer from {city}", "New here", "Photographer based in {city}"]
BIO_MIDDLES = ["love {genre} and late nights", "always looking for new {genre}", "music is my therapy",
               "into {genre}, art and travel", "dancing to {genre} every weekend", "collecting vinyl",
               "learning guitar", "festival season all year"]
BIO_CLOSERS = ["let's connect", "follow me and I follow back", "message me", "say hi", "check my page",
               "more on my site", "dm for collabs", ""]
RELEASE_LINES = ["New single out now", "Stream the new EP", "Listen everywhere", "Pre-save my album",
                 "All links", "Tickets + merch", "My music on all platforms"]
SERVICES = ["plumbing", "locksmith", "SEO services", "car rental", "dentist", "web design", "roof repair", "essay writing", "casino bonus", "weight loss pills"]
FAN_LINES = ["just here for the music", "house & techno", "hip hop head", "i like sad songs", "dj wannabe", "listening 24/7"]
ARTIST_LINES = ["Producer / DJ", "Singer-songwriter", "Beatmaker", "Band from {city}", "Bookings: {mail}", "New EP out now"]
GENRES = ["electronic", "hip hop", "pop", "rock", "house", "techno", "ambient", "r&b", "indie", "jazz", "folk", "metal"]
TITLE_WORDS = ["night", "rain", "gentle", "summer", "dream", "city", "lights", "heart", "ocean", "fire", "echo",
               "golden", "silent", "wild", "blue", "storm", "river", "midnight", "sun", "falling", "forest", "soul"]


def username(r: random.Random) -> str:
    k = r.random()
    if k < 0.4:
        return f"{r.choice(FIRST)} {r.choice(LAST)}"
    if k < 0.8:
        return "".join(r.choice(SYLLABLES) for _ in range(r.randint(2, 4))) + (str(r.randint(1, 999)) if r.random() < 0.5 else "")
    return f"DJ {r.choice(SYLLABLES).capitalize()}{r.choice(SYLLABLES)}"


def permalink(name: str, id: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "user"
    return f"{slug}-{id}"


def place(r: random.Random) -> tuple[str, str]:
    return r.choice(PLACES)


def stock_description(r: random.Random) -> str:
    return " ".join(r.sample(STOCK_PHRASES, r.randint(3, 5)))


def porn_description(r: random.Random) -> str:
    return f"{r.choice(PORN_LINES)} {' '.join(r.sample(PROFANE, 3))} {shortener(r)}"


def fan_description(r: random.Random) -> str:
    return r.choice(FAN_LINES)


def artist_description(r: random.Random) -> str:
    city, _ = r.choice(PLACES)
    return r.choice(ARTIST_LINES).format(city=city, mail="booking@example.com")


def business_name(business: int) -> str:
    r = random.Random(business)
    return f"{r.choice(PLACES)[0]} {r.choice(SERVICES).title()} {r.choice(['Pro', 'Express', 'Center', '24/7', 'Experts'])}"


def _biz_slug(business: int) -> str:
    return re.sub(r"[^a-z0-9]+", "", business_name(business).lower())


def seo_description(r: random.Random) -> str:
    return f"Best {r.choice(SERVICES)} in {r.choice(PLACES)[0]}. Call now! Cheap prices, fast service. Visit our website."


def shortener(r: random.Random) -> str:
    code = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(6))
    return f"https://{r.choice(SHORTENERS)}/{code}"


def random_domain(r: random.Random) -> str:
    return "".join(r.choice(string.ascii_lowercase) for _ in range(9)) + "." + r.choice(SPAM_TLDS)


def porn_profiles(r: random.Random) -> list[dict]:
    out = []
    for _ in range(r.randint(1, 2)):
        url = shortener(r) if r.random() < 0.6 else f"http://{random_domain(r)}/"
        out.append({"url": url, "network": "personal", "title": r.choice(PORN_LINES), "username": None})
    return out


def seo_profiles(business: int) -> list[dict]:
    slug = _biz_slug(business)
    return [{"url": f"https://www.{slug}.com", "network": "personal", "title": business_name(business), "username": None}]


def social_profiles(r: random.Random, n: int, handle: str | None = None) -> list[dict]:
    out = []
    for net in r.sample(["instagram", "twitter", "facebook", "youtube"], n):
        h = handle or "".join(r.choice(string.ascii_lowercase) for _ in range(8))
        out.append({"url": f"https://{net}.com/{h}", "network": net, "title": None, "username": h})
    return out


def artist_profiles(r: random.Random, name: str) -> list[dict]:
    handle = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "artist"
    out = social_profiles(r, r.randint(1, 3), handle)
    if r.random() < 0.3:
        out.append({"url": f"https://{handle.replace('.', '')}.bandcamp.com", "network": "bandcamp", "title": "Bandcamp", "username": None})
    return out


def track_title(r: random.Random) -> str:
    return " ".join(r.sample(TITLE_WORDS, r.randint(1, 3))).title()


def handle(name: str) -> str:
    """A link handle from a display name ('Mara Lindqvist' -> 'maralindqvist')."""
    return re.sub(r"[^a-z0-9]+", "", name.lower()) or "artist"


def plausible_description(r: random.Random) -> str:
    """A bio that reads like a person's: camouflaged spam uses these."""
    fill = {"first": r.choice(FIRST), "city": r.choice(PLACES)[0], "age": r.randint(19, 29), "genre": r.choice(GENRES)}
    parts = [r.choice(BIO_OPENERS).format(**fill), r.choice(BIO_MIDDLES).format(**fill), r.choice(BIO_CLOSERS)]
    text = ". ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def hub_url(r: random.Random, handle_: str) -> str:
    host = r.choice(LINK_HUBS)
    if host in ("linktr.ee", "hypeddit.com"):
        return f"https://{host}/{handle_}"
    code = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(r.randint(6, 8)))
    return f"https://{host}/{code}"


def release_promo(r: random.Random, handle_: str, text: str | None) -> str:
    """A musician's description promoting a release through a shortener or link hub."""
    line = f"{r.choice(RELEASE_LINES)}: {hub_url(r, handle_)}"
    return f"{text} | {line}" if text else line


def link_hub_profile(r: random.Random, handle_: str) -> dict:
    return {"url": hub_url(r, handle_), "network": "personal", "title": r.choice(RELEASE_LINES), "username": None}


def camouflaged_profiles(r: random.Random) -> list[dict]:
    """A random-looking domain (free or cheap TLD), sometimes beside an ordinary social link."""
    tld = r.choice(SPAM_TLDS) if r.random() < 0.6 else r.choice(CHEAP_TLDS)
    name = "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(7, 11)))
    out = [{"url": f"https://{name}.{tld}/", "network": "personal", "title": r.choice(["my page", "website", "photos", ""]),
            "username": None}]
    if r.random() < 0.4:
        out.extend(social_profiles(r, 1))
    return out
