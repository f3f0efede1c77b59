"""The spam model: a feed-forward network (scikit-learn MLP) on cluster labels.

Training labels are the cluster classes, corrected by labelling functions stating decisive
evidence (``SPAM_EVIDENCE``, ``evidence``), then overridden by known labels where given (a known
``spam`` makes the user spam; a known ``not-spam`` inside a spam cluster takes the class
of the nearest non-spam cluster). Samples are balanced per class (each class capped at
``train_per_class``; classes smaller than that are weighted up), training and test
samples are disjoint, and the test sample is balanced the same way.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from assets.users.clustering import preprocessor

SPAM = "spam"


@dataclass
class SpamModel:
    """A fitted pipeline with the feature schema it expects and its metrics."""

    pipeline: Pipeline
    features: list[str]
    classes: list[str]
    metrics: dict = field(default_factory=dict)
    version: str | None = None
    trained_on: dict = field(default_factory=dict)

    def schema(self) -> dict:
        return {"features": self.features, "classes": self.classes, "spam_class": SPAM,
                "sklearn": sklearn.__version__, "transform": "log1p(count-like) -> standard scale -> MLP"}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(X[self.features].to_numpy(dtype="float64"))

    def spam_probability(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(P(spam), predicted class) for rows of ``X`` (feature columns by name).

        P(spam) is the network's. The predicted class is the network's most probable class,
        except that a user with legitimacy evidence and no spam evidence (``evidence``: a
        publishing musician, or a user whose only spam-like trait is a shortener link, with
        no decisive content evidence) gets its most probable non-spam class: the policy the
        training labels were corrected by, kept where the network has seen too few such users
        to learn it (a handful of fans with a bit.ly link look like link spam to it).
        """
        proba = self.predict_proba(X)
        classes = np.asarray(self.pipeline.classes_)
        p_spam = proba[:, list(classes).index(SPAM)] if SPAM in classes else np.zeros(len(X))
        pred = classes[proba.argmax(axis=1)]
        legit_idx = [i for i, c in enumerate(classes) if c != SPAM]
        if SPAM in classes and legit_idx:
            guard = legit_evidence(X) & (pred == SPAM)
            if guard.any():
                pred = pred.copy()
                pred[guard] = classes[legit_idx][proba[guard][:, legit_idx].argmax(axis=1)]
        return p_spam, pred

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        pickle.dump(self, buf, protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> SpamModel:
        model = pickle.loads(data)
        if not isinstance(model, SpamModel):
            raise TypeError(f"not a SpamModel: {type(model).__name__}")
        return model


# Labelling functions (weak supervision on top of the cluster labels). K-Means groups users
# by overall shape, so a cluster label is wrong for users whose one decisive trait is
# drowned by twenty ordinary ones: a same-second batch with a plausible description lands
# among fans, a musician whose only odd trait is a bit.ly link lands among spam. These rules
# state evidence that holds on any platform, not thresholds fitted to a population:
SPAM_EVIDENCE = {
    # accounts registered in one second with one identical description: scripted signup
    "same_second_batch": lambda d: d["fake_batch_size"] >= 1,
    # a random-looking domain on a free TLD (Freenom: overwhelmingly abuse)
    "random_free_domain": lambda d: d["random_free_domain"] >= 1,
    # a link on a much-abused TLD (Spamhaus rankings), on an account that publishes nothing
    "abused_domain_no_tracks": lambda d: (d["abused_tld"] >= 1) & (d["tracks"] < 1),
    # profanity beside a shortener or random-looking link, on an account that publishes nothing
    "profane_with_link": lambda d: ((d["description_profanities"] + d["url_title_profanities"]) >= 1)
    & ((d["url_shortener"] + d["random_domain_name"]) >= 1) & (d["tracks"] < 1),
    # sales words with a link or description shared with other accounts: one business
    # promoted by many accounts
    "shared_business_promo": lambda d: (d["commercial_terms"] >= 1)
    & ((d["duplicate_urls"] + d["duplicate_descriptions"]) >= 1),
}
# Decisive content evidence of spam: with none of it, a link shortener or link hub is how
# musicians promote releases, not spam (shared links and stock phrases such as "out now on
# all platforms" are common among musicians too, so they are not decisive).
CONTENT_EVIDENCE = ("description_profanities", "url_title_profanities", "commercial_terms", "random_domain_name",
                    "abused_tld", "random_free_domain", "fake_batch_size")


# Promotion links: a URL shortener, and a link-in-bio / smart-link hub (linktr.ee, lnk.to,
# found.ee, hypeddit...) where the feature table has such a column.
LINK_COLUMNS = ("url_shortener", "url_link_hub")


def evidence(part: pd.DataFrame) -> pd.Series:
    """Per row: "spam" (a rule of SPAM_EVIDENCE holds), "legit" (a publishing musician, or a
    user whose only spam-like trait is a shortener link, with no content evidence), or ""."""
    out = pd.Series("", index=part.index, dtype=object)
    no_content = pd.Series(True, index=part.index)
    for c in CONTENT_EVIDENCE:
        if c in part.columns:
            no_content &= pd.to_numeric(part[c], errors="coerce").fillna(0) <= 0
    publishes = part["tracks"] >= 1 if "tracks" in part.columns else pd.Series(False, index=part.index)
    only_link = pd.Series(False, index=part.index)
    for c in LINK_COLUMNS:  # a link hub counts like a shortener where the features have one
        if c in part.columns:
            only_link |= pd.to_numeric(part[c], errors="coerce").fillna(0) >= 1
    out[no_content & (publishes | only_link)] = "legit"
    spam = pd.Series(False, index=part.index)
    for rule in SPAM_EVIDENCE.values():
        try:
            spam |= rule(part).fillna(False).astype(bool)
        except KeyError:  # a feature set without that column
            continue
    out[spam] = "spam"
    return out


def legit_evidence(part: pd.DataFrame) -> np.ndarray:
    """Per row: True where ``evidence`` says "legit"; all False when ``part`` lacks a column
    the rules read (no evidence can be stated then)."""
    needed = {"tracks", "url_shortener", "duplicate_urls", "duplicate_descriptions", *CONTENT_EVIDENCE}
    if not needed <= set(part.columns):
        return np.zeros(len(part), dtype=bool)
    return (evidence(part) == "legit").to_numpy()


def apply_evidence_labels(part: pd.DataFrame, legit_fallback: pd.Series, label: str = "label") -> pd.Series:
    """Cluster labels of ``part`` (user_id, features, ``label``) corrected by ``evidence``:
    spam evidence makes a user spam; legit evidence takes a user out of a spam cluster into
    its nearest non-spam cluster's class (``legit_fallback``, indexed by user_id)."""
    ev = evidence(part)
    y = part[label].astype(object).copy()
    y[ev == "spam"] = SPAM
    out = (ev == "legit") & (y == SPAM)
    if out.any():
        fb = legit_fallback.reindex(part.loc[out, "user_id"].to_numpy()).to_numpy()
        keep = pd.isna(fb)
        y[out] = np.where(keep, SPAM, fb)
    return y


def apply_known_labels(labels: pd.DataFrame, known: pd.DataFrame | None, legit_fallback: pd.Series) -> pd.DataFrame:
    """``labels`` (user_id, label) with known labels (user_id, label in spam/not-spam) applied.

    ``legit_fallback`` (indexed by user_id): the class a known not-spam user gets when its
    cluster says spam (its nearest non-spam cluster).
    """
    if known is None or known.empty:
        return labels.assign(source="cluster")
    k = known.copy()
    k["label"] = k["label"].astype(str).str.strip().str.lower().str.replace("_", "-")
    bad = ~k["label"].isin(["spam", "not-spam"])
    if bad.any():
        raise ValueError(f"known labels must be 'spam' or 'not-spam'; got {sorted(k.loc[bad, 'label'].unique())[:5]}")
    k = k.drop_duplicates("user_id", keep="last").set_index("user_id")["label"]
    out = labels.set_index("user_id").copy()
    out["source"] = "cluster"
    hit = out.index.intersection(k.index)
    is_spam = k.loc[hit] == "spam"
    out.loc[hit[is_spam.to_numpy()], "label"] = SPAM
    legit_ids = hit[~is_spam.to_numpy()]
    relabel = legit_ids[(out.loc[legit_ids, "label"] == SPAM).to_numpy()]
    out.loc[relabel, "label"] = legit_fallback.reindex(relabel).to_numpy()
    out.loc[hit, "source"] = "known"
    return out.reset_index()


def balanced_split(labelled: DataFrame, label: str, per_class_train: int, per_class_test: int,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disjoint (train, test) samples with at most n users per class, drawn on Spark.

    Each class is sampled to about ``train + test`` users, then shuffled and split: up to
    ``per_class_test`` go to test but never more than half of a small class.
    """
    counts = {r[label]: r["count"] for r in labelled.groupBy(label).count().collect()}
    want = per_class_train + per_class_test
    fractions = {c: min(1.0, 1.2 * want / n) for c, n in counts.items() if n > 0}
    sample = labelled.sampleBy(label, fractions, seed).toPandas()
    rng = np.random.default_rng(seed)
    train, test = [], []
    for _c, g in sample.groupby(label):
        g = g.iloc[rng.permutation(len(g))]
        n_test = min(per_class_test, len(g) // 2)
        test.append(g.iloc[:n_test])
        train.append(g.iloc[n_test:n_test + per_class_train])
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True)


def fit(train: pd.DataFrame, features: list[str], label: str = "label", hidden: tuple[int, ...] = (64, 32),
        seed: int = 0, alpha: float = 1e-2) -> SpamModel:
    """Fit log1p + scaling + MLP; classes weighted so each class counts equally."""
    X = train[features].to_numpy(dtype="float64")
    y = train[label].astype(str).to_numpy()
    counts = pd.Series(y).value_counts()
    weight = pd.Series(y).map(len(y) / (len(counts) * counts)).to_numpy()
    mlp = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", alpha=alpha, max_iter=300,
                        early_stopping=len(y) >= 200, n_iter_no_change=15, random_state=seed)
    pipe = Pipeline([("prep", preprocessor(tuple(features))), ("mlp", mlp)])
    pipe.fit(X, y, mlp__sample_weight=weight)
    return SpamModel(pipeline=pipe, features=list(features), classes=[str(c) for c in pipe.classes_],
                     trained_on={"rows": int(len(y)), "per_class": {str(k): int(v) for k, v in counts.items()}})


def reliability(y_true: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Calibration table: per probability bin, users, mean predicted and observed spam share."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "users": int(m.sum()),
                     "mean_predicted": round(float(p[m].mean()), 4) if m.any() else None,
                     "observed_spam": round(float(y_true[m].mean()), 4) if m.any() else None})
    return pd.DataFrame(rows)


def evaluate(model: SpamModel, test: pd.DataFrame, label: str = "label") -> dict:
    """Accuracy, per-class precision/recall, confusion matrix, ROC-AUC spam vs rest, calibration."""
    y = test[label].astype(str).to_numpy()
    p_spam, pred = model.spam_probability(test)
    classes = sorted(set(y) | set(pred))
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    is_spam = (y == SPAM).astype(int)
    auc = float(roc_auc_score(is_spam, p_spam)) if 0 < is_spam.sum() < len(is_spam) else None
    cm = confusion_matrix(y, pred, labels=classes)
    return {
        "test_rows": int(len(y)),
        "accuracy": round(float(accuracy_score(y, pred)), 6),
        "per_class": {c: {"precision": round(float(p), 6), "recall": round(float(r), 6), "f1": round(float(f), 6),
                          "support": int(s)} for c, p, r, f, s in zip(classes, prec, rec, f1, sup, strict=True)},
        "confusion_matrix": {"labels": classes, "rows_true_cols_predicted": cm.tolist()},
        "spam_roc_auc": round(auc, 6) if auc is not None else None,
        "brier": round(float(brier_score_loss(is_spam, p_spam)), 6) if len(y) else None,
        "reliability": reliability(is_spam, p_spam).to_dict(orient="records"),
    }


def meets_bar(metrics: dict, min_accuracy: float, min_spam_auc: float) -> tuple[bool, str]:
    acc, auc = metrics.get("accuracy") or 0.0, metrics.get("spam_roc_auc")
    if acc < min_accuracy:
        return False, f"accuracy {acc:.4f} < {min_accuracy}"
    if auc is None or auc < min_spam_auc:
        return False, f"spam ROC-AUC {auc} < {min_spam_auc}"
    return True, f"accuracy {acc:.4f} >= {min_accuracy}, spam ROC-AUC {auc:.4f} >= {min_spam_auc}"


def labelled_features(features: DataFrame, labels: DataFrame) -> DataFrame:
    return features.join(labels, "user_id").where(F.col("label").isNotNull())
