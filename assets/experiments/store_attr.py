"""Experiments behind store_attr.md (see runner.py)."""

EXPERIMENTS = []
