"""Data-quality validation with great-expectations 1.x (ephemeral context, no files).

``validate(df, expectations)`` runs a list of ``Expectation(name, kwargs)`` against a pandas
DataFrame and returns a compact, JSON-friendly result for Dagster check metadata.
GX is imported lazily (it costs seconds) and its progress bars are off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Expectation:
    """A GX expectation by class name, e.g. Expectation("ExpectColumnValuesToBeUnique", {"column": "id"})."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ValidationOutcome:
    success: bool
    failures: list[str]
    evaluated: int

    def metadata(self) -> dict[str, Any]:
        return {"expectations": self.evaluated, "failed": len(self.failures), "failures": "; ".join(self.failures) or "none"}


@functools.cache
def _context():
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = ctx.data_sources.add_pandas("offbeat").add_dataframe_asset(name="frame")
    return gx, batch.add_batch_definition_whole_dataframe("whole")


def validate(df: pd.DataFrame, expectations: list[Expectation], suite_name: str = "offbeat") -> ValidationOutcome:
    gx, batch_definition = _context()
    missing = sorted({e.kwargs["column"] for e in expectations if "column" in e.kwargs} - set(df.columns))
    if missing:
        return ValidationOutcome(False, [f"missing columns: {', '.join(missing)}"], len(expectations))
    suite = gx.ExpectationSuite(
        name=suite_name, expectations=[getattr(gx.expectations, e.name)(**e.kwargs) for e in expectations]
    )
    result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(suite)
    failures = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            column = cfg.kwargs.get("column", "")
            sample = r.result.get("partial_unexpected_list", [])[:5]
            count = r.result.get("unexpected_count")
            failures.append(f"{cfg.type}({column}): {count} unexpected, e.g. {sample}")
    return ValidationOutcome(bool(result.success), failures, len(expectations))
