"""Handing freed memory back to the OS after a large parse: glibc only, never raises."""

from __future__ import annotations

import pytest

from app import memory


def test_release_free_memory_answers_and_never_raises() -> None:
    """On glibc it trims (True or False: whether pages went back); anywhere it returns."""
    assert memory.release_free_memory() in (True, False)
    assert memory.release_free_memory() in (True, False)  # resolved once, then reused


def test_without_glibc_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off Linux (or with a libc that lacks malloc_trim) nothing is loaded or called."""
    memory._malloc_trim.cache_clear()
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    try:
        assert memory.release_free_memory() is False
    finally:
        memory._malloc_trim.cache_clear()
