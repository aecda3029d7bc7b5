"""Experiments behind store_subscr.md (see runner.py)."""

EXPERIMENTS = []
