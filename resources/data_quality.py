"""Data-quality validation with great-expectations 1.x (ephemeral context, no files).

``validate(df, expectations)`` runs a list of ``Expectation(name, kwargs)`` against a pandas
DataFrame and returns a compact, JSON-friendly result for Dagster check metadata.
GX is imported lazily (it costs seconds) and its progress bars are off.
"""

from __future__ import annotations

import functools
import sys
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


def _import_great_expectations():
    """``import great_expectations``, safe in processes whose ``__main__`` has no file.

    GX imports ``pyspark.sql.connect``, whose import-time guard takes a ``__main__`` without
    ``__file__`` or ``__spec__`` (``python -c``, and the run workers that ``dagster api grpc``
    and the daemon spawn) for a doctest run and calls ``sys.exit(0)`` when Spark Connect's
    optional packages are absent: the run would vanish without an error. The guard only
    reads those attributes, so a placeholder ``__file__`` is set for the import and removed.
    """
    main = sys.modules.get("__main__")
    placeholder = main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__")
    if placeholder:
        main.__file__ = "<offbeat: not a doctest run>"
    try:
        import great_expectations as gx
    finally:
        if placeholder:
            del main.__file__
    return gx


@functools.cache
def _context():
    import logging

    gx = _import_great_expectations()
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
