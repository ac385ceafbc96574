"""The logout control for the page header (a plain form, so no JavaScript is involved).

The header calls ``logout_button(services.settings.auth_enabled)`` inside its row. The
button submits a native ``<form method="post" action="/logout">``: the browser sends its
own Origin with it, the server ends the session and redirects to the login form.
"""

from __future__ import annotations

from nicegui import ui

from app.security.auth import LOGOUT_PATH


def logout_button(enabled: bool) -> ui.element | None:
    """A small "Log out" button posting ``/logout``; nothing without a token (``enabled``)."""
    if not enabled:
        return None
    with (
        ui.element("form")
        .props(f'method=post action="{LOGOUT_PATH}"')
        .classes("m-0")
        .mark("logout-form") as form
    ):
        ui.button("Log out", icon="logout").props(
            "type=submit outline color=sky-3 dense no-caps"
        ).classes("px-2").mark("logout")
    return form
