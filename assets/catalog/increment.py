"""Daily increments of the catalog chain, exact: a new day's tracks update ``label_reuse``,
``exempt_would_flag`` and ``label_similarity`` only for the labels they touch, and the
result equals the full recomputation (assets/catalog/detect.py) row for row.

Why it is exact:

* Reuse counts are per label (``label_reuse.reuse_stats`` groups by label and nothing
  else), so recomputing a touched label from all its tracks and keeping every other row
  gives the full table. Touched labels: the labels of the tracks in the days that are new
  or changed since the last run, now and as they were (``catalog_day_labels``: a re-landed
  day may move a track to another label).
* An edge of ``label_similarity`` depends only on its two labels' flags and sets. Edges
  between untouched labels stay; every pair with a touched label is recomputed against
  all flagged labels. Prefix filtering is exact for ANY fixed global token order, as long
  as both sides of a pair use the same one: the order is frozen (``catalog_token_order``:
  the document frequency of each fingerprint at the last rebuild; a fingerprint unseen
  then ranks with frequency 0, ties by the fingerprint), and the prefix index
  (``catalog_label_index``: each flagged label's distinct fingerprints with set size and
  whether the fingerprint is in the label's prefix) is kept between runs and updated for
  touched labels only. Verification counts shared fingerprints with the same expression
  as the full path, so ``shared``, the sizes and ``jaccard`` are bit-identical.
* The frozen order only decides how many candidates are verified, never the result. As
  days add fingerprints it was not built with (frequency 0 = "rarest", so they enter
  prefixes), the candidates grow; when the fingerprints unseen at the last rebuild reach
  ``max_order_drift`` of the index, the order and the whole index are rebuilt from the
  current flagged sets (``rebuilt=True`` in the figures).
* The rules the untouched rows were computed with are kept in the state: another
  ``min_albums_per_fingerprint`` / ``min_reused_fingerprints`` / ``min_reuse_ratio`` runs
  ``label_reuse`` in full, another ``similarity_threshold`` ``label_similarity``.

What an increment reads: the changed days' partitions of ``track_fingerprints`` (found
from a listing of its files, no data read), and ONE scan of the table for the touched
labels' tracks (kept on disk for the stage: the increment's working set). The similarity
stage does not read the fingerprints at all: the reuse stage hands it the touched labels'
sets (``catalog_pending_sets``).

State tables (warehouse, beside the contract's): ``catalog_increment_state(key, value)``
(``day/<upload_date>``: the Parquet files of each track_fingerprints day when last seen;
``meta/<name>``: the rules, index size at the rebuild, unseen entries since, whether the
similarity needs a full pass), ``catalog_day_labels(upload_date, label_id)``,
``catalog_pending_sets(label_id, fingerprint)`` (labels whose reuse row was recomputed
since ``label_similarity`` last ran, with their distinct eligible fingerprints; a row with
a null fingerprint for each), ``catalog_token_order(fingerprint, df)`` and
``catalog_label_index(label_id, fingerprint, size, in_prefix)``.

``reuse_increment`` and ``similarity_increment`` are the two stages (the assets call them
unless asked for a full run); without state they run the full stage and build it.
"""

from __future__ import annotations

from contextlib import contextmanager

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from assets.catalog.detect import run_stage
from assets.catalog.label_reuse import exempt_would_flag, label_reuse, reuse_stats
from assets.catalog.similarity import (
    _dec,
    _finish,
    flagged_label_sets,
    label_similarity,
    threshold_fraction,
)
from resources.catalog_contract import DEFAULT_RULES, CatalogRules

STATE = "catalog_increment_state"
DAY_LABELS = "catalog_day_labels"
PENDING = "catalog_pending_sets"
ORDER = "catalog_token_order"
INDEX = "catalog_label_index"
STATE_TABLES = (STATE, DAY_LABELS, PENDING, ORDER, INDEX)
DEFAULT_MAX_ORDER_DRIFT = 0.1
# The track_fingerprints columns reuse_stats reads (the touched labels' working set).
_REUSE_COLUMNS = ("label_id", "label_name", "fingerprint", "album_id", "eligible", "eligible_ignoring_genre",
                  "exclusion_reason", "genre")
_PENDING_SCHEMA = "label_id string, fingerprint string"


