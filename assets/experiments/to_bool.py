"""Experiments behind to_bool.md (see runner.py)."""

EXPERIMENTS = []
