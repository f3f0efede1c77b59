"""Stand-in for the upstream platform: api-v2 server, catalog feed, planted ground truth.

Everything is computed from a seed; nothing here imports Dagster.
"""