# ---- pure transforms ------------------------------------------------------------------


def merge_by_label(old: DataFrame, new: DataFrame, touched: DataFrame, key: str = "label_id") -> DataFrame:
    """``old`` without the touched labels' rows, plus ``new`` (the touched labels' rows)."""
    kept = old.join(F.broadcast(touched.select(F.col("label_id").alias(key))), key, "left_anti")
    return kept.unionByName(new.select(*old.columns))


def touched_labels(day_labels_before: DataFrame, fps_of_days: DataFrame, changed_days: list[str]) -> DataFrame:
    """Distinct label_id of the changed days' tracks, now and as recorded before."""
    before = day_labels_before.where(F.col("upload_date").cast("string").isin(changed_days)).select("label_id")
    now = fps_of_days.select("label_id")
    return before.union(now).where(F.col("label_id").isNotNull()).distinct()


def day_labels(fps_of_days: DataFrame) -> DataFrame:
    """(upload_date string, label_id) of the given fingerprint rows, distinct."""
    return (fps_of_days.where(F.col("label_id").isNotNull())
            .select(F.col("upload_date").cast("string").alias("upload_date"), "label_id").distinct())


def reuse_tables(fps: DataFrame, touched: DataFrame, rules: CatalogRules = DEFAULT_RULES) -> tuple[DataFrame, DataFrame]:
    """(label_reuse rows, exempt_would_flag rows) of the touched labels, from all their tracks."""
    mine = fps.join(F.broadcast(touched), "label_id", "left_semi")
    stats = reuse_stats(mine, rules)
    return label_reuse(mine, rules, stats=stats), exempt_would_flag(mine, rules, stats=stats)


def token_order(sets: DataFrame) -> DataFrame:
    """(fingerprint, df): how many of the (label_id, fingerprint) sets hold each fingerprint."""
    return sets.groupBy("fingerprint").agg(F.count(F.lit(1)).alias("df"))


def index_sets(sets: DataFrame, order: DataFrame, threshold: float, *, keep_df: bool = False) -> DataFrame:
    """(label_id, fingerprint, size, in_prefix) of distinct sets under the frozen ``order``
    (frequency, then fingerprint; unseen fingerprints have frequency 0); with ``keep_df``
    also the frequency ``df`` (0: a fingerprint the order has not seen)."""
    frac = threshold_fraction(threshold)
    num, den = frac.numerator, frac.denominator
    by_label = Window.partitionBy("label_id")
    ranked = sets.join(order, "fingerprint", "left").withColumn("df", F.coalesce(F.col("df"), F.lit(0)))
    min_overlap = F.expr(
        f"(CAST('{num}' AS DECIMAL(38,0)) * CAST(size AS DECIMAL(38,0))"
        f" + CAST('{den - 1}' AS DECIMAL(38,0))) div CAST('{den}' AS DECIMAL(38,0))"
    )
    return (
        ranked.withColumn("size", F.count(F.lit(1)).over(by_label))
        .withColumn("pos", F.row_number().over(by_label.orderBy(F.col("df").asc(), F.col("fingerprint").asc())))
        .withColumn("in_prefix", F.col("pos") <= F.col("size") - min_overlap + F.lit(1))
        .select("label_id", "fingerprint", F.col("size").cast("long").alias("size"), "in_prefix",
                *(["df"] if keep_df else []))
    )


