"""Follower networks: exact graph metrics, motif profiles and bot detectors over the crawled follow graphs."""
