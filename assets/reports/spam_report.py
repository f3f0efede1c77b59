"""Render the spam report (pure: pandas in, bytes out).

Inputs (pandas, from ``user_clusters``, ``spam_model`` and ``spam_scores``):
* ``elbow``: (k, inertia) of the K-Means elbow, and ``chosen_k``;
* ``clusters``: one row per cluster: a cluster id, its name, its size, and its centroid
  (one column per feature);
* ``confusion``: long (actual, predicted, count) or a square matrix with actual classes as
  index;
* ``metrics``: the model's version and metrics (flat dict: agreement, roc_auc, per-class
  precision/recall, ...). They are measured against the chain's own training labels, not
  spam truth: the report says so, and calls the share of held-out users the model labels
  like the chain its ``agreement`` (an older ``accuracy`` key is read as agreement);
* ``scores``: spam_scores(user_id, spam_probability, predicted_class, spam_type, reasons);
* ``previous``: the figures of the last run (its summary.json), for drift; None on the
  first run.
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
from assets.users.agreement import MEANS as AGREEMENT_MEANS
from assets.users.agreement import with_agreement

EXAMPLES_PER_TYPE = 5
SPAM_CLASS = "spam"


def elbow_chart(elbow: pd.DataFrame, chosen_k: int | None) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3))
    e = elbow.sort_values("k")
    ax.plot(e["k"], e["inertia"], "o-", color="#4a7ab5")
    if chosen_k is not None and (e["k"] == chosen_k).any():
        y = float(e.loc[e["k"] == chosen_k, "inertia"].iloc[0])
        ax.plot([chosen_k], [y], "o", ms=12, mfc="none", mec="#c33", mew=2, label=f"chosen k = {chosen_k}")
        ax.legend(fontsize=8)
    ax.set_xlabel("k (clusters)")
    ax.set_ylabel("inertia")
    ax.set_title("K-Means elbow")
    return fig_png(fig)


def confusion_matrix(confusion: pd.DataFrame) -> pd.DataFrame:
    """Square matrix (rows: actual, columns: predicted) from either input shape."""
    if {"actual", "predicted"} <= set(confusion.columns):
        value = next(c for c in confusion.columns if c not in ("actual", "predicted"))
        m = confusion.pivot_table(index="actual", columns="predicted", values=value, aggfunc="sum", fill_value=0)
    else:
        m = confusion.copy()
    classes = sorted(set(map(str, m.index)) | set(map(str, m.columns)))
    m.index, m.columns = m.index.map(str), m.columns.map(str)
    return m.reindex(index=classes, columns=classes, fill_value=0).astype(int)


def confusion_chart(m: pd.DataFrame) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.2 * len(m) + 2.5, 1.0 * len(m) + 1.8))
    ax.imshow(m.values, cmap="Blues")
    ax.set_xticks(range(len(m.columns)), m.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(m.index)), m.index, fontsize=8)
    top = m.values.max() if m.size else 0
    for i in range(len(m.index)):
        for j in range(len(m.columns)):
            v = m.values[i, j]
            ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize=8, color="white" if v > top / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title("Confusion matrix (held-out sample, the chain's labels)")
    return fig_png(fig)


def probability_histogram(scores: pd.DataFrame, bins: int = 40) -> pd.DataFrame:
    """(bin, users): users per spam-probability bin of width 1/bins (bin = floor(p * bins))."""
    b = np.minimum((scores["spam_probability"].astype(float) * bins).fillna(0).astype(int), bins - 1)
    return b.value_counts().rename_axis("bin").reset_index(name="users").sort_values("bin")


def probability_chart(hist: pd.DataFrame, bins: int = 40) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3))
    ax.bar(hist["bin"].astype(float) / bins, hist["users"], width=1 / bins, align="edge", color="#4a7ab5")
    ax.set_yscale("log")
    ax.set_xlabel("spam probability")
    ax.set_ylabel("users (log)")
    ax.set_title("Spam probability of every scored user")
    return fig_png(fig)


def table_from_markdown(md: str | None) -> pd.DataFrame:
    """A pipe table (as ``DataFrame.to_markdown`` writes it, e.g. in asset metadata) back to
    a DataFrame; numbers parsed where every cell of a column is numeric."""
    if not md:
        return pd.DataFrame()
    lines = [ln.strip() for ln in md.strip().splitlines() if ln.strip().startswith("|")]
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(set(c) <= set(":- ") for c in r)]
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows[1:], columns=rows[0])
    for c in df.columns:
        num = pd.to_numeric(df[c], errors="coerce")
        if num.notna().all():
            df[c] = num
    return df


def flat_metrics(metrics: dict) -> dict:
    """The model's metrics as flat figures: per-class precision/recall/f1 become
    ``spam_precision`` etc.; the confusion matrix, reliability table and other nested values
    are left to their own sections."""
    out = {}
    for k, v in with_agreement(metrics).items():
        if k == "per_class" and isinstance(v, dict):
            for cls, m in v.items():
                for name, value in (m or {}).items():
                    out[f"{cls}_{name}"] = value
        elif k == "metrics" and isinstance(v, dict):
            out.update(flat_metrics(v))
        elif not isinstance(v, dict | list):
            out[k] = v
    return out


def confusion_from_metrics(metrics: dict) -> pd.DataFrame | None:
    """The matrix of ``evaluate``'s ``confusion_matrix`` ({labels, rows_true_cols_predicted})."""
    cm = metrics.get("confusion_matrix") or (metrics.get("metrics") or {}).get("confusion_matrix")
    if not isinstance(cm, dict) or "labels" not in cm:
        return None
    rows = cm.get("rows_true_cols_predicted") or cm.get("matrix")
    return pd.DataFrame(rows, index=cm["labels"], columns=cm["labels"])


