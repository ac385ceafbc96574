"""The one generator task: every flush interval it generates the elapsed events, keeps them
for catch-up and fans them out to the subscribers.

A subscriber owns a bounded outgoing queue of ready-to-send frames; its own sender task
(in ``ws.py``) drains it. The generator never awaits a client: a client whose unsent frames
exceed ``max_client_queue_bytes`` is dropped (its queue is discarded and its connection is
closed with 1008 "client too slow"); it can reconnect and recover through catch-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable

from app.lifecycle import cancel_and_wait
from app.simulator.config import SimulatorConfig
from app.simulator.generator import Event, Generator, Slot, iso_ms
from app.simulator.scenarios import ScenarioBook
from app.simulator.topics import Selection

log = logging.getLogger(__name__)

TOO_SLOW = (1008, "client too slow: outgoing queue full")
GOING_AWAY = (1001, "simulator stopping")


class Subscriber:
    """One connection's subscription and outgoing queue (frames are JSON text)."""

    def __init__(self, max_bytes: int, selection: Selection) -> None:
        self.max_bytes = max_bytes
        self.topics: list[str] = []
        self.selection = selection
        self.frames: deque[str] = deque()
        self.queued_bytes = 0
        self.ready = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.done = asyncio.Event()

    def push(self, frames: Iterable[str], *, bounded: bool = True) -> None:
        """Queue frames; over the byte bound, the queue is dropped and the client closed.

        Replies to the client's own requests (``bounded=False``, e.g. a large catchup) are
        always queued; only the live flow can overflow.
        """
        if self.closing is not None:
            return
        for frame in frames:
            self.frames.append(frame)
            self.queued_bytes += len(frame)
        if bounded and self.queued_bytes > self.max_bytes:
            log.warning("closing a WebSocket client: %s", TOO_SLOW[1])
            self.close(*TOO_SLOW)
            return
        self.ready.set()

    def pop(self) -> str | None:
        """The next frame to send, or None."""
        if not self.frames:
            self.ready.clear()
            return None
        frame = self.frames.popleft()
        self.queued_bytes -= len(frame)
        return frame

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to close; queued frames are discarded."""
        if self.closing is None:
            self.closing = (code, reason)
            self.frames.clear()
            self.queued_bytes = 0
            self.done.set()


class Engine:
    """The generator loop, the catch-up buffers and the subscriber registry."""

    def __init__(self, config: SimulatorConfig, generator: Generator, book: ScenarioBook) -> None:
        self.config = config
        self.generator = generator
        self.book = book
        self.streams = generator.streams
        self.subscribers: set[Subscriber] = set()
        self.buffers: list[deque[Event]] = [
            deque(maxlen=config.catchup_max_per_stream) for _ in self.streams
        ]
        self.horizon_ms = 0
        self.emitted = 0
        self.last_seq = 0
        self._slots: list[Slot | None] = [None] * len(self.streams)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def now_ms(self) -> int:
        return int(self.config.clock() * 1000)

    async def start(self) -> None:
        """Pre-fill catch-up from the model and start the loop; a second call fails."""
        if self._task is not None:
            raise RuntimeError("the simulator engine is already started")
        now = self.now_ms()
        for buffer in self.buffers:
            buffer.clear()
        if self.config.prefill:
            self.prefill(now)
        self.horizon_ms = now
        self._task = asyncio.create_task(self._run(), name="simulator-engine")

    async def stop(self) -> None:
        """Stop the loop, close every subscriber (1001); idempotent."""
        task, self._task = self._task, None
        for sub in list(self.subscribers):
            sub.close(*GOING_AWAY)
        await cancel_and_wait(task)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.flush_interval_s
        deadline = loop.time()
        while True:
            try:
                self.tick(self.now_ms())
            except Exception:
                log.exception("simulator tick failed")
            deadline = max(deadline + interval, loop.time())
            await asyncio.sleep(deadline - loop.time())

    def prefill(self, now_ms: int) -> None:
        """Fill the catch-up buffers with the model's events of the last window."""
        start = now_ms - int(self.config.catchup_window_s * 1000)
        runs = self.book.runs
        cap = self.config.catchup_max_per_stream
        for stream in self.streams:
            length = self.generator.slot_ms[stream.index]
            newest_first: list[Event] = []
            index = (now_ms - 1) // length
            while index * length + length > start and len(newest_first) < cap:
                slot = self.generator.slot(stream, index, runs)
                newest_first.extend(reversed(slot.between(start, now_ms)))
                index -= 1
            self.buffers[stream.index].extend(reversed(newest_first[:cap]))

    def tick(self, now_ms: int) -> list[Event]:
        """Generate [horizon, now), keep it for catch-up, fan it out; returns the events."""
        if now_ms <= self.horizon_ms:
            return []
        start = max(self.horizon_ms, now_ms - int(self.config.max_gap_s * 1000))
        runs = self.book.runs
        events: list[Event] = []
        for stream in self.streams:
            length = self.generator.slot_ms[stream.index]
            for index in range(start // length, (now_ms - 1) // length + 1):
                slot = self._slots[stream.index]
                if slot is None or slot.index != index or slot.runs is not runs:
                    slot = self.generator.slot(stream, index, runs)
                    self._slots[stream.index] = slot
                events.extend(slot.between(start, now_ms))
        events.sort(key=lambda e: e.seq)
        self.horizon_ms = now_ms
        self._keep(events, now_ms)
        if events:
            self.emitted += len(events)
            self.last_seq = events[-1].seq
            self.fan_out(events)
        return events

    def _keep(self, events: list[Event], now_ms: int) -> None:
        for event in events:
            self.buffers[event.stream].append(event)
        oldest = now_ms - int(self.config.catchup_window_s * 1000)
        for buffer in self.buffers:
            while buffer and buffer[0].ts_ms < oldest:
                buffer.popleft()

    def fan_out(self, events: list[Event]) -> None:
        """Send each subscriber its events; subscribers with equal selections share frames."""
        shared: dict[Selection, list[str]] = {}
        for sub in list(self.subscribers):
            if sub.closing is not None or sub.selection.empty:
                continue
            frames = shared.get(sub.selection)
            if frames is None:
                frames = shared[sub.selection] = self.frames_for(sub.selection, events)
            if frames:
                sub.push(frames)

    def frames_for(self, selection: Selection, events: list[Event]) -> list[str]:
        """``event`` for a single event, else ``batch`` frames of at most max_batch_events."""
        if all(selection.mask):
            texts = [e.json for e in events]
        else:
            texts = [e.json for e in events if selection.wants(e.stream, e.flagged)]
        if not texts:
            return []
        if len(texts) == 1:
            return ['{"type":"event","data":' + texts[0] + "}"]
        size = self.config.max_batch_events
        return [
            '{"type":"batch","events":[' + ",".join(texts[i : i + size]) + "]}"
            for i in range(0, len(texts), size)
        ]

    def catchup(self, selection: Selection, since_ms: int) -> tuple[list[str], str]:
        """Kept events after ``since_ms`` (oldest first) and catchUpEndTime.

        Empty when ``since_ms`` is older than the window, as the original server does.
        """
        end = iso_ms(self.horizon_ms)
        if since_ms < self.horizon_ms - int(self.config.catchup_window_s * 1000):
            return [], end
        found: list[Event] = []
        for index, buffer in enumerate(self.buffers):
            wanted = selection.mask[index]
            if not wanted and not selection.anomalies:
                continue
            for event in reversed(buffer):
                if event.ts_ms <= since_ms:
                    break
                if wanted or event.flagged:
                    found.append(event)
        found.sort(key=lambda e: e.seq)
        return [e.json for e in found], end
