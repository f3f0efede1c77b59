"""Ingest domain: crawls and drops brought into the raw zone."""