def drift(current: dict, previous: dict | None) -> pd.DataFrame:
    """Figures now vs. the last run (numbers only), with the change."""
    rows = []
    for k, v in current.items():
        if not isinstance(v, int | float) or isinstance(v, bool):
            continue
        before = (previous or {}).get(k)
        change = (v - before) if isinstance(before, int | float) and not isinstance(before, bool) else None
        rows.append({"figure": k, "previous run": before, "this run": v, "change": change})
    return pd.DataFrame(rows, columns=["figure", "previous run", "this run", "change"])


def spam_type_examples(scores: pd.DataFrame, n: int = EXAMPLES_PER_TYPE) -> pd.DataFrame:
    """The ``n`` most confident spam users of each spam type, with their reasons."""
    spam = scores[scores["predicted_class"] == SPAM_CLASS]
    ranked = spam.sort_values(["spam_type", "spam_probability", "user_id"], ascending=[True, False, True])
    return ranked.groupby("spam_type", sort=True).head(n)[
        ["spam_type", "user_id", "spam_probability", "reasons"]].reset_index(drop=True)


def render_spam_report(*, elbow: pd.DataFrame, chosen_k: int | None, clusters: pd.DataFrame,
                       confusion: pd.DataFrame, metrics: dict, scores: pd.DataFrame,
                       previous: dict | None = None, class_counts: pd.DataFrame | None = None,
                       type_counts: pd.DataFrame | None = None, histogram: pd.DataFrame | None = None) -> Report:
    """``scores`` are the rows listed (all of them, or the most confident spam when the
    caller aggregated on Spark and passes ``class_counts`` (predicted_class, users),
    ``type_counts`` (spam_type, users) and ``histogram`` (bin, users) over every user)."""
    if confusion is None or not len(confusion):
        confusion = confusion_from_metrics(metrics)
    metrics = flat_metrics(metrics)
    scores = plain(scores)
    spam = scores[scores["predicted_class"] == SPAM_CLASS]
    classes = (class_counts if class_counts is not None else
               scores["predicted_class"].value_counts().rename_axis("predicted_class").reset_index(name="users"))
    types = (type_counts if type_counts is not None else
             spam["spam_type"].value_counts().rename_axis("spam_type").reset_index(name="users")
             if len(spam) else pd.DataFrame(columns=["spam_type", "users"]))
    types = types.sort_values("users", ascending=False).reset_index(drop=True)
    total_spam = int(classes.loc[classes["predicted_class"] == SPAM_CLASS, "users"].sum())
    total = int(classes["users"].sum())
    types["share_of_spam"] = types["users"] / max(total_spam, 1)
    histogram = histogram if histogram is not None else probability_histogram(scores)
    examples = spam_type_examples(scores)
    clusters_p = plain(clusters)
    start_fonts(text_of(clusters_p, examples, types))
    figures = {"model_version": str(metrics.get("model_version", metrics.get("version", "unknown"))),
               "scored_users": total, "spam_users": total_spam,
               "spam_share": round(total_spam / total, 6) if total else 0.0,
               "clusters": len(clusters), "chosen_k": int(chosen_k) if chosen_k is not None else None}
    for k, v in metrics.items():
        if isinstance(v, int | float) and not isinstance(v, bool) and k not in figures:
            figures[k] = round(float(v), 6)
    for row in types.itertuples(index=False):
        figures[f"spam_type_{row.spam_type}"] = int(row.users)
    for row in classes.itertuples(index=False):
        figures[f"class_{row.predicted_class}"] = int(row.users)
    files: dict[str, bytes] = {}
    body = [key_figures({k: v for k, v in figures.items() if k in (
        "model_version", "scored_users", "spam_users", "spam_share", "chosen_k", "agreement", "roc_auc",
        "agreement_spam_roc_auc", "spam_precision", "spam_recall")})]
    body.append("<h2>Drift against the last run</h2>")
    if previous:
        d = drift(figures, previous)
        prev_version = previous.get("model_version")
        if prev_version is not None and str(prev_version) != figures["model_version"]:
            body.append(f"<p class='note warn'>Model changed: {esc(str(prev_version))} -> "
                        f"{esc(figures['model_version'])}.</p>")
        body.append(table(d[d["change"].notna() | d["previous run"].isna()]))
    else:
        body.append("<p class='note'>First run: nothing to compare with yet.</p>")
    body.append("<h2>Clusters (K-Means)</h2>")
    if len(elbow):
        files["elbow.png"] = elbow_chart(elbow, chosen_k)
        body.append(png_tag(files["elbow.png"], "elbow curve"))
    body.append("<p class='note'>Centroids in the features' own units; names come from rules on the centroids.</p>")
    body.append(table(clusters_p, empty="No clusters."))
    body.append("<h2>Model</h2>")
    body.append(f"<p class='note'>Every figure of this section (agreement, ROC-AUC, per-class precision and "
                f"recall, the confusion matrix) is the {esc(AGREEMENT_MEANS)}.</p>")
    metric_rows = pd.DataFrame([{"metric": k, "value": str(v)} for k, v in metrics.items()])
    body.append(table(metric_rows, empty="No metrics."))
    if confusion is not None and len(confusion):
        m = confusion_matrix(confusion)
        files["confusion.png"] = confusion_chart(m)
        body.append(png_tag(files["confusion.png"], "confusion matrix"))
        body.append(table(m.reset_index(names="actual \\ predicted")))
    body.append("<h2>Scores</h2>")
    if len(histogram):
        files["probabilities.png"] = probability_chart(histogram)
        body.append(png_tag(files["probabilities.png"], "spam probability histogram"))
    body.append(table(classes, empty="No scored users."))
    body.append("<h2>Spam types</h2>")
    body.append(table(types, empty="No spam found."))
    body.append(f"<h3>Examples (the {EXAMPLES_PER_TYPE} most confident of each type) and their reasons</h3>")
    body.append(table(examples, empty="No spam found."))
    listed = "" if len(spam) == total_spam else f" (the {len(spam):,} most confident of {total_spam:,})"
    body.append(f"<h2>Users flagged as spam{listed}</h2>")
    body.append(data_table(spam.sort_values("spam_probability", ascending=False)[
        ["user_id", "spam_probability", "spam_type", "reasons"]], "spam-users", empty="No spam found."))
    html_bytes, fonts = document("Spam report", "Offbeat · spam accounts: clusters, the model that finds them, "
                                 "and who it flags", "".join(body))
    files["spam_users.csv"] = spam.to_csv(index=False).encode()
    files["clusters.csv"] = clusters_p.to_csv(index=False).encode()
    files["spam_types.csv"] = examples.to_csv(index=False).encode()
    files["summary.json"] = json.dumps({**figures, "metrics": metrics}, indent=2,
                                       ensure_ascii=False, default=str).encode()
    return Report(html=html_bytes, files=files, figures=figures, fonts=fonts, preview=examples.head(10))
