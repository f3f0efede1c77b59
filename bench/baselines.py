"""Benchmark-only baselines for the catalog chain (not product code).

``seed_self_join_similarity`` is the seed's label-similarity method (self-join every
flagged set on fingerprint, count shared, filter) with the product's output and exact
threshold test; ``candidate_pair_counts`` gives both methods' candidate counts. They reuse
the product's set preparation and threshold test from assets/catalog/similarity.py so the
comparison differs only in how candidate pairs are found.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.catalog.similarity import _candidates, _distinct_sets, _finish, threshold_fraction


def seed_self_join_similarity(label_sets_df: DataFrame, threshold: float = 0.8) -> DataFrame:
    """The seed's method: self-join every set on fingerprint, count shared, filter.

    Same output and the same exact threshold test as ``label_similarity``; builds one row per
    (pair, shared fingerprint), so a fingerprint held by k labels costs k*(k-1)/2 rows.
    """
    frac = threshold_fraction(threshold)
    sets = _distinct_sets(label_sets_df)
    sizes = sets.groupBy("label_id").agg(F.count(F.lit(1)).alias("size"))
    a = sets.select(F.col("label_id").alias("label_a"), "fingerprint")
    b = sets.select(F.col("label_id").alias("label_b"), "fingerprint")
    shared = (
        a.join(b, "fingerprint")
        .where(F.col("label_a") < F.col("label_b"))
        .groupBy("label_a", "label_b")
        .agg(F.count(F.lit(1)).alias("shared"))
    )
    pairs = shared.join(
        sizes.select(F.col("label_id").alias("label_a"), F.col("size").alias("size_a")), "label_a"
    ).join(
        sizes.select(F.col("label_id").alias("label_b"), F.col("size").alias("size_b")), "label_b"
    )
    return _finish(pairs, frac.numerator, frac.denominator)


def candidate_pair_counts(
    label_sets_df: DataFrame, threshold: float = 0.8, *, seed_pairs: bool = True
) -> dict:
    """Candidate counts of both methods, for the benchmark.

    ``seed_join_rows``: rows the seed's self-join materialises (sum over fingerprints of
    k*(k-1)/2 for the k labels holding it, computed without building them);
    ``seed_candidate_pairs``: distinct label pairs sharing any fingerprint (the pairs the
    seed verifies; built only when ``seed_pairs``, which runs the seed's join);
    ``prefix_join_rows``: rows of the prefix self-join; ``prefix_candidate_pairs``:
    distinct candidates after prefix and size filtering (what gets verified).
    """
    sets, ranked, candidates, _ = _candidates(label_sets_df, threshold)
    pairs_of = lambda k: F.sum(F.col(k) * (F.col(k) - 1) / 2).cast("long")  # noqa: E731
    row = (
        ranked.groupBy("fingerprint")
        .agg(
            F.first("df").alias("k"),
            F.count(F.when(F.col("pos") <= F.col("prefix_len"), 1)).alias("p"),
        )
        .agg(pairs_of("k").alias("seed"), pairs_of("p").alias("prefix"))
        .first()
    )
    out = {
        "seed_join_rows": int(row["seed"] or 0),
        "prefix_join_rows": int(row["prefix"] or 0),
        "prefix_candidate_pairs": candidates.count(),
    }
    if seed_pairs:
        a = sets.select(F.col("label_id").alias("label_a"), "fingerprint")
        b = sets.select(F.col("label_id").alias("label_b"), "fingerprint")
        out["seed_candidate_pairs"] = (
            a.join(b, "fingerprint")
            .where(F.col("label_a") < F.col("label_b"))
            .select("label_a", "label_b")
            .distinct()
            .count()
        )
    return out


# ---- users: the row features vectorised with pandas ------------------------------------
from functools import lru_cache  # noqa: E402

# ``users_row_features`` is the single-process baseline of issue 17's speed target: the
# values of ``assets.users.features.row_features`` (same columns, same values) computed
# column-wise with pandas string methods, explode/group-by and numpy instead of a Python
# loop over users. Text runs through pandas' ``.str`` methods with Python's own ``re``
# patterns from ``assets.users.text`` (so Unicode word/space classes are Python's), token
# and phrase counts on exploded token frames, n-gram phrases by shifted joins. Two
# look-ups run once per distinct value, not per row: the registered domain of a host
# (tldextract, a library's trie walk) and hosts of URLs that urlsplit must validate
# (brackets, non-ASCII network locations: none in the benchmark's data).


def _u_normalise(s):
    """text.normalise, column-wise: NFKC, casefold, white space runs -> one space."""
    import re

    s = s.where(s.notna(), "").astype(object)
    return (s.str.normalize("NFKC").str.casefold().str.replace(re.compile(r"\s+"), " ", regex=True)
            .str.strip())


def _u_explode(lists, index_name="tid"):
    """A long frame (tid, pos, value) of a Series of lists indexed 0..m-1 (empty dropped)."""
    import pandas as pd

    v = lists.explode()
    v = v[v.notna()]
    frame = pd.DataFrame({index_name: v.index.to_numpy(), "value": v.to_numpy(dtype=object)})
    frame["pos"] = frame.groupby(index_name).cumcount()
    return frame


def _u_gram_counts(toks, m, words, phrases):
    """Per text id (0..m-1): occurrences of ``words`` (a set) plus of ``phrases`` (token
    tuples, each occurrence counted once per time the phrase appears in ``phrases``)."""
    import numpy as np

    tid = toks["tid"].to_numpy()
    tok = toks["value"]
    n = np.bincount(tid[tok.isin(list(words)).to_numpy()], minlength=m).astype("float64")
    by_len: dict[int, dict[str, int]] = {}
    for p in phrases:
        key = " ".join(p)
        by_len.setdefault(len(p), {})
        by_len[len(p)][key] = by_len[len(p)].get(key, 0) + 1
    for k, mult in by_len.items():
        gram, ok = tok.astype(object), np.ones(len(tok), bool)
        for j in range(1, k):
            nxt = tok.shift(-j)
            ok &= (toks["tid"].shift(-j).to_numpy() == tid)
            gram = gram + " " + nxt.fillna("")
        hits = gram.map(mult).fillna(0).to_numpy() * ok
        n += np.bincount(tid, weights=hits, minlength=m)
    return n


def _u_lists(rows, values, n):
    """Per row 0..n-1 the values of a long (rows, values) pair sorted by row, as arrays."""
    import numpy as np
    import pyarrow as pa

    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    arr = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.asarray(values, dtype=object), pa.string()))
    return arr.to_pandas()


def _u_first(rows, values, n):
    """Per row 0..n-1 the first value of a long (rows, values) pair (None when none)."""
    import numpy as np
    import pandas as pd

    out = np.full(n, None, dtype=object)
    s = pd.Series(values, index=rows)
    s = s[~s.index.duplicated(keep="first")]
    out[s.index.to_numpy()] = s.to_numpy(dtype=object)
    return out


def _u_url_frame(urls):
    """(row, url, host, key) of the non-blank URLs, as domains.host / domains.url_key."""
    import re

    import numpy as np

    from assets.users import domains

    f = _u_explode(urls, "row")
    f = f[f["value"].map(type).eq(str).to_numpy()]
    s = f["value"].str.strip()
    f = f[(s != "").to_numpy()].assign(s=s[s != ""])
    s = f["s"]
    full = s.where(s.str.match(domains._SCHEME), "http://" + s)
    full = full.str.replace(re.compile(r"[\t\r\n]"), "", regex=True)
    rest = full.str.split("://", n=1).str[1]
    netloc = rest.str.extract(r"^([^/?#]*)", expand=False)
    after = rest.str.replace(re.compile(r"^[^/?#]*"), "", regex=True)
    pathq = after.str.split("#", n=1).str[0]
    path = pathq.str.split("?", n=1).str[0]
    query = pathq.str.split("?", n=1).str[1].fillna("")
    hostinfo = netloc.str.rpartition("@")[2]
    hostname = hostinfo.str.partition(":")[0]
    zone = hostname.str.partition("%")
    host = (zone[0].str.lower() + zone[1] + zone[2]).str.rstrip(".")
    key_host = host.where(~host.str.startswith("www."), host.str.slice(4))
    query_part = np.where(query != "", "?" + query, "")
    key = (key_host + path.str.rstrip("/") + query_part).str.lower()
    key = key.where(host != "", "")
    # urlsplit validates brackets and non-ASCII network locations: those through domains
    special = (netloc.str.contains(r"[\[\]]") | ~netloc.map(str.isascii)).to_numpy()
    if special.any():
        vals = f["value"][special]
        host[special] = [domains.host(u) for u in vals]
        key[special] = [domains.url_key(u) for u in vals]
    return f.assign(host=host, key=key)[["row", "value", "host", "key"]]


def users_row_features(pdf, config):
    """``features.row_features`` column-wise (pandas): same ROW_SCHEMA columns and values."""
    import numpy as np
    import pandas as pd

    from assets.users import domains, text
    from assets.users.features import ROW_SCHEMA, count_features

    pdf = pdf.reset_index(drop=True)
    n = len(pdf)
    out = count_features(pdf)  # already column-wise in the product: shared, not copied
    created = pd.to_numeric(pdf["created_epoch"], errors="coerce")

    # ---- texts: descriptions (tid 0..n-1), usernames (n..2n-1), non-blank titles (2n..)
    titles = _u_explode(pdf["titles"], "row")
    titles = titles[titles["value"].map(type).eq(str).to_numpy()]
    titles = titles[(titles["value"].str.strip() != "").to_numpy()].reset_index(drop=True)
    raw = pd.concat([pdf["description"], pdf["username"], titles["value"]], ignore_index=True)
    norm = _u_normalise(raw)
    m = len(raw)
    row_of = np.concatenate([np.arange(n), np.arange(n), titles["row"].to_numpy(dtype="int64")])
    toks = _u_explode(norm.str.findall(text._WORD))
    words, prof_phrases = text.profanity_lists()
    term_words, _ = text._term_sets(tuple(config.commercial_terms))
    term_phrases = tuple(t for t in (tuple(text.tokens(x)) for x in config.commercial_terms) if len(t) > 1)
    prof = _u_gram_counts(toks, m, words, prof_phrases)
    terms = _u_gram_counts(toks, m, term_words, term_phrases)
    is_title = np.arange(m) >= 2 * n
    out["description_profanities"] = prof[:n]
    out["url_title_profanities"] = np.bincount(row_of[is_title], weights=prof[is_title], minlength=n)
    out["commercial_terms"] = np.bincount(row_of, weights=terms, minlength=n)
    # the first three distinct profane tokens of each text, then distinct over the user's texts
    p = toks[toks["value"].isin(list(words)).to_numpy() & ((toks["tid"] < n) | (toks["tid"] >= 2 * n)).to_numpy()]
    p = p.drop_duplicates(["tid", "value"])
    p = p[(p.groupby("tid").cumcount() < 3).to_numpy()]
    p = p.assign(row=row_of[p["tid"].to_numpy()]).sort_values(["row", "tid", "pos"], kind="stable")
    p = p.drop_duplicates(["row", "value"])
    joined = p.groupby("row")["value"].agg(", ".join)
    profane = np.full(n, None, dtype=object)
    profane[joined.index.to_numpy()] = joined.to_numpy(dtype=object)

    # ---- description: key, sentences, stock-phrase candidates
    desc_n = norm[:n].reset_index(drop=True)
    out["description_key"] = desc_n.where(desc_n != "", None).astype(object)
    parts = desc_n.str.replace(text._URL, " ", regex=True).str.split(text._SENTENCE_SPLIT, regex=True)
    sent = _u_explode(parts, "row")
    st = sent["value"].str.findall(text._WORD)
    sent = sent.assign(n_words=st.str.len().to_numpy(), value=st.str.join(" ").to_numpy())
    sent = sent[sent["n_words"].to_numpy() > 0]
    out["n_sentences"] = np.bincount(sent["row"].to_numpy(dtype="int64"), minlength=n).astype("int64")
    short = sent[(sent["n_words"] <= config.stock_phrase_max_words).to_numpy()].drop_duplicates(["row", "value"])
    out["phrases"] = _u_lists(short["row"].to_numpy(dtype="int64"), short["value"].to_numpy(), n)

    # ---- username / permalink
    name_n, link_n = norm[n:2 * n].reset_index(drop=True), _u_normalise(pdf["permalink"])
    alnum = name_n.str.count(r"[^\W_]")
    digits = name_n.str.count("[0-9]")
    wide = ~name_n.map(str.isascii, na_action="ignore").fillna(True).astype(bool)
    if wide.any():  # str.isdigit is wider than [0-9] (and than \d) outside ASCII
        digits[wide] = name_n[wide].str.count(_digit_class())
    out["username_digit_share"] = np.where(alnum > 0, digits / alnum.clip(lower=1), 0.0)
    link = pdf["permalink"].astype(object)
    default = link.notna() & (link != "") & link.where(link.notna(), "").str.strip().str.lower().str.match(
        text._DEFAULT_PERMALINK)
    out["default_permalink"] = default.astype("float64").to_numpy()
    u = name_n.str.replace(r"[\W_]", "", regex=True)
    pl = link_n.str.replace(r"[\W_]", "", regex=True)
    out["permalink_unrelated"] = _unrelated(u, pl)

    # ---- URLs
    uf = _u_url_frame(pdf["urls"])
    rows_u = uf["row"].to_numpy(dtype="int64")
    out["url_provided"] = (np.bincount(rows_u, minlength=n) > 0).astype("float64")
    hosts = pd.Series(pd.unique(uf["host"]))
    parts_h = [domains.host_parts(h) for h in hosts]  # once per distinct host (tldextract)
    hd = pd.DataFrame(parts_h, columns=["d", "sfx"], index=hosts)
    label = pd.Series([domains.label_of(d, s) for d, s in zip(hd["d"], hd["sfx"], strict=True)], dtype=object)
    hd["rl"] = _looks_random(label).to_numpy()
    uf = uf.join(hd, on="host")
    d, sfx, rl = uf["d"], uf["sfx"], uf["rl"].to_numpy(dtype=bool)
    shorteners, hubs, free = set(config.shorteners), set(config.link_hubs), set(config.free_tlds)
    abused = free | set(config.abused_tlds)

    def any_of(mask):
        return (np.bincount(rows_u[mask], minlength=n) > 0).astype("float64")

    is_short = d.isin(shorteners).to_numpy()
    rand = rl & sfx.isin(free).to_numpy()
    out["url_shortener"] = any_of(is_short)
    out["url_link_hub"] = any_of(d.isin(hubs).to_numpy())
    out["random_free_domain"] = any_of(rand)
    out["random_domain_name"] = any_of(rl)
    out["abused_tld"] = any_of(sfx.isin(abused).to_numpy())
    dd = uf.loc[(d != "").to_numpy(), ["row", "d"]].drop_duplicates()
    kk = uf.loc[(uf["key"] != "").to_numpy(), ["row", "key"]].drop_duplicates()
    out["url_keys"] = _u_lists(kk["row"].to_numpy(dtype="int64"), kk["key"].to_numpy(), n)
    out["domains"] = _u_lists(dd["row"].to_numpy(dtype="int64"), dd["d"].to_numpy(), n)
    out["shortener_domain"] = _u_first(rows_u[is_short], d.to_numpy()[is_short], n)
    out["random_domain"] = _u_first(rows_u[rand], d.to_numpy()[rand], n)
    out["profane_words"] = profane
    out["created_second"] = created.astype("Int64")
    iso = pd.to_datetime(created, unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object)
    out["created_at_iso"] = iso.where(created.notna(), None)
    return out[[f.name for f in ROW_SCHEMA.fields]]


@lru_cache(maxsize=1)
def _digit_class():
    """A regex class of the characters ``str.isdigit`` accepts (``\\d`` is only decimals)."""
    import re
    import sys

    cps = [c for c in range(sys.maxunicode + 1) if chr(c).isdigit()]
    return re.compile("[" + "".join(re.escape(chr(c)) for c in cps) + "]")


def _gram_codes(s):
    """(row, code) of every 3-character run of each string of ``s`` (a numpy matrix of
    code points, one row per string, three code points packed into one int64)."""
    import numpy as np

    a = np.asarray(s.to_numpy(dtype=object).astype(str))
    width = a.dtype.itemsize // 4
    cp = a.view(np.uint32).reshape(len(a), width).astype(np.int64)
    lens = (cp > 0).sum(axis=1)
    codes = (cp[:, :-2] << 42) | (cp[:, 1:-1] << 21) | cp[:, 2:]
    ok = np.arange(width - 2)[None, :] < (lens - 2)[:, None]
    rows = np.broadcast_to(np.arange(len(a))[:, None], codes.shape)[ok]
    return rows, codes[ok]


def _unrelated(u, p):
    """text.permalink_unrelated on alnum-only username and permalink columns."""
    import numpy as np
    import pandas as pd

    n = len(u)
    both = ((u.str.len() >= 3) & (p.str.len() >= 3)).to_numpy()
    idx = np.flatnonzero(both)
    shared = np.zeros(n, bool)
    if len(idx):
        ur, uc = _gram_codes(u.iloc[idx])
        pr, pc = _gram_codes(p.iloc[idx])
        hit = pd.DataFrame({"r": pr, "c": pc}).merge(pd.DataFrame({"r": ur, "c": uc}).drop_duplicates(),
                                                     on=["r", "c"])["r"].unique()
        shared[idx[hit]] = True
    return np.where(both & ~shared, 1.0, 0.0)


def _looks_random(label):
    """domains.looks_random on a column of labels."""

    low = label.str.lower()
    length = label.str.len()
    vowels = low.str.count("[aeiouy]")
    longest = low.str.findall("[^aeiouy]+").map(lambda r: max(map(len, r), default=0)) if len(low) else low
    share = vowels / length.clip(lower=1)
    ok = (length >= 7) & label.str.fullmatch("[A-Za-z]+").fillna(False)
    return (ok & ((share < 0.2) | (longest >= 5) | ((longest >= 4) & (share < 0.25)))).astype(bool)
