"""The spam model: a feed-forward network (scikit-learn MLP) on weak labels.

Training labels: the cluster classes (``clustering.name_clusters``) and the labelling
functions (``LABELLING_FUNCTIONS``: public knowledge about spam, each voting spam or
abstaining) are combined by a label model (``fit_label_model``: Dawid-Skene, the model
Snorkel fits, with weights learned from how the voters agree on the unlabelled users; no
voter overrides another). Known labels, where given, then win (a known ``spam`` makes the
user spam; a known ``not-spam`` inside a spam label takes the class of the nearest non-spam
cluster). Samples are balanced per class (each class capped at ``train_per_class``), drawn
by hashing (seed, user_id), training and test samples are disjoint.

Prediction: P(spam) is the network's; ``predicted_class`` is "spam" where P(spam) >=
``SpamModel.threshold`` (``UsersConfig.spam_threshold``, 0.5), else the most probable
non-spam class. Nothing overrides the network.

``SpamModel.metrics`` (``evaluate``, on the held-out sample labelled like the training
data: they measure AGREEMENT with the chain's own labels, not spam truth; real precision
and recall come from labelled sets, ``python -m bench users_real``):

* ``agreement``: share of held-out users whose predicted class equals their label;
* ``agreement_spam_roc_auc``: ROC-AUC of P(spam) against the spam label;
* ``per_class`` (precision / recall / f1 / support per class, against the labels),
  ``confusion_matrix``, ``brier``, ``reliability`` (calibration table), ``test_rows``;
* added by the chain: ``train_rows``, ``train_spam_share``, ``label_model`` (prior,
  iterations and, per voter, coverage, learned accuracy and agreement with the clusters);
* ``accuracy`` and ``spam_roc_auc``: deprecated aliases of the two agreement figures,
  kept until every reader uses the new names.
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
    threshold: float = 0.5  # predicted class "spam" where P(spam) >= threshold

    def schema(self) -> dict:
        return {"features": self.features, "classes": self.classes, "spam_class": SPAM,
                "sklearn": sklearn.__version__, "transform": "log1p(count-like) -> standard scale -> MLP"}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(X[self.features].to_numpy(dtype="float64"))

    def spam_probability(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(P(spam), predicted class) for rows of ``X`` (feature columns by name).

        P(spam) is the network's. The predicted class is "spam" where P(spam) >=
        ``threshold`` (0.5 by default: the network was trained on balanced classes, so 0.5
        is where spam and the rest are equally likely), else the network's most probable
        non-spam class. Nothing overrides the network.
        """
        proba = self.predict_proba(X)
        classes = np.asarray(self.pipeline.classes_)
        p_spam = proba[:, list(classes).index(SPAM)] if SPAM in classes else np.zeros(len(X))
        pred = classes[proba.argmax(axis=1)].astype(object)
        legit_idx = [i for i, c in enumerate(classes) if c != SPAM]
        if legit_idx:
            pred = classes[legit_idx][proba[:, legit_idx].argmax(axis=1)].astype(object)
        if SPAM in classes:
            pred[p_spam >= self.threshold] = SPAM
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


