"""Experiments behind precall.md (see runner.py)."""

EXPERIMENTS = []
