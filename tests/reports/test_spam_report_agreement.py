"""Scenario: a reviewer reads the spam report's model section. The share of held-out users
the model labels like the chain is called agreement (the chain's own labels, not spam
truth), whether the stored metrics use the new names or an older version's ``accuracy``."""

from __future__ import annotations

import json

import pytest

from assets.reports.spam_report import render_spam_report
from tests.reports import synthetic


@pytest.mark.parametrize("metrics", [
    {"model_version": "v-old", "accuracy": 0.93, "spam_roc_auc": 0.97},
    {"model_version": "v-new", "agreement": 0.93, "agreement_spam_roc_auc": 0.97, "accuracy": 0.93,
     "spam_roc_auc": 0.97},
], ids=["older version", "current names"])
def test_model_metrics_are_reported_as_agreement(metrics):
    inputs = synthetic.spam_inputs()
    inputs["metrics"] = metrics
    report = render_spam_report(**inputs)
    assert report.figures["agreement"] == 0.93 and report.figures["agreement_spam_roc_auc"] == 0.97
    assert "accuracy" not in report.figures and "spam_roc_auc" not in report.figures
    summary = json.loads(report.files["summary.json"])
    assert summary["agreement"] == 0.93 and "accuracy" not in summary["metrics"]
    html = report.html.decode()
    model = html.split("<h2>Model</h2>", 1)[1]
    assert "not spam truth" in model.split("</p>", 1)[0]
    assert ">agreement<" in html and ">accuracy<" not in html
