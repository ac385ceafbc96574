"""Helpers shared by test packages and the on-demand scripts (real processes, checks)."""
