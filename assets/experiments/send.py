"""Experiments behind send.md (see runner.py)."""

EXPERIMENTS = []
