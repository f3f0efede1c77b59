"""Render the catalog-fraud report (pure: pandas in, bytes out; no Dagster, no Spark).

What a reviewer acts on:
* every flagged label with its evidence (most reused titles, albums, tracks, reused
  fingerprints, reuse ratio, the rule in words) and a recommended action:
  ``take down network`` (the label is in a fraud network: one master library behind fake
  fronts), ``review`` (flagged on its own), ``allowlist candidate`` (flagged on its own,
  only just over the ratio threshold and in no network: re-releases and compilations
  look like this; a reviewer confirms before allowlisting);
* each network: a drawing of its similarity graph (title edges solid, audio edges dashed),
  the evidence that joined it (titles, audio or both), its most reused titles, the
  re-uploaded recordings behind its audio edges (track pairs with their bit error rate
  and speed change), its upload synchrony over time and the synchrony p-value against
  the labels' own weekly rhythm;
* the exempt-genre labels that would have been flagged.
The label table carries every row as data with client-side search and paging, so it stays
usable with tens of thousands of flagged labels; all rows are also in the CSV.
"""

from __future__ import annotations

import json

import pandas as pd

from assets.reports.fonts import plot_families
from assets.reports.page import (
    Report,
    data_table,
    document,
    esc,
    fig_png,
    key_figures,
    plain,
    png_tag,
    pyplot,
    start_fonts,
    table,
    text_of,
)

TAKE_DOWN = "take down network"
REVIEW = "review"
ALLOWLIST = "allowlist candidate"
MAX_DRAWN_NETWORKS = 100  # networks beyond this (smallest first to go) are listed without drawings
MAX_LISTED_MATCHES = 20  # re-uploaded track pairs shown per network (all are in audio_matches.csv)
EVIDENCE_WORDS = {"title": "near-identical title catalogues", "audio": "the same recordings (audio)",
                  "both": "titles and audio"}


def recommend_actions(labels: pd.DataFrame, networks: pd.DataFrame, *, min_reuse_ratio: float = 0.3,
                      allowlist_margin: float = 0.1) -> pd.DataFrame:
    """``labels`` (flagged label_reuse rows) with ``network_id``, ``action`` and ``action_reason``.

    In a network -> take down network; not in one and reuse ratio below
    ``min_reuse_ratio + allowlist_margin`` -> allowlist candidate; else review.
    """
    out = labels.merge(networks[["label_id", "network_id"]], on="label_id", how="left")
    in_net = out["network_id"].notna()
    near = out["reuse_ratio"] < (min_reuse_ratio + allowlist_margin)
    out["action"] = REVIEW
    out.loc[~in_net & near, "action"] = ALLOWLIST
    out.loc[in_net, "action"] = TAKE_DOWN
    out["action_reason"] = "flagged on its own: check the reused titles"
    out.loc[~in_net & near, "action_reason"] = (
        f"in no network and reuse ratio below {min_reuse_ratio + allowlist_margin:.2g}: "
        "looks like re-releases; confirm, then allowlist")
    out.loc[in_net, "action_reason"] = "shares its catalogue with network " + out.loc[in_net, "network_id"].astype(str)
    return out


def network_size_chart(summary: pd.DataFrame) -> bytes:
    plt = pyplot()
    ordered = summary.sort_values("labels", ascending=False).head(60)
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(ordered["network_id"].astype(str), ordered["labels"], color="#b33")
    ax.set_xlabel("network (smallest label id)")
    ax.set_ylabel("labels")
    ax.set_title("Fake-label networks by size")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    return fig_png(fig)