# Labelling functions (weak supervision beside the cluster labels). K-Means groups users by
# overall shape, so a cluster label can be wrong for a user whose one decisive trait is
# drowned by twenty ordinary ones. Each function states public knowledge about spam on any
# platform and votes "spam" where it holds (it abstains elsewhere: none votes "legitimate",
# and none is an override). Their votes and the cluster vote are combined by a label model
# (``label_model``) whose weights come from how the voters agree on the unlabelled users.
LONG_COPY_WORDS = 10
LABELLING_FUNCTIONS = {
    # accounts registered in one second sharing one description: scripted sign-up
    # (lockstep behaviour: Beutel et al., CopyCatch, WWW 2013; Chavoshi et al., DeBot, 2016)
    "same_second_batch": lambda d: d["fake_batch_size"] >= 1,
    # a random-looking domain on a free TLD (Freenom TLDs: Interisle "Phishing Landscape")
    "random_free_domain": lambda d: d["random_free_domain"] >= 1,
    # a link on a much-abused TLD (Spamhaus "most abused TLDs")
    "abused_domain": lambda d: d["abused_tld"] >= 1,
    # profanity beside a shortener or random-looking link (adult-content spam)
    "profane_with_link": lambda d: ((d["description_profanities"] + d["url_title_profanities"]) >= 1)
    & ((d["url_shortener"] + d["random_domain_name"]) >= 1),
    # sales words with a link or description shared with other accounts: one business
    # promoted by many accounts
    "shared_business_promo": lambda d: (d["commercial_terms"] >= 1)
    & ((d["duplicate_urls"] + d["duplicate_descriptions"]) >= 1),
    # a description of LONG_COPY_WORDS+ words that another account has word for word: two
    # people do not write the same long text by chance (copy-paste profiles of a campaign;
    # Cresci et al., "DNA-inspired online behavioral modeling", 2016). Reads the column
    # ``description_words`` the chain adds to its samples.
    "copied_long_description": lambda d: (d["duplicate_descriptions"] >= 1)
    & (d["description_words"] >= LONG_COPY_WORDS),
}


def lf_votes(part: pd.DataFrame) -> pd.DataFrame:
    """Votes of the labelling functions on ``part``: 1 (spam) or -1 (abstain) per row and
    function; a function whose columns ``part`` lacks abstains everywhere."""
    out = {}
    for name, rule in LABELLING_FUNCTIONS.items():
        try:
            hit = pd.Series(rule(part), index=part.index).fillna(False).astype(bool)
        except KeyError:
            hit = pd.Series(False, index=part.index)
        out[name] = np.where(hit.to_numpy(), 1, -1)
    return pd.DataFrame(out, index=part.index, dtype="int8")


OUTCOMES = (1, 0, -1)  # a vote: spam, not spam, abstain


@dataclass
class LabelModel:
    """A Dawid-Skene label model (Dawid & Skene 1979; the conditionally independent model
    Snorkel's ``LabelModel`` fits, Ratner et al. 2017): per voter, the probability of each
    outcome (spam / not spam / abstain) given the true class, and the spam prior; fitted by
    EM on the unlabelled votes. ``posterior`` gives P(spam | votes). Each vote moves the
    log-odds by its learned log-likelihood ratio (bounded by the pseudo-counts: a voter seen
    on n users moves the odds by at most about n-fold): no voter is an override."""

    voters: list[str]
    # voter -> {"spam": {outcome: p}, "legit": {outcome: p}}
    conditionals: dict[str, dict[str, dict[int, float]]]
    prior: float
    iterations: int
    max_log_ratio: float

    def log_ratios(self) -> np.ndarray:
        """(voters x outcomes) log P(outcome | spam) / P(outcome | legit), capped; 0 for an
        outcome the voter never produced."""
        ps = np.array([[self.conditionals[v]["spam"][o] for o in OUTCOMES] for v in self.voters]).reshape(-1, 3)
        pl = np.array([[self.conditionals[v]["legit"][o] for o in OUTCOMES] for v in self.voters]).reshape(-1, 3)
        return _log_ratio(ps, pl, (ps > 0) | (pl > 0), self.max_log_ratio)

    def posterior(self, votes: pd.DataFrame) -> np.ndarray:
        return _posterior(votes[self.voters].to_numpy(), self.log_ratios(), self.prior)

    def accuracy(self) -> dict[str, float]:
        """Per voter: P(its vote is right | it votes), under the model's prior."""
        out = {}
        for v in self.voters:
            c = self.conditionals[v]
            right = self.prior * c["spam"][1] + (1 - self.prior) * c["legit"][0]
            cast = right + self.prior * c["spam"][0] + (1 - self.prior) * c["legit"][1]
            out[v] = round(float(right / cast), 6) if cast > 0 else None
        return out


