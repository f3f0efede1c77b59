"""fraud_networks + network_summary (via detect) on a small handcrafted catalog.

Scenario (default rules: 10 reused fingerprints, ratio 0.3, Jaccard 0.8):
* network a1: a1 and a2 publish the same 12-title master library M twice (Jaccard 1.0),
  a3 publishes M plus 2 titles of its own (12/14 with each); a1 and a2 upload in the same
  UTC hour, a3 days later. a1 also has short one-word titles (excluded).
* network b1: b1 publishes a 10-title library N twice, b2 publishes N plus 1 (10/11); b2's
  first album goes up in b1's hour, its second two hours later.
* look-alikes that must stay out: c1 (8 of M + 4 own: flagged, Jaccard 0.5 with a1),
  k1 (M + N as Classical: exempt, reported by exempt_would_flag), u1 (M via a major
  distributor), p1 (M as podcasts), n1 (honest label, no reuse).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assets.catalog.detect import detect
from tests.catalog import reference as ref

from .catalogs import to_df

M = [f"{a} {b}" for a in ("rain", "ocean", "forest", "night") for b in ("calm", "deep", "soft")]
N = [f"{a} {b}" for a in ("piano", "guitar") for b in ("dream", "lullaby", "sky", "moon", "star")]
DAY = datetime(2024, 1, 1, tzinfo=UTC)


def build_catalog() -> list[dict]:
    tracks: list[dict] = []

    def add(label, titles, album, start, genre="Ambient", distributor="Indie", content="music"):
        for i, title in enumerate(titles):
            tracks.append(
                dict(
                    track_id=f"t{len(tracks)}",
                    title=title,
                    album_id=f"{label}-{album}",
                    label_id=label,
                    label_name=label.upper(),
                    distributor=distributor,
                    genre=genre,
                    content_type=content,
                    uploaded_at=start + timedelta(minutes=2 * i),
                )
            )

    for album in ("x", "y"):
        add("a1", [t.upper() for t in M] + ["Rain"], album, DAY + timedelta(hours=10))
        add(
            "a2",
            [", ".join(reversed(t.split())) for t in M],
            album,
            DAY + timedelta(hours=10, minutes=5),
            "ambient ",
        )
        add(
            "a3",
            M + ["sleep extra", "extra dreams"],
            album,
            DAY + timedelta(days=2, hours=15),
            "Sleep",
        )
        add(
            "c1",
            M[:8] + [f"c1 own {k}" for k in range(4)],
            album,
            DAY + timedelta(hours=10),
            "Ambient",
        )
        add("k1", M + N, album, DAY + timedelta(hours=10), "Classical")
        add("u1", M, album, DAY + timedelta(hours=10), distributor="Universal Music Group")
        add("p1", M, album, DAY + timedelta(hours=10), content="Podcast")
        add("n1", [f"honest song {album} {k}" for k in range(20)], album, DAY)
    add("b1", N, "x", DAY + timedelta(days=31, hours=9), "Piano")
    add("b1", N, "y", DAY + timedelta(days=31, hours=9, minutes=30), "Piano")
    add("b2", N + ["bonus track"], "x", DAY + timedelta(days=31, hours=9, minutes=1), "Piano")
    add("b2", N + ["bonus track"], "y", DAY + timedelta(days=31, hours=11), "Piano")
    return tracks


@pytest.fixture(scope="module")
def tables(spark):
    tracks = build_catalog()
    out = detect(to_df(spark, tracks))
    return tracks, {name: df.collect() for name, df in out.items()}


def test_networks_are_the_planted_ones(tables):
    tracks, t = tables
    got = {r.label_id: r.network_id for r in t["fraud_networks"]}
    assert got == {"a1": "a1", "a2": "a1", "a3": "a1", "b1": "b1", "b2": "b1"}
    assert got == ref.fraud_networks(tracks)
    flagged = {r.label_id for r in t["label_reuse"] if r.flagged}
    assert flagged == {"a1", "a2", "a3", "b1", "b2", "c1"}
    assert {r.label_id for r in t["exempt_would_flag"]} == {"k1"}


def test_edges_equal_reference(tables):
    tracks, t = tables
    reuse = ref.label_reuse(tracks, ref.CatalogRules())
    sets = {lab: r.fingerprint_set for lab, r in reuse.items() if r.flagged}
    want = sorted(ref.similarity_edges(sets, 0.8))
    assert sorted(tuple(r) for r in t["label_similarity"]) == want
    assert [(a, b, s) for a, b, s, *_ in want] == [
        ("a1", "a2", 12),
        ("a1", "a3", 12),
        ("a2", "a3", 12),
        ("b1", "b2", 10),
    ]


def test_network_summary(tables):
    _, t = tables
    summary = {r.network_id: r for r in t["network_summary"]}
    assert set(summary) == {"a1", "b1"}
    a, b = summary["a1"], summary["b1"]
    assert (a.labels, a.edges, a.member_labels, a.tracks) == (3, 3, ["a1", "a2", "a3"], 76)
    assert a.avg_similarity == pytest.approx((1 + 2 * 12 / 14) / 3)
    assert a.min_similarity == 12 / 14
    assert a.top_titles == sorted(ref.fingerprint(x) for x in M)[:5]
    assert a.top_titles_labels == [3] * 5
    assert a.dominant_genre == "ambient"  # "Ambient" and "ambient " (48) beat "Sleep" (28)
    assert a.upload_synchrony == pytest.approx(48 / 76)  # a1 + a2 share hour 10; a3 alone
    assert (b.labels, b.edges, b.tracks) == (2, 1, 42)
    assert b.avg_similarity == b.min_similarity == 10 / 11
    assert b.top_titles == sorted(ref.fingerprint(x) for x in N)[:5]
    assert b.dominant_genre == "piano"
    assert b.upload_synchrony == pytest.approx(31 / 42)  # b1 20 + b2's first album 11


def test_fingerprint_table_contract_columns(tables):
    _, t = tables
    row = t["track_fingerprints"][0]
    for col in ("track_id", "label_id", "album_id", "fingerprint", "token_count", "upload_date"):
        assert col in row
    assert {r.exclusion_reason for r in t["track_fingerprints"]} == {
        None,
        "short_title",
        "exempt_genre",
        "major_distributor",
        "non_music",
    }