def pair_edges(touched_index: DataFrame, index: DataFrame, threshold: float) -> DataFrame:
    """label_similarity edges of every pair with at least one label of ``touched_index``
    (each label of which is also in ``index``, the prefix index of all flagged labels)."""
    frac = threshold_fraction(threshold)
    num, den = frac.numerator, frac.denominator
    a = touched_index.where("in_prefix").select(F.col("label_id").alias("x"), "fingerprint", F.col("size").alias("sx"))
    b = index.where("in_prefix").select(F.col("label_id").alias("y"), "fingerprint", F.col("size").alias("sy"))
    small, large = F.least("sx", "sy"), F.greatest("sx", "sy")
    first = F.col("x") < F.col("y")
    candidates = (
        a.join(b, "fingerprint").where(F.col("x") != F.col("y"))
        .where(_dec(den) * _dec(small) >= _dec(num) * _dec(large))
        .select(F.when(first, F.col("x")).otherwise(F.col("y")).alias("label_a"),
                F.when(first, F.col("y")).otherwise(F.col("x")).alias("label_b"),
                F.when(first, F.col("sx")).otherwise(F.col("sy")).alias("size_a"),
                F.when(first, F.col("sy")).otherwise(F.col("sx")).alias("size_b"))
        .distinct()
    )
    ends = candidates.select(F.col("label_a").alias("label_id")).union(
        candidates.select(F.col("label_b").alias("label_id"))).distinct()
    arrays = (index.join(ends, "label_id", "left_semi").groupBy("label_id")
              .agg(F.collect_list("fingerprint").alias("fps")))
    pairs = (
        candidates.join(arrays.select(F.col("label_id").alias("label_a"), F.col("fps").alias("fps_a")), "label_a")
        .join(arrays.select(F.col("label_id").alias("label_b"), F.col("fps").alias("fps_b")), "label_b")
        .withColumn("shared", F.size(F.array_intersect("fps_a", "fps_b")).cast("long"))
    )
    return _finish(pairs, num, den)


def merge_edges(old: DataFrame, new: DataFrame, touched: DataFrame) -> DataFrame:
    """Old edges between untouched labels, plus ``new`` (every edge with a touched label)."""
    t = F.broadcast(touched.select("label_id"))
    kept = (old.join(t.withColumnRenamed("label_id", "label_a"), "label_a", "left_anti")
            .join(t.withColumnRenamed("label_id", "label_b"), "label_b", "left_anti"))
    return kept.select(*new.columns).unionByName(new)


# ---- stages on the warehouse ----------------------------------------------------------


def reuse_rules_key(rules: CatalogRules) -> str:
    """The rules label_reuse rows depend on (beyond track_fingerprints itself)."""
    return f"{rules.min_albums_per_fingerprint}|{rules.min_reused_fingerprints}|{float(rules.min_reuse_ratio)!r}"


def _uri(warehouse) -> str:
    return (warehouse.warehouse if hasattr(warehouse, "staged") else warehouse).uri


@contextmanager
def _driver_listing(spark, warehouse):
    """Partition discovery on the driver while reading a local warehouse: Spark lists more
    than 32 partition directories with a Spark job (measured at 1M tracks, 369 day
    directories: 4.9 s vs 0.7 s on the driver). On an object store the parallel listing stays."""
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    if "://" in _uri(warehouse) and not _uri(warehouse).startswith("file://"):
        yield
        return
    old = spark.conf.get(key, None)
    spark.conf.set(key, "1000000")
    try:
        yield
    finally:
        if old is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, old)


def _partition_versions(fps: DataFrame, column: str = "upload_date") -> dict[str, str]:
    """{partition value: its Parquet file names, sorted} of a table read from a directory
    tree: a rewritten day has new file names (Spark names each write's files uniquely), so a
    changed version means a changed day. From the listing the read already made (one call
    into the JVM), no data read."""
    from urllib.parse import unquote

    prefix = f"{column}="
    out: dict[str, list[str]] = {}
    for path in fps.inputFiles():
        parent, name = path.rstrip("/").split("/")[-2:]
        if parent.startswith(prefix):  # Spark escapes partition values as %XX in directory names
            out.setdefault(unquote(parent[len(prefix):]), []).append(name)
    return {day: ",".join(sorted(names)) for day, names in out.items()}


def _state(spark, warehouse) -> dict[str, str] | None:
    """The increment's state (``catalog_increment_state``) as {key: value}, or None."""
    if not warehouse.exists(spark, STATE):
        return None
    return {r.key: r.value for r in warehouse.read(spark, STATE).collect()}  # one row a day, a few meta rows


def _write_state(spark, staged, state: dict[str, str]) -> None:
    staged.write_table(spark.createDataFrame(sorted(state.items()), "key string, value string").coalesce(1), STATE)


def _days(state: dict[str, str]) -> dict[str, str]:
    return {k[4:]: v for k, v in state.items() if k.startswith("day/")}


def _with_days(state: dict[str, str], versions: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in state.items() if not k.startswith("day/")}
    out.update({f"day/{d}": v for d, v in versions.items()})
    return out


