"""Title fingerprints and track eligibility as pure Spark expressions (no Python UDF).

``fingerprint_column`` is the DESIGN.md fingerprint written in Spark SQL and agrees exactly
with ``reference.fingerprint``:

1. NFKC + full case folding through ICU (Spark ships icu4j):
   ``UCharacter.foldCase(Normalizer.compose(title, compat=true), defaultMapping=true)``,
   called with ``reflect``. ``compose`` throws on null, hence ``coalesce(title, '')``
   (a null title has the empty fingerprint, as in the reference).
2. Characters of the scripts written without spaces (``reference.SPLIT_SCRIPT_RANGES``:
   Han, Hiragana, Katakana, Thai, ...) are surrounded by spaces, so each is a token. The
   regex character class is generated from the same ranges, so both implementations split
   exactly the same characters.
3. Split at every run of characters that are not a letter, number or combining mark (Java
   regex ``[^\\p{L}\\p{N}\\p{M}]+``), drop empty tokens, sort (``sort_array``: Spark
   compares strings as UTF-8 bytes, which is code point order, the order of Python's
   ``sorted``), join with one space. Duplicate tokens are kept.

Fast path: an ASCII title (as many bytes as characters) skips steps 1-2 and is lower-cased
(NFKC leaves ASCII unchanged, case folding ASCII is lower-casing, no ASCII character is in a
split script). ``reflect`` has no generated code, so the fast path matters: with it,
``sort_array`` instead of a lambda-compared ``array_sort`` and the tokens computed once per
row, ``track_fingerprints`` went from 21 s to 7 s per 2M benchmark titles on 2 cores
(measured while building bench/catalog_scale.py). List matching has the same fast path.

Unicode version caveat: Python 3.11 classifies characters with Unicode 14, Java 17's regex
with Unicode 13 and ICU 78 normalises/folds with Unicode 17. Characters assigned or
re-categorised after Unicode 13 (recent emoji, new scripts, the latest CJK extensions) may
fingerprint differently in the two implementations. The property tests therefore draw from
long-assigned scripts (Latin, Greek, Cyrillic, Arabic, Hebrew, Hangul, CJK, kana, Thai,
Devanagari, combining marks U+0300-036F, common emoji and punctuation).

``track_fingerprints`` adds the contract columns of the ``track_fingerprints`` table and the
eligibility of each track with the reason it is excluded, the same values as
``reference.exclusion_reason`` (``non_music``, ``allowlisted_label``, ``major_distributor``,
``exempt_genre``, ``short_title``, else null), checked in that order. List and genre matching
uses the reference's normalisation (Python ``str.strip`` white space, case folding); a
missing or blank ``content_type`` means music. ``upload_date`` is the UTC date of
``uploaded_at`` (computed from epoch seconds, so independent of the session time zone).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from resources.catalog_contract import DEFAULT_RULES, SPLIT_SCRIPT_RANGES, CatalogRules

EXCLUSION_REASONS = (
    "non_music",
    "allowlisted_label",
    "major_distributor",
    "exempt_genre",
    "short_title",
)

# Everything Python's str.isspace() accepts (all of it below U+3001), for str.strip().
_PY_WHITESPACE = "".join(f"\\x{{{c:X}}}" for c in range(0x3001) if chr(c).isspace())
_STRIP_PATTERN = f"^[{_PY_WHITESPACE}]+|[{_PY_WHITESPACE}]+$"
_PY_ASCII_WHITESPACE = "".join(chr(c) for c in range(128) if chr(c).isspace())
_NOT_LNM_PATTERN = r"[^\p{L}\p{N}\p{M}]"
_SPLIT_PATTERN = (
    "([" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in SPLIT_SCRIPT_RANGES) + "])"
)


def _as_col(col: Column | str) -> Column:
    return F.col(col) if isinstance(col, str) else col


def _is_ascii(text: Column) -> Column:
    """True when every character is ASCII (as many bytes as characters); cheap, no regex."""
    return F.octet_length(text) == F.length(text)


def casefold_column(text: Column | str) -> Column:
    """ICU full case folding: Python's ``str.casefold()``; null -> ''."""
    text = F.coalesce(_as_col(text).cast("string"), F.lit(""))
    return F.reflect(F.lit("com.ibm.icu.lang.UCharacter"), F.lit("foldCase"), text, F.lit(True))


def nfkc_casefold_column(text: Column | str) -> Column:
    """ICU NFKC then full case folding: ``unicodedata.normalize('NFKC', t).casefold()``."""
    composed = F.reflect(
        F.lit("com.ibm.icu.text.Normalizer"),
        F.lit("compose"),
        F.coalesce(_as_col(text).cast("string"), F.lit("")),
        F.lit(True),
    )
    return casefold_column(composed)