def _log_ratio(p_spam: np.ndarray, p_legit: np.ndarray, seen: np.ndarray, cap: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(np.maximum(p_spam, 1e-300) / np.maximum(p_legit, 1e-300))
    return np.where(seen, np.clip(r, -cap, cap), 0.0)


def _posterior(V: np.ndarray, log_ratio: np.ndarray, prior: float) -> np.ndarray:
    idx = np.select([V == 1, V == 0], [0, 1], 2)  # column of the outcome in OUTCOMES
    logit = np.log(prior / (1 - prior)) + log_ratio[np.arange(V.shape[1])[None, :], idx].sum(axis=1)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))


def fit_label_model(votes: pd.DataFrame, init: np.ndarray | None = None, max_iter: int = 500, tol: float = 1e-7,
                    smoothing: float = 0.5, max_log_ratio: float = 50.0) -> LabelModel:
    """EM for the Dawid-Skene model on ``votes`` (columns = voters, values 1 / 0 / -1).

    ``init``: the starting P(spam) per row (default: the share of spam among a row's cast
    votes, 0.5 with none); deterministic. ``smoothing``: pseudo-counts per outcome and class
    (an outcome never seen with a class keeps a small probability)."""
    votes = votes.loc[:, [c for c in votes.columns if (votes[c] >= 0).any()]]  # a silent voter says nothing
    V = votes.to_numpy()
    voters = list(votes.columns)
    if init is None:
        spam_v, cast = (V == 1).sum(axis=1), (V >= 0).sum(axis=1)
        init = np.where(cast > 0, spam_v / np.maximum(cast, 1), 0.5)
    q = np.clip(np.asarray(init, dtype="float64"), 0.0, 1.0)
    onehot = np.stack([V == o for o in OUTCOMES], axis=2).astype("float64")  # rows x voters x outcomes
    seen = onehot.any(axis=0)  # outcomes each voter ever produces: only those are smoothed
    it, lr, prior = 0, np.zeros((len(voters), 3)), 0.5
    p_spam = p_legit = np.full((len(voters), 3), 1 / 3)
    # the model is identifiable from three conditionally independent voters on (Dawid &
    # Skene; Snorkel needs three LFs too): with fewer, one M step from ``init`` (each voter
    # measured against the starting labels) and no further iterations
    rounds = max_iter if len(voters) >= 3 else 1
    for it in range(1, rounds + 1):  # noqa: B007  (the count is returned)
        # M step: class-conditional outcome probabilities and the prior
        n_spam = np.einsum("i,ijo->jo", q, onehot) + smoothing * seen
        n_legit = np.einsum("i,ijo->jo", 1 - q, onehot) + smoothing * seen
        p_spam = np.where(seen, n_spam / np.maximum(n_spam.sum(axis=1, keepdims=True), 1e-12), 0.0)
        p_legit = np.where(seen, n_legit / np.maximum(n_legit.sum(axis=1, keepdims=True), 1e-12), 0.0)
        prior = float(np.clip(q.mean(), 1e-4, 1 - 1e-4))
        lr = _log_ratio(p_spam, p_legit, seen, max_log_ratio)
        if rounds == 1:
            break
        # E step
        new_q = _posterior(V, lr, prior)
        done = np.abs(new_q - q).max() < tol
        q = new_q
        if done:
            break
    cond = {v: {"spam": {o: float(p_spam[j, k]) for k, o in enumerate(OUTCOMES)},
                "legit": {o: float(p_legit[j, k]) for k, o in enumerate(OUTCOMES)}} for j, v in enumerate(voters)}
    return LabelModel(voters=voters, conditionals=cond, prior=round(prior, 6), iterations=it,
                      max_log_ratio=max_log_ratio)


