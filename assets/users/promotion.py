"""Which spam model scores: the new one, or the promoted one kept (pure, no Dagster).

A model's figures on its held-out sample measure how well it reproduces the chain's OWN
training labels (cluster classes corrected by labelling functions and known labels), not
spam truth: they are reported as ``agreement`` (real metrics are the benchmark's, on
labelled real sets). The bar and the comparison with the promoted model decide which
model scores; only a BROKEN model (no spam class, probabilities that are not numbers in
0..1, nothing to evaluate on) stops scoring. A new model that is merely not better keeps
the promoted one; the first model is promoted even below the bar (a population is scored
rather than left without scores; the decision says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assets.users.agreement import agreement, agreement_auc, with_agreement  # noqa: F401  (used by the asset)
from assets.users.model import SPAM, SpamModel, evaluate


@dataclass(frozen=True)
class Bar:
    min_agreement: float
    min_spam_auc: float
    max_regression: float


@dataclass(frozen=True)
class Decision:
    promote_new: bool  # the new model becomes the promoted one
    usable: bool  # a sound model is promoted for scoring (the new one or the kept one)
    meets_bar: bool  # the new model met the bar (and was not worse than the promoted one)
    reason: str
    defects: tuple[str, ...] = ()
    previous_version: str | None = None
    previous_agreement: float | None = None  # the promoted model on the new held-out sample


def defects(model: SpamModel, test: pd.DataFrame) -> list[str]:
    """What makes ``model`` unusable for scoring, on its held-out sample ``test``."""
    out = []
    if SPAM not in [str(c) for c in model.classes]:
        out.append(f"no spam class (classes {list(model.classes)})")
    missing = [f for f in model.features if f not in test.columns]
    if missing:
        return [*out, f"features missing from the table: {missing[:5]}"]
    if test.empty:
        return [*out, "no held-out users to evaluate on"]
    proba = model.predict_proba(test)
    if not np.isfinite(proba).all():
        out.append(f"{int((~np.isfinite(proba)).any(axis=1).sum())} held-out users get non-finite probabilities")
    elif (proba < 0).any() or (proba > 1).any() or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
        out.append("probabilities outside 0..1 or not summing to 1")
    return out


def meets_bar(metrics: dict, bar: Bar) -> tuple[bool, str]:
    agr, auc = agreement(metrics), agreement_auc(metrics)
    if agr is None or not agr >= bar.min_agreement:
        return False, f"agreement {agr} < {bar.min_agreement}"
    if auc is None or not auc >= bar.min_spam_auc:
        return False, f"spam ROC-AUC {auc} < {bar.min_spam_auc}"
    return True, f"agreement {agr:.4f} >= {bar.min_agreement}, spam ROC-AUC {auc:.4f} >= {bar.min_spam_auc}"


def decide(new: SpamModel, test: pd.DataFrame, bar: Bar, previous: SpamModel | None = None,
           previous_version: str | None = None, label: str = "label") -> Decision:
    """Promote ``new`` (trained, with ``metrics`` on ``test``), keep ``previous`` (the
    promoted model), or stop (``new`` is broken)."""
    broken = defects(new, test)
    if broken:
        return Decision(False, False, False, "the new model is broken: " + "; ".join(broken), tuple(broken),
                        previous_version)
    ok, why = meets_bar(new.metrics, bar)
    prev_broken = defects(previous, test) if previous is not None else ["none promoted"]
    if prev_broken:
        first = previous is None
        head = "first model" if first else f"the promoted {previous_version} cannot score this table ({'; '.join(prev_broken)})"
        tail = why if ok else f"{why}: below the bar, promoted so that the users are scored"
        return Decision(True, True, ok, f"{head}: {tail}", (), previous_version)
    prev_agr = agreement(evaluate(previous, test, label))
    if not ok:
        return Decision(False, True, False, f"kept the promoted {previous_version}: the new model is below the bar "
                        f"({why})", (), previous_version, prev_agr)
    new_agr = agreement(new.metrics)
    if prev_agr is not None and new_agr < prev_agr - bar.max_regression:
        return Decision(False, True, False, f"kept the promoted {previous_version}: the new model's agreement "
                        f"{new_agr:.4f} is worse than its {prev_agr:.4f} on the same held-out sample "
                        f"(by more than {bar.max_regression})", (), previous_version, prev_agr)
    return Decision(True, True, True, why + (f"; the promoted {previous_version} agrees {prev_agr:.4f} on the same "
                                             "held-out sample" if prev_agr is not None else ""),
                    (), previous_version, prev_agr)
