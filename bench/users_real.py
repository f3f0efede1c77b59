"""The users chain on REAL labelled populations, no labels, default config (issue 17).

For each real set of ``bench.real_accounts`` (cresci-2017: genuine vs all social spambots;
Instagram SRF: real vs fake followers, counts only), whole and per half (even / odd ids:
the even half is the development half, the odd one the check), and for simulator dumps
(half spam, 80% spam, 0.5% spam): the api-v2 objects go through the product's own path
(``users_from_api_objects`` -> ``run_users_chain`` with ``DEFAULT_CONFIG``, no labels), and
the scores are compared with the truth: ROC-AUC of ``spam_probability``, precision /
recall / F1 of ``predicted_class == "spam"``, spam share found vs true, k, and the
cluster x class table. Then the same with 1% of the users given known labels, 5% of those
wrong: quality must not fall.

Baseline beside ours: the seed's rule (a shortener in a link or the description marks spam).

``python -m bench users_real``; ``OFFBEAT_BENCH_RECORD=0`` leaves bench/RESULTS.md alone;
``OFFBEAT_USERS_REAL_SETS=cresci2017:0,instagram_srf`` runs only those (``name:half``).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

TARGETS = {"cresci2017": {"roc_auc": 0.95, "f1": 0.90}, "instagram_srf": {"roc_auc": 0.90}}
SIMULATED = {"sim_half": 0.5, "sim_80pct": 0.8, "sim_0.5pct": 0.005}


def scores_vs_truth(scores: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """ROC-AUC, precision, recall, F1, shares of ``scores`` (user_id, spam_probability,
    predicted_class) against ``truth`` (user_id, is_spam). Unscored users count as not
    flagged with probability 0."""
    from sklearn.metrics import roc_auc_score

    df = truth.merge(scores, on="user_id", how="left")
    p = df["spam_probability"].fillna(0.0).to_numpy()
    y = df["is_spam"].astype(bool).to_numpy()
    flagged = df["predicted_class"].eq("spam").to_numpy()
    tp = int((flagged & y).sum())
    prec = tp / max(int(flagged.sum()), 1)
    rec = tp / max(int(y.sum()), 1)
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")
    return {"users": len(df), "true_spam_share": float(y.mean()), "found_spam_share": float(flagged.mean()),
            "roc_auc": auc, "precision": prec, "recall": rec, "f1": f1}


def noisy_known_labels(truth: pd.DataFrame, seed: int = 0, share: float = 0.01, wrong: float = 0.05) -> pd.DataFrame:
    """(user_id, label) for ``share`` of the users (at least 2), ``wrong`` of them flipped."""
    rng = np.random.default_rng(seed)
    t = truth.sort_values("user_id").reset_index(drop=True)
    n = max(2, round(share * len(t)))
    pick = t.iloc[np.sort(rng.choice(len(t), size=n, replace=False))]
    flip = rng.random(n) < wrong
    spam = pick["is_spam"].to_numpy(dtype=bool) ^ flip
    return pd.DataFrame({"user_id": pick["user_id"].to_numpy(), "label": np.where(spam, "spam", "not-spam")})


def run_population(spark, users: list[dict], truth: pd.DataFrame, known=None, config=None) -> dict:
    """The chain (product path, defaults unless ``config``) on ``users``; metrics vs truth."""
    from assets.users.chain import run_users_chain
    from assets.users.config import DEFAULT_CONFIG
    from assets.users.load import users_from_api_objects

    t0 = time.perf_counter()
    frame = users_from_api_objects(spark, users)
    out = run_users_chain(spark, frame, known_labels=known, config=config or DEFAULT_CONFIG)
    scores = out["spam_scores"].select("user_id", "spam_probability", "predicted_class").toPandas()
    m = scores_vs_truth(scores, truth)
    clusters = out["user_clusters"].select("user_id", "cluster", "cluster_name").toPandas()
    cl = clusters.merge(truth, on="user_id")
    col = cl["group"] if "group" in cl.columns else np.where(cl["is_spam"], "spam", "legit")
    m["table"] = pd.crosstab([cl["cluster"], cl["cluster_name"]], col)
    m["k"] = int(out["elbow"].k)
    m["finding"] = out.get("finding", {})
    m["seconds"] = time.perf_counter() - t0
    m["model_metrics"] = {k: v for k, v in out["model_metrics"].items() if isinstance(v, (int, float))}
    m["spam_probability"] = scores
    return m


def seed_rule_scores(users: list[dict]) -> pd.DataFrame:
    shorteners = ("goo.gl", "bit.ly", "tinyurl.com")
    rows = []
    for u in users:
        texts = [u.get("description") or ""] + [p.get("url") or "" for p in u.get("web_profiles") or []]
        hit = any(s in t for t in texts for s in shorteners)
        rows.append((u["id"], float(hit), "spam" if hit else "fans"))
    return pd.DataFrame(rows, columns=["user_id", "spam_probability", "predicted_class"])


def populations(selected: str | None = None):
    """(name, users, truth) of every population the benchmark runs (``selected``: a comma
    list of names, run in that order)."""
    from bench import real_accounts as ra
    from simulator.users import user_dump

    every = [name if part is None else f"{name}:{part}" for name in ra.SETS for part in (None, 0, 1)]
    every += list(SIMULATED)
    wanted = every if not selected else [s.strip() for s in selected.split(",") if s.strip()]
    for label in wanted:
        if label in SIMULATED:
            users, t = user_dump(seed=31, n_users=4000, spam_share=SIMULATED[label])
            yield label, users, t.rename(columns={"id": "user_id", "class": "group"})[["user_id", "is_spam", "group"]]
        else:
            name, _, part = label.partition(":")
            users, truth = ra.load(name, int(part) if part else None)
            yield label, users, truth


def _line(name: str, m: dict) -> str:
    return (f"{name:<18} users {m['users']:>5}  AUC {m['roc_auc']:.4f}  P {m['precision']:.4f}  R {m['recall']:.4f}  "
            f"F1 {m['f1']:.4f}  spam found {m['found_spam_share']:.3f} vs true {m['true_spam_share']:.3f}  "
            f"k {m.get('k', '-')}")


def main() -> None:
    from bench.harness import record
    from bench.users_quality import _spark, chain_version

    spark = _spark()
    rec = os.environ.get("OFFBEAT_BENCH_RECORD", "1") != "0"
    version = chain_version()
    print(f"users chain: assets/users at {version}")
    for name, users, truth in populations(os.environ.get("OFFBEAT_USERS_REAL_SETS")):
        m = run_population(spark, users, truth)
        base = scores_vs_truth(seed_rule_scores(users), truth)
        known = noisy_known_labels(truth, seed=7)
        mk = run_population(spark, users, truth, known=known)
        print(f"\n### {name}  ({m['seconds']:.1f} s)")
        print("  ours     " + _line(name, m))
        print("  known 1% " + _line(name, mk) + f"   ({len(known)} labels, 5% wrong)")
        print("  baseline " + _line(name, base) + "   (seed rule: shortener => spam)")
        print(f"  finding: {m['finding']}")
        print("  cluster x class:\n" + m["table"].to_string())
        print(f"  model metrics (agreement with its own training labels): {m['model_metrics']}")
        target = TARGETS.get(name.split(":")[0], {})
        met = [f"{k} {'met' if m[k] >= v else 'MISSED'} (>= {v})" for k, v in target.items()]
        if rec:
            notes = (f"{name}: {m['users']:,} users, true spam {m['true_spam_share']:.3f}, found "
                     f"{m['found_spam_share']:.3f}; P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}; "
                     f"k {m['k']}; with 1% known labels (5% wrong) AUC {mk['roc_auc']:.3f} F1 {mk['f1']:.3f}; "
                     f"chain {version}, defaults, no labels; baseline = seed rule (shortener => spam)"
                     + (f"; targets: {', '.join(met)}" if met else ""))
            record(f"users_real_auc_{name}", 100 * m["roc_auc"], 100 * base["roc_auc"], "% ROC-AUC", notes)
            record(f"users_real_f1_{name}", 100 * m["f1"], 100 * base["f1"], "% F1", notes)


if __name__ == "__main__":
    main()
