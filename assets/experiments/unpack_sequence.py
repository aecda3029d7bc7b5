"""Experiments behind unpack_sequence.md (see runner.py)."""

EXPERIMENTS = []
