"""A seeded generator of hostile inputs made by mutating real frames and history bodies.

The seeds are what the simulator really sends (events, batches, catch-ups, replies,
errors, both history shapes). Each input applies one to three mutations, byte-level
(truncate, flip bits, insert junk or invalid UTF-8, delete, duplicate, splice two inputs)
or structural (a random node of the JSON tree replaced by NaN, infinities, huge numbers,
a value of the wrong type, a deep nesting, a bad timestamp, a long or broken string; a
key dropped, added or retyped). Deterministic for a given seed, so a failure replays.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from app.simulator import SimulatorConfig
from app.simulator.history import build_history, parse_query
from app.simulator.service import Simulator

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)
"""A weekday peak hour: real events are dense there."""
PLACEHOLDER = "\x00deep\x00"
DEEP_JSON = json.dumps(PLACEHOLDER)
"""Where a node became PLACEHOLDER, a deep nesting is spliced into the JSON text."""
KNOWN_TYPES = ["event", "batch", "catchup", "subscribed", "unsubscribed", "error", "pong", ""]
FIELDS = ["stream", "timestamp", "data", "normalizedValue", "anomalyFlag", "id", "seq", "type"]
BAD_TIMES: list[Any] = [
    "2026-13-45T99:99:99Z",
    "0000-00-00T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-26T00:00:00",
    "2026-11-26",
    "now",
    "",
    "2026-11-26T00:00:00.123456789Z",
    1e20,
    -1,
    0,
    1_795_608_000_000,
    -62_135_596_800,
    253_402_300_800,
    None,
    [],
    {},
]
JUNK = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"{", b"}", b"[", b"]", b'"', b",", b":"]


def real_events(count: int = 400, rate: float = 50.0) -> list[str]:
    """JSON texts of real simulator events around a weekday noon (several streams)."""
    sim = Simulator(SimulatorConfig(seed=7, rate=rate, prefill=False))
    start = int(NOON.timestamp() * 1000)
    texts: list[str] = []
    for stream in sim.catalog.streams:
        length = sim.generator.slot_ms[stream.index]
        slot = sim.generator.slot(stream, start // length, ())
        texts.extend(e.json for e in slot.events[:20])
        if len(texts) >= count:
            break
    return texts[:count]


def real_frames(rng: random.Random) -> list[str]:
    """Every kind of frame the simulator (or the original server) sends, with real events."""
    events = real_events()
    frames = [
        _envelope(rng, [rng.choice(events) for _ in range(rng.randint(1, 8))], kind)
        for kind in FRAME_KINDS
        for _ in range(3)
    ]
    bare = json.loads(events[0])
    for key in ("id", "seq", "anomalyFlag", "normalizedValue"):
        bare.pop(key, None)
    return [*frames, json.dumps({"type": "event", "data": bare})]


FRAME_KINDS = ("event", "batch", "catchup", "subscribed", "unsubscribed", "error", "other")
END_TIMES = ['"2026-11-25T12:00:05.000Z"', "null", '"yesterday"', "1e400", '""', "[]"]


def _envelope(rng: random.Random, events: list[str], kind: str) -> str:
    """A frame of ``kind`` around ``events``, the way the simulator writes them."""
    if kind == "event":
        return '{"type":"event","data":' + events[0] + "}"
    if kind == "batch":
        return '{"type":"batch","events":[' + ",".join(events) + "]}"
    if kind == "catchup":
        end = END_TIMES[0] if rng.random() < 0.8 else rng.choice(END_TIMES)
        return '{"type":"catchup","events":[' + ",".join(events) + '],"catchUpEndTime":' + end + "}"
    if kind == "subscribed":
        return '{"type":"subscribed","topics":["customer.*","anomalies"]}'
    if kind == "unsubscribed":
        return '{"type":"unsubscribed","topics":["customer.*"]}'
    if kind == "error":
        return rng.choice(
            [
                '{"type":"error","code":"INVALID_TOPICS","message":"bad topic"}',
                '{"type":"error","message":"Invalid message format"}',
            ]
        )
    return '{"type":"future-thing","x":1}'


POOL = 6_000
"""Structurally mutated events made once per run; frames combine and mangle them."""


def frame_mutants(count: int, seed: int) -> Iterator[bytes | str]:
    """``count`` hostile frames: real or mutated events, wrapped, then maybe mangled as bytes.

    Structural mutations (a JSON parse and dump each) are made once into a pool of single
    events; frames then mix pool and real events, so a hundred thousand inputs take
    seconds, not minutes.
    """
    rng = random.Random(seed)
    events = real_events()
    pool = [
        _structural(_structural(rng.choice(events), rng), rng)
        if rng.random() < 0.3
        else _structural(rng.choice(events), rng)
        for _ in range(POOL)
    ]
    raw = [e.encode() for e in events]
    for _ in range(count):
        chosen = [
            rng.choice(pool) if rng.random() < 0.4 else rng.choice(events)
            for _ in range(rng.randint(1, 6))
        ]
        frame = _envelope(rng, chosen, rng.choice(FRAME_KINDS))
        if len(frame) < 400 and rng.random() < 0.2:
            frame = _structural(frame, rng)
        if rng.random() < 0.4:
            yield _bytewise(frame.encode(), rng, rng.choice(raw))
        else:
            yield frame


def real_history_bodies() -> list[str]:
    """History answers of both shapes and error bodies, from the simulator's own model."""
    sim = Simulator(SimulatorConfig(seed=7, rate=1.0, prefill=False))
    params = {
        "start": "2026-11-25T10:00:00Z",
        "end": "2026-11-25T12:00:00Z",
        "streams": "customer.tutor.search,customer.page.view",
    }
    query = parse_query(params, sim.catalog, sim.config)
    contract = build_history(sim.model, (), query, NOON.timestamp()).decode()
    body = json.loads(contract)
    original: dict[str, Any] = {
        "start": body["timeRange"]["start"],
        "end": body["timeRange"]["end"],
        "streams": list(body["streams"]),
        "data": {},
    }
    for name, points in body["streams"].items():
        original["data"][name] = {
            "events": [
                {
                    "stream": name,
                    "timestamp": p["timestamp"],
                    "data": {"value": p["value"]},
                    "normalizedValue": p["normalized"],
                }
                for p in points[:4]
            ],
            "baseline": (body.get("baselineStats") or {}).get(name),
        }
    small = json.loads(contract)
    small["streams"] = {k: v[:4] for k, v in small["streams"].items()}
    return [
        json.dumps(small),
        json.dumps(original),
        '{"error":{"code":"INVALID_TIME_RANGE","message":"bad range","details":{"x":1}}}',
        '{"error":"Invalid time range"}',
        '{"timeRange":{"start":"2026-11-25T10:00:00Z","end":"2026-11-25T12:00:00Z"},'
        '"streams":{},"events":[]}',
    ]


