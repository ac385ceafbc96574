"""Who may change the simulation from this dashboard: the one home of that rule.

Starting, stopping and resetting scenarios are the only actions that change what the
simulator does. Two things can forbid them:

* ``--read-only``: nobody may. The scenario panel is not built, the dashboard's own
  actions refuse (:meth:`ActionPolicy.refusal`), and the embedded simulator's
  state-changing routes answer 403 ``READ_ONLY`` (:func:`read_only_refusal`, applied by
  :class:`app.security.middleware.SecurityMiddleware` in front of everything).
* ``--auth-token``: only a logged-in tab may. Every page and NiceGUI's socket are already
  behind the token gate; an action also checks that the tab's session is still live, so a
  tab left open after its session was logged out elsewhere cannot act.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers

from app.security.auth import TokenGate
from app.security.origins import STATE_CHANGING, Refusal

CONTROL_PATHS: Final = frozenset(
    {"/api/simulation/scenario", "/api/simulation/stop", "/api/simulation/reset"}
)
"""The simulator routes that change what it simulates (PROTOCOL.md)."""

READ_ONLY: Final = Refusal(
    "read-only",
    403,
    "READ_ONLY",
    "this dashboard is read-only: starting, stopping and resetting scenarios is turned off",
)
SESSION_ENDED: Final = Refusal(
    "session", 401, "UNAUTHORIZED", "your session has ended: reload the page and log in again"
)


def read_only_refusal(method: str, path: str) -> Refusal | None:
    """403 for a state-changing request to a scenario control route (pure)."""
    if method in STATE_CHANGING and path.rstrip("/") in CONTROL_PATHS:
        return READ_ONLY
    return None


@dataclass(slots=True)
class ActionPolicy:
    """Decides whether a tab may start, stop or reset scenarios.

    ``gate`` is the token gate when ``--auth-token`` is set (given once the security layer
    is installed); ``credentials`` are the headers of the tab's page request.
    """

    read_only: bool = False
    gate: TokenGate | None = None

    def refusal(self, credentials: Headers | None) -> Refusal | None:
        """Why the holder of ``credentials`` may not act, or None if it may."""
        if self.read_only:
            return READ_ONLY
        if self.gate is not None and (credentials is None or not self.gate.allows(credentials)):
            return SESSION_ENDED
        return None
