"""connected_components (large-star / small-star on DataFrames) against networkx.

Scenario: one edge list holding many graphs at once (random sparse and dense graphs, a
300-node chain with shuffled ids, a 300-leaf star whose centre is NOT the smallest id,
many disjoint pairs and triangles, duplicate and reversed edges, a self-loop), with string
ids whose order differs from numeric order; integer ids; and a 10,000-node path with
shuffled string ids, timed (min-label propagation would need 10,000 rounds; this needs
O(log^2 n)). Component = smallest node id, like reference.components.
"""

from __future__ import annotations

import random
import time

import networkx as nx

from assets.catalog.components import connected_components
from tests.catalog import reference as ref


def expected(edges) -> dict:
    g = nx.Graph()
    g.add_edges_from(edges)
    return {n: min(comp) for comp in nx.connected_components(g) for n in comp}


def run(spark, edges, schema="src string, dst string", **kw) -> dict:
    df = spark.createDataFrame(edges, schema)
    return {r.node: r.component for r in connected_components(df, **kw).collect()}


def mixed_graph(rnd: random.Random) -> list[tuple[str, str]]:
    edges = []

    def name(prefix, i):
        return f"{prefix}{i}"  # "g10" < "g9": string order is not numeric order

    for gi, (n, p) in enumerate([(60, 0.02), (60, 0.05), (40, 0.2), (120, 0.01)]):
        g = nx.gnp_random_graph(n, p, seed=rnd.randrange(10**6))
        edges += [(name(f"r{gi}-", a), name(f"r{gi}-", b)) for a, b in g.edges()]
    chain = [name("c", i) for i in range(300)]
    rnd.shuffle(chain)
    edges += list(zip(chain, chain[1:], strict=False))
    edges += [("star-m", name("star-", i)) for i in range(300)]  # centre "star-m" > "star-0"
    for i in range(50):
        edges += [(name("p", i), name("q", i))]
        edges += [(f"t{i}a", f"t{i}b"), (f"t{i}b", f"t{i}c"), (f"t{i}c", f"t{i}a")]
    edges += [(b, a) for a, b in rnd.sample(edges, 100)]  # reversed duplicates
    edges += rnd.sample(edges, 50)  # exact duplicates
    edges += [("loop", "loop")]
    rnd.shuffle(edges)
    return edges


def test_equals_networkx_on_mixed_graphs(spark):
    edges = mixed_graph(random.Random(3))
    stats = {}
    got = run(spark, edges, checkpoint_every=3, stats=stats)
    print(f"mixed graphs: {stats}")
    assert stats["checkpoints"] >= 1  # reliable checkpoints exercised
    assert got == expected(edges)
    assert got == ref.components([], edges)
    assert got["loop"] == "loop" and got["star-m"] == "star-0"


def test_integer_ids(spark):
    g = nx.gnm_random_graph(150, 140, seed=5)
    edges = [(a * 7919 % 1000, b * 7919 % 1000) for a, b in g.edges()]
    assert run(spark, edges, "src long, dst long") == expected(edges)


def test_empty_and_already_converged(spark):
    assert run(spark, []) == {}
    star = [("a", "b"), ("a", "c"), ("d", "e")]
    stats = {}
    assert run(spark, star, stats=stats) == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "d"}
    assert stats["rounds"] == 0


def test_ten_thousand_node_path(spark):
    ids = [f"L{i}" for i in range(10_000)]
    random.Random(11).shuffle(ids)
    edges = list(zip(ids, ids[1:], strict=False))
    stats = {}
    start = time.perf_counter()
    got = run(spark, edges, stats=stats)
    elapsed = time.perf_counter() - start
    print(f"10,000-node path: {elapsed:.1f} s, {stats}")
    assert len(got) == 10_000 and set(got.values()) == {min(ids)}
    assert stats["rounds"] <= 40
    assert elapsed < 60
