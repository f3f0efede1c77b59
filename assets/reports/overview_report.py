"""Render the platform overview (pure: pandas in, bytes out): seed 000's descriptive figures.

Inputs are helper tables of ``population_overview`` (each optional; a missing one is named
in the report, not silently left out). Column names are matched loosely so the report
follows the table contract as it is written:

Helper "users" writes them as ``population_<name>`` (assets/users/overview.py).

* ``plans``: a plan/subscription column, ``users``, optional ``share``/``share_pct``;
* ``track_buckets``: a bucket column (in display order), ``users``, optional ``share``;
* ``engagement``: one row per measure (likes, reposts, ...), its figures as columns;
* ``follow``: ``followers``, ``followings`` per point (numbers: a sample of users; bucket
  labels such as "11-100": a 2-D histogram, drawn as a heatmap), optional ``users`` (how
  many users a point or cell stands for) and a class/cluster column for colour;
* ``domains``: ``domain``, ``users``, ``is_shortener`` (top 25 linked domains).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from assets.reports.page import (
    Report,
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

TABLES = ("plans", "track_buckets", "engagement", "follow", "domains")


def _col(df: pd.DataFrame, *candidates: str, numeric: bool | None = None) -> str | None:
    """The first column whose name equals, then contains, one of ``candidates``."""
    for exact in (True, False):
        for cand in candidates:
            for c in df.columns:
                if (c == cand if exact else cand in str(c)) and (
                        numeric is None or pd.api.types.is_numeric_dtype(df[c]) == numeric):
                    return c
    return None


def _label_col(df: pd.DataFrame, *candidates: str) -> str:
    found = _col(df, *candidates, numeric=False)
    if found:
        return found
    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    return text[0] if text else df.columns[0]


def _share_bars(df: pd.DataFrame, label: str, title: str, log: bool = False) -> bytes:
    plt = pyplot()
    users = _col(df, "users", "count", "n", numeric=True)
    share = _col(df, "share", "percent", "fraction", numeric=True)
    values = df[users] / df[users].sum() if users else df[share]
    if share and not users:
        values = df[share] / 100 if ("pct" in share or "percent" in share) else df[share]
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    bars = ax.bar(df[label].astype(str), values * 100, color="#4a7ab5")
    for b, v, n in zip(bars, values, df[users] if users else [None] * len(df), strict=False):
        ax.annotate(f"{v:.2%}" + (f"\n{int(n):,}" if n is not None else ""), (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("% of users")
    if log:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=20, labelsize=8)
    return fig_png(fig)


def _bucket_low(label: str) -> float:
    """Lower bound of a bucket label ("0", "1-10", "1001+") for ordering; unknown last."""
    digits = "".join(ch if ch.isdigit() else " " for ch in str(label)).split()
    return float(digits[0]) if digits else float("inf")


def follow_heatmap(df: pd.DataFrame, fx: str, fy: str, users: str) -> bytes:
    """Users per (followings bucket, followers bucket): the seed's scatter on log-spaced bins."""
    plt = pyplot()
    m = df.pivot_table(index=fy, columns=fx, values=users, aggfunc="sum", fill_value=0)
    m = m.reindex(index=sorted(m.index, key=_bucket_low), columns=sorted(m.columns, key=_bucket_low), fill_value=0)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ax.imshow(np.log10(m.values.astype(float) + 1), cmap="Blues", origin="lower")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m.values[i, j]:
                ax.text(j, i, f"{int(m.values[i, j]):,}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns])
    ax.set_yticks(range(m.shape[0]), [str(c) for c in m.index])
    ax.set_xlabel("followings (log-spaced buckets)")
    ax.set_ylabel("followers (log-spaced buckets)")
    ax.set_title("Following vs. followers: users per cell (colour: log scale)")
    return fig_png(fig)


def follow_scatter(df: pd.DataFrame) -> bytes:
    """Following vs followers on log axes (value + 1, so zero counts show); bucketed input
    (bucket labels instead of numbers) is drawn as a heatmap over the buckets."""
    plt = pyplot()
    fx, fy = _col(df, "followings", "following", numeric=True), _col(df, "followers", numeric=True)
    if fx is None or fy is None:
        bx, by = _col(df, "followings", "following"), _col(df, "followers")
        return follow_heatmap(df, bx, by, _col(df, "users", "count", numeric=True))
    weight = _col(df, "users", "count", numeric=True)
    klass = _col(df, "predicted_class", "class", "cluster", "name", numeric=False)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    groups = df.groupby(klass) if klass else [("users", df)]
    for name, g in groups:
        size = 4 if weight is None else np.clip(np.log10(g[weight].astype(float) + 1) * 12, 3, 60)
        ax.scatter(g[fx].astype(float) + 1, g[fy].astype(float) + 1, s=size, alpha=0.45, label=str(name))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followings + 1")
    ax.set_ylabel("followers + 1")
    ax.set_title("Following vs. followers" + (" (point size: users)" if weight else ""))
    if klass:
        ax.legend(fontsize=7, markerscale=2)
    return fig_png(fig)


def domains_chart(df: pd.DataFrame) -> bytes:
    plt = pyplot()
    dom, users = _col(df, "domain", numeric=False), _col(df, "users", "count", numeric=True)
    short = _col(df, "is_shortener", "shortener")
    d = df.sort_values(users, ascending=True).tail(25)
    colors = ["#c33" if (short and bool(s)) else "#4a7ab5" for s in (d[short] if short else [False] * len(d))]
    fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.22 * len(d) + 1)))
    ax.barh(d[dom].astype(str), d[users], color=colors)
    ax.set_xlabel("users linking it")
    ax.set_title("Top linked domains (red: URL shortener)")
    ax.tick_params(axis="y", labelsize=7)
    return fig_png(fig)


