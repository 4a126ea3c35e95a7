"""Benchmarks (not tests): run with ``python -m bench`` from the repository root."""
