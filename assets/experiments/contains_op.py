"""Experiments behind contains_op.md (see runner.py)."""

EXPERIMENTS = []