def _empty(spark, schema: str = _PENDING_SCHEMA) -> DataFrame:
    return spark.createDataFrame([], schema)


def _pending(spark, warehouse) -> DataFrame:
    return warehouse.read(spark, PENDING) if warehouse.exists(spark, PENDING) else _empty(spark)


def pending_sets(tracks: DataFrame, touched: DataFrame) -> DataFrame:
    """(label_id, fingerprint) of the touched labels: their distinct eligible fingerprints,
    and one row with a null fingerprint for each (a label may have none left)."""
    sets = (tracks.where(F.col("eligible") & F.col("fingerprint").isNotNull())
            .select("label_id", "fingerprint").distinct())
    return sets.unionByName(touched.select("label_id", F.lit(None).cast("string").alias("fingerprint")))


def reuse_increment(spark, warehouse, staged, rules: CatalogRules = DEFAULT_RULES, *, full: bool = False,
                    sample: int = 0) -> dict:
    """Write label_reuse and exempt_would_flag (to ``staged``, a ``StagedWrites`` of
    ``warehouse``) for the days changed since the last run; the full stage when ``full``,
    on the first run, when the state is missing or the reuse rules changed. Returns figures:
    mode, days (the changed days; all days in full), touched_labels (count; None in full)
    and up to ``sample`` touched label ids."""
    with _driver_listing(spark, warehouse):
        fps = warehouse.read(spark, "track_fingerprints")
    versions = _partition_versions(fps)
    have_state = all(warehouse.exists(spark, t) for t in ("label_reuse", "exempt_would_flag", STATE, DAY_LABELS))
    state = _state(spark, warehouse) if have_state else None
    if full or state is None or state.get("meta/reuse_rules") != reuse_rules_key(rules):
        with _driver_listing(spark, warehouse):
            run_stage("label_reuse", spark, staged, rules)
        staged.write_table(day_labels(fps), DAY_LABELS)
        staged.write_table(_empty(spark), PENDING)
        new_state = _with_days(state or {}, versions)
        new_state.update({"meta/reuse_rules": reuse_rules_key(rules), "meta/similarity_full": "true"})
        _write_state(spark, staged, new_state)
        return {"mode": "full", "days": sorted(versions), "touched_labels": None, "touched_sample": []}
    before = _days(state)
    changed = sorted(d for d in set(before) | set(versions) if before.get(d) != versions.get(d))
    if not changed:  # nothing landed: every table stays as it is
        return {"mode": "increment", "days": [], "touched_labels": 0, "touched_sample": []}
    fps_days = fps.where(F.col("upload_date").cast("string").isin(changed))  # the changed partitions only
    labels_before = warehouse.read(spark, DAY_LABELS)
    touched = touched_labels(labels_before, fps_days, changed).persist()
    # the touched labels' tracks: the one scan of track_fingerprints, on disk for the stage
    mine = fps.join(F.broadcast(touched), "label_id", "left_semi").select(*_REUSE_COLUMNS) \
        .persist(StorageLevel.DISK_ONLY)
    stats = reuse_stats(mine, rules).persist()  # one row per touched label
    try:
        staged.write_table(merge_by_label(warehouse.read(spark, "label_reuse"), label_reuse(mine, rules, stats=stats),
                                          touched), "label_reuse")
        staged.write_table(merge_by_label(warehouse.read(spark, "exempt_would_flag"),
                                          exempt_would_flag(mine, rules, stats=stats), touched), "exempt_would_flag")
        kept = labels_before.where(~F.col("upload_date").isin(changed))
        staged.write_table(kept.unionByName(day_labels(fps_days)), DAY_LABELS)
        counted = Observation("touched")
        new_pending = pending_sets(mine, touched.observe(counted, F.count(F.lit(1)).alias("n")))
        staged.write_table(merge_by_label(_pending(spark, warehouse), new_pending, touched), PENDING)
        n_touched = int(counted.get["n"])
        touched_sample = ([r.label_id for r in touched.orderBy("label_id").limit(sample).collect()]
                          if sample else [])
    finally:
        stats.unpersist()
        mine.unpersist()
        touched.unpersist()
    _write_state(spark, staged, _with_days(state, versions))
    return {"mode": "increment", "days": changed, "touched_labels": n_touched, "touched_sample": touched_sample}


