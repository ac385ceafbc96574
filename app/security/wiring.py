"""``install(app, settings)``: the one call that puts the security layer on NiceGUI's app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp

from app.config import Settings
from app.security.auth import AuthMiddleware, TokenGate
from app.security.login import register_login
from app.security.middleware import SecurityMiddleware
from app.security.netinfo import machine_names
from app.security.origins import (
    ALL_INTERFACES,
    OriginPolicy,
    check_allowed_host,
    check_allowed_origin,
    normalize_bind,
    own_names,
)
from app.security.throttle import LoginThrottle

log = logging.getLogger("app.security")


def origin_policy(
    settings: Settings, machine: Callable[[], set[str]] = machine_names
) -> OriginPolicy:
    """The own names for ``settings.host`` (``machine()`` is asked only for 0.0.0.0/::),
    plus ``--allowed-hosts`` and ``--allowed-origins``."""
    bind = normalize_bind(settings.host)
    names = own_names(bind, machine() if bind in ALL_INTERFACES else ())
    return OriginPolicy(
        names,
        frozenset(check_allowed_host(h) for h in settings.allowed_hosts),
        frozenset(check_allowed_origin(o) for o in settings.allowed_origins),
    )


def wrap_outermost(app: Starlette, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Make ``wrap(stack)`` the app's outermost layer, outside Starlette's error handler and
    every middleware, including those NiceGUI adds later in ``ui.run`` (``add_middleware``
    would put ours inside those)."""
    if app.middleware_stack is not None:
        raise RuntimeError("install the security layer before the app serves anything")
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return wrap(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class Installed:
    """What :func:`install` set up (tests and the status page may look at it)."""

    policy: OriginPolicy
    gate: TokenGate | None
    throttle: LoginThrottle | None


def install(
    app: FastAPI, settings: Settings, machine: Callable[[], set[str]] = machine_names
) -> Installed:
    """Host/Origin checks, body caps and headers in front of everything; with a token, the
    token gate, login and logout. Call before the server starts (it may look up names)."""
    policy = origin_policy(settings, machine)
    gate = throttle = None
    if settings.auth_enabled:
        gate = TokenGate(settings.auth_token.get_secret_value(), settings.auth_session_hours * 3600)
        throttle = LoginThrottle()
        app.add_middleware(AuthMiddleware, gate=gate, throttle=throttle)
        register_login(app, gate, settings.title, throttle)
    wrap_outermost(
        app,
        lambda inner: SecurityMiddleware(
            inner, policy, settings.max_body_bytes, read_only=settings.read_only
        ),
    )
    extra = ", ".join(settings.allowed_origins) or "none"
    log.info(
        "answering to host names %s (any port) and %s; pages of their own origin only "
        "(extra origins: %s); request bodies up to %d bytes",
        ", ".join(sorted(policy.names)),
        ", ".join(settings.allowed_hosts) or "no others",
        extra,
        settings.max_body_bytes,
    )
    return Installed(policy, gate, throttle)
