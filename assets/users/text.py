"""Text evidence: profanity counts, sentences (for stock phrases), username patterns.

Profanity comes from the word list that ships with ``better-profanity`` (a maintained
list of ~900 words and phrases); matching is on whole Unicode word tokens after NFKC and
casefolding, so "Classic" never matches "ass" and non-Latin text is tokenised too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_SENTENCE_SPLIT = re.compile(r"[.!?;|\n\r•·:]+")
_DEFAULT_PERMALINK = re.compile(r"^user-?\d+$")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*|\S+@\S+\.\w+", re.IGNORECASE)


def without_urls(text: str | None) -> str:
    """``text`` normalised with URLs and e-mail addresses removed (a description's words)."""
    return " ".join(_URL.sub(" ", normalise(text)).split())


def normalise(text: str | None) -> str:
    """NFKC, casefold, collapse white space; '' for None."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def tokens(text: str | None) -> list[str]:
    return _WORD.findall(normalise(text))


@lru_cache(maxsize=1)
def profanity_lists() -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """(single words, multi-word phrases as token tuples) of the better-profanity list."""
    text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text("utf-8")
    words, phrases = set(), set()
    for line in text.splitlines():
        toks = tuple(tokens(line))
        if len(toks) == 1:
            words.add(toks[0])
        elif toks:
            phrases.add(toks)
    return frozenset(words), tuple(sorted(phrases))


def profanity_count(text: str | None) -> int:
    """Profane words plus profane phrases in ``text`` (each occurrence counts)."""
    toks = tokens(text)
    if not toks:
        return 0
    words, phrases = profanity_lists()
    n = sum(1 for t in toks if t in words)
    if len(toks) > 1:
        present = set(toks)
        for p in phrases:
            if p[0] in present:
                k = len(p)
                n += sum(1 for i in range(len(toks) - k + 1) if tuple(toks[i:i + k]) == p)
    return n


def profane_words(text: str | None, limit: int = 3) -> list[str]:
    """The first few profane tokens of ``text`` (for reasons in words)."""
    words, _ = profanity_lists()
    out = []
    for t in tokens(text):
        if t in words and t not in out:
            out.append(t)
        if len(out) >= limit:
            break
    return out


def sentences(text: str | None) -> list[str]:
    """Normalised sentences/fragments of a description (split on . ! ? ; | : and lines)."""
    out = []
    for part in _SENTENCE_SPLIT.split(_URL.sub(" ", normalise(text))):
        toks = _WORD.findall(part)
        if toks:
            out.append(" ".join(toks))
    return out


def short_phrases(text: str | None, max_words: int) -> list[str]:
    """The distinct sentences of at most ``max_words`` words (stock-phrase candidates)."""
    seen: list[str] = []
    for s in sentences(text):
        if len(s.split()) <= max_words and s not in seen:
            seen.append(s)
    return seen


def digit_share(text: str | None) -> float:
    """Share of digits among the letters and digits of ``text`` (0 when it has none)."""
    chars = [c for c in normalise(text) if c.isalnum()]
    return sum(c.isdigit() for c in chars) / len(chars) if chars else 0.0


def default_permalink(permalink: str | None) -> int:
    """1 when the permalink is the platform's default ``user-<digits>`` (never chosen)."""
    return int(bool(permalink) and bool(_DEFAULT_PERMALINK.match(permalink.strip().lower())))


def permalink_unrelated(username: str | None, permalink: str | None) -> int:
    """1 when the permalink shares no 3-letter run with the username (both present)."""
    u = "".join(c for c in normalise(username) if c.isalnum())
    p = "".join(c for c in normalise(permalink) if c.isalnum())
    if len(u) < 3 or len(p) < 3:
        return 0
    grams = {u[i:i + 3] for i in range(len(u) - 2)}
    return int(not any(p[i:i + 3] in grams for i in range(len(p) - 2)))


@lru_cache(maxsize=8)
def _term_sets(terms: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    toks = [tuple(tokens(t)) for t in terms]
    return frozenset(t[0] for t in toks if len(t) == 1), tuple(t for t in toks if len(t) > 1)


def term_count(text: str | None, terms: tuple[str, ...]) -> int:
    """Occurrences of the words/phrases ``terms`` in ``text`` (whole tokens)."""
    toks = tokens(text)
    if not toks:
        return 0
    words, phrases = _term_sets(tuple(terms))
    n = sum(1 for t in toks if t in words)
    present = set(toks)
    for p in phrases:
        if p[0] in present:
            k = len(p)
            n += sum(1 for i in range(len(toks) - k + 1) if tuple(toks[i:i + k]) == p)
    return n
