"""Combining detectors: multi-follow evidence, lockstep, and a dense block that alone does
not flag unless configured to (its community null is reported, not trusted alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.network.bots import BotConfig, follow_bots

DAY = 86_400_000


def _graph(seed: int = 0) -> pd.DataFrame:
    """Ordinary accounts following ordinary targets (no times), a multi-follow bot, and a
    ring of 12 accounts that all follow the same 6 otherwise ordinary targets (no times)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1000, 1600):
        for x in rng.choice(200, rng.integers(3, 12), replace=False):
            rows.append((u, int(x), 1, np.nan))
    rows.append((5, 7, 4, 1_600_000_000_000))  # follows account 7 four times
    ring = list(range(50, 62))
    rows += [(u, x, 1, np.nan) for u in ring for x in (150, 151, 152, 153, 154, 155)]
    return pd.DataFrame(rows, columns=["follower_id", "followee_id", "multiplicity", "t_ms"]), ring


def test_combination_and_evidence():
    edges, ring = _graph()
    table, fig = follow_bots(edges)
    assert table["user_id"].is_unique and len(table) == edges["follower_id"].nunique()
    bot = table.set_index("user_id").loc[5]
    assert bot["flagged"] and bot["detectors"] == ["multifollow"] and "follows 7 4 times" in bot["evidence"]
    assert bot["suspicion"] == 1.0
    ringed = table[table["user_id"].isin(ring)]
    assert ringed["detectors"].map(lambda d: "dense_block" in d).all()  # the block detector fires
    assert not ringed["flagged"].any()  # but alone it does not flag by default
    assert (ringed["suspicion"] > 0.4).all() and (ringed["suspicion"] <= 0.5).all()
    assert set(table.loc[table["flagged"], "user_id"]) == {5}
    assert fig["fired_multifollow"] == 1 and fig["only_dense_block"] >= len(ring)


def test_dense_block_can_flag_alone_when_configured():
    edges, ring = _graph()
    table, _ = follow_bots(edges, BotConfig(dense_block_flags_alone=True))
    assert set(ring) <= set(table.loc[table["flagged"], "user_id"])
