"""Experiments behind for_iter.md (see runner.py)."""

EXPERIMENTS = []
