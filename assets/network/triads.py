"""Exact, vectorised directed triad census (the 16 triad types of Holland and Leinhardt).

Equals ``networkx.triadic_census`` exactly: multi-edges collapse to one arc and self-loops
are ignored (both censuses count each unordered node triple once, by the arcs between its
three distinct nodes). Isolated nodes only add to ``003``; pass ``n`` to include nodes
that have no edge.

How it is counted (no Python loop over nodes or edges):

* the graph is reduced to its *dyads* (unordered pairs with at least one arc, each
  asymmetric one way or the other, or mutual);
* triangles (triads whose three dyads are all connected: types 030T, 030C, 120D, 120U,
  120C, 210, 300) are listed by a degree-ordered wedge join: every dyad is oriented from
  the endpoint of lower (degree, id) rank to the higher, each node's forward neighbour
  pairs are generated in vectorised chunks and joined against the sorted dyad keys. A
  node's forward degree is at most sqrt(2m), so a hub of 30k followers costs nothing;
* open triads (two connected dyads: 021D, 021U, 021C, 111D, 111U, 201) are the wedges at
  their centre node, counted from per-node (out, in, mutual) neighbour counts, minus the
  wedges that are closed in a triangle (known from the triangle types);
* triads with one connected dyad (012, 102) are, per dyad, the nodes adjacent to neither
  endpoint: ``n - deg(u) - deg(v) + triangles(u, v)`` summed over dyads;
* ``003`` is the complement, ``C(n, 3)`` minus the rest (Python integers, no overflow).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

#: networkx's tricode table (Batagelj and Mrvar): 6-bit arc code -> triad type (1-based).
TRICODES = (
    1, 2, 2, 3, 2, 4, 6, 8, 2, 6, 5, 7, 3, 8, 7, 11, 2, 6, 4, 8, 5, 9, 9, 13, 6, 10, 9, 14,
    7, 14, 12, 15, 2, 5, 6, 7, 6, 9, 10, 14, 4, 9, 9, 12, 8, 13, 14, 15, 3, 7, 8, 11, 7, 12,
    14, 15, 8, 14, 13, 15, 11, 15, 15, 16,
)  # fmt: skip
#: The 16 triad types, in networkx's order.
TRIAD_NAMES = (
    "003", "012", "102", "021D", "021U", "021C", "111D", "111U",
    "030T", "030C", "201", "120D", "120U", "120C", "210", "300",
)  # fmt: skip
#: The 13 connected triad types (3-node motifs), in networkx's census order.
CONNECTED_TRIADS = TRIAD_NAMES[3:]

_CODE_TYPE = np.array([c - 1 for c in TRICODES], dtype=np.int64)  # tricode -> index into TRIAD_NAMES
_SWAP = np.array([0, 2, 1, 3], dtype=np.int64)  # a dyad code seen from the other endpoint


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tables derived from TRICODES, so no triad type is hand-classified.

    A dyad code seen from node x towards node y: 1 = x->y only, 2 = y->x only, 3 = mutual.
    A tricode for nodes (v, u, w) (networkx's ``_tricode``) is
    ``code(v,u) + 4 * code(v,w) + 16 * code(u,w)``.

    Returns
    -------
    wedge_type : (4, 4) int, type index of the open triad with centre c and dyads (a, b)
        from c's view (0 where a dyad is empty)
    closed : (64, 16) int, per tricode of a triangle, how many of its three centred wedges
        have each type
    asym, mutual : (64,) int, per tricode of a triangle, its asymmetric / mutual dyads
    """
    wedge_type = np.zeros((4, 4), dtype=np.int64)
    for a in range(1, 4):
        for b in range(1, 4):
            wedge_type[a, b] = _CODE_TYPE[a + 4 * b]
    closed = np.zeros((64, 16), dtype=np.int64)
    asym = np.zeros(64, dtype=np.int64)
    mutual = np.zeros(64, dtype=np.int64)
    for t in range(64):
        vu, vw, uw = t & 3, (t >> 2) & 3, (t >> 4) & 3
        if not (vu and vw and uw):
            continue
        closed[t, wedge_type[vu, vw]] += 1  # centre v
        closed[t, wedge_type[_SWAP[vu], uw]] += 1  # centre u
        closed[t, wedge_type[_SWAP[vw], _SWAP[uw]]] += 1  # centre w
        asym[t] = sum(1 for c in (vu, vw, uw) if c != 3)
        mutual[t] = 3 - asym[t]
    return wedge_type, closed, asym, mutual


