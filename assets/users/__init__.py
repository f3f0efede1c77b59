"""User spam detection (issue 11): features, feature selection, clustering, model, scores.

Pure transforms live in small modules (``load``, ``text``, ``domains``, ``features``,
``selection``, ``clustering``, ``model``, ``scoring``, ``overview``); ``chain`` runs them in
order without Dagster; ``assets`` wires them; ``service`` serves the promoted model.
"""
