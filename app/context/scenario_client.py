"""Scenario control over REST: list, start, stop, reset, and the simulation state.

Exception tree::

    Exception
    └── ScenarioError      every failed request, with its data: ``kind``, ``text`` (a
                           sentence for people), ``detail`` (for whoever debugs it),
                           ``status``, ``code``; ``__cause__`` is the original exception

The client is the process's shared ``httpx.AsyncClient`` (same base URL, token and TLS trust
as the history requests, see :mod:`app.upstream`); tests hand it a ``MockTransport`` or the
simulator's ASGI app. Every answer is read up to ``max_bytes`` within ``timeout``; errors in
either server shape (``{"error": {"code", "message"}}`` or the original's
``{"error": "text"}``) become words here, at one boundary.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final, Literal

import httpx

from app.explain import explain, where
from app.protocol import parse_error_body
from app.protocol.scenarios import Action
from app.upstream import TooLarge, read_bounded, snippet

PREFIX: Final = "/api/simulation"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_BYTES: Final = 1024 * 1024
MESSAGE_CHARS: Final = 200

ScenarioErrorKind = Literal[
    "already_active",
    "not_found",
    "unsupported",
    "refused",
    "busy",
    "server",
    "network",
    "timeout",
    "too_large",
    "invalid",
]

VERBS: Final[dict[Action, str]] = {
    "list": "load the list of scenarios",
    "state": "read the simulation's state",
    "start": "start the scenario",
    "stop": "stop the scenario",
    "reset": "reset the simulation",
}


class ScenarioError(Exception):
    """A scenario request that gave no usable answer; ``str(err)`` is ``text``."""

    def __init__(
        self,
        text: str,
        *,
        kind: ScenarioErrorKind,
        detail: str = "",
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(text)
        self.text = text
        self.kind: ScenarioErrorKind = kind
        self.detail = detail
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return (
            f"ScenarioError({self.text!r}, kind={self.kind!r}, status={self.status!r}, "
            f"code={self.code!r})"
        )


class ScenarioClient:
    """The simulator's scenario endpoints; every failure is one :class:`ScenarioError`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0:
            raise ValueError("timeout and max_bytes must be positive")
        self._client = client
        self.base = base_url.rstrip("/") + PREFIX
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def scenarios(self) -> dict[str, Any]:
        """``GET /scenarios``: ``{"scenarios": [{id, name, description, duration}]}``."""
        return await self._call("list", "GET", "/scenarios")

    async def state(self) -> dict[str, Any]:
        """``GET /state``: baseline state, active modifiers and events, times."""
        return await self._call("state", "GET", "/state")

    async def start(self, scenario_id: str) -> dict[str, Any]:
        """``POST /scenario``: ``{success, scenario, events[], estimatedDuration}``."""
        body = await self._call("start", "POST", "/scenario", {"scenarioId": scenario_id})
        if body.get("success") is False:  # a server that refuses with 200
            message = _message(body)
            raise ScenarioError(
                f"Could not start the scenario: the simulator refused ({message or 'no reason'})",
                kind="refused",
                detail=json.dumps(body)[:400],
                status=200,
            )
        return body

    async def stop(self) -> dict[str, Any]:
        """``POST /stop``: ``{success, settlingUntil}`` (``success: false``: nothing ran)."""
        return await self._call("stop", "POST", "/stop", {})

    async def reset(self) -> dict[str, Any]:
        """``POST /reset``: ``{success, message}``."""
        return await self._call("reset", "POST", "/reset", {})

    async def _call(
        self, action: Action, method: str, path: str, payload: Any = None
    ) -> dict[str, Any]:
        url = self.base + path
        request: dict[str, Any] = {"timeout": self.timeout}
        if payload is not None:
            request["json"] = payload
        # The one boundary where foreign exceptions become ScenarioError.
        try:
            async with asyncio.timeout(self.timeout):
                status, phrase, body = await read_bounded(
                    self._client, method, url, max_bytes=self.max_bytes, **request
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ScenarioError(
                f"Could not {VERBS[action]}: no answer from the simulator at {where(url)} "
                f"within {self.timeout:g} s",
                kind="timeout",
                detail=f"{method} {url}: timed out",
            ) from exc
        except TooLarge as exc:
            raise ScenarioError(
                f"Could not {VERBS[action]}: the simulator's answer is larger than "
                f"{self.max_bytes:,} bytes",
                kind="too_large",
                detail=f"{method} {url}: over {exc.size:,} bytes",
            ) from exc
        except httpx.HTTPError as exc:
            why = explain(exc, url, self.timeout)
            raise ScenarioError(
                f"Could not {VERBS[action]}: {why.text}", kind="network", detail=why.detail
            ) from exc
        if not 200 <= status < 300:
            raise status_error(action, method, url, status, phrase, body)
        return _decode(action, method, url, status, body)


def _decode(action: Action, method: str, url: str, status: int, body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, dict):
        raise ScenarioError(
            f"Could not {VERBS[action]}: the simulator's answer is not a JSON object",
            kind="invalid",
            detail=f"{method} {url} -> {status}: {snippet(body)}",
            status=status,
        )
    return decoded


def _message(body: dict[str, Any]) -> str:
    for key in ("message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return snippet(value.encode("utf-8"), MESSAGE_CHARS)
    return ""


def status_error(
    action: Action, method: str, url: str, status: int, phrase: str, body: bytes
) -> ScenarioError:
    """A non-2xx answer in words: what failed, why, and what to do about it."""
    parsed = parse_error_body(body) if body else None
    code, message = parsed if parsed is not None else (None, "")
    message = snippet(message.encode("utf-8"), MESSAGE_CHARS) if message else ""
    detail = f"{method} {url} -> {status} {phrase}".rstrip() + f": {snippet(body) or '(empty)'}"
    said = f" ({message})" if message else ""
    answer = f"HTTP {status}: {message}" if message else f"HTTP {status}"
    kind: ScenarioErrorKind
    if code == "SCENARIO_ALREADY_ACTIVE" or (status == 409 and action == "start"):
        kind, why = "already_active", "another scenario is already running; stop it first"
    elif code == "SCENARIO_NOT_FOUND" or (status == 404 and action == "start" and parsed):
        kind, why = "not_found", f"the simulator does not know this scenario{said}"
    elif status == 404:
        kind = "unsupported"
        why = f"the simulator at {where(url)} has no {url.rsplit('/', 1)[-1]} endpoint (HTTP 404)"
    elif status in (401, 403):
        kind = "refused"
        why = f"the simulator refused ({answer})"
        if code != "READ_ONLY":
            why += "; check --simulator-token"
    elif status == 429:
        kind, why = "busy", "the simulator is busy; try again in a moment"
    elif status >= 500:
        kind = "server"
        why = f"the simulator failed ({answer}); try again"
    else:
        kind = "refused"
        why = f"the simulator refused the request ({answer})"
    return ScenarioError(
        f"Could not {VERBS[action]}: {why}", kind=kind, detail=detail, status=status, code=code
    )