def network_figure(network_id: str, members: list[str], edges: pd.DataFrame, names: dict[str, str],
                   hourly: pd.DataFrame, audio_edges: pd.DataFrame | None = None) -> bytes:
    """Left: the similarity graph (title edges: width and colour = Jaccard; audio edges:
    dashed blue); right: tracks uploaded per hour by the members, hours in which two or
    more member labels uploaded in red."""
    import networkx as nx

    plt = pyplot()
    g = nx.Graph()
    g.add_nodes_from(members)
    for a, b, j in edges[["label_a", "label_b", "jaccard"]].itertuples(index=False):
        g.add_edge(a, b, weight=float(j))
    audio = audio_edges if audio_edges is not None else pd.DataFrame(columns=["label_a", "label_b"])
    audio_pairs = [(a, b) for a, b in audio[["label_a", "label_b"]].itertuples(index=False)]
    layout = nx.compose(g, nx.Graph(audio_pairs)) if audio_pairs else g
    pos = nx.spring_layout(layout, seed=7, weight="weight")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.1, 1]})
    weights = [g[u][v]["weight"] for u, v in g.edges()]
    nx.draw_networkx_edges(g, pos, ax=ax, width=[1 + 3 * (w - 0.8) / 0.2 for w in weights] if weights else 1,
                           edge_color=weights or "k", edge_cmap=plt.cm.Reds, edge_vmin=0.6, edge_vmax=1.0)
    if audio_pairs:
        nx.draw_networkx_edges(nx.Graph(audio_pairs), pos, ax=ax, style="dashed", width=1.5,
                               edge_color="#2b6cb0", alpha=0.8)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=120, node_color="#4a7ab5")
    if len(members) <= 25:
        nx.draw_networkx_labels(g, pos, ax=ax, font_size=7, font_family=plot_families(),
                                labels={m: (names.get(m) or m)[:18] for m in members})
    ax.set_title(f"network {network_id}: {len(members)} labels, {g.number_of_edges()} title edges"
                 + (f", {len(audio_pairs)} audio edges (dashed)" if audio_pairs else ""), fontsize=9)
    ax.axis("off")
    h = hourly[hourly["network_id"] == network_id].sort_values("upload_hour")
    if len(h):
        t = pd.to_datetime(h["upload_hour"].astype("int64") * 3600, unit="s", utc=True)
        sync = h["labels"] >= 2
        ax2.bar(t[~sync], h["tracks"][~sync], width=1 / 24, color="#999", label="one label that hour")
        ax2.bar(t[sync], h["tracks"][sync], width=1 / 24, color="#c33", label="2+ member labels that hour")
        ax2.legend(fontsize=7)
        ax2.tick_params(axis="x", rotation=30, labelsize=7)
    else:
        ax2.text(0.5, 0.5, "no upload times", ha="center", transform=ax2.transAxes)
    ax2.set_title("uploads per hour (UTC)", fontsize=9)
    ax2.set_ylabel("tracks")
    return fig_png(fig)


