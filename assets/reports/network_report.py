"""Render the follower-network report (pure: pandas in, bytes out).

Inputs (pandas, from the ``network`` group; column names matched loosely so the report
follows the tables as they are written):
* ``metrics``: network_metrics, one row per artist: scalar metrics, triad census columns
  (named by the 16 triad codes, e.g. ``t_021D`` / ``021D``) and motif z-scores (codes with
  a ``z`` prefix/suffix, e.g. ``z_021D``);
* ``bots``: follow_bots(user_id, suspicion, flagged, detectors, evidence);
* ``clean``: clean_counts: raw and clean follower/repost counts per artist (and track);
* ``timelines``: per track, reposts per hour (network's ``repost_hourly``: artist_id,
  track_id, hour, reposts; a ``spike`` flag is drawn when present);
* ``spikes``: network's ``repost_spikes`` (track_id, user_id, reposted_at_ms,
  precedes_spike) for the drawn tracks;
* ``mavens``: maven_candidates (artist_id, user_id, tracks_preceding_spike, p_value,
  significance, rank, evidence, ...);
* ``farms``: the largest bot farms' follows of their shared targets
  (``assets/reports/network_farms.py``: farm, user_id, followee_id, t_ms, t_min_ms,
  t_max_ms, members, detectors), drawn one picture per farm: who, which targets, when.
"""

from __future__ import annotations

import json
import re

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

TRIADS = ("003", "012", "102", "021D", "021U", "021C", "111D", "111U",
          "030T", "030C", "201", "120D", "120U", "120C", "210", "300")
CONNECTED = TRIADS[3:]
MAX_TIMELINES = 12


def _code(col: str) -> str | None:
    m = re.search(r"(?:^|_)(\d{3}[A-Z]?)(?:$|_)", str(col))
    return m.group(1) if m and m.group(1) in TRIADS else None


