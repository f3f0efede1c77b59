"""Render the stream-fraud report (pure: pandas in, bytes out).

Inputs (pandas, small: aggregated or bounded on Spark by the asset):
* ``labels``: label_stream_fraud rows (label_id, royalty_plays, flagged_royalty_plays,
  fraud_share, flagged_accounts, network_id, ... clean_royalty_plays);
* ``networks``: network_stream_fraud (network_id, labels, royalty_plays, flagged_royalty_plays,
  fraud_share, flagged_accounts);
* ``accounts``: flagged stream_accounts (user_id, suspicion, detectors, evidence, plays,
  royalty_plays);
* ``hours``: ``activity_by_hour`` (user_id, flagged, hour, plays);
* ``histogram``: ``ms_played_histogram`` (flagged, bin_ms, plays);
* ``detectors``: accounts fired / flagged per detector (optional).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

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
from assets.streams.money import network_sentence

LABEL_COLUMNS = ["label_id", "network_id", "royalty_plays", "flagged_royalty_plays", "clean_royalty_plays",
                 "fraud_share", "flagged_accounts"]


def hour_heatmap(hours: pd.DataFrame) -> bytes | None:
    """Share of each account's plays per hour of day (UTC): flagged accounts above, the most
    active accounts not flagged below."""
    if hours is None or not len(hours):
        return None
    plt = pyplot()
    sides = [(True, "flagged accounts (most suspicious)"), (False, "real listeners (most active, not flagged)")]
    present = [(f, t) for f, t in sides if (hours["flagged"].astype(bool) == f).any()]
    fig, axes = plt.subplots(len(present), 1, figsize=(9, 2.2 + 2.2 * len(present)), squeeze=False)
    for ax, (flag, title) in zip(axes[:, 0], present, strict=True):
        d = hours[hours["flagged"].astype(bool) == flag]
        grid = d.pivot_table(index="user_id", columns="hour", values="plays", aggfunc="sum", fill_value=0)
        grid = grid.reindex(columns=range(24), fill_value=0)
        share = grid.div(grid.sum(axis=1).replace(0, 1), axis=0)
        ax.imshow(share.to_numpy(), aspect="auto", cmap="magma_r", vmin=0, vmax=max(0.15, float(share.max().max())))
        ax.set_title(f"{title}: share of each account's plays per hour of day (UTC)", fontsize=9)
        ax.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)], fontsize=7)
        ax.set_yticks([])
        ax.set_ylabel(f"{len(share)} accounts", fontsize=8)
    axes[-1, 0].set_xlabel("hour of day (UTC)")
    return fig_png(fig)


def ms_histogram(histogram: pd.DataFrame, min_royalty_ms: int) -> bytes | None:
    """Plays per ms_played bin (share of each side's plays), with the royalty threshold line."""
    if histogram is None or not len(histogram):
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    width = float(np.diff(np.sort(histogram["bin_ms"].unique()))[:1].min()) if histogram["bin_ms"].nunique() > 1 else 2000
    for flag, color, label in ((False, "#4a7ab5", "not flagged"), (True, "#c33", "flagged")):
        d = histogram[histogram["flagged"].astype(bool) == flag].sort_values("bin_ms")
        if not len(d):
            continue
        ax.bar(d["bin_ms"] / 1000, d["plays"] / d["plays"].sum(), width=width / 1000, align="edge", alpha=0.55,
               color=color, label=f"{label} ({int(d['plays'].sum()):,} plays)")
    ax.axvline(min_royalty_ms / 1000, color="#000", ls="--", lw=1.2)
    ax.text(min_royalty_ms / 1000, ax.get_ylim()[1] * 0.92, f" {min_royalty_ms / 1000:g} s: royalty play", fontsize=8)
    ax.set_xlabel("seconds played (last bin: longer)")
    ax.set_ylabel("share of plays")
    ax.set_title("How long plays last, flagged vs. not flagged accounts (dashed: the royalty threshold)", fontsize=9)
    ax.legend(fontsize=8)
    return fig_png(fig)


def _network_name(n) -> str:
    """A catalog network id as shown: network ids are label ids (strings) or integers."""
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


def royalty_chart(labels: pd.DataFrame, top: int = 25) -> bytes | None:
    if labels is None or not len(labels) or labels["flagged_royalty_plays"].sum() == 0:
        return None
    plt = pyplot()
    d = labels.sort_values("flagged_royalty_plays", ascending=False).head(top)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    x = np.arange(len(d))
    ax.bar(x, d["clean_royalty_plays"], color="#4a7ab5", label="clean royalty plays")
    ax.bar(x, d["flagged_royalty_plays"], bottom=d["clean_royalty_plays"], color="#c33",
           label="royalty plays from flagged accounts")
    names = [f"{lab}" + (f" (net {_network_name(n)})" if pd.notna(n) else "")
             for lab, n in zip(d["label_id"], d["network_id"], strict=True)]
    ax.set_xticks(x, names, rotation=60, fontsize=6, ha="right")
    ax.set_title(f"Royalty plays of the {len(d)} labels with the most plays from flagged accounts", fontsize=9)
    ax.legend(fontsize=8)
    return fig_png(fig)


def render_stream_report(*, labels: pd.DataFrame | None, networks: pd.DataFrame | None,
                         accounts: pd.DataFrame | None, hours: pd.DataFrame | None,
                         histogram: pd.DataFrame | None, detectors: pd.DataFrame | None = None,
                         figures: dict | None = None, min_royalty_ms: int = 30_000,
                         missing: list[str] | None = None) -> Report:
    inputs = {"label_stream_fraud": labels, "network_stream_fraud": networks, "flagged_accounts": accounts}
    present = {k: plain(v) for k, v in inputs.items() if v is not None}
    start_fonts(text_of(*present.values()))
    figures = dict(figures or {})
    files: dict[str, bytes] = {}
    body = [key_figures(figures)]
    if missing:
        body.append(f"<p class='note warn'>Not available yet: {esc(', '.join(missing))}.</p>")
    sentences = []
    if networks is not None and len(networks):
        nets = networks.sort_values("flagged_royalty_plays", ascending=False)
        sentences = [network_sentence(r) for r in nets.to_dict("records")]
        body.append("<h2>Catalog fraud networks and their royalty plays</h2><ul>"
                    + "".join(f"<li>{esc(s[0].upper() + s[1:])}.</li>" for s in sentences[:20]) + "</ul>")
        body.append(table(plain(nets), max_rows=200))
    if labels is not None:
        body.append("<h2>Royalty adjustments per label</h2><p class='note'>A royalty play lasts at least "
                    f"{min_royalty_ms / 1000:g} s. Clean royalty plays leave out those of flagged accounts: the basis "
                    "a payout should use. <code>network_id</code>: the label's catalog fraud network, if any.</p>")
        png = royalty_chart(labels)
        if png:
            files["royalties.png"] = png
            body.append(png_tag(png, "royalty plays per label"))
        cols = [c for c in LABEL_COLUMNS if c in labels.columns] + [c for c in labels.columns if c not in LABEL_COLUMNS]
        shown = plain(labels[cols].sort_values(["flagged_royalty_plays", "royalty_plays"], ascending=False))
        body.append(data_table(shown, "labels", page_size=25, empty="No label has attributed plays."))
    body.append("<h2>A farm's activity against real listeners</h2>")
    png = hour_heatmap(hours)
    if png:
        files["hours.png"] = png
        body.append(png_tag(png, "hour-of-day heatmap"))
    png = ms_histogram(histogram, min_royalty_ms)
    if png:
        files["ms_played.png"] = png
        body.append(png_tag(png, "ms_played histogram"))
    if not (hours is not None and len(hours)) and not (histogram is not None and len(histogram)):
        body.append("<p class='note'>No plays to draw.</p>")
    if detectors is not None and len(detectors):
        body.append("<h2>Detectors</h2>" + table(plain(detectors)))
    if accounts is not None:
        body.append("<h2>Flagged accounts and their evidence</h2>")
        acc = accounts.sort_values("suspicion", ascending=False) if "suspicion" in accounts.columns else accounts
        body.append(data_table(plain(acc), "accounts", empty="No account flagged: nothing found."))
    html_bytes, fonts = document("Stream fraud", "Offbeat · accounts streaming for royalties, the labels they pay "
                                 "and the catalog fraud networks behind them", "".join(body))
    for k, v in present.items():
        files[f"{k}.csv"] = v.to_csv(index=False).encode()
    files["summary.json"] = json.dumps({"figures": figures, "networks": sentences}, indent=2, ensure_ascii=False,
                                       default=str).encode()
    preview = present.get("label_stream_fraud")
    if preview is not None:
        preview = preview.sort_values("flagged_royalty_plays", ascending=False).head(10)
    return Report(html=html_bytes, files=files, figures=figures, fonts=fonts, preview=preview)