_WEDGE_TYPE, _CLOSED, _ASYM, _MUTUAL = _build_tables()


@dataclass(frozen=True)
class Dyads:
    """A directed graph reduced to its connected dyads, on compact node ids 0..n-1.

    ``u < v`` per dyad; ``code`` 1 = u->v only, 2 = v->u only, 3 = mutual.
    ``labels[i]`` is the original id of compact node i (len(labels) <= n).
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    code: np.ndarray
    labels: np.ndarray

    @property
    def degree(self) -> np.ndarray:
        """Undirected simple degree (self-loops and duplicates ignored)."""
        return np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort; faster here than ``np.unique``'s hashing)."""
    x = np.sort(np.asarray(x))
    if len(x) == 0:
        return x
    return x[np.r_[True, x[1:] != x[:-1]]]


def relabel(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, inverse): sorted distinct ids and each id's position among them.

    Dense ids (span not much larger than their count) take an O(n) counting path;
    anything else sorts.
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"node ids must be integers, got {ids.dtype}")
    ids = ids.astype(np.int64, copy=False)
    if len(ids) == 0:
        return ids[:0], ids[:0]
    lo, hi = int(ids.min()), int(ids.max())
    span = hi - lo + 1
    if span <= 4 * len(ids) + 1024:
        present = np.zeros(span, dtype=bool)
        present[ids - lo] = True
        pos = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present) + lo, pos[ids - lo]
    labels = sorted_unique(ids)
    return labels, np.searchsorted(labels, ids)


def to_dyads(src: np.ndarray, dst: np.ndarray, n: int | None = None) -> Dyads:
    """Relabel node ids to 0..k-1 and collapse arcs into dyads (self-loops dropped).

    Every id in ``src``/``dst`` is a node (also one that only has a self-loop), as in a
    networkx DiGraph built from the edge list. ``n`` (optional) is the total node count,
    at least the number of distinct ids; the extra nodes are isolated.
    """
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError(f"src and dst must be 1-d arrays of equal length, got {src.shape} and {dst.shape}")
    labels, inv = relabel(np.concatenate([src, dst]))
    k = len(labels)
    if n is None:
        n = k
    elif n < k:
        raise ValueError(f"n={n} is smaller than the {k} distinct node ids in the edges")
    s = inv[: len(src)]
    d = inv[len(src) :]
    keep = s != d
    s, d = s[keep], d[keep]
    lo = np.minimum(s, d)
    hi = np.maximum(s, d)
    nn = np.int64(max(n, 1))
    # packed (dyad key, direction bit): one plain sort instead of an argsort
    packed = sorted_unique((lo * nn + hi) * 2 + (s > d))
    key = packed >> 1
    bit = (packed & 1) + 1  # 1: lo->hi, 2: hi->lo
    if len(key):
        first = np.r_[True, key[1:] != key[:-1]]
        code = bit[first]
        # a dyad seen in both directions is two consecutive entries (bit 1 then bit 2)
        both = np.flatnonzero(~first)
        code[np.cumsum(first)[both] - 1] = 3
        ukey = key[first]
        code = code.astype(np.int8)
    else:
        code = np.zeros(0, dtype=np.int8)
        ukey = key
    return Dyads(n=int(n), u=ukey // nn, v=ukey % nn, code=code, labels=labels)


_EMPTY = np.int64(-1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class KeySet:
    """A static hash set of non-negative int64 keys, built and probed with numpy only.

    Open addressing with linear probing at load factor <= 1/4 (Fibonacci hashing), so a
    lookup of a whole array takes one or two vectorised probe rounds; each slot holds
    the key and the key's position in the array it was built from.
    """

    def __init__(self, keys: np.ndarray):
        keys = np.asarray(keys, dtype=np.int64)
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 4))))
        self.shift = np.uint64(64 - bits)
        self.mask = np.int64((1 << bits) - 1)
        self.table = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self.pos = np.zeros(1 << bits, dtype=np.int64)
        pending = np.arange(len(keys), dtype=np.int64)
        slot = self._slot(keys)
        while len(pending):
            sl = slot[pending]
            free = self.table[sl] == _EMPTY
            cand, csl = pending[free], sl[free]
            self.table[csl] = keys[cand]  # among equal slots one write wins
            won = self.table[csl] == keys[cand]
            # a duplicate key writes the same value twice: settle it on the lowest position
            self.pos[csl[won]] = cand[won]
            settled = np.zeros(len(pending), dtype=bool)
            idx = np.flatnonzero(free)
            settled[idx[won]] = True
            pending = pending[~settled]
            slot[pending] = (slot[pending] + 1) & self.mask

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _GOLDEN) >> self.shift).view(np.int64)

    def find(self, queries: np.ndarray) -> np.ndarray:
        """Position of each query key in the build array, -1 where absent."""
        queries = np.asarray(queries, dtype=np.int64)
        out = np.full(len(queries), -1, dtype=np.int64)
        todo = np.arange(len(queries), dtype=np.int64)
        slot = self._slot(queries)
        while len(todo):
            sl = slot[todo]
            val = self.table[sl]
            hit = val == queries[todo]
            out[todo[hit]] = self.pos[sl[hit]]
            more = ~hit & (val != _EMPTY)
            todo = todo[more]
            slot[todo] = (sl[more] + 1) & self.mask
        return out


