"""What a page sent its tab: the JavaScript calls in the User fixture's outbox."""

from __future__ import annotations

import json
from typing import Any

from nicegui.testing import User


def scripts(user: User) -> list[str]:
    """Every ``run_javascript`` code sent to the tab, in order."""
    assert user.client is not None
    return [
        message[2]["code"]
        for _, _, message in user.client.outbox.message_history
        if message[1] == "run_javascript"
    ]


def calls(user: User, function: str) -> list[list[Any]]:
    """Arguments of every ``<function>(...)`` call (``"Timeline.reset"``), in order."""
    prefix = f"{function}("
    return [
        json.loads(f"[{code[len(prefix) : -1]}]")
        for code in scripts(user)
        if code.startswith(prefix)
    ]


def emit(user: User, event: str, args: Any) -> None:
    """Deliver a page event as the browser's ``emitEvent(event, args)`` would."""
    assert user.client is not None
    layout = user.client.layout
    (listener_id,) = [k for k, v in layout._event_listeners.items() if v.type == event]
    user.client.handle_event(
        {"id": layout.id, "listener_id": listener_id, "args": [json.dumps(args)]}
    )
