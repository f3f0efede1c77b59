"""What the spam model's held-out figures measure, under one name (no dependencies: the
reports read it too).

The held-out sample is labelled like the training data (cluster classes corrected by the
labelling functions and known labels), so the share of held-out users where the model's
class equals that label is its AGREEMENT with the chain's own labels, not accuracy against
spam truth (real metrics are the benchmark's, on labelled real sets: bench/RESULTS.md).
"""

from __future__ import annotations

AGREEMENT = "agreement"
AGREEMENT_AUC = "agreement_spam_roc_auc"  # ROC-AUC of P(spam) against the same labels
MEANS = ("agreement of the model with the chain's own training labels (clusters corrected by labelling "
         "functions and known labels) on its held-out sample; not spam truth (real metrics: bench/RESULTS.md)")
# what ``assets.users.model.evaluate`` called these before they were renamed (the one mapping place)
_OLD_NAMES = {"accuracy": AGREEMENT, "spam_roc_auc": AGREEMENT_AUC}


def with_agreement(metrics: dict) -> dict:
    """``metrics`` under the agreement names: an old key is renamed, or dropped when the new
    one is there too (``evaluate`` kept both for a while)."""
    out = dict(metrics)
    for old, new in _OLD_NAMES.items():
        if old in out:
            value = out.pop(old)
            out.setdefault(new, value)
    return out


def agreement(metrics: dict) -> float | None:
    v = with_agreement(metrics).get(AGREEMENT)
    return None if v is None else float(v)


def agreement_auc(metrics: dict) -> float | None:
    v = with_agreement(metrics).get(AGREEMENT_AUC)
    return None if v is None else float(v)
