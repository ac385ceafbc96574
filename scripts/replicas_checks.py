"""The checks of ``scripts.replicas``: routes from nginx's log, links, same data from exports."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from scripts.replicas_stack import (
    LogLine,
    Stack,
    link_facts,
    page_replica,
    simulator_links,
)
from scripts.replicas_viewers import BrowserViewer, SocketViewer
from tests.support.expected import Row, export_rows

SOCKET_PREFIX = "/_nicegui_ws/"
Viewer = BrowserViewer | SocketViewer


@dataclass(frozen=True)
class Export:
    """One replica's series of a stream as its export gives it, and who answered."""

    rows: list[Row]
    served_by: str | None = None

    @property
    def newest_ms(self) -> int | None:
        return self.rows[-1].ts_ms if self.rows else None

    @property
    def first_live_ms(self) -> int | None:
        return next((r.ts_ms for r in self.rows if r.source == "live"), None)


def fetch_export(base: str, stream: str, headers: dict[str, str] | None = None) -> Export:
    """``GET /api/dashboard/export?stream=...`` (through nginx: pass Host and the cookie)."""
    answer = httpx.get(
        f"{base}/api/dashboard/export",
        params={"stream": stream, "format": "json"},
        headers=headers,
        timeout=30.0,
    )
    answer.raise_for_status()
    return Export(export_rows(answer.json()["points"]))


def compare(name: str, a: Export, b: Export, from_ms: int) -> dict[str, Any]:
    """The two series over [``from_ms``, the older newest point - 1 s]: the points one has
    and the other has not (timestamp and value). Both must have live points by then."""
    firsts = [e.first_live_ms for e in (a, b)]
    newest = [e.newest_ms for e in (a, b)]
    if None in firsts or None in newest:
        return {"compared": name, "points": 0, "mismatches": None, "why": "no live point"}
    start = max(from_ms, *(f for f in firsts if f is not None))
    end = min(n for n in newest if n is not None) - 1000

    def window(e: Export) -> Counter[tuple[int, float | None]]:
        return Counter((r.ts_ms, r.normalized) for r in e.rows if start <= r.ts_ms <= end)

    left, right = window(a), window(b)
    return {
        "compared": name,
        "windowSeconds": round((end - start) / 1000, 1),
        "points": max(left.total(), right.total()),
        "mismatches": (left - right).total() + (right - left).total(),
    }


@dataclass
class Route:
    """Which replicas served one viewer's requests, before and after the kill."""

    requests: int = 0
    sockets: int = 0
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    retried: int = 0
    failed: int = 0


def routes(lines: Iterable[LogLine], keys: Sequence[str], kill_at: float) -> dict[str, Route]:
    """Each affinity key's route through nginx; ``kill_at`` is the kill's wall-clock time."""
    wanted = set(keys)
    served: dict[str, tuple[set[str], set[str]]] = {k: (set(), set()) for k in keys}
    out = {k: Route() for k in keys}
    for line in lines:
        if line.key not in wanted:
            continue
        route = out[line.key]
        route.requests += 1
        route.sockets += line.uri.startswith(SOCKET_PREFIX)
        route.retried += len(line.tried) > 1
        if line.served_by is None:
            route.failed += 1
            continue
        served[line.key][0 if line.start < kill_at else 1].add(line.served_by)
    for key, (before, after) in served.items():
        out[key].before, out[key].after = frozenset(before), frozenset(after)
    return out


def route_problems(
    name: str, route: Route, first: str | None, moved: bool, victim: str
) -> list[str]:
    """What is wrong with one viewer's route: more than one replica in a phase, a moved
    viewer still on the dead one, a viewer that moved although its replica lived on."""
    problems: list[str] = []
    if route.before != {first}:
        problems.append(f"{name}: served by {sorted(route.before)} before the kill, not {first}")
    if route.sockets == 0:
        problems.append(f"{name}: no socket.io request in nginx's log")
    if moved and (len(route.after) != 1 or victim in route.after):
        problems.append(f"{name}: served by {sorted(route.after)} after its replica died")
    if not moved and not route.after <= route.before:
        problems.append(f"{name}: moved to {sorted(route.after - route.before)} for no reason")
    if route.failed:
        problems.append(f"{name}: {route.failed} request(s) no replica answered")
    return problems


def link_problems(stack: Stack, baseline: dict[str, dict[str, Any]], when: str) -> list[str]:
    """One link per live replica: the simulator counts as many, and none reconnected since
    ``baseline`` (each replica's :func:`link_facts` at the start)."""
    problems: list[str] = []
    links = simulator_links(stack)
    if links != len(stack.live()):
        problems.append(f"{when}: the simulator holds {links} links for {len(stack.live())}")
    for replica in stack.live():
        facts, base = link_facts(replica), baseline[replica.addr]
        if facts["state"] != "connected" or facts["reconnects"] != 0:
            state, count = facts["state"], facts["reconnects"]
            problems.append(f"{when}: {replica.addr} is {state} after {count} reconnect(s)")
        if facts["connectedSince"] != base["connectedSince"]:
            problems.append(f"{when}: {replica.addr} opened a new link")
    return problems


def same_data(
    stack: Stack,
    streams: Sequence[str],
    victim_before: dict[str, Export],
    moved: Sequence[Viewer],
    from_ms: int,
) -> list[dict[str, Any]]:
    """Compare the killed replica's last exports (``victim_before``), each survivor's, and
    each moved viewer's export through nginx with its cookie (its new replica answers)."""
    out: list[dict[str, Any]] = []
    for stream in streams:
        direct = {r.addr: fetch_export(r.process.url, stream) for r in stack.live()}
        survivors = list(direct)
        for addr in survivors:
            name = f"{stream}: killed replica before the kill vs {addr}"
            out.append(compare(name, victim_before[stream], direct[addr], from_ms))
        for a, b in itertools.pairwise(survivors):
            out.append(compare(f"{stream}: {a} vs {b}", direct[a], direct[b], from_ms))
        for viewer in moved:
            cookie = {"Host": stack.host_header, "Cookie": f"dashboard_replica={viewer.key}"}
            through = fetch_export(stack.entry, stream, cookie)
            addr = page_replica(stack, viewer.key or "")() or survivors[0]
            name = f"{stream}: {viewer.name} through nginx vs {addr} directly"
            out.append(compare(name, through, direct[addr], from_ms))
    return out


def lags(stack: Stack, stream: str, viewers: Sequence[Viewer]) -> dict[str, int]:
    """How far each viewer's newest point of ``stream`` is behind its replica's, ms."""
    out: dict[str, int] = {}
    for viewer in viewers:
        look = viewer.look()
        addr = page_replica(stack, viewer.key or "")()
        if look is None or look.newest_ms is None or addr is None:
            continue
        newest = fetch_export(stack.replica(addr).process.url, stream).newest_ms or 0
        out[viewer.name] = newest - look.newest_ms
    return out


def before_kill(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Socket viewers' drops, and page loads beyond their first, before the kill."""
    early = [(row["viewer"], w) for row in rows for w in row["timeline"] if w.startswith("-")]
    drops = sum(w.endswith(" dropped") for _, w in early)
    loads = Counter(name for name, w in early if w.endswith(" page loaded"))
    return drops, sum(n - 1 for n in loads.values())
