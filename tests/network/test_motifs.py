"""Scenario: a motif significance profile compares an artist's network with randomised
networks that keep every account's follow counts AND its mutual (follow-back) pairs
(Milo's null model), which igraph's ``rewire`` does not.
"""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from assets.network.motifs import connected_counts, randomise, significance_profile
from assets.network.triads import CONNECTED_TRIADS, Dyads, census_from_dyads, to_dyads
from tests.network._graphs import digraph, random_graph, soundcloud


def degrees(d: Dyads) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, c = d.n, d.code
    out = np.bincount(d.u[c == 1], minlength=n) + np.bincount(d.v[c == 2], minlength=n)
    inn = np.bincount(d.u[c == 2], minlength=n) + np.bincount(d.v[c == 1], minlength=n)
    mut = np.bincount(d.u[c == 3], minlength=n) + np.bincount(d.v[c == 3], minlength=n)
    return out, inn, mut


def keys(d: Dyads) -> np.ndarray:
    return np.sort(d.u * d.n + d.v)


@pytest.mark.parametrize("bitmap", [64 << 20, 0])
@pytest.mark.parametrize("graph", ["soundcloud", "random"])
def test_randomise_keeps_degrees_and_mutual_pairs(graph, bitmap):
    s, d = soundcloud() if graph == "soundcloud" else random_graph(np.random.default_rng(1), 300, 3000, 0.3)
    dy = to_dyads(s, d)
    r = randomise(dy, np.random.default_rng(0), 10, max_bitmap_bytes=bitmap)
    for a, b in zip(degrees(dy), degrees(r), strict=True):
        assert (a == b).all()
    assert (r.u < r.v).all()  # no self-loop, canonical order
    k = keys(r)
    assert len(np.unique(k)) == len(k)  # no dyad twice (no multi-edge, no new mutual pair)
    assert int((r.code == 3).sum()) == int((dy.code == 3).sum())
    changed = 1 - len(np.intersect1d(keys(dy), k)) / len(k)
    assert changed > 0.5


def test_byte_bit_and_sorted_indexes_take_the_same_switches():
    dy = to_dyads(*random_graph(np.random.default_rng(2), 200, 2500, 0.25))
    a = randomise(dy, np.random.default_rng(9), 5)  # a byte per pair
    for limit in (10_000, 0):  # a bit per pair (40,000 pairs), then sorted keys
        b = randomise(dy, np.random.default_rng(9), 5, max_bitmap_bytes=limit)
        assert (a.u == b.u).all() and (a.v == b.v).all() and (a.code == b.code).all()


def test_duplicate_new_dyads_are_all_rejected():
    from assets.network.motifs import _reject_duplicates

    k1 = np.array([5, 7, 9, 11, 5], dtype=np.int64)
    k2 = np.array([6, 8, 7, 12, 13], dtype=np.int64)
    for n in (10, 1 << 40):  # packed sort, then the argsort path for huge n
        ok = np.array([True, True, True, True, False])
        _reject_duplicates(ok, k1, k2, n)
        # 7 is created by proposals 1 and 2; proposal 4 (also 5) was already rejected
        assert ok.tolist() == [True, False, False, True, False]


def test_igraph_rewire_loses_mutual_pairs_ours_keeps_them():
    s, d = random_graph(np.random.default_rng(4), 300, 3000, 0.3)
    dy = to_dyads(s, d)
    g = ig.Graph(n=dy.n, directed=True)
    fwd, bwd = (dy.code & 1) > 0, (dy.code & 2) > 0
    g.add_edges(list(zip(np.r_[dy.u[fwd], dy.v[bwd]].tolist(), np.r_[dy.v[fwd], dy.u[bwd]].tolist(), strict=True)))
    before = int((dy.code == 3).sum())
    assert sum(g.is_mutual(loops=False)) // 2 == before
    g.rewire(n=10 * g.ecount())
    assert sum(g.is_mutual(loops=False)) // 2 < before * 0.7
    assert int((randomise(dy, np.random.default_rng(0)).code == 3).sum()) == before


def test_census_of_a_randomised_graph_equals_networkx():
    dy = to_dyads(*soundcloud())
    r = randomise(dy, np.random.default_rng(3))
    fwd, bwd = (r.code & 1) > 0, (r.code & 2) > 0
    s, d = np.r_[r.u[fwd], r.v[bwd]], np.r_[r.v[fwd], r.u[bwd]]
    theirs = nx.triadic_census(digraph(s, d, r.n))
    assert census_from_dyads(r) == theirs
    assert theirs != census_from_dyads(dy)


def test_feed_forward_loops_are_significant():
    rng = np.random.default_rng(6)
    s, d = random_graph(rng, 400, 2000, 0.05)
    # plant 150 feed-forward loops a->b, b->c, a->c on fresh nodes drawn from a pool
    a, b, c = (rng.integers(400, 700, 150) for _ in range(3))
    ok = (a != b) & (b != c) & (a != c)
    s = np.r_[s, a[ok], b[ok], a[ok]]
    d = np.r_[d, b[ok], c[ok], c[ok]]
    dy = to_dyads(s, d)
    z, sp, rand = significance_profile(dy, 20, seed=0)
    assert z["030T"] > 3 and sp["030T"] > 0.3
    real = connected_counts(dy)
    mean, std = rand.mean(0), rand.std(0, ddof=1)
    for i, t in enumerate(CONNECTED_TRIADS):
        if std[i] > 0:
            assert z[t] == pytest.approx((real[i] - mean[i]) / std[i])
        else:
            assert np.isnan(z[t])


def test_profile_does_not_depend_on_worker_count():
    dy = to_dyads(*soundcloud())
    z1, sp1, r1 = significance_profile(dy, 6, seed=[3, 4])
    z2, sp2, r2 = significance_profile(dy, 6, seed=[3, 4], workers=2)
    assert (r1 == r2).all()
    assert np.allclose([z1[t] for t in CONNECTED_TRIADS], [z2[t] for t in CONNECTED_TRIADS], equal_nan=True)