def fingerprint_tokens_column(title: Column | str) -> Column:
    """The sorted token array of a title (duplicates kept); the fingerprint joins it.

    ASCII fast path (most titles): NFKC leaves ASCII unchanged, case folding ASCII is
    ``lower`` and no ASCII character belongs to a script split per character, so an ASCII
    title is lower-cased and split at once; any other title takes the ICU path. Both then
    split at runs of non letter/number/mark characters and drop the empty tokens.
    """
    text = F.coalesce(_as_col(title).cast("string"), F.lit(""))
    unicode_path = F.regexp_replace(nfkc_casefold_column(text), _SPLIT_PATTERN, " $1 ")
    folded = F.when(_is_ascii(text), F.lower(text)).otherwise(unicode_path)
    # sort_array (codegen, natural string order) rather than array_sort (a lambda comparator).
    return F.sort_array(F.array_remove(F.split(folded, _NOT_LNM_PATTERN + "+"), ""))


def fingerprint_column(title: Column | str) -> Column:
    """The contract fingerprint of a title column, as a Spark SQL expression."""
    return F.array_join(fingerprint_tokens_column(title), " ")


def token_count_column(fingerprint: Column | str) -> Column:
    """Tokens of a fingerprint (tokens never hold a space): 0 for the empty one."""
    fp = _as_col(fingerprint)
    return F.when(fp == F.lit(""), F.lit(0)).otherwise(F.size(F.split(fp, " ")))


def normalized_column(value: Column | str) -> Column:
    """``reference._norm``: strip Python white space, then case fold; null -> ''.

    ASCII fast path: strip the ASCII characters Python calls white space, then ``lower``."""
    text = F.coalesce(_as_col(value).cast("string"), F.lit(""))
    ascii_path = F.lower(F.trim(text, F.lit(_PY_ASCII_WHITESPACE)))
    slow = casefold_column(F.regexp_replace(text, _STRIP_PATTERN, ""))
    return F.when(_is_ascii(text), ascii_path).otherwise(slow)


def _in_list(value: Column | str, rules: CatalogRules, values) -> Column:
    normalized = sorted(rules.lowered(values))
    if not normalized:
        return F.lit(False)
    return normalized_column(value).isin(normalized)


def utc_epoch_seconds(ts: Column | str) -> Column:
    return F.unix_seconds(_as_col(ts).cast("timestamp"))


def track_fingerprints(tracks_df: DataFrame, rules: CatalogRules = DEFAULT_RULES) -> DataFrame:
    """Fingerprint and eligibility of every track (the ``track_fingerprints`` table).

    Columns: track_id, label_id, album_id, fingerprint, token_count, upload_date (contract),
    then title, label_name, distributor, genre, content_type, uploaded_at, upload_hour
    (UTC epoch hour), eligible, exclusion_reason, eligible_ignoring_genre (what eligibility
    would be with the genre exemptions off; the exempt-would-flag report uses it).
    Missing optional input columns (label_name, distributor, genre, content_type) are nulls.
    """
    df = tracks_df
    for name in ("label_name", "distributor", "genre", "content_type"):
        if name not in df.columns:
            df = df.withColumn(name, F.lit(None).cast("string"))
    epoch = utc_epoch_seconds("uploaded_at")
    df = df.select(
        F.col("track_id"),
        F.col("label_id").cast("string").alias("label_id"),
        F.col("album_id").cast("string").alias("album_id"),
        fingerprint_column("title").alias("fingerprint"),
        F.date_from_unix_date(F.floor(epoch / 86400).cast("int"))
        .cast("string")
        .alias("upload_date"),
        F.col("title"),
        F.col("label_name"),
        F.col("distributor"),
        F.col("genre"),
        F.col("content_type"),
        F.col("uploaded_at").cast("timestamp").alias("uploaded_at"),
        F.floor(epoch / 3600).alias("upload_hour"),
    )
    # token_count from the fingerprint column (a second projection): the title's tokens are
    # computed once per row.
    cols = df.columns
    df = df.select(*cols[:4], token_count_column("fingerprint").alias("token_count"), *cols[4:])
    content = normalized_column("content_type")
    non_music = ~content.isin("", "music")
    allow = _in_list("label_id", rules, rules.allowlisted_labels)
    major = _in_list("distributor", rules, rules.major_distributors)
    exempt = _in_list("genre", rules, rules.exempt_genres)
    short = F.col("token_count") < F.lit(rules.min_title_tokens)
    reason = (
        F.when(non_music, "non_music")
        .when(allow, "allowlisted_label")
        .when(major, "major_distributor")
        .when(exempt, "exempt_genre")
        .when(short, "short_title")
    )
    return (
        df.withColumn("exclusion_reason", reason)
        .withColumn("eligible", F.col("exclusion_reason").isNull())
        .withColumn(
            "eligible_ignoring_genre",
            F.col("eligible") | ((F.col("exclusion_reason") == "exempt_genre") & ~short),
        )
    )
