"""Row features as Spark SQL expressions (JVM), value for value the same as the Python
reference ``features.row_features`` (which the scoring service runs for a posted user).

Exactness is by construction, not by approximation: the JVM path runs on the rows whose
text is *plain* (ASCII, plus emoji and pictographic symbols that Unicode leaves unchanged
under NFKC and case folding and that are neither letters, digits nor white space, see
``INERT``); there NFKC is the identity, case folding is ASCII lower-casing, Python's
``\\w``/``\\s``/``\\b`` and Java's agree, and URLs are ASCII without IPv6 brackets or
punycode labels. Every other row (accented or non-Latin text, IDN hosts, bracketed hosts)
goes through the Python reference inside one pandas UDF that sees only those rows (the
others reach it as nulls): a Unicode-exact port would have to reproduce Python's Unicode
14 tables, NFKC and ``str.casefold`` in the JVM.

The registered domain follows tldextract (its bundled public suffix list, private domains
excluded, the same trie walk: wildcards and exceptions) with set look-ups on the suffix
list's labels; the lists come from the ``UsersConfig`` passed in.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from assets.users import domains, text
from assets.users.config import UsersConfig

# Python's str.split()/strip() white space among ASCII (incl. the \x1c-\x1f separators)
_WS = r"[\t\n\x0B\f\r \x1C-\x1F]"
_TOKEN = r"[a-z0-9]+(?:'[a-z0-9]+)?"  # text._WORD on plain, lower-cased text
# text._URL on normalised plain text (single spaces; \w, \S and \b agree with Python there)
_URL = (r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*|\S+@\S+\.\w+")
_SENTENCE_SPLIT = r"[.!?;|:]+"  # text._SENTENCE_SPLIT without \n \r • · (none survive normalise)
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_CANDIDATE_RANGES = ((0x2190, 0x21FF), (0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF),
                     (0x1F000, 0x1FAFF), (0x200D, 0x200D), (0x20E3, 0x20E3), (0xFE0F, 0xFE0F))


@lru_cache(maxsize=1)
def inert_chars() -> str:
    """Non-ASCII characters a plain row may hold: symbols (emoji, arrows, dingbats) that
    NFKC, casefold and lower leave unchanged in any context, that are not letters, digits,
    white space or combining marks (U+FE0F, the emoji presentation selector, excepted: it
    must not follow a letter or digit, see ``_ascii_gate``), and that no canonical
    composition takes as its second character."""
    second = set()
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                second.add(int(parts[1], 16))
    out = []
    for lo, hi in _CANDIDATE_RANGES:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            cat = unicodedata.category(c)
            if (cat == "Cn" or c.isalnum() or c.isspace() or cp in second or unicodedata.combining(c)
                    or unicodedata.decomposition(c) or unicodedata.normalize("NFKC", c) != c
                    or c.casefold() != c or c.lower() != c or (cat.startswith("M") and cp != 0xFE0F)
                    or c in "’•·"):
                continue
            out.append(c)
    return "".join(out)


def _ranges(chars: str) -> str:
    """A Java character-class body for ``chars`` (\\x{...} escapes, ranges merged)."""
    cps = sorted(ord(c) for c in chars)
    out, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(f"\\x{{{cps[i]:X}}}" + (f"-\\x{{{cps[j]:X}}}" if j > i else ""))
        i = j + 1
    return "".join(out)


def _lit(s: str) -> Column:
    return F.lit(s)


def _strip_ws(c: Column) -> Column:
    return F.regexp_replace(c, _lit(f"^{_WS}+|{_WS}+\\z"), _lit(""))


def _normalise(c: Column) -> Column:
    """text.normalise on plain text: ASCII lower case, white space runs -> one space."""
    lowered = F.translate(F.coalesce(c, _lit("")), _UPPER, _LOWER)
    return F.trim(F.regexp_replace(lowered, _lit(f"{_WS}+"), _lit(" ")))


def _tokens(normalised: Column) -> Column:
    return F.regexp_extract_all(normalised, _lit(_TOKEN), 0)


def _java_quote(s: str) -> str:
    return "\\Q" + s + "\\E"


@lru_cache(maxsize=16)
def _phrase_groups(phrases: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """Regexes counting ``phrases`` (token tuples, repeats counted as often as they repeat)
    at token starts of ' '-joined tokens framed by spaces: within a group no phrase is a
    token prefix of another (nor itself again), so a start matches at most one of them."""
    groups: list[list[tuple[str, ...]]] = []
    for p in sorted(phrases, key=len, reverse=True):
        for g in groups:
            if all(q[:len(p)] != p and p[:len(q)] != q for q in g):
                g.append(p)
                break
        else:
            groups.append([p])
    return tuple("(?= (?:" + "|".join(_java_quote(" ".join(p)) for p in g) + ") )" for g in groups)


def _count(toks: Column, words: frozenset[str], phrases: tuple[tuple[str, ...], ...]) -> Column:
    """Occurrences of single words and of phrases (token tuples) in a token array, as
    text.profanity_count / text.term_count count them."""
    n = F.size(F.filter(toks, lambda t: t.isin(list(words)))) if words else F.lit(0)
    if phrases:
        framed = F.concat(_lit(" "), F.array_join(toks, " "), _lit(" "))
        for pattern in _phrase_groups(phrases):
            n = n + F.size(F.regexp_extract_all(framed, _lit(pattern), 0))
    return n


def _first_profane(toks: Column, words: frozenset[str]) -> Column:
    return F.slice(F.array_distinct(F.filter(toks, lambda t: t.isin(list(words)))), 1, 3)


@lru_cache(maxsize=1)
def _suffix_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(rules, nodes) of tldextract's public-suffix trie (private domains excluded): the
    rules as written (wildcards ``*.ck``, exceptions ``!www.ck``) and every label suffix
    of a rule (the trie's nodes, written as domain names)."""
    rules = frozenset(domains._extractor()._get_tld_extractor().tlds_excl_private)
    nodes = set()
    for r in rules:
        labels = r.split(".")
        for i in range(len(labels)):
            nodes.add(".".join(labels[i:]))
    return rules, frozenset(nodes)


