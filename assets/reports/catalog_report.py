"""Render the catalog-fraud report (pure: pandas in, bytes out; no Dagster, no Spark)."""

from __future__ import annotations

import base64
import html
import io

import pandas as pd


def network_size_chart(summary: pd.DataFrame) -> bytes:
    """PNG bar chart of labels per network."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    ordered = summary.sort_values("labels", ascending=False)
    ax.bar(ordered["network_id"].astype(str), ordered["labels"], color="#b33")
    ax.set_xlabel("network (smallest label id)")
    ax.set_ylabel("labels")
    ax.set_title("Fake-label networks by size")
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def render_html(summary: pd.DataFrame, networks: pd.DataFrame, exempt: pd.DataFrame, figures: dict) -> str:
    chart = base64.b64encode(network_size_chart(summary)).decode() if len(summary) else ""
    items = "".join(f"<li>{html.escape(str(k))}: <b>{html.escape(str(v))}</b></li>" for k, v in figures.items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Offbeat: catalog fraud</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body><h1>Catalog fraud report</h1><ul>{items}</ul>
{f'<img alt="network sizes" src="data:image/png;base64,{chart}">' if chart else '<p>No fraud networks found.</p>'}
<h2>Networks</h2>{summary.to_html(index=False, escape=True)}
<h2>Labels that exempt genres keep from being flagged</h2>
<p>Flagged if genre exemptions were off: review these so fraud cannot hide behind a genre.</p>
{exempt.to_html(index=False, escape=True) if len(exempt) else '<p>None.</p>'}
<h2>Network membership</h2>{networks.to_html(index=False, escape=True)}
</body></html>"""