def motif_columns(metrics: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """(census columns, z-score columns), each triad code -> column name."""
    census, zs = {}, {}
    for c in metrics.columns:
        code = _code(c)
        if code is None or not pd.api.types.is_numeric_dtype(metrics[c]):
            continue
        low = str(c).lower()
        if re.search(r"(^|_)(sp|significance)(_|$)", low):
            continue  # the normalised profile: recomputed from the z-scores for the chart
        if re.search(r"(^|_)(z|zscore|z_score)(_|$)", low):
            zs[code] = c
        else:
            census[code] = c
    return census, zs


def _id_col(df: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    return None


def motif_chart(metrics: pd.DataFrame, artist: str, zs: dict[str, str], census: dict[str, str]) -> bytes:
    """Motif significance profile per artist (z-scores normalised to unit length, Milo et
    al.), or the share of each connected triad type when no z-scores exist."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    codes = [c for c in CONNECTED if c in (zs or census)]
    for name, (_, row) in zip(metrics[artist].head(10).tolist(), metrics.head(10).iterrows(), strict=True):
        if zs:
            v = np.array([float(row[zs[c]]) if pd.notna(row[zs[c]]) else 0.0 for c in codes])
            norm = np.sqrt((v ** 2).sum())
            v = v / norm if norm > 0 else v
        else:
            v = np.array([float(row[census[c]]) for c in codes])
            v = v / v.sum() if v.sum() > 0 else v
        ax.plot(range(len(codes)), v, "o-", ms=3, label=str(name))
    ax.set_xticks(range(len(codes)), codes, rotation=45, fontsize=7)
    ax.axhline(0, color="#999", lw=0.5)
    ax.set_ylabel("significance profile" if zs else "share of connected triads")
    ax.set_title("Motif profiles (13 connected triad types)")
    ax.legend(fontsize=6, ncol=2, title="artist", title_fontsize=7)
    return fig_png(fig)


def detector_chart(bots: pd.DataFrame) -> bytes:
    plt = pyplot()
    det = bots.loc[bots["flagged"].astype(bool), "detectors"].map(_as_list).explode().dropna().value_counts()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 2.8))
    ax.barh(det.index.astype(str), det.values, color="#c33")
    ax.set_title("flagged accounts per detector")
    ax2.hist(bots["suspicion"].astype(float), bins=40, color="#4a7ab5")
    ax2.set_yscale("log")
    ax2.set_title("suspicion of every scored account")
    return fig_png(fig)


def _as_list(v) -> list:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, str):
        return [s.strip() for s in re.split(r"[,;|]", v) if s.strip()]
    if hasattr(v, "tolist"):
        return list(v.tolist())
    return list(v)


def clean_chart(clean: pd.DataFrame) -> bytes | None:
    plt = pyplot()
    pairs = [(c, c.replace("raw", "clean")) for c in clean.columns
             if "raw" in c and c.replace("raw", "clean") in clean.columns]
    key = _id_col(clean, "artist_id", "track_id", "user_id")
    if not pairs or key is None:
        return None
    d = clean.groupby(key)[[c for p in pairs for c in p]].sum().sort_values(pairs[0][0], ascending=False).head(20)
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.5 * len(pairs), 3), squeeze=False)
    for ax, (raw, cl) in zip(axes[0], pairs, strict=False):
        x = np.arange(len(d))
        ax.bar(x - 0.2, d[raw], 0.4, label=raw, color="#999")
        ax.bar(x + 0.2, d[cl], 0.4, label=cl, color="#4a7ab5")
        ax.set_xticks(x, d.index.astype(str), rotation=60, fontsize=6)
        ax.legend(fontsize=7)
        ax.set_title(f"{raw} vs {cl} per {key}", fontsize=9)
    return fig_png(fig)


def _hour(ms: pd.Series) -> pd.Series:
    return pd.to_datetime((ms.astype("int64") // 3_600_000) * 3_600_000, unit="ms", utc=True)


def timeline_chart(timelines: pd.DataFrame, mavens: pd.DataFrame | None, spikes: pd.DataFrame | None = None
                   ) -> bytes | None:
    """Hourly reposts of the busiest tracks. Red circles: hours with a repost that precedes
    a spike (``spikes.precedes_spike``, or a ``spike`` flag on the series); triangles: hours
    in which a maven candidate reposted the track."""
    plt = pyplot()
    track = _id_col(timelines, "track_id")
    time = next((c for c in timelines.columns if pd.api.types.is_datetime64_any_dtype(timelines[c])), None) or \
        _id_col(timelines, "hour", "bucket_start", "window_start", "time", "ts", "day")
    count = _id_col(timelines, "reposts", "count", "n")
    if not (track and time and count):
        return None
    spike = _id_col(timelines, "spike", "is_spike")
    top = timelines.groupby(track)[count].sum().sort_values(ascending=False).head(MAX_TIMELINES).index
    maven_users = set(mavens["user_id"].astype(str)) if mavens is not None and "user_id" in mavens.columns else set()
    marks = pd.DataFrame(columns=["track_id", "hour", "kind"])
    if spikes is not None and len(spikes) and "reposted_at_ms" in spikes.columns:
        sp = spikes.assign(hour=_hour(spikes["reposted_at_ms"]))
        parts = [sp.loc[sp["precedes_spike"].astype(bool), ["track_id", "hour"]].assign(kind="spike")]
        if maven_users:
            parts.append(sp.loc[sp["user_id"].astype(str).isin(maven_users), ["track_id", "hour"]].assign(kind="maven"))
        marks = pd.concat(parts, ignore_index=True).drop_duplicates()
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for t in top:
        d = timelines[timelines[track] == t].sort_values(time)
        x = pd.to_datetime(d[time], utc=True) if not pd.api.types.is_numeric_dtype(d[time]) else d[time]
        y = d[count].to_numpy()
        line, = ax.plot(x, y, lw=1, label=str(t))
        series = pd.Series(y, index=x.to_numpy())
        if spike:
            s = d[spike].astype(bool).to_numpy()
            ax.plot(x[s], y[s], "o", ms=6, mfc="none", mec="#c33", mew=1.5)
        for kind, style in (("spike", dict(marker="o", ms=7, mfc="none", mec="#c33", mew=1.5)),
                            ("maven", dict(marker="^", ms=7, color=line.get_color()))):
            hours = marks.loc[(marks["kind"] == kind) & (marks["track_id"].astype(str) == str(t)), "hour"]
            hours = [h for h in pd.to_datetime(hours, utc=True) if h in series.index]
            if hours:
                ax.plot(hours, [series[h] for h in hours], linestyle="none", **style)
    ax.set_ylabel(f"{count} per hour" if time == "hour" else count)
    ax.set_title("Repost timelines (red circles: spikes start; triangles: maven candidates' reposts)", fontsize=9)
    ax.legend(fontsize=6, ncol=3, title="track", title_fontsize=7)
    ax.tick_params(axis="x", rotation=25, labelsize=7)
    return fig_png(fig)


def farm_chart(f: pd.DataFrame) -> bytes:
    """One farm: a row per shared target, each member's follow of it over its time interval
    (a dot where exact), in minutes after the first follow of that target, so a lockstep burst
    reads as a tight cluster whatever day it happened; without any time, a member x target grid."""
    plt = pyplot()
    targets = sorted(f["followee_id"].unique().tolist())
    members = sorted(f["user_id"].unique().tolist())
    lo = pd.to_numeric(f["t_min_ms"], errors="coerce")
    hi = pd.to_numeric(f["t_max_ms"], errors="coerce")
    bounded = lo.notna() & hi.notna() & ((hi - lo) <= 30 * 86_400_000)
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(targets) + 1.6))
    if bounded.any():
        start = lo[bounded].groupby(f.loc[bounded, "followee_id"]).min()
        row = {t: i for i, t in enumerate(targets)}
        member_pos = {u: j for j, u in enumerate(members)}
        for (_, r), ok, a, b in zip(f.iterrows(), bounded, lo, hi, strict=True):
            if not ok:
                continue
            y = row[r["followee_id"]] + 0.6 * (member_pos[r["user_id"]] / max(1, len(members)) - 0.5)
            x0, x1 = (a - start[r["followee_id"]]) / 60_000, (b - start[r["followee_id"]]) / 60_000
            if a == b:
                ax.plot([x0], [y], "o", ms=3, color="#c33")
            else:
                ax.plot([x0, x1], [y, y], "-", lw=1.2, color="#c33", alpha=0.6)
        labels = [f"{t} ({pd.to_datetime(int(start[t]), unit='ms', utc=True):%Y-%m-%d %H:%M})" if t in start.index
                  else str(t) for t in targets]
        ax.set_yticks(range(len(targets)), labels, fontsize=7)
        ax.set_xlabel("minutes after the first follow of the target (UTC start in the label)", fontsize=8)
        ax.set_title(f"When the {len(members)} accounts followed their shared targets "
                     "(dots: exact times; lines: the interval the crawl's cursors allow)", fontsize=8)
    else:
        grid = np.zeros((len(targets), len(members)))
        for r in f.itertuples():
            grid[targets.index(r.followee_id), members.index(r.user_id)] = 1
        ax.imshow(grid, aspect="auto", cmap="Reds", vmin=0, vmax=1.25, interpolation="nearest")
        ax.set_yticks(range(len(targets)), [str(t) for t in targets], fontsize=7)
        step = max(1, len(members) // 20)
        ax.set_xticks(range(0, len(members), step), [str(u) for u in members[::step]], rotation=60, fontsize=6)
        ax.set_xticks(np.arange(-0.5, len(members)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(targets)), minor=True)
        ax.grid(which="minor", color="white", lw=0.8)
        ax.tick_params(which="minor", length=0)
        ax.set_xlabel("member account")
        ax.set_title("Who follows which shared target (red: follows; no follow times known)", fontsize=8)
    return fig_png(fig)


def _span(f: pd.DataFrame, target) -> str:
    g = f[f["followee_id"] == target]
    lo, hi = pd.to_numeric(g["t_min_ms"], errors="coerce"), pd.to_numeric(g["t_max_ms"], errors="coerce")
    if lo.isna().all() or hi.isna().all():
        return "unknown"
    first = pd.to_datetime(int(lo.min()), unit="ms", utc=True)
    hours = (hi.max() - lo.min()) / 3_600_000
    return f"{first:%Y-%m-%d %H:%M} UTC, within {hours:.1f} h" if hours < 48 else f"{first:%Y-%m-%d}, over {hours / 24:.0f} days"


def farm_section(farms: pd.DataFrame, files: dict[str, bytes]) -> str:
    """HTML of the farms (largest first): summary, a picture each, accounts and targets."""
    if farms is None or not len(farms):
        return "<h2>Bot farms</h2><p class='note'>No farm (a group of two or more flagged accounts) found.</p>"
    order = farms.drop_duplicates("farm")[["farm", "members", "detectors"]]
    parts = ["<h2 id='farms'>Bot farms</h2><p class='note'>Groups of flagged accounts the detectors tied together, "
             "largest first: the accounts, the targets most of them follow, and when they followed.</p>"]
    summary = []
    for i, r in enumerate(order.itertuples(), start=1):
        f = farms[farms["farm"] == r.farm]
        targets = f.groupby("followee_id")["user_id"].nunique().sort_values(ascending=False)
        summary.append({"farm": r.farm, "accounts": int(r.members), "detectors": r.detectors,
                        "shared targets": len(targets), "follows drawn": len(f)})
        files[f"farm_{i}.png"] = farm_chart(f)
        accounts = ", ".join(str(u) for u in sorted(f["user_id"].unique()))
        rows = pd.DataFrame({"target": targets.index, "members following": targets.to_numpy(),
                             "when": [_span(f, t) for t in targets.index]})
        parts.append(f"<h3 class='farm'>Farm {i}: {esc(str(r.farm))} · {int(r.members)} accounts</h3>"
                     f"<p class='note'>Detectors: {esc(str(r.detectors))}</p>"
                     + png_tag(files[f"farm_{i}.png"], f"farm {i} follow timing")
                     + f"<p><b>Accounts</b> ({f['user_id'].nunique()} drawn): {esc(accounts)}</p>"
                     + table(plain(rows), max_rows=50))
    parts.insert(1, table(pd.DataFrame(summary), max_rows=20))
    return "".join(parts)


def render_network_report(*, metrics: pd.DataFrame | None, bots: pd.DataFrame | None, clean: pd.DataFrame | None,
                          timelines: pd.DataFrame | None, mavens: pd.DataFrame | None,
                          spikes: pd.DataFrame | None = None, figures: dict | None = None,
                          farms: pd.DataFrame | None = None) -> Report:
    """``timelines``: reposts per track and hour (repost_hourly); ``spikes``: reposts with
    ``precedes_spike`` (repost_spikes) of the same tracks, to mark spikes and mavens."""
    inputs = {"network_metrics": metrics, "follow_bots": bots, "clean_counts": clean,
              "repost_timelines": timelines, "maven_candidates": mavens}
    present = {k: plain(v) for k, v in inputs.items() if v is not None}
    start_fonts(text_of(*present.values()))
    figures = dict(figures or {})
    files: dict[str, bytes] = {}
    missing = [k for k in inputs if k not in present]
    body = []
    if bots is not None:
        flagged = bots[bots["flagged"].astype(bool)]
        figures.setdefault("scored_accounts", len(bots))
        figures.setdefault("flagged_bots", len(flagged))
    if metrics is not None:
        figures.setdefault("artist_networks", len(metrics))
    if farms is not None:
        figures.setdefault("bot_farms", int(farms["farm"].nunique()) if len(farms) else 0)
    if mavens is not None:
        figures.setdefault("maven_candidates", len(mavens))
    body.append(key_figures(figures))
    if missing:
        body.append(f"<p class='note warn'>Not available yet: {esc(', '.join(missing))}.</p>")
    if metrics is not None:
        artist = _id_col(metrics, "artist_id", "artist", "network_id") or metrics.columns[0]
        census, zs = motif_columns(metrics)
        scalar = [c for c in metrics.columns if c not in census.values() and c not in zs.values()
                  and not re.match(r"sp_", str(c))
                  and not isinstance(metrics[c].iloc[0] if len(metrics) else None, list | dict | np.ndarray)]
        body.append("<h2>Metrics per artist network</h2>")
        body.append(table(plain(metrics[scalar]), max_rows=200, empty="No artist networks."))
        if len(metrics) and (census or zs):
            files["motifs.png"] = motif_chart(metrics, artist, zs, census)
            body.append("<h2>Motif profiles</h2>" + png_tag(files["motifs.png"], "motif profiles"))
            if census:
                body.append("<h3>Triad census</h3>")
                body.append(table(plain(metrics[[artist, *[census[c] for c in TRIADS if c in census]]]), max_rows=200))
            if zs:
                body.append("<h3>Motif z-scores (against degree-preserving randomisations)</h3>")
                body.append(table(plain(metrics[[artist, *[zs[c] for c in CONNECTED if c in zs]]]), max_rows=200))
    if bots is not None:
        body.append("<h2>Bots and their evidence</h2>")
        if len(bots):
            files["bots.png"] = detector_chart(bots)
            body.append(png_tag(files["bots.png"], "bots per detector"))
        flagged = plain(bots[bots["flagged"].astype(bool)].sort_values("suspicion", ascending=False))
        body.append(data_table(flagged, "bots", empty="No bots flagged."))
        if farms is not None:
            body.append(farm_section(farms, files))
    if clean is not None:
        body.append("<h2>Raw vs. clean counts</h2><p class='note'>Clean counts leave out flagged bots.</p>")
        png = clean_chart(clean) if len(clean) else None
        if png:
            files["clean_counts.png"] = png
            body.append(png_tag(png, "raw vs clean counts"))
        body.append(data_table(plain(clean), "clean-counts", empty="No counts."))
    if timelines is not None:
        body.append("<h2>Repost timelines</h2>")
        png = timeline_chart(timelines, mavens, spikes) if len(timelines) else None
        if png:
            files["timelines.png"] = png
            body.append(png_tag(png, "repost timelines"))
        else:
            body.append("<p class='note'>No timeline to draw.</p>")
    if mavens is not None:
        body.append("<h2>Maven candidates</h2><p class='note'>Users whose repost came before a spike on several "
                    "tracks, scored against random reposters of the same tracks.</p>")
        body.append(data_table(plain(mavens), "mavens", empty="No maven candidates."))
    html_bytes, fonts = document("Follower networks and bots", "Offbeat · artist follower networks, the bots "
                                 "inflating them, true counts and who starts repost waves", "".join(body))
    for k, v in present.items():
        files[f"{k}.csv"] = v.to_csv(index=False).encode()
    files["summary.json"] = json.dumps({"figures": figures}, indent=2, ensure_ascii=False, default=str).encode()
    preview = present.get("follow_bots")
    if preview is not None:
        preview = preview[preview["flagged"].astype(bool)].head(10)
    return Report(html=html_bytes, files=files, figures=figures, fonts=fonts, preview=preview)