def _seq(v) -> list:
    """A list from a Spark array cell (numpy array, list or None)."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return []
    return list(v.tolist() if hasattr(v, "tolist") else v)


def _audio_section(members: list[str], audio_edges: pd.DataFrame, matches: pd.DataFrame, names: dict) -> str:
    """The audio evidence of one network: its audio edges and the re-uploaded track pairs."""
    if not len(audio_edges):
        return ""
    member_set = set(members)
    pairs = audio_edges.assign(label_a=lambda d: d["label_a"].map(lambda x: f"{x} ({names.get(x) or '?'})"),
                               label_b=lambda d: d["label_b"].map(lambda x: f"{x} ({names.get(x) or '?'})"))
    pairs = pairs.rename(columns={"label_a": "label", "label_b": "other label", "shared": "shared recordings",
                                  "jaccard": "audio Jaccard"})
    cols = [c for c in ("label", "other label", "shared recordings", "size_a", "size_b", "audio Jaccard")
            if c in pairs]
    out = f"<h4>Audio evidence: labels holding the same recordings</h4>{table(pairs[cols])}"
    m = matches[matches["label_a"].isin(member_set) & matches["label_b"].isin(member_set)
                & (matches["label_a"] != matches["label_b"])] if len(matches) else matches
    if len(m):
        m = m.sort_values(["bit_error_rate", "track_a", "track_b"]).head(MAX_LISTED_MATCHES).copy()
        m["speed change"] = m["speed_ratio"].map(lambda r: f"{(r - 1):+.1%}" if abs(r - 1) > 0.005 else "none")
        shown = m.rename(columns={"track_a": "track", "track_b": "re-upload", "label_a": "label",
                                  "label_b": "re-upload label", "bit_error_rate": "bit error rate",
                                  "matched_s": "matched seconds"})
        out += ("<p class='note'>Re-uploaded recordings (bit error rate of the aligned fingerprints: 0 identical, "
                "unrelated recordings 0.4+):</p>"
                + table(shown[["track", "label", "re-upload", "re-upload label", "bit error rate", "speed change",
                               "matched seconds"]]))
    return out


def _network_cards(summary: pd.DataFrame, networks: pd.DataFrame, edges: pd.DataFrame, names: dict,
                   hourly: pd.DataFrame, audio_edges: pd.DataFrame | None = None,
                   audio_matches: pd.DataFrame | None = None) -> str:
    cards = []
    audio_edges = audio_edges if audio_edges is not None else pd.DataFrame(columns=["label_a", "label_b", "jaccard"])
    audio_matches = audio_matches if audio_matches is not None else pd.DataFrame(
        columns=["track_a", "track_b", "label_a", "label_b", "bit_error_rate", "speed_ratio", "matched_s"])
    ordered = summary.sort_values(["labels", "network_id"], ascending=[False, True])
    member_map = networks.groupby("network_id")["label_id"].apply(sorted).to_dict()
    edges = edges.copy()
    label_net = networks.set_index("label_id")["network_id"].to_dict()
    edges["network_id"] = edges["label_a"].map(label_net)
    by_net = dict(tuple(edges.groupby("network_id"))) if len(edges) else {}
    audio_edges = audio_edges.assign(network_id=audio_edges["label_a"].map(label_net))
    audio_by_net = dict(tuple(audio_edges.groupby("network_id"))) if len(audio_edges) else {}
    for i, row in enumerate(ordered.itertuples(index=False)):
        nid = row.network_id
        members = member_map.get(nid, [])
        titles = _seq(getattr(row, "top_titles", None))
        counts = _seq(getattr(row, "top_titles_labels", None))
        title_rows = pd.DataFrame({"title (fingerprint)": titles,
                                   "member labels holding it": counts or [None] * len(titles)})
        sync = getattr(row, "upload_synchrony", None)
        evidence = getattr(row, "evidence", None)
        evidence = evidence if isinstance(evidence, str) else "title"
        net_audio = audio_by_net.get(nid, audio_edges.iloc[0:0])
        facts = {"labels": int(row.labels), "edges": int(row.edges),
                 "joined by": EVIDENCE_WORDS.get(evidence, evidence),
                 "title edges": int(getattr(row, "title_edges", row.edges) or 0),
                 "audio edges": int(getattr(row, "audio_edges", 0) or 0),
                 "average similarity": float(row.avg_similarity) if pd.notna(row.avg_similarity) else "",
                 "minimum similarity": float(row.min_similarity) if pd.notna(row.min_similarity) else "",
                 "upload synchrony": f"{sync:.0%}" if sync is not None and pd.notna(sync) else "n/a",
                 "synchrony vs the labels' own weekly rhythm": _synchrony_test_text(row),
                 "dominant genre": getattr(row, "dominant_genre", None) or "n/a",
                 "action": TAKE_DOWN}
        drawing = (png_tag(network_figure(nid, members, by_net.get(nid, edges.iloc[0:0]), names, hourly, net_audio),
                           f"similarity graph and uploads of network {nid}")
                   if i < MAX_DRAWN_NETWORKS else "<p class='note'>(drawing left out: only the largest "
                   f"{MAX_DRAWN_NETWORKS} networks are drawn)</p>")
        member_txt = ", ".join(f"{m} ({names.get(m) or '?'})" for m in members[:60])
        cards.append(f"<div class='card' id='net-{esc(str(nid))}'><h3>Network {esc(str(nid))}</h3>"
                     f"{key_figures(facts)}{drawing}<h4>Most reused titles</h4>{table(title_rows)}"
                     f"{_audio_section(members, net_audio, audio_matches, names)}"
                     f"<p class='note'>Members: {esc(member_txt)}{' ...' if len(members) > 60 else ''}</p></div>")
    return "".join(cards)


def _synchrony_test_text(row) -> str:
    """'p = 0.001 (null expects 12%)' from network_summary's synchrony test columns."""
    p = getattr(row, "upload_synchrony_p", None)
    if p is None or pd.isna(p):
        return "n/a"
    null = getattr(row, "synchrony_null_share", None)
    verdict = "coordinated uploads" if p <= 0.01 else "not beyond the labels' rhythms"
    expect = f", null expects {null:.0%}" if null is not None and pd.notna(null) else ""
    return f"p = {p:.3g} ({verdict}{expect})"