def _with_registered(df: DataFrame, col: str) -> DataFrame:
    """``col`` (an array of struct(host, key)) with ``d`` (registered domain) and ``sfx``
    (public suffix) added to each element, as domains.host_parts on the lower-cased host.

    tldextract's walk from the right: ``m`` labels match trie nodes, ``e`` is the longest
    matched rule; a wildcard child of the last matched node takes one more label unless an
    exception names it. Staged (one transform per step): a step's columns are computed
    once, and the suffix-list look-ups appear once in the plan."""
    rules, nodes = _suffix_sets()
    rules_l, nodes_l = sorted(rules), sorted(nodes)

    def tail(labels, n, j):  # the last j labels joined
        return F.array_join(F.slice(labels, n - j + 1, j), ".")

    def step1(x):
        t = F.regexp_replace(_strip_ws(x["host"]), _lit("\\.+\\z"), _lit(""))
        return x.withField("labels", F.split(t, "\\.", -1))

    def step2(x):
        labels, n = x["labels"], F.size(x["labels"])
        js = F.sequence(F.lit(1), n)
        m = F.size(F.filter(js, lambda j: tail(labels, n, j).isin(nodes_l)))
        e = F.coalesce(F.array_max(F.filter(js, lambda j: tail(labels, n, j).isin(rules_l))), F.lit(0))
        return x.withField("n", n).withField("m", m).withField("e", e)

    def step3(x):
        labels, n, m = x["labels"], x["n"], x["m"]
        node = F.when(m > 0, tail(labels, n, m))
        star = F.when(m > 0, F.concat(_lit("*."), node)).otherwise(_lit("*"))
        label = F.element_at(labels, F.greatest(n - m, F.lit(1)))
        exception = F.concat(_lit("!"), label, F.when(m > 0, F.concat(_lit("."), node)).otherwise(_lit("")))
        return x.withField("star", star).withField("exception", exception)

    def step4(x):
        n, m, e = x["n"], x["m"], x["e"]
        wild = (m < n) & x["star"].isin(nodes_l)
        idx = (F.when(wild, F.when(x["exception"].isin(nodes_l), n - m).otherwise(n - m - 1))
               .when(e > 0, n - e))  # 0-based index of the first suffix label; null: no suffix
        return x.withField("idx", idx)

    def step5(x):
        labels, n, idx = x["labels"], x["n"], x["idx"]
        suffix = F.when(idx.isNull() | (x["host"] == ""), _lit("")).otherwise(
            F.array_join(F.slice(labels, idx + 1, F.greatest(n - idx, F.lit(0))), "."))
        dom_label = F.when(idx > 0, F.element_at(labels, F.greatest(idx, F.lit(1)))).otherwise(_lit(""))
        return x.withField("sfx", suffix).withField("_dl", dom_label)

    def step6(x):
        top = F.when((x["sfx"] != "") & (x["_dl"] != ""), F.concat(x["_dl"], _lit("."), x["sfx"]))
        return F.struct(x["key"].alias("key"), F.coalesce(top, x["host"]).alias("d"), x["sfx"].alias("sfx"))

    for step in (step1, step2, step3, step4, step5, step6):
        df = df.withColumn(col, F.transform(col, step))
    return df


