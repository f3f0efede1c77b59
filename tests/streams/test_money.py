"""Scenario: a few thousand random plays by honest and flagged accounts over tracks of labels,
some labels in catalog fraud networks, some tracks not in the catalogue yet. track_streams,
label_stream_fraud and network_stream_fraud must equal a brute-force reading of the contract
exactly (royalty at ms_played >= 30,000; flagged royalty plays are the flagged accounts'),
unknown tracks are kept and counted with no label, and attributed once the catalogue has them.
"""

from __future__ import annotations

import random
from collections import defaultdict

from assets.streams.money import (
    catalogue_tracks,
    flagged_label_accounts,
    label_stream_fraud,
    network_sentence,
    network_stream_fraud,
    track_streams,
)

MIN_MS = 30_000


def _world(seed: int = 3):
    rnd = random.Random(seed)
    users = list(range(1, 121))
    flagged = set(rnd.sample(users, 25))
    labels = [f"L{i}" for i in range(12)]
    catalogue = [(f"T{i}", labels[i % len(labels)], "2024-01-0" + str(1 + i % 3)) for i in range(80)]
    catalogue.append(("T3", "L11", "2024-01-09"))  # re-delivered later under another label: latest wins
    unknown = [f"U{i}" for i in range(6)]  # tracks the catalogue does not know yet
    track_ids = [t for t, _, _ in catalogue] + unknown
    plays = []
    for _ in range(3000):
        ms = rnd.choice([0, 1, 29_999, 30_000, 30_001, 31_000, 180_000, rnd.randint(0, 400_000)])
        plays.append((rnd.choice(users), rnd.choice(track_ids), ms))
    networks = [(7, "L1"), (7, "L2"), (7, "L5"), (9, "L8"), (9, "L9")]
    return users, flagged, catalogue, plays, networks


def _frames(spark, users, flagged, catalogue, plays, networks):
    p = spark.createDataFrame(plays, "user_id long, track_id string, ms_played long")
    a = spark.createDataFrame([(u, u in flagged) for u in users], "user_id long, flagged boolean")
    fp = spark.createDataFrame(catalogue, "track_id string, label_id string, upload_date string")
    n = spark.createDataFrame(networks, "network_id long, label_id string")
    return p, a, fp, n


def reference(flagged, catalogue, plays, networks):
    """The contract in plain Python."""
    label_of = {}
    for t, lab, _day in sorted(catalogue, key=lambda r: r[2]):
        label_of[t] = lab
    tracks = defaultdict(lambda: [0, 0, 0])
    for u, t, ms in plays:
        row = tracks[t]
        row[0] += 1
        if ms >= MIN_MS:
            row[1] += 1
            row[2] += u in flagged
    track_rows = {t: (label_of.get(t), n, r, f, r - f) for t, (n, r, f) in tracks.items()}
    net_of = {lab: n for n, lab in networks}
    labels = defaultdict(lambda: [0, 0, set()])
    for u, t, ms in plays:
        lab = label_of.get(t)
        if lab is None or ms < MIN_MS:
            continue
        labels[lab][0] += 1
        if u in flagged:
            labels[lab][1] += 1
            labels[lab][2].add(u)
    for lab, *_rest in track_rows.values():  # labels whose plays are all under 30 s still appear
        if lab is not None:
            labels[lab]
    label_rows = {lab: (r, f, f / r if r else 0.0, len(us), net_of.get(lab)) for lab, (r, f, us) in labels.items()}
    nets = defaultdict(lambda: [0, 0, 0, set()])
    for lab, (r, f, us) in labels.items():
        if lab in net_of:
            n = nets[net_of[lab]]
            n[0] += 1
            n[1] += r
            n[2] += f
            n[3] |= us
    net_rows = {k: (n, r, f, f / r if r else 0.0, len(us)) for k, (n, r, f, us) in nets.items()}
    return track_rows, label_rows, net_rows


