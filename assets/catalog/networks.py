"""Fraud networks (connected components of the similarity graph) and their summaries.

``fraud_networks``: every label with at least one similarity edge, with ``network_id`` =
the smallest label id of its component (so every network has >= 2 labels; a flagged label
with no edge is in no network), equal to ``reference.fraud_networks``.

``network_summary``, one row per network:

* ``labels``, ``edges``, ``avg_similarity``, ``min_similarity`` from the edges inside it
  (every edge is inside one network); ``member_labels``: sorted label ids. ``edges``
  counts the linked label pairs (by title, audio or both); ``avg_similarity`` and
  ``min_similarity`` are over the TITLE edges (null for a network joined by audio alone).
* ``evidence``: which evidence joined the network: ``title`` (title Jaccard edges only),
  ``audio`` (audio-identity edges only, ``audio_similarity.py``) or ``both``;
  ``title_edges``, ``audio_edges``: the edges of each kind. Without audio edges every
  network is ``title`` and every other column is what the title graph alone gives.
* Track-level figures use the member labels' *eligible* tracks, the tracks the network was
  detected on (decision: exempt-genre, short-title or non-music tracks of a member do not
  count): ``tracks``; ``top_titles``: up to 5 fingerprints held by the most member labels
  (ties by fingerprint), with ``top_titles_labels`` the number of member labels holding
  each; ``dominant_genre``: the most common genre, compared and reported in the
  normalised form used for exemption matching (stripped, case-folded: "Ambient" and
  "ambient " are one genre), ties by the smallest string, null when no track has one;
  ``upload_synchrony``: share of the member tracks with an upload time that fall in a UTC
  clock hour in which another member label also uploaded (tracks without ``uploaded_at`` are left out of the share;
  null when no track has one); ``upload_synchrony_p``: the p-value of that share against a
  week-cyclic null that keeps each label's own hour-of-week rhythm and active weeks
  (``synchrony.py``; small = the labels upload together more than their rhythms explain),
  with ``synchrony_null_share`` the share the null expects and ``synchrony_sessions`` the
  (label, clock hour) upload sessions tested.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from assets.catalog.audio_similarity import network_edges, network_evidence
from assets.catalog.components import connected_components
from assets.catalog.fingerprint import normalized_column
from assets.catalog.synchrony import DEFAULT_PERMUTATIONS, upload_synchrony_tests

TOP_TITLES = 5


def fraud_networks(
    similarity_df: DataFrame, *, checkpoint_every: int = 4, stats: dict | None = None
) -> DataFrame:
    """(network_id, label_id) from label edges (label_a, label_b): ``label_similarity``, or
    the union of title and audio edges (``audio_similarity.network_edges``)."""
    edges = similarity_df.select(F.col("label_a").alias("src"), F.col("label_b").alias("dst"))
    comps = connected_components(edges, checkpoint_every=checkpoint_every, stats=stats)
    return comps.select(F.col("component").alias("network_id"), F.col("node").alias("label_id"))


def network_summary(
    networks_df: DataFrame,
    similarity_df: DataFrame,
    fingerprints_df: DataFrame,
    *,
    audio_similarity_df: DataFrame | None = None,
    top_n: int = TOP_TITLES,
    synchrony_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> DataFrame:
    """One row per network: network_id, labels, edges, avg_similarity, min_similarity,
    top_titles, dominant_genre, upload_synchrony, member_labels, tracks, top_titles_labels,
    upload_synchrony_p, synchrony_null_share, synchrony_sessions, evidence, title_edges,
    audio_edges. ``audio_similarity_df``: label_audio_similarity (None: title edges only)."""
    members = networks_df.select("network_id", "label_id")
    labels = members.groupBy("network_id").agg(
        F.count(F.lit(1)).alias("labels"),
        F.array_sort(F.collect_list("label_id")).alias("member_labels"),
    )
    edge_stats = (
        similarity_df.join(members.withColumnRenamed("label_id", "label_a"), "label_a")
        .groupBy("network_id")
        .agg(
            F.avg("jaccard").alias("avg_similarity"),
            F.min("jaccard").alias("min_similarity"),
        )
    )
    all_edges = network_edges(similarity_df, audio_similarity_df)
    evidence = network_evidence(networks_df, all_edges).join(
        all_edges.join(members.withColumnRenamed("label_id", "label_a"), "label_a")
        .select("network_id", "label_a", "label_b").distinct()
        .groupBy("network_id").agg(F.count(F.lit(1)).alias("edges")), "network_id")
    evidence = evidence.select(
        "network_id", "edges", "title_edges", "audio_edges",
        F.when(F.size("evidence") == 2, F.lit("both")).otherwise(F.col("evidence")[0]).alias("evidence"))
    tracks = (
        fingerprints_df.filter(F.col("eligible"))
        .select("label_id", "fingerprint", "genre", "upload_hour")
        .join(F.broadcast(members), "label_id")
    )

    fp_labels = tracks.groupBy("network_id", "fingerprint").agg(
        F.countDistinct("label_id").alias("n")
    )
    rank = Window.partitionBy("network_id").orderBy(F.col("n").desc(), F.col("fingerprint").asc())
    top = (
        fp_labels.withColumn("r", F.row_number().over(rank))
        .where(F.col("r") <= top_n)
        .groupBy("network_id")
        .agg(F.array_sort(F.collect_list(F.struct("r", "fingerprint", "n"))).alias("top"))
        .select(
            "network_id",
            F.col("top.fingerprint").alias("top_titles"),
            F.col("top.n").alias("top_titles_labels"),
        )
    )

    genre_rank = Window.partitionBy("network_id").orderBy(F.col("n").desc(), F.col("genre").asc())
    genre = (
        tracks.withColumn("genre", normalized_column("genre"))
        .where(F.col("genre") != F.lit(""))
        .groupBy("network_id", "genre")
        .agg(F.count(F.lit(1)).alias("n"))
        .withColumn("r", F.row_number().over(genre_rank))
        .where(F.col("r") == 1)
        .select("network_id", F.col("genre").alias("dominant_genre"))
    )

    per_hour = (
        tracks.where(F.col("upload_hour").isNotNull())
        .groupBy("network_id", "upload_hour")
        .agg(
            F.countDistinct("label_id").alias("hour_labels"), F.count(F.lit(1)).alias("hour_tracks")
        )
    )
    synchrony = per_hour.groupBy("network_id").agg(
        (
            F.sum(F.when(F.col("hour_labels") >= 2, F.col("hour_tracks")).otherwise(F.lit(0))).cast(
                "double"
            )
            / F.sum("hour_tracks").cast("double")
        ).alias("upload_synchrony")
    )
    track_counts = tracks.groupBy("network_id").agg(F.count(F.lit(1)).alias("tracks"))
    sync_test = upload_synchrony_tests(tracks, synchrony_permutations, seed)

    return (
        labels.join(edge_stats, "network_id", "left")
        .join(evidence, "network_id", "left")
        .join(top, "network_id", "left")
        .join(genre, "network_id", "left")
        .join(synchrony, "network_id", "left")
        .join(track_counts, "network_id", "left")
        .join(sync_test, "network_id", "left")
        .select(
            "network_id",
            "labels",
            F.coalesce(F.col("edges"), F.lit(0)).alias("edges"),
            "avg_similarity",
            "min_similarity",
            "top_titles",
            "dominant_genre",
            "upload_synchrony",
            "member_labels",
            F.coalesce(F.col("tracks"), F.lit(0)).alias("tracks"),
            "top_titles_labels",
            "upload_synchrony_p",
            "synchrony_null_share",
            F.coalesce(F.col("synchrony_sessions"), F.lit(0)).alias("synchrony_sessions"),
            "evidence",
            F.coalesce(F.col("title_edges"), F.lit(0)).alias("title_edges"),
            F.coalesce(F.col("audio_edges"), F.lit(0)).alias("audio_edges"),
        )
    )
