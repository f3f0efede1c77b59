"""Daily increments equal the full recomputation, bit for bit, over several days: new days,
a re-landed day that moves tracks to another label, a day that unflags a label and a day of
unseen fingerprints that makes the frozen token order drift (the rebuild path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assets.catalog.detect import run_stage
from assets.catalog.fingerprint import track_fingerprints
from assets.catalog.increment import reuse_increment, similarity_increment
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
    # day 2: lf loses the copies to a new album set of lg (a second-day label)
    _label("d2", "lg", NET[:6], 2),
    # day 3: fresh vocabulary (unseen fingerprints) for ld and lg: the order drifts
    _label("d3", "ld", _titles("alpha beta gamma delta eps", 12), 2)
    + _label("d3", "lg", _titles("alpha beta gamma delta eps", 12), 3),
]
# day 1 re-landed: lf's tracks move to label lx, one album only (lx is not flagged)
RELANDED_1 = (_label("d1", "lb", NET[7:], 2) + _label("d1", "le", OTHER[6:], 2)
              + [(f"d1-lx-{i}", t, "lx-alb0", "lx") for i, t in enumerate(OTHER)])


def _rows(df) -> list[tuple]:
    return sorted(tuple(r) for r in df.collect())


def _land(spark, wh: Warehouse, day: int, rows) -> None:
    tracks = spark.createDataFrame(_tracks(day, rows), SCHEMA)
    key = (T0 + timedelta(days=day)).date().isoformat()
    wh.write_partitions(track_fingerprints(tracks, RULES), "track_fingerprints", "upload_date", [key])


def test_increment_equals_full_recomputation_over_days(spark, tmp_path):
    inc, full = Warehouse(uri=str(tmp_path / "inc")), Warehouse(uri=str(tmp_path / "full"))
    schedule = [(0, DAYS[0]), (1, DAYS[1]), (2, DAYS[2]), (1, RELANDED_1), (3, DAYS[3])]
    modes = []
    for day, rows in schedule:
        for wh in (inc, full):
            _land(spark, wh, day, rows)
        with inc.staged_writes() as staged:
            r = reuse_increment(spark, inc, staged, RULES)
            s = similarity_increment(spark, inc, staged, RULES, max_order_drift=0.3)
            staged.publish()
        modes.append((r["mode"], s["mode"], s["rebuilt"], r["touched_labels"]))
        for stage in ("label_reuse", "label_similarity"):
            run_stage(stage, spark, full, RULES)
        for table in ("label_reuse", "exempt_would_flag", "label_similarity"):
            assert _rows(inc.read(spark, table)) == _rows(full.read(spark, table)), (day, table)
    edges = _rows(full.read(spark, "label_similarity"))
    assert edges, "the scenario must have similarity edges"
    assert modes[0][:2] == ("full", "full")
    assert all(m[:2] == ("increment", "increment") for m in modes[1:])
    # only the labels of the changed day were recomputed (lb, le, lf; then lg; then lb, le, lf, lx)
    assert [m[3] for m in modes[1:4]] == [3, 1, 4]
    assert not any(m[2] for m in modes[1:4]) and modes[4][2], modes  # the drift day rebuilt the order
