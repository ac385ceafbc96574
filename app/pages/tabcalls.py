"""Calls from the server into a tab's page scripts (``LiveChart``, ``StatusGrid``...).

NiceGUI's ``run_javascript`` returns an awaitable and starts a background task per call to
send it when nobody awaits; the pages never await these calls, and with a hundred tabs
those tasks were a tenth of the process's work. :func:`call_in_tab` puts the call straight
into the tab's outbox, in the order made, which is what sending does in the end.
"""

from __future__ import annotations

from nicegui.element import Element


def call_in_tab(element: Element, code: str) -> None:
    """Run ``code`` in the tab showing ``element``; nothing once the tab is gone."""
    client = element.client
    if not client.is_deleted:
        client.outbox.enqueue_message("run_javascript", {"code": code}, client.id)
