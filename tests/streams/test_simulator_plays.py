"""The play simulator on a single day (a demo or a standalone smoke lands one day): every
planted scheme and look-alike is there, every play starts inside that day, and the truth
names exactly the accounts that play."""

from __future__ import annotations

import pandas as pd

from simulator.plays import LOOKALIKES, SCHEMES, PlaysConfig, generate_plays


def test_one_day_of_plays_holds_every_scheme_and_lookalike():
    plays, accounts, tracks = generate_plays(PlaysConfig(days=1, honest_users=300, scheme_scale=0.02,
                                                         tracks_per_day=1500))
    day = pd.Timestamp("2024-02-01", tz="UTC")
    assert len(plays) > 0
    assert (plays["played_at"] >= day).all() and (plays["played_at"] < day + pd.Timedelta(days=1)).all()
    assert set(accounts["kind"]) == {"honest", *SCHEMES, *LOOKALIKES}
    assert set(accounts["user_id"]) == set(plays["user_id"])
    assert plays["track_id"].isin(tracks["track_id"]).all()