def triangle_tricodes(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    code: np.ndarray,
    *,
    per_node: bool = False,
    chunk: int = 1 << 17,
    max_dense_bytes: int = 8 << 20,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Count the triangles of a dyad graph by their 6-bit tricode.

    Returns ``(counts[64], triangles_per_node or None)``. ``u, v, code`` as in ``Dyads``
    (any orientation of each dyad is fine; no duplicates). ``chunk`` bounds the number of
    candidate wedges held in memory at once; graphs with ``n * n <= max_dense_bytes`` look
    closing dyads up in a byte-per-pair map, larger ones in a ``KeySet``.
    """
    counts = np.zeros(64, dtype=np.int64)
    per = np.zeros(n, dtype=np.int64) if per_node else None
    m = len(u)
    if m < 3:
        return counts, per
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    code = np.asarray(code, dtype=np.int64)
    deg = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    order = np.argsort(deg, kind="stable")  # rank by (degree, id)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    ru, rv = rank[u], rank[v]
    swap = ru > rv
    c = np.where(swap, _SWAP[code], code)  # bit 1: lo->hi, bit 2: hi->lo
    # sort the oriented dyads by (lo, hi) through one packed plain sort
    packed = np.sort((np.minimum(ru, rv) * n + np.maximum(ru, rv)) * 4 + c)
    c = packed & 3
    key = packed >> 2
    lo = key // n
    hi = key - lo * n
    del packed, ru, rv, swap
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(lo, minlength=n), out=indptr[1:])
    # wedges: for each forward arc position p of node x, partners q in (p, end(x))
    per_pos = indptr[lo + 1] - 1 - np.arange(m, dtype=np.int64)
    if int(per_pos.sum()) == 0:
        return counts, per
    # the closing dyad (b, c): a byte per possible pair holding its code + 1 when n is
    # small, else the hash set
    dense = n * n <= max_dense_bytes
    if dense:
        codemap = np.zeros(n * n, dtype=np.uint8)
        codemap[key] = c + 1  # 0 = no dyad
    else:
        keys = KeySet(key)
    cum = np.cumsum(per_pos)
    total = int(cum[-1])
    start = 0
    done = 0
    while done < total:
        stop = int(np.searchsorted(cum, done + chunk, side="right"))
        if stop <= start:
            stop = start + 1
        cnt = per_pos[start:stop]
        k = int(cnt.sum())
        if k:
            nz = cnt > 0
            ps = np.arange(start, stop, dtype=np.int64)[nz]
            cn = cnt[nz]
            p = np.repeat(ps, cn)
            # q runs p+1 .. p+cnt within each group: a cumulative sum of ones with resets
            step = np.ones(k, dtype=np.int64)
            heads = np.cumsum(cn) - cn
            step[heads[1:]] = ps[1:] + 1 - (ps[:-1] + cn[:-1])
            step[0] = ps[0] + 1
            q = np.cumsum(step)
            qk = hi[p] * n + hi[q]
            if dense:
                cq = codemap[qk].astype(np.int64) - 1
                hit = cq >= 0
            else:
                idx = keys.find(qk)
                hit = idx >= 0
            if hit.any():
                p, q = p[hit], q[hit]
                cq = cq[hit] if dense else c[idx[hit]]
                t = c[p] + 4 * c[q] + 16 * cq
                counts += np.bincount(t, minlength=64)
                if per is not None:
                    nodes = np.concatenate([lo[p], hi[p], hi[q]])
                    per += np.bincount(order[nodes], minlength=n)
        done += k
        start = stop
    return counts, per


def census_from_dyads(d: Dyads, tri_counts: np.ndarray | None = None) -> dict[str, int]:
    """The 16-type census of a dyad graph; ``tri_counts`` (64 tricode counts) if known."""
    n = d.n
    if tri_counts is None:
        tri_counts, _ = triangle_tricodes(n, d.u, d.v, d.code)
    res = np.zeros(16, dtype=object)
    # closed triads
    by_type = np.bincount(_CODE_TYPE, weights=tri_counts, minlength=16).astype(np.int64)
    for i in range(8, 16):
        if i != 10:  # 201 is an open type
            res[i] = int(by_type[i])
    # open triads: all wedges at each centre, minus those closed in a triangle
    code = d.code.astype(np.int64)
    out_u = code == 1  # u->v only: out at u, in at v
    in_u = code == 2
    mut = code == 3
    o = np.bincount(d.u[out_u], minlength=n) + np.bincount(d.v[in_u], minlength=n)
    i_ = np.bincount(d.u[in_u], minlength=n) + np.bincount(d.v[out_u], minlength=n)
    mu = np.bincount(d.u[mut], minlength=n) + np.bincount(d.v[mut], minlength=n)

    def pairs(x: np.ndarray) -> int:
        return int((x * (x - 1) // 2).sum())

    def prod(x: np.ndarray, y: np.ndarray) -> int:
        return int((x * y).sum())

    wedges = np.zeros(16, dtype=object)
    wedges[_WEDGE_TYPE[1, 1]] += pairs(o)
    wedges[_WEDGE_TYPE[2, 2]] += pairs(i_)
    wedges[_WEDGE_TYPE[1, 2]] += prod(o, i_)
    wedges[_WEDGE_TYPE[3, 1]] += prod(mu, o)
    wedges[_WEDGE_TYPE[3, 2]] += prod(mu, i_)
    wedges[_WEDGE_TYPE[3, 3]] += pairs(mu)
    closed = (tri_counts[:, None] * _CLOSED).sum(axis=0)
    for j in (3, 4, 5, 6, 7, 10):
        res[j] = int(wedges[j]) - int(closed[j])
    # one connected dyad: third node adjacent to neither endpoint
    deg = o + i_ + mu
    base = n - deg[d.u] - deg[d.v]
    asym = ~mut
    tri_asym = int((tri_counts * _ASYM).sum())  # sum of triangles(u, v) over asymmetric dyads
    tri_mut = int((tri_counts * _MUTUAL).sum())
    res[1] = int(base[asym].sum()) + tri_asym
    res[2] = int(base[mut].sum()) + tri_mut
    res[0] = comb(n, 3) - sum(int(x) for x in res[1:])
    return {name: int(res[i]) for i, name in enumerate(TRIAD_NAMES)}


def triad_census(src: np.ndarray, dst: np.ndarray, n: int | None = None) -> dict[str, int]:
    """The directed triad census of the graph ``src[i] -> dst[i]``, all 16 types.

    Equals ``networkx.triadic_census(nx.DiGraph(edges))`` exactly (duplicates collapse,
    self-loops ignored). ``n``: total node count if some nodes have no edge.
    """
    return census_from_dyads(to_dyads(src, dst, n))