def _url_parts(u: Column) -> Column:
    """struct(host, key) of a plain URL, as domains.host / domains.url_key (urlsplit)."""
    s = _strip_ws(u)
    full = F.when(s.rlike("(?i)^[a-z][a-z0-9+.-]*://"), s).otherwise(F.concat(_lit("http://"), s))
    clean = F.regexp_replace(full, _lit("[\\t\\r\\n]"), _lit(""))
    rest = F.substr(clean, F.instr(clean, ":") + F.lit(3))
    netloc = F.regexp_extract(rest, "^[^/?#]*", 0)
    tail = F.substr(rest, F.length(netloc) + 1)
    pathq = F.substring_index(tail, "#", 1)
    path = F.substring_index(pathq, "?", 1)
    query = F.when(F.instr(pathq, "?") > 0, F.substr(pathq, F.instr(pathq, "?") + 1)).otherwise(_lit(""))
    hostname = F.substring_index(F.substring_index(netloc, "@", -1), ":", 1)
    host = F.regexp_replace(F.translate(hostname, _UPPER, _LOWER), _lit("\\.+\\z"), _lit(""))
    key_host = F.when(host.startswith("www."), F.substr(host, F.lit(5))).otherwise(host)
    key = F.translate(F.concat(key_host, F.regexp_replace(path, _lit("/+\\z"), _lit("")),
                               F.when(query != "", F.concat(_lit("?"), query)).otherwise(_lit(""))), _UPPER, _LOWER)
    return F.struct(host.alias("host"), F.when(host == "", _lit("")).otherwise(key).alias("key"))


def _looks_random(label: Column) -> Column:
    """domains.looks_random on an ASCII label."""
    n = F.length(label)
    vowels = n - F.length(F.regexp_replace(label, _lit("[aeiouyAEIOUY]"), _lit("")))
    runs = F.regexp_extract_all(F.translate(label, _UPPER, _LOWER), _lit("[^aeiouy]+"), 0)
    longest = F.coalesce(F.array_max(F.transform(runs, F.length)), F.lit(0))
    share = vowels.cast("double") / F.greatest(n, F.lit(1)).cast("double")
    return ((n >= 7) & label.rlike("^[A-Za-z]+\\z")
            & ((share < 0.2) | (longest >= 5) | ((longest >= 4) & (share < 0.25))))


def _label_of(d: Column, suffix: Column) -> Column:
    own = F.when((suffix != "") & d.endswith(F.concat(_lit("."), suffix)),
                 F.substr(d, F.lit(1), F.length(d) - F.length(suffix) - 1)).otherwise(d)
    return F.substring_index(own, ".", -1)


def _ascii_gate(row_input: DataFrame) -> Column:
    """True where the JVM path is exact (see the module docstring); false: Python."""
    inert = _ranges(inert_chars())
    plain_text = f"^[\\x00-\\x7F{inert}]*\\z"
    selector_after_word = "[A-Za-z0-9]\\x{FE0F}"

    def text_ok(c):  # ASCII first: Java walks a character class of many ranges one by one
        return c.isNull() | c.rlike("^[\\x00-\\x7F]*\\z") | (c.rlike(plain_text) & ~c.rlike(selector_after_word))

    url_ok = lambda u: u.isNull() | (u.rlike("^[\\x00-\\x7F]*\\z") & ~u.rlike("[\\[\\]]|(?i)xn--"))  # noqa: E731
    return (text_ok(F.col("description")) & text_ok(F.col("username")) & text_ok(F.col("permalink"))
            & F.forall("titles", text_ok) & F.forall("urls", url_ok))


def _python_schema() -> T.StructType:
    from assets.users.features import ROW_SCHEMA

    return T.StructType([T.StructField(f.name, f.dataType, True) for f in ROW_SCHEMA.fields if f.name != "user_id"])