def render_catalog_report(flagged: pd.DataFrame, summary: pd.DataFrame, networks: pd.DataFrame,
                          edges: pd.DataFrame, exempt: pd.DataFrame, hourly: pd.DataFrame, figures: dict,
                          *, min_reuse_ratio: float = 0.3, allowlist_margin: float = 0.1,
                          audio_edges: pd.DataFrame | None = None, audio_matches: pd.DataFrame | None = None
                          ) -> Report:
    """The report from the warehouse tables (as pandas):

    ``flagged``: flagged rows of label_reuse (label_id, label_name, albums, tracks,
    fingerprints, reused_fingerprints, reuse_ratio, reasons, reused_titles: list of the
    label's most reused fingerprints); ``summary``: network_summary; ``networks``:
    fraud_networks; ``edges``: label_similarity; ``exempt``: exempt_would_flag;
    ``hourly``: (network_id, upload_hour, labels, tracks) uploads of member labels per hour;
    ``audio_edges``: label_audio_similarity and ``audio_matches``: the cross-label
    audio_matches of network members (both None or empty when no audio has been matched).
    """
    labels = recommend_actions(flagged, networks, min_reuse_ratio=min_reuse_ratio, allowlist_margin=allowlist_margin)
    labels = labels.sort_values(["action", "network_id", "reused_fingerprints", "label_id"],
                                ascending=[False, True, False, True], na_position="last")
    cols = [c for c in ["label_id", "label_name", "action", "network_id", "reused_titles", "albums", "tracks",
                        "fingerprints", "reused_fingerprints", "reuse_ratio", "reasons", "action_reason"]
            if c in labels.columns]
    labels = plain(labels[cols])
    summary_plain = plain(summary)
    exempt_plain = plain(exempt)
    names = dict(zip(flagged["label_id"], flagged.get("label_name", flagged["label_id"]), strict=False))
    audio_edges = audio_edges if audio_edges is not None else pd.DataFrame(
        columns=["label_a", "label_b", "shared", "size_a", "size_b", "jaccard"])
    audio_matches = audio_matches if audio_matches is not None else pd.DataFrame(
        columns=["track_a", "track_b", "label_a", "label_b", "bit_error_rate", "offset_s", "matched_s", "speed_ratio"])
    if "evidence" in summary:
        by_evidence = summary["evidence"].fillna("title").value_counts()
        figures = {**figures, **{f"networks_joined_by_{k}": int(by_evidence.get(k, 0)) for k in ("title", "audio",
                                                                                                "both")}}
    figures = {**figures, "cross_label_audio_matches": int((audio_matches["label_a"] != audio_matches["label_b"]).sum())
               if len(audio_matches) else 0}
    start_fonts(text_of(labels, summary_plain, exempt_plain))
    actions = labels["action"].value_counts().to_dict()
    figures = {**figures, "take_down_labels": int(actions.get(TAKE_DOWN, 0)),
               "review_labels": int(actions.get(REVIEW, 0)), "allowlist_candidates": int(actions.get(ALLOWLIST, 0))}
    files = {}
    body = [key_figures(figures)]
    if len(summary):
        chart = network_size_chart(summary)
        files["network_sizes.png"] = chart
        body.append(png_tag(chart, "network sizes"))
    else:
        body.append("<p>No fraud networks found.</p>")
    body.append("<h2>Flagged labels and recommended actions</h2>"
                f"<p class='note'>Actions: <span class='tag take_down'>{TAKE_DOWN}</span> the label shares its "
                f"catalogue with other flagged labels (Jaccard at or above the threshold); "
                f"<span class='tag review'>{REVIEW}</span> flagged on its own; "
                f"<span class='tag allowlist'>{ALLOWLIST}</span> in no network and reuse ratio below "
                f"{min_reuse_ratio + allowlist_margin:.2g} (re-releases look like this). Search matches any column.</p>")
    body.append(data_table(labels, "flagged-labels", empty="No flagged labels."))
    body.append(f"<h2>Fraud networks ({len(summary):,})</h2>")
    body.append(data_table(summary_plain.drop(columns=[c for c in ("member_labels",) if c in summary_plain]),
                           "networks", page_size=25, empty="No fraud networks found."))
    body.append("<p class='note'>Each network says which evidence joined it: near-identical title catalogues "
                "(title Jaccard), the same recordings re-uploaded under other titles (audio Jaccard over "
                "Chromaprint matches: re-encoded, volume-changed, trimmed or sped-up copies), or both. Upload "
                "synchrony is tested against each label's own weekly rhythm (p-value; small = the labels upload "
                "together more than their rhythms explain).</p>")
    body.append(_network_cards(summary, networks, edges, names, hourly, audio_edges, audio_matches))
    body.append("<h2>Labels that exempt genres keep from being flagged</h2>"
                "<p class='note'>Flagged if the genre exemptions were off: review these so fraud cannot hide "
                "behind a genre.</p>")
    body.append(data_table(exempt_plain, "exempt-labels", empty="None."))
    html_bytes, fonts = document("Catalog fraud report", "Offbeat · labels that reuse their own titles "
                                 "across albums, and the networks behind them", "".join(body))
    files["flagged_labels.csv"] = labels.to_csv(index=False).encode()
    files["network_summary.csv"] = summary_plain.to_csv(index=False).encode()
    files["fraud_networks.csv"] = networks.to_csv(index=False).encode()
    files["exempt_would_flag.csv"] = exempt_plain.to_csv(index=False).encode()
    if len(audio_edges):
        files["label_audio_similarity.csv"] = plain(audio_edges.drop(columns=["network_id"], errors="ignore")
                                                    ).to_csv(index=False).encode()
    if len(audio_matches):
        files["audio_matches.csv"] = plain(audio_matches).to_csv(index=False).encode()
    files["summary.json"] = json.dumps({"figures": figures, "networks": json.loads(
        summary_plain.to_json(orient="records", force_ascii=False))}, indent=2, ensure_ascii=False).encode()
    return Report(html=html_bytes, files=files, figures=figures, fonts=fonts,
                  preview=labels.head(10))
