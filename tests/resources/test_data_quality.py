"""Scenario: great-expectations validation runs in every kind of process Dagster starts.

Run workers spawned by ``dagster api grpc`` and the daemon have a ``__main__`` without a
file, like ``python -c``; importing GX there used to end the process silently (pyspark's
Spark Connect doctest guard calls ``sys.exit(0)``), so a daemon-launched run vanished.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from resources.data_quality import Expectation, validate

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import pandas as pd
from resources.data_quality import Expectation, validate
ok = validate(pd.DataFrame({"id": [1, 2]}), [Expectation("ExpectColumnValuesToBeUnique", {"column": "id"})])
bad = validate(pd.DataFrame({"id": [1, 1]}), [Expectation("ExpectColumnValuesToBeUnique", {"column": "id"})])
print("validated", ok.success, bad.success)
"""


def test_validation_works_where_main_has_no_file():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=REPO,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "validated True False" in out.stdout, (out.stdout[-500:], out.stderr[-2000:])


def test_validation_reports_failures():
    result = validate(pd.DataFrame({"id": [1, None]}), [Expectation("ExpectColumnValuesToNotBeNull", {"column": "id"})])
    assert not result.success and result.failures and result.evaluated == 1
    assert not hasattr(sys.modules["__main__"], "__file__") or sys.modules["__main__"].__file__ != "<offbeat: not a doctest run>"
