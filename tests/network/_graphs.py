"""Shared inputs for the network tests: the real graphs of shared/fixtures/real as arrays."""

from __future__ import annotations

import os
import re

import networkx as nx
import numpy as np

REAL = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures", "real"))


def dolphins() -> tuple[np.ndarray, np.ndarray]:
    """Lusseau's dolphins, each undirected edge as one arc source -> target (file order)."""
    text = open(os.path.join(REAL, "dolphins.gml"), encoding="utf-8").read()
    pairs = re.findall(r"source\s+(\d+)\s+target\s+(\d+)", text)
    arr = np.array(pairs, dtype=np.int64)
    assert len(arr) == 159
    return arr[:, 0], arr[:, 1]


def soundcloud() -> tuple[np.ndarray, np.ndarray]:
    """kansuke231's SoundCloud edge list `a b weight` as arcs a -> b (weights ignored)."""
    ids: dict[str, int] = {}
    src, dst = [], []
    for line in open(os.path.join(REAL, "soundcloud_kansuke231_edge_list1.txt"), encoding="utf-8"):
        parts = line.split()
        if len(parts) < 2:
            continue
        src.append(ids.setdefault(parts[0], len(ids)))
        dst.append(ids.setdefault(parts[1], len(ids)))
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)


def wiki_vote() -> tuple[np.ndarray, np.ndarray]:
    e = np.loadtxt(os.path.join(REAL, "Wiki-Vote.txt"), dtype=np.int64, comments="#")
    return e[:, 0], e[:, 1]


def random_graph(rng: np.random.Generator, n: int, m: int, mutual: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Random arcs with duplicates, self-loops and a share of reciprocated arcs."""
    s = rng.integers(0, n, m)
    d = rng.integers(0, n, m)
    r = rng.random(m) < mutual
    return np.concatenate([s, d[r]]), np.concatenate([d, s[r]])


def digraph(src: np.ndarray, dst: np.ndarray, n: int | None = None) -> nx.DiGraph:
    g = nx.DiGraph()
    if n is not None:
        g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return g
