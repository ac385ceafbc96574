"""Hand memory freed by a large parse back to the operating system (glibc only).

CPython returns its small-object arenas by itself once they are empty, but what goes
through ``malloc`` (big buffers, pydantic-core's allocations while it validates a body)
stays with the C allocator when freed. Parsing a week of 50 streams in a worker thread
leaves some 25 MB like that, in that thread's own malloc arena, which the event loop
thread never reuses. glibc's ``malloc_trim(0)`` releases the free pages of every arena.

Elsewhere (musl, macOS, Windows) there is no ``malloc_trim`` and this does nothing.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` from the running process, or None without glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None).malloc_trim  # the process's own libc, whatever its file name
    except (OSError, AttributeError):  # no dynamic loading, or a libc without it (musl)
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    trim: Callable[[int], int] = fn
    return trim


def release_free_memory() -> bool:
    """Return the allocator's free pages to the OS; True if any were. Never raises.

    Costs a few milliseconds on a heap of a few hundred MB (it walks the free chunks), so
    call it after a burst of short-lived allocations, not on a hot path. Thread-safe.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    t0 = time.perf_counter()
    try:
        released = bool(trim(0))
    except Exception:  # pragma: no cover - a foreign function that should not fail
        log.debug("malloc_trim failed", exc_info=True)
        return False
    log.debug("malloc_trim(0) in %.1f ms", (time.perf_counter() - t0) * 1000)
    return released