# --- mutations ---------------------------------------------------------------------------


def _value(rng: random.Random) -> Any:
    """A hostile replacement for one JSON node."""
    pick = rng.randrange(16)
    if pick == 0:
        return float("nan")
    if pick == 1:
        return rng.choice([float("inf"), float("-inf")])
    if pick == 2:
        return 10 ** rng.randint(19, 400) * rng.choice([1, -1])
    if pick == 3:
        return rng.choice([1e308, -1e308, 5e-324, -0.0, 2**63, 2**64 + 1])
    if pick == 4:
        return rng.choice(BAD_TIMES)
    if pick == 5:
        return "x" * rng.choice([0, 1, 1000, 100_000])
    if pick == 6:
        return rng.choice(["\ud800", "\udfff", "\u0000", "\u202e", "\U0001f600", "é" * 50])
    if pick == 7:
        return PLACEHOLDER
    if pick == 8:
        return None
    if pick == 9:
        return rng.choice([True, False])
    if pick == 10:
        return rng.choice([[], {}, [1, 2], {"a": None}])
    if pick == 11:
        return rng.choice(KNOWN_TYPES)
    if pick == 12:
        return rng.randint(-(2**31), 2**31)
    if pick == 13:
        return rng.random() * 200 - 50
    if pick == 14:
        return rng.choice(["normal", "warning", "critical", "CRITICAL", "info"])
    return {"stream": "", "timestamp": rng.choice(BAD_TIMES)}


def _nodes(tree: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(tree, dict):
        for key, child in tree.items():
            yield from _nodes(child, (*path, key))
    elif isinstance(tree, list):
        for i, child in enumerate(tree):
            yield from _nodes(child, (*path, i))


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return tree


def _structural(text: str, rng: random.Random) -> str:
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError):
        return text
    paths = list(_nodes(tree))
    path = rng.choice(paths)
    op = rng.randrange(5)
    if op <= 1:
        tree = _set(tree, path, _value(rng))
    elif op == 2 and path:
        parent = tree
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent.pop(path[-1])
    elif op == 3:
        dicts = [p for p in paths if isinstance(_get(tree, p), dict)]
        if dicts:
            target = _get(tree, rng.choice(dicts))
            target[rng.choice(FIELDS)] = _value(rng)
    else:
        lists = [p for p in paths if isinstance(_get(tree, p), list)]
        if lists:
            target = _get(tree, rng.choice(lists))
            target.extend([_value(rng) for _ in range(rng.randint(1, 3))])
    out = json.dumps(tree, allow_nan=True)
    if DEEP_JSON in out:
        depth = rng.choice([10, 100, 250, 600, 990, 5_000, 50_000])
        opener = rng.choice(["[", '{"a":'])
        closer = "]" if opener == "[" else "}"
        out = out.replace(DEEP_JSON, opener * depth + "1" + closer * depth)
    return out


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _bytewise(data: bytes, rng: random.Random, other: bytes) -> bytes:
    if not data:
        return rng.choice(JUNK)
    op = rng.randrange(6)
    i = rng.randrange(len(data))
    if op == 0:
        return data[:i]
    if op == 1:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            j = rng.randrange(len(buf))
            buf[j] ^= 1 << rng.randrange(8)
        return bytes(buf)
    if op == 2:
        return data[:i] + rng.choice(JUNK) * rng.randint(1, 3) + data[i:]
    if op == 3:
        return data[:i] + data[i + rng.randint(1, 40) :]
    if op == 4:
        j = min(len(data), i + rng.randint(1, 200))
        return data[:j] + data[i:j] * rng.randint(1, 5) + data[j:]
    k = rng.randrange(len(other)) if other else 0
    return data[:i] + other[k:]


def mutants(seeds: list[str], count: int, seed: int) -> Iterator[bytes | str]:
    """``count`` mutated inputs (bytes or str) from ``seeds``, deterministically.

    One to three structural mutations per pooled input (a fifth of ``count``), then
    byte-level mangling of a pooled or an original input for each output.
    """
    rng = random.Random(seed)
    raw = [s.encode() for s in seeds]
    pool: list[str] = []
    for _ in range(max(1, count // 5)):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            text = _structural(text, rng)
        pool.append(text)
    for _ in range(count):
        text = rng.choice(pool) if rng.random() < 0.6 else rng.choice(seeds)
        if rng.random() < 0.6:
            yield _bytewise(text.encode(), rng, rng.choice(raw))
        else:
            yield text
