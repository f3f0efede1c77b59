"""Label similarity over AUDIO identities, and the networks of title and audio edges.

An audio identity is a connected component of ``audio_matches`` (tracks that are copies
of one recording, however re-encoded, trimmed or sped up; ``audio_match.py``), named by
its smallest track id; a track without a match is an identity of its own. A label's audio
set is the set of identities of its tracks. ``label_audio_similarity`` is the exact
Jaccard of those sets between labels, by the same prefix-filtered self-join as the title
graph (``similarity.label_similarity``: exact integer threshold, equal to brute force).

Only labels with a track matched to ANOTHER label's track can share an identity with
anyone, so only their sets enter the join (a label whose copies are all its own, a
compilation or remaster of its own master, has no audio edge: not fraud on its own).

``network_edges`` unions the title edges (``label_similarity``) and the audio edges with
an ``evidence`` column ("title" / "audio"); ``fraud_networks`` over it gives components of
the union, and ``network_evidence`` says which evidence joined each network.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from assets.catalog.components import connected_components
from assets.catalog.similarity import OUTPUT_COLUMNS, label_similarity

DEFAULT_AUDIO_THRESHOLD = 0.8  # as the title graph's default (catalog_rules.similarity_threshold)


def audio_identities(tracks_df: DataFrame, matches_df: DataFrame) -> DataFrame:
    """(track_id, label_id, identity) for every track of ``tracks_df`` (track_id,
    label_id): identity = the smallest track id of its component in ``matches_df``
    (track_a, track_b), its own id without a match."""
    edges = matches_df.select(F.col("track_a").alias("src"), F.col("track_b").alias("dst"))
    comps = connected_components(edges).select(F.col("node").alias("track_id"), F.col("component").alias("identity"))
    return (tracks_df.select("track_id", "label_id").distinct()
            .join(comps, "track_id", "left")
            .select("track_id", "label_id", F.coalesce("identity", "track_id").alias("identity")))


def label_audio_sets(identities_df: DataFrame, matches_df: DataFrame) -> DataFrame:
    """(label_id, fingerprint) with fingerprint = "audio:<identity>", for the labels with a
    track matched to another label's track (the only ones that can share an identity)."""
    cross = matches_df.where(F.col("label_a") != F.col("label_b"))
    labels = (cross.select(F.col("label_a").alias("label_id"))
              .unionByName(cross.select(F.col("label_b").alias("label_id"))).distinct())
    return (identities_df.join(labels, "label_id", "left_semi")
            .select("label_id", F.concat(F.lit("audio:"), F.col("identity").cast("string")).alias("fingerprint"))
            .distinct())


def label_audio_similarity(tracks_df: DataFrame, matches_df: DataFrame,
                           threshold: float = DEFAULT_AUDIO_THRESHOLD) -> DataFrame:
    """(label_a < label_b, shared, size_a, size_b, jaccard): exact Jaccard >= ``threshold``
    of the labels' audio identity sets (sizes count identities, not tracks)."""
    sets = label_audio_sets(audio_identities(tracks_df, matches_df), matches_df)
    return label_similarity(sets, threshold).select(*OUTPUT_COLUMNS)


def network_edges(title_df: DataFrame, audio_df: DataFrame | None) -> DataFrame:
    """(label_a, label_b, jaccard, evidence) of both graphs; a pair in both appears twice,
    once per evidence."""
    title = title_df.select("label_a", "label_b", "jaccard", F.lit("title").alias("evidence"))
    if audio_df is None:
        return title
    return title.unionByName(audio_df.select("label_a", "label_b", "jaccard", F.lit("audio").alias("evidence")))


def network_evidence(networks_df: DataFrame, edges_df: DataFrame) -> DataFrame:
    """(network_id, evidence: sorted distinct kinds of its edges, title_edges, audio_edges)."""
    members = networks_df.select("network_id", F.col("label_id").alias("label_a"))
    return (edges_df.join(members, "label_a")
            .groupBy("network_id")
            .agg(F.array_sort(F.collect_set("evidence")).alias("evidence"),
                 F.sum((F.col("evidence") == "title").cast("long")).alias("title_edges"),
                 F.sum((F.col("evidence") == "audio").cast("long")).alias("audio_edges")))
