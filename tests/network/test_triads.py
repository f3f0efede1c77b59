"""Scenario: an analyst counts the 16 directed triad types of follow graphs.

The vectorised census must equal networkx's ``triadic_census`` exactly on random graphs
with duplicates, self-loops and isolated nodes, on the real dolphins and SoundCloud graphs
and on a core of Wiki-Vote (the benchmark compares all of Wiki-Vote with networkx, which
needs over a minute there).
"""

from __future__ import annotations

from math import comb

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.network.triads import (
    TRIAD_NAMES,
    KeySet,
    relabel,
    to_dyads,
    triad_census,
    triangle_tricodes,
)
from tests.network._graphs import digraph, dolphins, random_graph, soundcloud, wiki_vote


def test_random_graphs_equal_networkx():
    rng = np.random.default_rng(7)
    for _ in range(150):
        n = int(rng.integers(1, 40))
        s, d = random_graph(rng, n, int(rng.integers(1, 200)), mutual=float(rng.random()))
        extra = int(rng.integers(0, 5))  # isolated nodes
        assert triad_census(s, d, n=n + extra) == nx.triadic_census(digraph(s, d, n + extra))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1, max_size=80))
def test_any_small_graph_equals_networkx(edges):
    s = np.array([e[0] for e in edges], dtype=np.int64) * 1000 + 5  # sparse, non-compact ids
    d = np.array([e[1] for e in edges], dtype=np.int64) * 1000 + 5
    assert triad_census(s, d) == nx.triadic_census(digraph(s, d))


@pytest.mark.parametrize("graph", [dolphins, soundcloud])
def test_real_graphs_equal_networkx(graph):
    s, d = graph()
    ours = triad_census(s, d)
    assert ours == nx.triadic_census(digraph(s, d))
    assert sum(ours.values()) == comb(len(np.union1d(s, d)), 3)


def test_wiki_vote_core_equals_networkx():
    # networkx needs over a minute on all of Wiki-Vote (the benchmark compares it there);
    # the subgraph induced by its 800 lowest ids has 7,053 arcs and every triad type
    s, d = wiki_vote()
    k = (s < 800) & (d < 800)
    ours = triad_census(s[k], d[k])
    assert ours == nx.triadic_census(digraph(s[k], d[k]))
    assert min(ours.values()) > 0


def test_chunked_and_hashed_wedge_join_equal_one_dense_pass():
    rng = np.random.default_rng(3)
    s, d = random_graph(rng, 300, 4000, mutual=0.3)
    dy = to_dyads(s, d)
    whole, per_whole = triangle_tricodes(dy.n, dy.u, dy.v, dy.code, per_node=True, max_dense_bytes=1 << 20)
    parts, per_parts = triangle_tricodes(dy.n, dy.u, dy.v, dy.code, per_node=True, chunk=17)
    hashed, per_hashed = triangle_tricodes(dy.n, dy.u, dy.v, dy.code, per_node=True, max_dense_bytes=0)
    assert whole.sum() > 100
    assert (whole == parts).all() and (per_whole == per_parts).all()
    assert (whole == hashed).all() and (per_whole == per_hashed).all()
    assert per_whole.sum() == 3 * whole.sum()


def test_keyset_finds_positions_and_misses():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 1 << 50, 50_000))
    rng.shuffle(keys)
    ks = KeySet(keys)
    q = np.concatenate([keys, keys[:10] + (1 << 51), np.array([0], dtype=np.int64)])
    found = ks.find(q)
    assert (found[: len(keys)] == np.arange(len(keys))).all()
    assert (found[len(keys) :] == -1).all() or (0 in keys)


def test_relabel_dense_and_sparse_paths_agree():
    ids = np.array([5, 3, 5, 9, 3, 100], dtype=np.int64)
    labels, inv = relabel(ids)
    assert labels.tolist() == [3, 5, 9, 100] and (labels[inv] == ids).all()
    big = ids * (1 << 40)
    labels, inv = relabel(big)
    assert (labels[inv] == big).all() and len(labels) == 4


def test_edge_cases():
    empty = np.zeros(0, dtype=np.int64)
    assert triad_census(empty, empty) == dict.fromkeys(TRIAD_NAMES, 0)
    assert triad_census([1], [1]) == nx.triadic_census(digraph(np.array([1]), np.array([1])))
    assert triad_census([1, 2], [2, 1], n=4)["102"] == 2
    with pytest.raises(ValueError):
        triad_census([1, 2, 3], [2, 3, 1], n=2)
