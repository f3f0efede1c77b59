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

State tables (warehouse, beside the contract's): ``catalog_day_versions(upload_date,
version)`` (the Parquet files of each track_fingerprints day when last seen),
``catalog_day_labels(upload_date, label_id)``, ``catalog_pending_labels(label_id)``
(labels whose reuse row changed since ``label_similarity`` last ran),
``catalog_token_order(fingerprint, df)``, ``catalog_label_index(label_id, fingerprint,
size, in_prefix)`` and ``catalog_increment_meta`` (threshold, index size at the rebuild,
unseen entries since, whether the similarity needs a full pass).

``reuse_increment`` and ``similarity_increment`` are the two stages (the assets call them
unless asked for a full run); without state they run the full stage and build it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from assets.catalog.label_reuse import exempt_would_flag, label_reuse, reuse_stats
from assets.catalog.similarity import _dec, _finish, flagged_label_sets, label_similarity, threshold_fraction
from resources.catalog_contract import DEFAULT_RULES, CatalogRules

DAY_VERSIONS = "catalog_day_versions"
DAY_LABELS = "catalog_day_labels"
PENDING = "catalog_pending_labels"
ORDER = "catalog_token_order"
INDEX = "catalog_label_index"
META = "catalog_increment_meta"
STATE_TABLES = (DAY_VERSIONS, DAY_LABELS, PENDING, ORDER, INDEX, META)
DEFAULT_MAX_ORDER_DRIFT = 0.1
_META_SCHEMA = "threshold string, index_entries long, unseen_entries long, similarity_full boolean"


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


def index_sets(sets: DataFrame, order: DataFrame, threshold: float) -> DataFrame:
    """(label_id, fingerprint, size, in_prefix) of distinct sets under the frozen ``order``
    (frequency, then fingerprint; unseen fingerprints have frequency 0)."""
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
        .select("label_id", "fingerprint", F.col("size").cast("long").alias("size"), "in_prefix")
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


def _partition_versions(spark, warehouse, table: str, column: str = "upload_date") -> dict[str, str]:
    """{partition value: its Parquet files (name:length, sorted)}: a rewritten day has new
    file names (Spark names each write's files uniquely), so a changed version means a
    changed day. A listing, no data read."""
    if not warehouse.exists(spark, table):
        return {}
    fs, path = warehouse._fs_path(spark, warehouse.table_uri(table))
    unescape = spark.sparkContext._jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.unescapePathName
    out = {}
    for status in fs.listStatus(path):
        name = status.getPath().getName()
        if status.isDirectory() and name.startswith(f"{column}="):
            files = sorted(f"{s.getPath().getName()}:{s.getLen()}" for s in fs.listStatus(status.getPath())
                           if s.getPath().getName().endswith(".parquet"))
            out[unescape(name[len(column) + 1:])] = ",".join(files)
    return out


def _meta(spark, warehouse) -> dict | None:
    if not warehouse.exists(spark, META):
        return None
    row = warehouse.read(spark, META).first()
    return row.asDict() if row else None


def _write_meta(spark, staged, threshold, index_entries, unseen_entries, similarity_full) -> None:
    staged.write_table(spark.createDataFrame(
        [(threshold, index_entries, unseen_entries, similarity_full)], _META_SCHEMA).coalesce(1), META)


def _write_days(spark, staged, versions: dict[str, str], labels: DataFrame) -> None:
    staged.write_table(spark.createDataFrame(sorted(versions.items()), "upload_date string, version string")
                       .coalesce(1), DAY_VERSIONS)
    staged.write_table(labels, DAY_LABELS)