def similarity_increment(spark, warehouse, staged, rules: CatalogRules = DEFAULT_RULES, *, full: bool = False,
                         max_order_drift: float = DEFAULT_MAX_ORDER_DRIFT) -> dict:
    """Write label_similarity (to ``staged``) for the labels whose reuse was recomputed since
    it last ran (``catalog_pending_sets``, read through ``staged`` so a label_reuse written in
    the same staging is seen); the full stage plus a fresh order and index when ``full``,
    when reuse ran in full, without state, or when the threshold changed. Returns figures:
    mode, touched_labels (None in full), rebuilt, unseen_entries."""
    threshold = rules.similarity_threshold
    key = repr(float(threshold))
    reuse = staged.read(spark, "label_reuse")
    state = _state(spark, staged)
    have_index = all(warehouse.exists(spark, t) for t in ("label_similarity", ORDER, INDEX, PENDING))
    if (full or state is None or state.get("meta/similarity_full") != "false" or not have_index
            or state.get("meta/threshold") != key):
        with _driver_listing(spark, warehouse):
            sets = flagged_label_sets(staged.read(spark, "track_fingerprints"), reuse).persist()
        try:
            staged.write_table(label_similarity(sets, threshold), "label_similarity")
            staged.write_table(token_order(sets), ORDER)
            counted = Observation("index")
            staged.write_table(index_sets(sets, staged.read(spark, ORDER), threshold)
                               .observe(counted, F.count(F.lit(1)).alias("n")), INDEX)
            entries = int(counted.get["n"])
        finally:
            sets.unpersist()
        staged.write_table(_empty(spark), PENDING)
        _write_state(spark, staged, {**(state or {}), "meta/threshold": key, "meta/index_entries": str(entries),
                                     "meta/unseen_entries": "0", "meta/similarity_full": "false"})
        return {"mode": "full", "touched_labels": None, "rebuilt": True, "unseen_entries": 0}
    pending = staged.read(spark, PENDING)
    touched = pending.select("label_id").distinct().persist()
    try:
        n_touched = touched.count()
        if n_touched == 0:  # nothing pending: every table stays as it is
            return {"mode": "increment", "touched_labels": 0, "rebuilt": False, "unseen_entries": 0}
        flagged = reuse.where("flagged").select("label_id")
        sets = pending.where(F.col("fingerprint").isNotNull()).join(F.broadcast(flagged), "label_id", "left_semi")
        order = warehouse.read(spark, ORDER)
        counted = Observation("new_index")
        new_index = (index_sets(sets, order, threshold, keep_df=True)
                     .observe(counted, F.count(F.lit(1)).alias("n"),
                              F.count(F.when(F.col("df") == 0, F.lit(1))).alias("unseen"))
                     .drop("df"))
        staged.write_table(merge_by_label(warehouse.read(spark, INDEX), new_index, touched), INDEX)
        unseen = int(counted.get["unseen"])
        unseen_total = int(state.get("meta/unseen_entries", "0")) + unseen
        entries = int(state.get("meta/index_entries", "0"))
        rebuilt = unseen_total > max_order_drift * max(entries, 1)
        if rebuilt:  # the order drifted: rebuild it and the index from the current flagged sets
            all_sets = staged.read(spark, INDEX).select("label_id", "fingerprint")
            staged.write_table(token_order(all_sets), ORDER)
            rebuilt_count = Observation("rebuilt")
            staged.write_table(index_sets(all_sets, staged.read(spark, ORDER), threshold)
                               .observe(rebuilt_count, F.count(F.lit(1)).alias("n")), INDEX)
            entries, unseen_total = int(rebuilt_count.get["n"]), 0
        index = staged.read(spark, INDEX)
        touched_index = index.join(F.broadcast(touched), "label_id", "left_semi")
        edges = pair_edges(touched_index, index, threshold)
        staged.write_table(merge_edges(warehouse.read(spark, "label_similarity"), edges, touched),
                           "label_similarity")
    finally:
        touched.unpersist()
    staged.write_table(_empty(spark), PENDING)
    _write_state(spark, staged, {**state, "meta/index_entries": str(entries), "meta/unseen_entries": str(unseen_total)})
    return {"mode": "increment", "touched_labels": n_touched, "rebuilt": rebuilt, "unseen_entries": unseen}
