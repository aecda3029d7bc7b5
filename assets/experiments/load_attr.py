"""Experiments behind load_attr.md (see runner.py)."""

EXPERIMENTS = []
