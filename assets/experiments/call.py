"""Experiments behind call.md (see runner.py)."""

EXPERIMENTS = []