def render_overview_report(tables: dict[str, pd.DataFrame], figures: dict | None = None) -> Report:
    """The platform overview from the ``population_overview`` tables (see module docstring)."""
    figures = dict(figures or {})
    present = {k: v for k, v in tables.items() if v is not None}
    start_fonts(text_of(*[plain(v) for v in present.values()]))
    files: dict[str, bytes] = {}
    body = [key_figures(figures) if figures else ""]
    missing = [k for k in TABLES if k not in present]
    if missing:
        body.append(f"<p class='note warn'>Not available yet: {esc(', '.join(missing))}.</p>")

    def section(title: str, key: str, chart, note: str = "") -> None:
        df = present.get(key)
        if df is None:
            return
        body.append(f"<h2>{esc(title)}</h2>" + (f"<p class='note'>{esc(note)}</p>" if note else ""))
        if len(df):
            png = chart(df)
            files[f"{key}.png"] = png
            body.append(png_tag(png, title))
        body.append(table(plain(df), max_rows=50, empty="No rows."))

    section("Subscription plans", "plans",
            lambda d: _share_bars(d, _label_col(d, "plan", "subscription"), "Users per plan (log scale)", log=True))
    section("Tracks per user", "track_buckets",
            lambda d: _share_bars(d, _label_col(d, "bucket", "tracks"), "Users by track count (log scale)", log=True))
    eng = present.get("engagement")
    if eng is not None:
        body.append("<h2>Engagement</h2>")
        label = _label_col(eng, "measure", "metric", "activity")
        share = _col(eng, "share_with_any", "share", numeric=True)
        if len(eng) and (share or _col(eng, "users", numeric=True)):
            title = ("Share of users with any" if share == "share_with_any"
                     else "Users by activity (likes + reposts + playlists + comments + playlist likes)")
            files["engagement.png"] = _share_bars(eng, label, title, log=share != "share_with_any")
            body.append(png_tag(files["engagement.png"], "engagement"))
        body.append(table(plain(eng), empty="No rows."))
    section("Following vs. followers", "follow", follow_scatter,
            "Log axes; a spam group shows as a vertical band of accounts that follow hundreds and have no followers.")
    section("Top 25 linked domains", "domains", domains_chart, "URL shorteners are marked: they hide where a link goes.")
    html_bytes, fonts = document("Platform overview", "Offbeat · who is on the platform: plans, tracks, engagement, "
                                 "follows and the domains users link", "".join(body))
    for key, df in present.items():
        files[f"{key}.csv"] = plain(df).to_csv(index=False).encode()
    files["summary.json"] = json.dumps({"figures": figures, **{k: json.loads(plain(v).to_json(
        orient="records", force_ascii=False)) for k, v in present.items() if k != "follow"}},
        indent=2, ensure_ascii=False, default=str).encode()
    preview = present.get("plans")
    return Report(html=html_bytes, files=files, figures=figures, fonts=fonts,
                  preview=plain(preview) if preview is not None else None)
