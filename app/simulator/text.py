"""Short, escaped excerpts of client input for error messages: never the whole input."""

from __future__ import annotations

EXCERPT_CHARS = 60


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` clipped to ``limit`` characters, quoted and escaped (``repr``), ``...`` if cut."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")
