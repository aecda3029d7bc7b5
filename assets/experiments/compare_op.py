"""Experiments behind compare_op.md (see runner.py)."""

EXPERIMENTS = []
