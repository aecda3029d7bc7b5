"""Experiments behind binary_subscr.md (see runner.py)."""

EXPERIMENTS = []