def lf_report(votes: pd.DataFrame, lm: LabelModel, reference: str = "cluster") -> list[dict]:
    """Per voter: coverage (share of users it votes on), the label model's accuracy, and its
    agreement with the ``reference`` voter (the clusters) where both vote."""
    rows = []
    ref = votes[reference].to_numpy() if reference in votes.columns else None
    for v in votes.columns:
        x = votes[v].to_numpy()
        cast = x >= 0
        row = {"voter": v, "coverage": round(float(cast.mean()), 6), "spam_votes": int((x == 1).sum()),
               "accuracy_label_model": lm.accuracy().get(v)}
        if ref is not None and v != reference:
            both = cast & (ref >= 0)
            row["agreement_with_clusters"] = round(float((x[both] == ref[both]).mean()), 6) if both.any() else None
        rows.append(row)
    return rows


def weak_labels(part: pd.DataFrame, label: str = "label") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(votes, cluster + labelling-function votes) of ``part``: the cluster votes 1 where its
    class is spam, 0 elsewhere."""
    votes = lf_votes(part)
    votes.insert(0, "cluster", np.where(part[label].astype(str).to_numpy() == SPAM, 1, 0).astype("int8"))
    return votes


def apply_label_model(part: pd.DataFrame, lm: LabelModel, legit_fallback: pd.Series,
                      label: str = "label", threshold: float = 0.5) -> pd.Series:
    """Training labels of ``part`` (user_id, features, ``label`` = cluster class): spam where
    the label model's P(spam | cluster vote, labelling functions) >= ``threshold``; a user of
    a spam cluster below it takes its nearest non-spam cluster's class (``legit_fallback``,
    indexed by user_id; it stays spam when no non-spam cluster exists)."""
    p = lm.posterior(weak_labels(part, label))
    y = part[label].astype(object).copy()
    spam = p >= threshold
    y[spam] = SPAM
    out = ~spam & (y == SPAM).to_numpy()
    if out.any():
        fb = legit_fallback.reindex(part.loc[out, "user_id"].to_numpy()).to_numpy()
        y[out] = np.where(pd.isna(fb), SPAM, fb)
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


def hash_unit(user_id, seed: int):
    """A uniform number in [0, 1) per user from (seed, user_id) alone (Spark column): the
    same users are drawn whatever the partitioning, run after run."""
    h = F.xxhash64(F.lit(int(seed)), user_id.cast("long"))
    return (F.pmod(h, F.lit(1 << 52)).cast("double") / float(1 << 52))


def balanced_split(labelled: DataFrame, label: str, per_class_train: int, per_class_test: int,
                   seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disjoint (train, test) samples with at most n users per class, drawn on Spark.

    Each user gets a number from hashing (seed, user_id) (``hash_unit``); a class keeps its
    users with the smallest numbers, about ``train + test`` of them (a threshold per class
    from the class counts, then exactly that many on the driver), ordered by that number:
    up to ``per_class_test`` go to test but never more than half of a small class. The
    result depends on the seed and the users only, not on Spark's partitioning.
    """
    counts = {r[label]: r["count"] for r in labelled.groupBy(label).count().collect()}
    want = per_class_train + per_class_test
    fractions = {c: min(1.0, 1.2 * want / n) for c, n in counts.items() if n > 0}
    u = hash_unit(F.col("user_id"), seed)
    keep = F.lit(False)
    for c, f in fractions.items():
        keep = keep | ((F.col(label) == F.lit(c)) & (u < F.lit(f)))
    sample = labelled.withColumn("_u", u).where(keep).toPandas()
    train, test = [], []
    for _c, g in sample.groupby(label, sort=True):
        g = g.sort_values(["_u", "user_id"], kind="stable").head(want)
        n_test = min(per_class_test, len(g) // 2)
        test.append(g.iloc[:n_test])
        train.append(g.iloc[n_test:n_test + per_class_train])
    if not train:
        empty = labelled.limit(0).toPandas()
        return empty, empty
    return (pd.concat(train, ignore_index=True).drop(columns="_u"),
            pd.concat(test, ignore_index=True).drop(columns="_u"))


def fit(train: pd.DataFrame, features: list[str], label: str = "label", hidden: tuple[int, ...] = (64, 32),
        seed: int = 0, alpha: float = 1e-2) -> SpamModel:
    """Fit log1p + scaling + MLP (``random_state=seed``; rows in user_id order, so the fit
    depends on the rows, not on the order they came in). Weights: spam and not-spam weigh
    half each (the non-spam classes share their half equally), so P(spam) = 0.5 is where
    spam and not-spam are equally likely, whatever their shares in the population."""
    if "user_id" in train.columns:
        train = train.sort_values("user_id", kind="stable").reset_index(drop=True)
    X = train[features].to_numpy(dtype="float64")
    y = train[label].astype(str).to_numpy()
    counts = pd.Series(y).value_counts()
    legit = [c for c in counts.index if c != SPAM]
    if SPAM in counts.index and legit:
        share = {c: (0.5 if c == SPAM else 0.5 / len(legit)) for c in counts.index}
    else:
        share = {c: 1.0 / len(counts) for c in counts.index}
    weight = pd.Series(y).map(lambda c: share[c] * len(y) / counts[c]).to_numpy()
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
    """How far the model agrees with the labels it was trained from, on the held-out sample
    labelled the same way (see the module docstring for the keys). These labels are the
    chain's own (clusters + label model), not spam truth: real precision and recall come
    from labelled sets (``python -m bench users_real``)."""
    y = test[label].astype(str).to_numpy()
    p_spam, pred = model.spam_probability(test)
    pred = pred.astype(str)
    classes = sorted(set(y) | set(pred))
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    is_spam = (y == SPAM).astype(int)
    auc = float(roc_auc_score(is_spam, p_spam)) if 0 < is_spam.sum() < len(is_spam) else None
    cm = confusion_matrix(y, pred, labels=classes)
    agreement = round(float(accuracy_score(y, pred)), 6) if len(y) else None
    auc = round(auc, 6) if auc is not None else None
    return {
        "test_rows": int(len(y)),
        "agreement": agreement,
        "agreement_spam_roc_auc": auc,
        "per_class": {c: {"precision": round(float(p), 6), "recall": round(float(r), 6), "f1": round(float(f), 6),
                          "support": int(s)} for c, p, r, f, s in zip(classes, prec, rec, f1, sup, strict=True)},
        "confusion_matrix": {"labels": classes, "rows_true_cols_predicted": cm.tolist()},
        "brier": round(float(brier_score_loss(is_spam, p_spam)), 6) if len(y) else None,
        "reliability": reliability(is_spam, p_spam).to_dict(orient="records"),
        # deprecated aliases of agreement / agreement_spam_roc_auc, kept until every reader
        # (assets, reports, the model store's bar) uses the new names
        "accuracy": agreement,
        "spam_roc_auc": auc,
    }


def meets_bar(metrics: dict, min_agreement: float, min_spam_auc: float) -> tuple[bool, str]:
    """The promotion bar: agreement with the training labels and the spam ROC-AUC against
    them (held-out sample), both at least their minimum."""
    acc = metrics.get("agreement", metrics.get("accuracy")) or 0.0
    auc = metrics.get("agreement_spam_roc_auc", metrics.get("spam_roc_auc"))
    if acc < min_agreement:
        return False, f"agreement {acc:.4f} < {min_agreement}"
    if auc is None or auc < min_spam_auc:
        return False, f"spam ROC-AUC vs training labels {auc} < {min_spam_auc}"
    return True, (f"agreement {acc:.4f} >= {min_agreement}, spam ROC-AUC vs training labels {auc:.4f} "
                  f">= {min_spam_auc}")


def labelled_features(features: DataFrame, labels: DataFrame) -> DataFrame:
    return features.join(labels, "user_id").where(F.col("label").isNotNull())
