"""The shared benchmark harness: print a side-by-side figure and append it to RESULTS.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "| date | name | ours | baseline | ratio | unit | notes |\n|---|---|---|---|---|---|---|\n"


def record(name: str, ours: float, baseline: float, unit: str, notes: str = "") -> str:
    """Print ours vs baseline and append one markdown row to bench/RESULTS.md; returns the row."""
    ratio = ours / baseline if baseline else float("inf")
    print(f"{'benchmark':<24} {'ours':>14} {'baseline':>14} {'ratio':>8}  unit")
    print(f"{name:<24} {ours:>14,.1f} {baseline:>14,.1f} {ratio:>8.2f}  {unit}")
    if notes:
        print(f"  {notes}")
    row = f"| {dt.date.today().isoformat()} | {name} | {ours:,.1f} | {baseline:,.1f} | {ratio:.2f} | {unit} | {notes.replace('|', '/')} |\n"
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `python -m bench`; one row per run.\n\n" + HEADER)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(row)
    return row
