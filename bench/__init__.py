"""Benchmarks with baselines, run on demand (``python -m bench [name]``), not in CI."""
