"""Multi-follow: one account following the same account more than once (seed 001's
"Node A follows Node B 5 times"). A platform lists a follower once, so any repeat is an
automated follow/unfollow cycle; no threshold beyond "more than once" is needed."""

from __future__ import annotations

import pandas as pd


def multi_follow(edges: pd.DataFrame) -> pd.DataFrame:
    """Per account with a repeated follow: (user_id, multifollow_score, multifollow_flagged,
    repeated_targets, max_multiplicity, extra_follows, multifollow_evidence).

    ``edges``: distinct (follower_id, followee_id, multiplicity)."""
    rep = edges[edges["multiplicity"] > 1]
    cols = ["user_id", "multifollow_score", "multifollow_flagged", "repeated_targets", "max_multiplicity",
            "extra_follows", "multifollow_evidence"]
    if rep.empty:
        return pd.DataFrame(columns=cols)
    rep = rep.sort_values(["follower_id", "multiplicity", "followee_id"], ascending=[True, False, True])
    agg = rep.groupby("follower_id").agg(
        repeated_targets=("followee_id", "size"),
        max_multiplicity=("multiplicity", "max"),
        extra_follows=("multiplicity", lambda m: int((m - 1).sum())),
        examples=("followee_id", lambda s: list(s[:3])),
        example_mult=("multiplicity", lambda s: list(s[:3])),
    ).reset_index().rename(columns={"follower_id": "user_id"})
    agg["multifollow_flagged"] = True
    agg["multifollow_score"] = 1.0
    agg["multifollow_evidence"] = [
        "follows " + ", ".join(f"{t} {m} times" for t, m in zip(r.examples, r.example_mult, strict=True))
        + (f" (and {r.repeated_targets - 3} more accounts repeatedly)" if r.repeated_targets > 3 else "")
        for r in agg.itertuples()
    ]
    return agg[cols]
