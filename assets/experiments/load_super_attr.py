"""Experiments behind load_super_attr.md (see runner.py)."""

EXPERIMENTS = []
