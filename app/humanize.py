"""Lengths of time as people say them, for every text that shows one."""

from __future__ import annotations


def format_age(seconds: float) -> str:
    """A short human duration: ``<1 s``, ``42 s``, ``3 min``, ``2 h 5 min``, ``3 d 4 h``."""
    s = max(0.0, seconds)
    if s < 1:
        return "<1 s"
    if s < 60:
        return f"{int(s)} s"
    minutes = int(s // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