def test_money_tables_equal_the_brute_force_reference(spark):
    users, flagged, catalogue, plays, networks = _world()
    p, a, fp, n = _frames(spark, users, flagged, catalogue, plays, networks)
    tracks = catalogue_tracks(fp)
    ts = track_streams(p, a, tracks, MIN_MS)
    pairs = flagged_label_accounts(p, a, tracks, MIN_MS)
    lf = label_stream_fraud(ts, pairs, n)
    nf = network_stream_fraud(lf, pairs)
    want_t, want_l, want_n = reference(flagged, catalogue, plays, networks)

    got_t = {r.track_id: (r.label_id, r.plays, r.royalty_plays, r.flagged_royalty_plays, r.clean_royalty_plays)
             for r in ts.collect()}
    assert got_t == want_t
    assert got_t["T3"][0] == "L11"
    assert {t for t, row in got_t.items() if row[0] is None} == {t for t in want_t if t.startswith("U")} != set()
    got_l = {r.label_id: (r.royalty_plays, r.flagged_royalty_plays, r.fraud_share, r.flagged_accounts, r.network_id)
             for r in lf.collect()}
    assert got_l.keys() == want_l.keys()
    for lab, row in want_l.items():
        assert got_l[lab][:2] == row[:2] and got_l[lab][3:] == row[3:]
        assert abs(got_l[lab][2] - row[2]) < 1e-12
    got_n = {r.network_id: (r.labels, r.royalty_plays, r.flagged_royalty_plays, r.fraud_share, r.flagged_accounts)
             for r in nf.collect()}
    assert got_n.keys() == want_n.keys() == {7, 9}
    for k, row in want_n.items():
        assert got_n[k][:3] == row[:3] and got_n[k][4] == row[4] and abs(got_n[k][3] - row[3]) < 1e-12
    # the column contract, in order
    assert ts.columns == ["track_id", "label_id", "plays", "royalty_plays", "flagged_royalty_plays",
                          "clean_royalty_plays"]
    assert lf.columns[:6] == ["label_id", "royalty_plays", "flagged_royalty_plays", "fraud_share",
                              "flagged_accounts", "network_id"]
    row = nf.where("network_id = 7").first().asDict()
    assert network_sentence(row).startswith(f"these {want_n[7][0]} labels in network 7 earned ")


def test_unknown_tracks_are_attributed_once_the_catalogue_has_them(spark):
    users, flagged, catalogue, plays, networks = _world(seed=5)
    p, a, fp, n = _frames(spark, users, flagged, catalogue, plays, networks)
    before = track_streams(p, a, catalogue_tracks(fp), MIN_MS)
    unknown_before = before.where("label_id IS NULL").agg({"plays": "sum"}).first()[0]
    assert unknown_before == sum(1 for _, t, _ in plays if t.startswith("U"))
    later = catalogue + [(f"U{i}", "L0", "2024-01-10") for i in range(6)]  # the catalogue catches up
    fp2 = spark.createDataFrame(later, "track_id string, label_id string, upload_date string")
    after = track_streams(p, a, catalogue_tracks(fp2), MIN_MS)
    assert after.where("label_id IS NULL").count() == 0
    lf_before = {r.label_id: r.royalty_plays for r in
                 label_stream_fraud(before, flagged_label_accounts(p, a, catalogue_tracks(fp), MIN_MS), n).collect()}
    lf_after = {r.label_id: r.royalty_plays for r in
                label_stream_fraud(after, flagged_label_accounts(p, a, catalogue_tracks(fp2), MIN_MS), n).collect()}
    newly = sum(1 for _, t, ms in plays if t.startswith("U") and ms >= MIN_MS)
    assert lf_after["L0"] - lf_before["L0"] == newly > 0


def test_no_networks_table_leaves_network_id_null(spark):
    users, flagged, catalogue, plays, networks = _world(seed=7)
    p, a, fp, _ = _frames(spark, users, flagged, catalogue, plays, networks)
    tracks = catalogue_tracks(fp)
    lf = label_stream_fraud(track_streams(p, a, tracks, MIN_MS), flagged_label_accounts(p, a, tracks, MIN_MS), None)
    assert lf.where("network_id IS NOT NULL").count() == 0 and lf.count() == 12