def reuse_increment(spark, warehouse, staged, rules: CatalogRules = DEFAULT_RULES, *, full: bool = False) -> dict:
    """Write label_reuse and exempt_would_flag (to ``staged``, a ``StagedWrites`` of
    ``warehouse``) for the days changed since the last run; the full stage when ``full``,
    on the first run, or when the state is missing. Returns figures (mode, days, labels)."""
    fps = warehouse.read(spark, "track_fingerprints")
    versions = _partition_versions(spark, warehouse, "track_fingerprints")
    have_state = all(warehouse.exists(spark, t) for t in ("label_reuse", "exempt_would_flag", DAY_VERSIONS,
                                                          DAY_LABELS, META))
    meta = _meta(spark, warehouse) if have_state else None
    if full or meta is None:
        stats = reuse_stats(fps, rules).cache()
        try:
            staged.write_table(label_reuse(fps, rules, stats=stats), "label_reuse")
            staged.write_table(exempt_would_flag(fps, rules, stats=stats), "exempt_would_flag")
        finally:
            stats.unpersist()
        _write_days(spark, staged, versions, day_labels(fps))
        staged.write_table(spark.createDataFrame([], "label_id string"), PENDING)
        old = meta or {}
        _write_meta(spark, staged, old.get("threshold") or "", old.get("index_entries") or 0,
                    old.get("unseen_entries") or 0, True)
        return {"mode": "full", "changed_days": len(versions), "touched_labels": None}
    before = {r.upload_date: r.version for r in warehouse.read(spark, DAY_VERSIONS).collect()}  # one row a day
    changed = sorted(d for d in set(before) | set(versions) if before.get(d) != versions.get(d))
    labels_before = warehouse.read(spark, DAY_LABELS)
    fps_days = fps.where(F.col("upload_date").cast("string").isin(changed))
    touched = touched_labels(labels_before, fps_days, changed).cache()
    try:
        n_touched = touched.count()
        new_reuse, new_exempt = reuse_tables(fps, touched, rules)
        staged.write_table(merge_by_label(warehouse.read(spark, "label_reuse"), new_reuse, touched), "label_reuse")
        staged.write_table(merge_by_label(warehouse.read(spark, "exempt_would_flag"), new_exempt, touched),
                           "exempt_would_flag")
        kept = labels_before.where(~F.col("upload_date").isin(changed))
        _write_days(spark, staged, versions, kept.unionByName(day_labels(fps_days)))
        pending = (warehouse.read(spark, PENDING) if warehouse.exists(spark, PENDING)
                   else spark.createDataFrame([], "label_id string"))
        staged.write_table(pending.union(touched).distinct(), PENDING)
    finally:
        touched.unpersist()
    return {"mode": "increment", "changed_days": len(changed), "touched_labels": n_touched}


def similarity_increment(spark, warehouse, staged, rules: CatalogRules = DEFAULT_RULES, *, full: bool = False,
                         max_order_drift: float = DEFAULT_MAX_ORDER_DRIFT) -> dict:
    """Write label_similarity (to ``staged``) for the labels whose reuse changed since it
    last ran (``catalog_pending_labels``, read through ``staged`` so a label_reuse written in
    the same staging is seen); the full stage plus a fresh order and index when ``full``,
    when reuse ran in full, without state, or when the threshold changed."""
    threshold = rules.similarity_threshold
    fps = staged.read(spark, "track_fingerprints")
    reuse = staged.read(spark, "label_reuse")
    meta = _meta(spark, staged) if staged.exists(spark, META) else None
    have_index = all(warehouse.exists(spark, t) for t in ("label_similarity", ORDER, INDEX))
    if (full or meta is None or meta["similarity_full"] or not have_index
            or meta["threshold"] != repr(float(threshold))):
        sets = flagged_label_sets(fps, reuse).cache()
        try:
            staged.write_table(label_similarity(sets, threshold), "label_similarity")
            order = token_order(sets)
            staged.write_table(order, ORDER)
            staged.write_table(index_sets(sets, staged.read(spark, ORDER), threshold), INDEX)
            entries = staged.read(spark, INDEX).count()
        finally:
            sets.unpersist()
        staged.write_table(spark.createDataFrame([], "label_id string"), PENDING)
        _write_meta(spark, staged, repr(float(threshold)), entries, 0, False)
        return {"mode": "full", "touched_labels": None, "rebuilt": True}
    touched = staged.read(spark, PENDING).distinct().cache()
    try:
        n_touched = touched.count()
        mine = fps.join(F.broadcast(touched), "label_id", "left_semi")
        sets = flagged_label_sets(mine, reuse.join(F.broadcast(touched), "label_id", "left_semi"))
        order = warehouse.read(spark, ORDER)
        new_index = index_sets(sets, order, threshold).cache()
        unseen = new_index.join(order, "fingerprint", "left_anti").count()
        index = merge_by_label(warehouse.read(spark, INDEX), new_index, touched)
        unseen_total = int(meta["unseen_entries"]) + unseen
        entries = int(meta["index_entries"])
        rebuilt = unseen_total > max_order_drift * max(entries, 1)
        if rebuilt:  # the order drifted: rebuild it and the index from the current flagged sets
            all_sets = index.select("label_id", "fingerprint")
            staged.write_table(token_order(all_sets), ORDER)
            staged.write_table(index_sets(all_sets, staged.read(spark, ORDER), threshold), INDEX)
            entries, unseen_total = staged.read(spark, INDEX).count(), 0
        else:
            staged.write_table(index, INDEX)
        index = staged.read(spark, INDEX)
        touched_index = index.join(F.broadcast(touched), "label_id", "left_semi")
        edges = pair_edges(touched_index, index, threshold)
        staged.write_table(merge_edges(warehouse.read(spark, "label_similarity"), edges, touched),
                           "label_similarity")
        staged.write_table(spark.createDataFrame([], "label_id string"), PENDING)
        _write_meta(spark, staged, repr(float(threshold)), entries, unseen_total, False)
        new_index.unpersist()
    finally:
        touched.unpersist()
    return {"mode": "increment", "touched_labels": n_touched, "rebuilt": rebuilt, "unseen_entries": unseen}
