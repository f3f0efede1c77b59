"""Links: URL keys, registered domains (tldextract's bundled suffix list, never the
network), URL shorteners from config, random-looking names on free TLDs."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_VOWELS = set("aeiouy")


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # suffix_list_urls=() and no cache: the suffix list bundled with the package, no network
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host(url: str | None) -> str:
    """Lower-case host of a URL ('' when there is none); scheme optional."""
    if not url or not url.strip():
        return ""
    u = url.strip()
    if not _SCHEME.match(u):
        u = "http://" + u
    try:
        h = urlsplit(u).hostname or ""
    except ValueError:
        return ""
    return h.lower().rstrip(".")


def url_key(url: str | None) -> str:
    """A URL as compared for duplicates: host without www., path without trailing '/'."""
    h = host(url)
    if not h:
        return ""
    u = url.strip()
    if not _SCHEME.match(u):
        u = "http://" + u
    try:
        parts = urlsplit(u)
    except ValueError:
        return h
    path = parts.path.rstrip("/")
    return (h.removeprefix("www.") + path + (f"?{parts.query}" if parts.query else "")).lower()


def parts(url: str | None) -> tuple[str, str]:
    """(registered domain, public suffix) of a URL: ('bit.ly', 'ly'); ('', '') if none."""
    return host_parts(host(url))


@lru_cache(maxsize=1 << 16)
def host_parts(h: str) -> tuple[str, str]:
    """(registered domain, public suffix) of a host name."""
    if not h:
        return "", ""
    r = _extractor()(h)
    domain = getattr(r, "top_domain_under_public_suffix", None) or r.registered_domain
    return (domain or h), r.suffix


def is_shortener(domain: str, shorteners: frozenset[str] | tuple[str, ...]) -> bool:
    return domain in shorteners


def looks_random(label: str) -> bool:
    """A name no one would pick: 7+ ASCII letters with under 20% vowels (y counts as
    one), a run of 5+ consonants, or a run of 4 with under 25% vowels ("bandcamp",
    "soundcloud" and "plumbingpro" look chosen; "xrzdlizlm" does not)."""
    if len(label) < 7 or not label.isascii() or not label.isalpha():
        return False
    label = label.lower()
    vowels = sum(c in _VOWELS for c in label)
    run = longest = 0
    for c in label:
        run = 0 if c in _VOWELS else run + 1
        longest = max(longest, run)
    share = vowels / len(label)
    return share < 0.2 or longest >= 5 or (longest >= 4 and share < 0.25)


def label_of(domain: str, suffix: str) -> str:
    """The registrant's own label: 'sungzkfpm' of ('sungzkfpm.ga', 'ga')."""
    label = domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain
    return label.split(".")[-1]


def random_free_domain(url: str | None, free_tlds: frozenset[str] | tuple[str, ...]) -> str:
    """The registered domain when it is a random-looking name on a free TLD, else ''."""
    domain, suffix = parts(url)
    if not domain or suffix not in free_tlds:
        return ""
    return domain if looks_random(label_of(domain, suffix)) else ""
