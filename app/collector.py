"""When the garbage collector runs: the process's one policy, in three steps.

1. ``python -m app`` imports and wires with the collector off (``pause_for_start``, called
   by app/__main__.py): the imports build ~150,000 long-lived objects, and the collector
   kept walking them (the port opened 0.1 s later).
2. When the server starts, ``resume_frozen`` freezes everything built so far, then turns
   the collector on. Without the freeze, its first collections (young, middle, then full)
   each walked those objects, ~45 ms apiece, as the first tab asked for its page. The
   ~1,500 of them that are garbage (from the imports) stay, frozen.
3. Once the seed is in, ``settle_after_seed`` collects what the start made since and
   freezes the rest: full collections then never walk the start's objects again. Without
   it a full collection paused the event loop up to ~80 ms at 10,000 events/s (measured by
   the latency benchmark); the stores hold arrays, not objects.

``/api/dashboard/status`` reports ``gcEnabled`` and ``gcFrozenObjects``.
"""

from __future__ import annotations

import gc


def pause_for_start() -> None:
    """Step 1: no collection while the command line imports and wires."""
    gc.disable()


def resume_frozen() -> None:
    """Step 2: freeze what the start built, then collect again (the server is starting)."""
    gc.freeze()
    gc.enable()


def settle_after_seed() -> None:
    """Step 3: collect what the seed left and freeze what lives on."""
    gc.collect()
    gc.freeze()
