"""Experiments behind load_method.md (see runner.py)."""

EXPERIMENTS = []
