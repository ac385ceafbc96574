"""Reliability: restarts, long outages, half-open links, fuzzed and oversized input."""
