"""Tests of the network domain (graph metrics, triads, motifs, FRAUDAR, detectors)."""
