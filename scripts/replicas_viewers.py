"""Viewers of ``scripts.replicas``: real Chromium tabs and socket.io viewer sessions.

Both open the page through nginx and keep its NiceGUI socket, each with a cookie jar of
its own (so each gets its own affinity cookie), and both answer :meth:`look`: which page
load they are on and the newest point their chart holds.

* :class:`BrowserViewer`: a Chromium tab in its own browser context (Playwright, sync API,
  main thread). Its page reloads itself when its socket comes back to a replica that does
  not know its client id, as any browser's does.
* :class:`SocketViewer`: what the page does, without a browser: ``GET /`` (the page, which
  creates the client on a replica), then socket.io at ``/_nicegui_ws/socket.io`` with the
  page's ``client_id`` and NiceGUI's implicit handshake. It reads the chart's points from
  the ``LiveChart.reset/append`` calls the replica sends. When the socket drops it does what
  ``nicegui.js`` does: wait socket.io's reconnection delay, retry with the same client id,
  and on a refusal load the page again at once. They run on one asyncio loop in a thread
  (:class:`SocketFleet`), as Playwright's sync API owns the main thread.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.browser import CHART, CHART_ID, LINE, chart_ready

SOCKET_PATH = "/_nicegui_ws/socket.io"
CLIENT_ID = re.compile(r"'client_id': '([0-9a-f-]{36})'")
CHART_CALL = re.compile(r"^LiveChart\.(?:append|reset)\(")
POINT_TS = re.compile(r"\[(\d{13}),")
"""A chart row on the wire starts with its epoch-ms timestamp: ``[1796120792971,46.79,...``."""
ACK_EVERY_S = 3.0
"""``nicegui.js`` acknowledges received messages every 3 s."""
RECONNECT_DELAY_S = (0.5, 1.5)
"""socket.io's first reconnection delay: 1 s with a randomization factor of 0.5."""
LOOK = (
    "() => { let newest = null;"
    f" try {{ const el = {CHART}; const c = el && getElement({CHART_ID});"
    f" if (c && c.chart) {{ const d = {LINE}; if (d.length) newest = d[d.length - 1][0]; }}"
    " } catch (e) {}"
    " return {document: performance.timeOrigin, newest}; }"
)
"""The page's load (its time origin, new on every reload) and its chart's newest point."""


@dataclass(frozen=True)
class Look:
    """What a viewer shows: its page load (changes on a reload) and its newest point (ms)."""

    document: float
    newest_ms: int | None


class BrowserViewer:
    """A Chromium tab with its own cookies."""

    kind = "browser"

    def __init__(self, name: str, browser: Browser, url: str) -> None:
        self.name = name
        self.url = url
        self.context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page: Page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.key: str | None = None

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append(message.text[:300])

    def open(self, timeout_s: float) -> None:
        """Load the page through nginx and wait for its chart's first point."""
        self.page.goto(self.url)
        self.page.wait_for_function(chart_ready(1), timeout=timeout_s * 1000, polling=100)
        cookies = {c["name"]: c["value"] for c in self.context.cookies()}
        self.key = cookies.get("dashboard_replica")

    def look(self) -> Look | None:
        """None while the page is between documents (a reload)."""
        try:
            seen: dict[str, Any] = self.page.evaluate(LOOK)
        except Exception:  # the execution context went away: the page is reloading
            return None
        newest = seen["newest"]
        return Look(float(seen["document"]), None if newest is None else int(newest))

    def close(self) -> None:
        self.context.close()


@dataclass
class SocketViewer:
    """A viewer session over socket.io, without a browser."""

    name: str
    entry: str
    """nginx on 127.0.0.1 (the public name may not resolve here)."""
    host: str
    """The public ``name:port``, sent as ``Host``; ``Origin`` is ``http://`` + it."""
    path: str
    kind: str = "socket"
    key: str | None = None
    loads: int = 0
    newest_ms: int | None = None
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    shown: list[tuple[float, int, int]] = field(default_factory=list)
    """(monotonic time, page load, newest point) each time the chart got a newer point."""
    timeline: list[tuple[float, str]] = field(default_factory=list)
    """(monotonic time, what): page loads, socket connects, drops and refusals."""
    _tab_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _next_message_id: int = 0
    _document_id: str = ""
    _reload: bool = False
    _lost: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the current socket drops."""

    def look(self) -> Look | None:
        return Look(float(self.loads), self.newest_ms)

    async def run(self, stop: asyncio.Event) -> None:
        """Load, connect, and keep the page alive until ``stop``, like ``nicegui.js``."""
        headers = {"Host": self.host}
        async with httpx.AsyncClient(base_url=self.entry, headers=headers, timeout=10) as http:
            client_id: str | None = None
            while not stop.is_set():
                stale = client_id is not None  # the page is not new: a reconnect
                try:
                    if client_id is None:
                        client_id = await self._load(http)
                    sio = await self._connect(client_id, http)
                except (socketio.exceptions.ConnectionError, httpx.HTTPError, ValueError) as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    self._note(f"refused: {exc}"[:80])
                    client_id = None  # the page reloads: at once after a refused handshake
                    if not stale:
                        await _wait((stop,), random.uniform(*RECONNECT_DELAY_S))
                    continue
                self._note("connected")
                await self._hold(sio, client_id, stop)
                if stop.is_set():
                    break
                if self._reload:  # the replica asked the page to reload
                    self._note("reload asked")
                    client_id, self._reload = None, False
                    continue
                self._note("dropped")  # the socket dropped: socket.io waits, then retries
                await _wait((stop,), random.uniform(*RECONNECT_DELAY_S))

    def _note(self, what: str) -> None:
        self.timeline.append((time.monotonic(), what))

    async def _load(self, http: httpx.AsyncClient) -> str:
        answer = await http.get(self.path)
        answer.raise_for_status()
        match = CLIENT_ID.search(answer.text)
        if match is None:
            raise ValueError("no client id in the page")
        self.key = http.cookies.get("dashboard_replica")
        self.loads += 1
        # nicegui.js: one document id per page load, kept with the message count on reconnects
        self._document_id = str(uuid.uuid4())
        self._next_message_id = 0
        self._note("page loaded")
        self.newest_ms = None  # a new page starts with an empty chart
        return match.group(1)

    async def _connect(self, client_id: str, http: httpx.AsyncClient) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        sio.on("*", self._on_message)
        lost = self._lost = asyncio.Event()
        sio.on("disconnect", lambda *_: lost.set())
        query = urlencode(
            {
                "client_id": client_id,
                "next_message_id": self._next_message_id,
                "implicit_handshake": "true",
                "tab_id": self._tab_id,
                "document_id": self._document_id,
            }
        )
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        headers = {"Host": self.host, "Origin": f"http://{self.host}", "Cookie": cookie}
        await sio.connect(
            f"{self.entry}?{query}",
            headers=headers,
            socketio_path=SOCKET_PATH,
            transports=["websocket"],
            wait_timeout=10,
        )
        return sio

    async def _hold(self, sio: socketio.AsyncClient, client_id: str, stop: asyncio.Event) -> None:
        lost = self._lost
        while not (stop.is_set() or lost.is_set()):
            await _wait((stop, lost), ACK_EVERY_S)
            if sio.connected and not (stop.is_set() or lost.is_set()):
                ack = {"client_id": client_id, "next_message_id": self._next_message_id}
                try:
                    await sio.emit("ack", ack)
                except socketio.exceptions.SocketIOError:
                    break
        if sio.connected:
            await sio.disconnect()

    async def _on_message(self, event: str, data: Any) -> None:
        self.messages += 1
        if isinstance(data, dict) and isinstance(data.get("_id"), int):
            self._next_message_id = data["_id"] + 1
        code = data.get("code", "") if event == "run_javascript" and isinstance(data, dict) else ""
        if "window.location.reload()" in code:
            self._reload = True
            self._lost.set()
        if not CHART_CALL.match(code):
            return
        stamps = [int(ts) for ts in POINT_TS.findall(code)]
        if stamps and max(stamps) > (self.newest_ms or 0):
            self.newest_ms = max(stamps)
            self.shown.append((time.monotonic(), self.loads, self.newest_ms))

    def shown_at(self, since: float, after_ms: int, old_load: int, moved: bool) -> float | None:
        """When (monotonic) this viewer first showed, after ``since``, a point newer than
        ``after_ms``: on a new page load if it ``moved``, else on ``old_load``."""
        for t, load, newest in self.shown:
            if t >= since and newest > after_ms and (load != old_load) == moved:
                return t
        return None


async def _wait(events: tuple[asyncio.Event, ...], seconds: float) -> None:
    """Wait ``seconds`` or until one of ``events`` is set, whichever comes first."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


def looks(viewers: Sequence[BrowserViewer | SocketViewer]) -> dict[str, Look | None]:
    """What each viewer shows now, by name."""
    return {v.name: v.look() for v in viewers}


def newer(look: Look | None, before: Look | None) -> bool:
    """A newer point than ``before`` on the same page load."""
    return bool(
        look
        and before
        and look.newest_ms
        and before.newest_ms
        and look.newest_ms > before.newest_ms
        and look.document == before.document
    )


class SocketFleet:
    """Runs :class:`SocketViewer` s on an asyncio loop in a thread of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stop_event = asyncio.Event()
        self.futures: list[Future[None]] = []
        self.thread.start()

    def add(self, viewer: SocketViewer) -> None:
        self.futures.append(
            asyncio.run_coroutine_threadsafe(viewer.run(self.stop_event), self.loop)
        )

    def close(self, timeout_s: float = 10.0) -> list[str]:
        """Disconnect every viewer and end the thread; returns the viewers' crashes.
        Safe to call twice (the second call does nothing)."""
        if self.loop.is_closed():
            return []
        self.loop.call_soon_threadsafe(self.stop_event.set)
        crashes: list[str] = []
        deadline = time.monotonic() + timeout_s
        for future in self.futures:
            try:
                future.result(timeout=max(0.1, deadline - time.monotonic()))
            except Exception as exc:  # reported, not raised: the run's figures still count
                crashes.append(f"{type(exc).__name__}: {exc}"[:200])
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout_s)
        if not self.thread.is_alive():
            self.loop.close()
        return crashes
