"""FRAUDAR (Hooi et al., KDD 2016): camouflage-resistant dense blocks of a follow graph.

The bipartite graph has the followers as rows and the followed accounts as columns (an
account that both follows and is followed appears on both sides); duplicate follows count
once. Column j gets weight ``1 / log(indegree_j + c)``: following a popular account adds
little, so bots that also follow popular accounts (camouflage) cannot dilute their block.

Greedy peeling, as the reference code's ``fastGreedyDecreasing``: start from all rows and
columns; repeatedly remove the node whose removal loses the least weight (a row: the sum
of its remaining columns' weights; a column: its weight times its remaining rows), ties
broken rows first, then by lowest index; keep the prefix with the best density
``f(S) / |S|`` (f = weight of the edges inside S). The block is the set left at that
point. ``blocks > 1`` removes the block's edges and runs again with weights recomputed
from the remaining graph (the reference ``detectMultiple``).

Exactness: weights are held in fixed point (integers, ``2**32`` units per 1.0), so the
priority of a node is an exact integer whatever the order of updates; the greedy order is
then reproducible and equals a naive peeling that recomputes every priority at every step
(``naive_peeling``, O(n^2), used by the tests and the benchmark's baseline). The density
reported is the exact fixed-point score divided by ``2**32``.

Speed: one heap with lazy deletion; every edge triggers at most one priority update (when
its first endpoint is removed), so peeling is O(E log E). Adjacency and priorities are
built with numpy; the peeling loop itself runs in Python on plain lists.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from assets.network.triads import relabel, sorted_unique

SCALE = 1 << 32


@dataclass(frozen=True)
class Block:
    """A dense block: suspicious followers (rows), the accounts they follow (cols)."""

    rows: np.ndarray  # original follower ids
    cols: np.ndarray  # original followee ids
    score: float  # density f(S) / (|rows| + |cols|), in units of column weight
    edges: int  # follows inside the block
    row_degree: np.ndarray  # per row: followed cols inside the block (aligned with rows)


def column_weights(indegree: np.ndarray, c: float = 5.0) -> np.ndarray:
    """Fixed-point column weights ``round(2**32 / log(indegree + c))`` (int64)."""
    if c <= 1:
        raise ValueError(f"c must be > 1 so that log(indegree + c) > 0, got {c}")
    return np.rint(SCALE / np.log(indegree.astype(np.float64) + c)).astype(np.int64)


def _csr(keys: np.ndarray, vals: np.ndarray, size: int) -> tuple[list[int], list[int]]:
    order = np.argsort(keys, kind="stable")
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=indptr[1:])
    return indptr.tolist(), vals[order].tolist()


def peel(
    rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, weight: np.ndarray
) -> tuple[list[int], int, int, int]:
    """Greedy peeling of a bipartite graph with compact ids (no duplicate edges).

    ``weight[j]``: fixed-point weight of column j. Returns (removal order as node codes
    ``row i -> i``, ``col j -> n_rows + j``; number removed at the best prefix; best f;
    best size).
    """
    row_prio = np.zeros(n_rows, dtype=np.int64)
    np.add.at(row_prio, rows, weight[cols])
    col_cnt = np.bincount(cols, minlength=n_cols).astype(np.int64)
    rp = row_prio.tolist()
    cc = col_cnt.tolist()
    wl = weight.tolist()
    r_ptr, r_adj = _csr(rows, cols, n_rows)
    c_ptr, c_adj = _csr(cols, rows, n_cols)
    alive_r = [True] * n_rows
    alive_c = [True] * n_cols
    # heap entries: (priority, kind, index); kind 0 = row (wins ties), 1 = col
    heap = [(p, 0, i) for i, p in enumerate(rp)]
    heap += [(cc[j] * wl[j], 1, j) for j in range(n_cols)]
    heapq.heapify(heap)
    f = int(row_prio.sum())
    size = n_rows + n_cols
    best_f, best_size, best_k = f, size, 0
    order: list[int] = []
    pop, push = heapq.heappop, heapq.heappush
    left_r, left_c = n_rows, n_cols
    while left_r and left_c:
        p, kind, i = pop(heap)
        if kind == 0:
            if not alive_r[i] or rp[i] != p:
                continue
            alive_r[i] = False
            left_r -= 1
            f -= p
            order.append(i)
            for j in r_adj[r_ptr[i] : r_ptr[i + 1]]:
                if alive_c[j]:
                    cc[j] -= 1
                    push(heap, (cc[j] * wl[j], 1, j))
        else:
            if not alive_c[i] or cc[i] * wl[i] != p:
                continue
            alive_c[i] = False
            left_c -= 1
            f -= p
            order.append(n_rows + i)
            w = wl[i]
            for r in c_adj[c_ptr[i] : c_ptr[i + 1]]:
                if alive_r[r]:
                    rp[r] -= w
                    push(heap, (rp[r], 0, r))
        size -= 1
        # f / size > best_f / best_size, exactly
        if f * best_size > best_f * size:
            best_f, best_size, best_k = f, size, len(order)
    return order, best_k, best_f, best_size


def naive_peeling(
    rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, weight: np.ndarray
) -> tuple[list[int], int, int, int]:
    """The same greedy peeling, recomputing every priority from scratch at every step.

    O((n_rows + n_cols) * E): the reference for tests and the benchmark baseline.
    """
    edges = list(zip(rows.tolist(), cols.tolist(), strict=True))
    wl = weight.tolist()
    alive_r = set(range(n_rows))
    alive_c = set(range(n_cols))
    f = sum(wl[j] for _, j in edges)
    size = n_rows + n_cols
    best_f, best_size, best_k = f, size, 0
    order: list[int] = []
    while alive_r and alive_c:
        pr = dict.fromkeys(alive_r, 0)
        pc = dict.fromkeys(alive_c, 0)
        for i, j in edges:
            if i in alive_r and j in alive_c:
                pr[i] += wl[j]
                pc[j] += wl[j]
        cand = [(p, 0, i) for i, p in pr.items()] + [(p, 1, j) for j, p in pc.items()]
        p, kind, i = min(cand)
        f -= p
        size -= 1
        if kind == 0:
            alive_r.discard(i)
            order.append(i)
        else:
            alive_c.discard(i)
            order.append(n_rows + i)
        if f * best_size > best_f * size:
            best_f, best_size, best_k = f, size, len(order)
    return order, best_k, best_f, best_size


def fraudar(
    src: np.ndarray,
    dst: np.ndarray,
    *,
    c: float = 5.0,
    blocks: int = 1,
    min_rows: int = 1,
    column_indegree: np.ndarray | None = None,
) -> list[Block]:
    """The ``blocks`` densest camouflage-resistant blocks of the follow graph src -> dst.

    Returns blocks in detection order (each found after removing the previous blocks'
    edges); stops early when no edge is left or a block has fewer than ``min_rows`` rows.

    ``column_indegree`` (aligned with ``dst``): the in-degree of each edge's column in a
    larger graph that ``src -> dst`` is a part of (the peeled residual of
    ``blocks.find_blocks_spark``); weights then come from it, minus the edges of the blocks
    already removed, as if the greedy ran on the larger graph's weights. Default: counted
    from the (distinct) edges given.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.shape != dst.shape:
        raise ValueError("src and dst must have the same length")
    r_labels, r = relabel(src)
    c_labels, cl = relabel(dst)
    c_of_edge = cl
    key = sorted_unique(r * len(c_labels) + cl)  # duplicate follows count once
    r = key // max(len(c_labels), 1)
    cl = key % max(len(c_labels), 1)
    base = None
    if column_indegree is not None:
        base = np.zeros(len(c_labels), dtype=np.int64)
        base[c_of_edge] = np.asarray(column_indegree, dtype=np.int64)
    taken = np.zeros(len(c_labels), dtype=np.int64)  # per column: edges in blocks already found
    out: list[Block] = []
    for _ in range(blocks):
        if len(r) == 0:
            break
        # compact the ids of what is left
        ru, ri = relabel(r)
        cu, ci = relabel(cl)
        indeg = np.bincount(ci, minlength=len(cu)) if base is None else base[cu] - taken[cu]
        weight = column_weights(indeg, c)
        order, k, best_f, best_size = peel(ri, ci, len(ru), len(cu), weight)
        removed = np.asarray(order[:k], dtype=np.int64)
        keep_r = np.ones(len(ru), dtype=bool)
        keep_c = np.ones(len(cu), dtype=bool)
        keep_r[removed[removed < len(ru)]] = False
        keep_c[removed[removed >= len(ru)] - len(ru)] = False
        inside = keep_r[ri] & keep_c[ci]
        rows_in = np.flatnonzero(keep_r)
        row_deg = np.bincount(ri[inside], minlength=len(ru))[rows_in]
        if len(rows_in) < min_rows:
            break
        out.append(
            Block(
                rows=r_labels[ru[rows_in]],
                cols=c_labels[cu[np.flatnonzero(keep_c)]],
                score=best_f / best_size / SCALE,
                edges=int(inside.sum()),
                row_degree=row_deg,
            )
        )
        taken += np.bincount(cl[inside], minlength=len(c_labels))
        r, cl = r[~inside], cl[~inside]
    return out