def _python_rows(config: UsersConfig):
    """A pandas UDF: the Python reference on the rows whose ``slow`` flag is set."""
    from assets.users.features import ROW_INPUT, row_features

    schema = _python_schema()
    names = [f.name for f in schema.fields]

    @F.pandas_udf(schema)
    def rows(slow: pd.Series, inp: pd.DataFrame) -> pd.DataFrame:
        mask = slow.fillna(False).astype(bool).to_numpy()
        cols = {n: np.full(len(inp), None, dtype=object) for n in names}
        if mask.any():
            part = row_features(inp.loc[mask, list(ROW_INPUT)].reset_index(drop=True), config)
            where = np.flatnonzero(mask)
            for n in names:
                col = cols[n]
                for i, v in zip(where, part[n].astype(object).to_numpy(), strict=True):
                    col[i] = None if v is pd.NA else v
        return pd.DataFrame(cols)

    return rows


def sql_row_features(row_input: DataFrame, config: UsersConfig) -> DataFrame:
    """``features.row_features`` on Spark: row_input (``features.row_input``) -> ROW_SCHEMA."""
    from assets.users.features import ACTIVITY_FIELDS, PLAN_CODE, ROW_INPUT, ROW_SCHEMA

    words, prof_phrases = text.profanity_lists()
    terms = tuple(config.commercial_terms)
    term_words, term_phrases = text._term_sets(terms)
    # term_count keeps repeated multi-word terms (a tuple, not a set): count them as often
    term_phrase_list = tuple(t for t in (tuple(text.tokens(x)) for x in terms) if len(t) > 1)
    assert set(term_phrase_list) == set(term_phrases)
    shorteners, hubs = list(dict.fromkeys(config.shorteners)), list(dict.fromkeys(config.link_hubs))
    free = list(dict.fromkeys(config.free_tlds))
    abused = list(dict.fromkeys([*config.free_tlds, *config.abused_tlds]))

    def num(c):
        return F.greatest(F.coalesce(F.col(c).cast("double"), F.lit(0.0)), F.lit(0.0))

    slow = ~F.coalesce(_ascii_gate(row_input), F.lit(False))
    df = row_input.select("*", slow.alias("_slow"))
    py = _python_rows(config)(F.col("_slow"), F.when(F.col("_slow"), F.struct(*[F.col(c) for c in ROW_INPUT])))
    df = df.select("*", py.alias("_py"))

    desc_n = _normalise(F.col("description"))
    df = df.select("*", desc_n.alias("_desc_n"))
    d_toks = _tokens(F.col("_desc_n"))
    name_toks = _tokens(_normalise(F.col("username")))
    title_toks = F.transform(F.coalesce(F.col("titles"), F.array().cast("array<string>")),
                             lambda t: _tokens(_normalise(t)))
    df = df.select("*", d_toks.alias("_dt"), title_toks.alias("_tt"), name_toks.alias("_nt"))

    # URLs: the non-blank ones, each parsed once
    urls = F.filter(F.col("urls"), lambda u: u.isNotNull() & (_strip_ws(u) != ""))
    df = df.select("*", urls.alias("_urls"))
    df = df.select("*", F.transform("_urls", _url_parts).alias("_up"))

    df = _with_registered(df, "_up")
    df = df.select("*", F.transform("_up", lambda x: x.withField(
        "rl", _looks_random(_label_of(x["d"], x["sfx"])))).alias("_ui2"))

    created = F.col("created_epoch").cast("long")
    fetched = F.col("fetched_epoch").cast("long")
    followers, followings = num("followers_count"), num("followings_count")
    activity = F.lit(0.0)
    for f in ACTIVITY_FIELDS:
        activity = activity + num(f)
    plan = F.lit(0.0)
    for k, v in PLAN_CODE.items():
        plan = F.when(F.col("plan") == k, F.lit(float(v))).otherwise(plan)
    age = F.coalesce(F.greatest((fetched - created).cast("double") / F.lit(86400.0), F.lit(0.0)), F.lit(0.0))
    ui = F.col("_ui2")
    name_alnum = F.regexp_replace(_normalise(F.col("username")), "[^a-z0-9]", "")
    link_alnum = F.regexp_replace(_normalise(F.col("permalink")), "[^a-z0-9]", "")
    digits = F.length(F.regexp_replace(name_alnum, "[^0-9]", ""))
    unrelated = F.when((F.length(name_alnum) < 3) | (F.length(link_alnum) < 3), F.lit(0.0)).otherwise(
        F.when(F.exists(F.sequence(F.lit(1), F.greatest(F.length(link_alnum) - 2, F.lit(1))),
                        lambda i: F.instr(name_alnum, F.substr(link_alnum, i, F.lit(3))) > 0), 0.0).otherwise(1.0))
    default_link = (F.col("permalink").isNotNull() & (F.col("permalink") != "")
                    & F.translate(_strip_ws(F.col("permalink")), _UPPER, _LOWER).rlike("^user-?[0-9]+\\z"))
    sentences = F.filter(F.transform(F.split(F.regexp_replace(F.col("_desc_n"), _lit(_URL), _lit(" ")),
                                             _SENTENCE_SPLIT, -1), _tokens), lambda s: F.size(s) > 0)
    key = F.when(F.col("_desc_n") != "", F.col("_desc_n"))
    stock_candidates = F.when(key.isNotNull(), F.array_distinct(F.transform(
        F.filter(sentences, lambda s: F.size(s) <= config.stock_phrase_max_words),
        lambda s: F.array_join(s, " ")))).otherwise(F.array().cast("array<string>"))
    profane = F.array_distinct(F.concat(_first_profane(F.col("_dt"), words),
                                        F.flatten(F.transform("_tt", lambda t: _first_profane(t, words)))))
    profane_s = F.array_join(profane, ", ")
    title_prof = F.aggregate("_tt", F.lit(0), lambda acc, t: acc + _count(t, words, prof_phrases))
    title_terms = F.aggregate("_tt", F.lit(0), lambda acc, t: acc + _count(t, term_words, term_phrase_list))
    iso = F.when(created.isNotNull(), F.concat(
        F.date_from_unix_date(F.floor(created / 86400).cast("int")).cast("string"), _lit("T"),
        F.lpad(F.floor(F.pmod(created, F.lit(86400)) / 3600).cast("string"), 2, "0"), _lit(":"),
        F.lpad(F.floor(F.pmod(created, F.lit(3600)) / 60).cast("string"), 2, "0"), _lit(":"),
        F.lpad(F.pmod(created, F.lit(60)).cast("string"), 2, "0"), _lit("Z")))

    exprs = {
        "followers": followers,
        "followings": followings,
        "tracks": num("track_count"),
        "url_provided": (F.size("_urls") > 0).cast("double"),
        "description_profanities": _count(F.col("_dt"), words, prof_phrases).cast("double"),
        "url_title_profanities": title_prof.cast("double"),
        "activity": activity,
        "subscription": plan,
        "url_shortener": F.exists(ui, lambda x: x["d"].isin(shorteners)).cast("double"),
        "url_link_hub": F.exists(ui, lambda x: x["d"].isin(hubs)).cast("double"),
        "account_age_days": age,
        "random_free_domain": F.exists(ui, lambda x: x["rl"] & x["sfx"].isin(free)).cast("double"),
        "random_domain_name": F.exists(ui, lambda x: x["rl"]).cast("double"),
        "abused_tld": F.exists(ui, lambda x: x["sfx"].isin(abused)).cast("double"),
        "commercial_terms": (_count(F.col("_dt"), term_words, term_phrase_list)
                             + _count(F.col("_nt"), term_words, term_phrase_list) + title_terms).cast("double"),
        "username_digit_share": F.when(F.length(name_alnum) > 0,
                                       digits.cast("double") / F.greatest(F.length(name_alnum), F.lit(1)).cast("double")
                                       ).otherwise(0.0),
        "default_permalink": default_link.cast("double"),
        "permalink_unrelated": unrelated,
        "follow_ratio": followings / (followers + F.lit(1.0)),
        "description_key": key,
        "created_second": created,
        "created_at_iso": iso,
        "phrases": stock_candidates,
        "n_sentences": F.size(sentences).cast("long"),
        "url_keys": F.array_distinct(F.filter(F.transform(ui, lambda x: x["key"]), lambda k: k != "")),
        "domains": F.array_distinct(F.filter(F.transform(ui, lambda x: x["d"]), lambda d: d != "")),
        "shortener_domain": F.try_element_at(F.filter(F.transform(ui, lambda x: x["d"]),
                                                      lambda d: d.isin(shorteners)), F.lit(1)),
        "random_domain": F.try_element_at(F.filter(ui, lambda x: x["rl"] & x["sfx"].isin(free)), F.lit(1))["d"],
        "profane_words": F.when(profane_s != "", profane_s),
    }
    cols = [F.col("user_id").cast("long").alias("user_id")]
    for f in ROW_SCHEMA.fields[1:]:
        cols.append(F.when(F.col("_slow"), F.col("_py")[f.name]).otherwise(exprs[f.name]).cast(f.dataType)
                    .alias(f.name))
    return df.select(*cols)
