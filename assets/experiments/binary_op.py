"""Experiments behind binary_op.md (see runner.py)."""

EXPERIMENTS = []
