"""Daily increments equal the full recomputation, bit for bit, over several landings: the
first (a full run), two new days one of which brings unseen fingerprints that make the
frozen token order drift (the rebuild path), a re-landed day that moves tracks to another
label landed together with a new day (an increment on the rebuilt order), and a run with
nothing new. The full recomputation is the chain's own transforms (``run_stage``'s) over
the same track_fingerprints. Small on purpose (one warehouse, ~150 tracks, 3 landings that
compute): the increment's cost is its number of Spark jobs, not its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assets.catalog.fingerprint import track_fingerprints
from assets.catalog.increment import reuse_increment, similarity_increment
from assets.catalog.label_reuse import exempt_would_flag, label_reuse, reuse_stats
from assets.catalog.similarity import flagged_label_sets, label_similarity
from resources.catalog_contract import CatalogRules
from resources.warehouse import Warehouse
from tests.catalog.catalogs import SCHEMA

RULES = CatalogRules(min_reused_fingerprints=3, min_reuse_ratio=0.3, similarity_threshold=0.6)
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def _tracks(day: int, rows: list[tuple[str, str, str, str]]) -> list[tuple]:
    at = T0 + timedelta(days=day)
    return [(tid, title, album, label, label.upper(), "Indie", "Ambient", "music", at)
            for tid, title, album, label in rows]


def _label(prefix: str, label: str, titles: list[str], albums: int) -> list[tuple[str, str, str, str]]:
    return [(f"{prefix}-{label}-{a}-{i}", t, f"{label}-alb{a}", label)
            for a in range(albums) for i, t in enumerate(titles)]


def _titles(words: str, n: int) -> list[str]:
    w = words.split()
    return [f"{w[i % len(w)]} {w[(i * 3 + 1) % len(w)]} n{i}" for i in range(n)]


NET = _titles("rain sleep ocean calm deep forest", 8)
OTHER = _titles("piano soft white noise dream", 8)
DAYS = [
    # day 0: a network of three labels on NET, two labels on OTHER, an honest label
    _label("d0", "la", NET, 2) + _label("d0", "lb", NET[:7], 2) + _label("d0", "lc", NET, 2)
    + _label("d0", "ld", OTHER, 2) + _label("d0", "le", OTHER[:6], 2)
    + [("d0-h1", "one song here", "h-a", "lh"), ("d0-h2", "another song", "h-a", "lh")],
    # day 1: lb completes NET; le grows; a new label lf copies OTHER
    _label("d1", "lb", NET[7:], 2) + _label("d1", "le", OTHER[6:], 2) + _label("d1", "lf", OTHER, 2),
    # day 2: a new label lg copies part of NET
    _label("d2", "lg", NET[:6], 2),
    # day 3: fresh vocabulary (unseen fingerprints) for ld and lg: the order drifts
    _label("d3", "ld", _titles("alpha beta gamma delta eps", 12), 2)
    + _label("d3", "lg", _titles("alpha beta gamma delta eps", 12), 3),
]
# day 1 re-landed: lf's tracks move to label lx, one album only (lx is not flagged)
RELANDED_1 = (_label("d1", "lb", NET[7:], 2) + _label("d1", "le", OTHER[6:], 2)
              + [(f"d1-lx-{i}", t, "lx-alb0", "lx") for i, t in enumerate(OTHER)])


def rows_of(df) -> list[tuple]:
    return sorted(tuple(r) for r in df.collect())


def _land(spark, wh: Warehouse, days: list[tuple[int, list]]) -> None:
    rows = [t for day, r in days for t in _tracks(day, r)]
    keys = [(T0 + timedelta(days=day)).date().isoformat() for day, _ in days]
    tracks = spark.createDataFrame(rows, SCHEMA)
    wh.write_partitions(track_fingerprints(tracks, RULES), "track_fingerprints", "upload_date", keys)


def full_recomputation(spark, wh: Warehouse, rules: CatalogRules = RULES) -> dict[str, list[tuple]]:
    """The full recomputation over every day (the transforms ``run_stage`` runs), sorted rows."""
    fps = wh.read(spark, "track_fingerprints")
    stats = reuse_stats(fps, rules).cache()
    reuse = label_reuse(fps, rules, stats=stats)
    out = {"label_reuse": rows_of(reuse), "exempt_would_flag": rows_of(exempt_would_flag(fps, rules, stats=stats)),
           "label_similarity": rows_of(label_similarity(flagged_label_sets(fps, reuse), rules.similarity_threshold))}
    stats.unpersist()
    return out


@pytest.mark.integration
def test_increment_equals_full_recomputation_over_days(spark, tmp_path):
    wh = Warehouse(uri=str(tmp_path / "wh"))
    schedule = [[(0, DAYS[0])], [(1, DAYS[1]), (3, DAYS[3])], [(1, RELANDED_1), (2, DAYS[2])], []]
    figures = []
    for landing in schedule:
        if landing:
            _land(spark, wh, landing)
        with wh.staged_writes() as staged:
            r = reuse_increment(spark, wh, staged, RULES, sample=10)
            s = similarity_increment(spark, wh, staged, RULES, max_order_drift=0.3)
            written = set(staged.staged)
            staged.publish()
        figures.append((r, s))
        if not landing:  # nothing landed: nothing rewritten (the tables equal the full result already)
            assert written == set(), written
            continue
        full = full_recomputation(spark, wh)
        for table, rows in full.items():
            assert rows_of(wh.read(spark, table)) == rows, (landing and landing[0][0], table)
    assert full["label_similarity"], "the scenario must have similarity edges"
    modes = [(r["mode"], s["mode"], s["rebuilt"]) for r, s in figures]
    assert modes[0] == ("full", "full", True)
    assert all(m[:2] == ("increment", "increment") for m in modes[1:]), modes
    # only the labels of the changed days were recomputed: days 1 (lb, le, lf) and 3 (ld, lg);
    # day 1 again, as landed before and now (lb, le, lf, lx), with day 2 (lg); nothing
    assert [(r["days"], r["touched_labels"], r["touched_sample"]) for r, _ in figures[1:]] == [
        (["2024-03-02", "2024-03-04"], 5, ["lb", "ld", "le", "lf", "lg"]),
        (["2024-03-02", "2024-03-03"], 5, ["lb", "le", "lf", "lg", "lx"]),
        ([], 0, []),
    ]
    assert [s["touched_labels"] for _, s in figures[1:]] == [5, 5, 0]
    assert modes[1][2] and not modes[2][2], modes  # the drift rebuilt the order; the next day did not
