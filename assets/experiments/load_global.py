"""Experiments behind load_global.md (see runner.py)."""

EXPERIMENTS = []
