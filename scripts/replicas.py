"""Several dashboard replicas behind nginx: sticky viewers, one upstream link each, failover.

    .venv/bin/python -m scripts.replicas --replicas 3 --viewers 12 \
        --out test-artifacts/replicas.json

Starts one simulator (``python -m app.simulator``), ``--replicas`` dashboards against it
(``python -m app --simulator-url ... --allowed-hosts NAME``) and nginx in front of them
with ``deploy/nginx/dashboard.conf.template`` (rendered into a temporary directory, run in
the foreground on a free port). Then it opens ``--viewers`` viewers THROUGH nginx under the
public name (``--public-name``, default ``dashboard.localhost``): ``--browsers`` of them are
Chromium tabs in browser contexts of their own, the others socket.io viewer sessions with
cookie jars of their own (``scripts.replicas_viewers``).

Checks, each a line of ``problems`` when it fails:

* every viewer stays on one replica: nginx's access log (one affinity key per viewer) shows
  every request of it, page, assets and socket.io, served by the same replica, and every
  viewer keeps receiving live points on the same page load while the replicas run;
* every replica holds exactly one upstream link: the simulator counts as many links as
  replicas live, each replica is connected with no reconnect since it started;
* SIGKILL of the replica serving most viewers: the simulator drops to one link fewer, the
  survivors keep their links, the killed replica's viewers come back through nginx on ONE
  live replica (the page reloads there) and show points newer than the kill, the others do
  not move; what a moved viewer shows is within ``--tolerance`` of its new replica's newest
  point, and the series is the same everywhere: the killed replica's export just before
  the kill, each survivor's and each moved viewer's export through nginx (its cookie) agree
  point for point over the last ``--compare-seconds``.

Figures besides: how ``--spread-visits`` first visits from one address spread over the
replicas, each moved viewer's time from the kill to a point newer than the kill on its new
page, the simulator's time to notice the lost link. They are printed and written as JSON;
the exit status is 0 only if every check held.
Everything started is stopped on exit, on Ctrl-C and on SIGTERM too.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from scripts.replicas_checks import (
    Route,
    Viewer,
    before_kill,
    fetch_export,
    lags,
    link_problems,
    route_problems,
    routes,
    same_data,
)
from scripts.replicas_stack import (
    Replica,
    Stack,
    all_linked,
    first_visit_spread,
    link_facts,
    nginx_errors,
    now,
    page_replica,
    read_access_log,
    simulator_links,
    sockets_logged,
    start_stack,
)
from scripts.replicas_viewers import BrowserViewer, SocketFleet, SocketViewer, looks, newer
from tests.support.processes import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    error_lines,
    wait_until,
    write_figures,
)

OTHER_STREAM = "customer.tutor.search"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    first_line = (__doc__ or "").split("\n")[0]
    p = argparse.ArgumentParser(prog="python -m scripts.replicas", description=first_line)
    p.add_argument("--replicas", type=int, default=3, help="dashboard replicas (default 3)")
    p.add_argument("--viewers", type=int, default=12, help="viewers in all (default 12)")
    p.add_argument("--browsers", type=int, default=3, help="of them Chromium tabs (default 3)")
    p.add_argument("--rate", type=float, default=5.0, help="simulator --rate (default 5)")
    p.add_argument("--topics", default="customer.*", help="replicas' --topics")
    p.add_argument("--stream", default="customer.page.view", help="the viewers' chart")
    p.add_argument("--public-name", default="dashboard.localhost", help="name viewers use")
    p.add_argument("--hold", type=float, default=5.0, help="seconds viewers run before the kill")
    p.add_argument("--tolerance", type=float, default=3.0, help="viewer vs replica, seconds")
    p.add_argument("--compare-seconds", type=float, default=30.0, help="series compared, s")
    p.add_argument("--move-timeout", type=float, default=30.0, help="limit to move, seconds")
    p.add_argument("--spread-visits", type=int, default=150, help="first visits to spread")
    p.add_argument("--out", type=Path, default=ARTIFACTS / "replicas.json", help="JSON figures")
    args = p.parse_args(argv)
    if args.replicas < 2 or not 0 <= args.browsers <= args.viewers or args.viewers < 1:
        p.error("needs --replicas >= 2 and 0 <= --browsers <= --viewers, --viewers >= 1")
    return args


def open_viewers(
    stack: Stack, args: argparse.Namespace, browser: Browser | None, fleet: SocketFleet
) -> list[Viewer]:
    """Socket viewers first (they open in the background), then the tabs one by one."""
    path = f"/?streams={args.stream}&range=1h"
    sockets = [
        SocketViewer(f"socket-{n}", stack.entry, stack.host_header, path)
        for n in range(1, args.viewers - args.browsers + 1)
    ]
    for viewer in sockets:
        fleet.add(viewer)
    viewers: list[Viewer] = []
    for n in range(1, args.browsers + 1):
        assert browser is not None
        tab = BrowserViewer(f"browser-{n}", browser, stack.public + path)
        viewers.append(tab)
        tab.open(timeout_s=60)
    wait_until(lambda: all(v.newest_ms for v in sockets), 60, "socket viewers' first points")
    return [*viewers, *sockets]


def assign(stack: Stack, viewers: Sequence[Viewer]) -> dict[str, str]:
    """The replica that served each viewer's page, from nginx's log."""
    first: dict[str, str] = {}
    for viewer in viewers:
        assert viewer.key is not None, f"{viewer.name} has no affinity cookie"
        probe = page_replica(stack, viewer.key)
        first[viewer.name] = wait_until(probe, 10, f"{viewer.name}'s page in nginx's log")
    return first


def hold(viewers: Sequence[Viewer], seconds: float) -> list[str]:
    """Run at least ``seconds``, until every viewer got a newer point on the same page."""
    start = looks(viewers)
    began = time.monotonic()

    def advanced() -> bool:
        if time.monotonic() - began < seconds:
            return False
        seen = looks(viewers)
        return all(newer(seen[v.name], start[v.name]) for v in viewers)

    try:
        wait_until(advanced, seconds + 30, "every viewer showing new points", interval=0.2)
    except TimeoutError as exc:
        seen = looks(viewers)
        stuck = {
            v.name: (start[v.name], seen[v.name])
            for v in viewers
            if not newer(seen[v.name], start[v.name])
        }
        return [f"{exc}: {stuck}"]
    end = looks(viewers)
    return [
        f"{v.name} reloaded while its replica was up"
        for v in viewers
        if (a := start[v.name]) is None or (b := end[v.name]) is None or a.document != b.document
    ]


def kill_and_move(
    stack: Stack, victim: Replica, viewers: Sequence[Viewer], moved: set[str], timeout: float
) -> dict[str, Any]:
    """SIGKILL ``victim``; time the simulator's drop and every viewer's next new point (the
    ``moved`` ones on a new page load, the others on the same)."""
    before = looks(viewers)
    kill_at = now()
    began = time.monotonic()
    victim.process.signal(signal.SIGKILL)
    links = len(stack.live())
    wait_until(lambda: simulator_links(stack) == links, 30, "the simulator to drop the link")
    link_drop_s = time.monotonic() - began
    kill_ms = int(kill_at * 1000)
    shown: dict[str, float] = {}

    def probe() -> bool:
        for viewer in viewers:
            if viewer.name in shown:
                continue
            look, old = viewer.look(), before[viewer.name]
            if look is None or old is None or not look.newest_ms or look.newest_ms <= kill_ms:
                continue
            if (look.document != old.document) == (viewer.name in moved):
                shown[viewer.name] = round(time.monotonic() - began, 3)
        return len(shown) == len(viewers)

    problems: list[str] = []
    try:
        wait_until(probe, timeout, "every viewer showing points newer than the kill")
    except TimeoutError as exc:
        late = sorted({v.name for v in viewers} - set(shown))
        problems.append(f"{exc}: {late}")
    for viewer in viewers:  # a socket viewer knows when exactly, a tab is polled
        old = before[viewer.name]
        if isinstance(viewer, SocketViewer) and viewer.name in shown and old is not None:
            at = viewer.shown_at(began, kill_ms, int(old.document), viewer.name in moved)
            shown[viewer.name] = round(at - began, 3) if at is not None else shown[viewer.name]
    return {
        "killAt": kill_at,
        "began": began,
        "linkDropSeconds": round(link_drop_s, 3),
        "linksAfter": links,
        "shown": shown,
        "problems": problems,
    }


def experiment(
    stack: Stack, args: argparse.Namespace, browser: Browser | None, fleet: SocketFleet
) -> dict[str, Any]:
    """Everything between the start and the stop; the figures and problems so far."""
    wait_until(lambda: all_linked(stack, args.replicas), 60, "every replica linked")
    baseline = {r.addr: link_facts(r) for r in stack.replicas}
    spread = first_visit_spread(stack, args.spread_visits)
    viewers = open_viewers(stack, args, browser, fleet)
    first = assign(stack, viewers)
    problems = hold(viewers, args.hold)
    problems += link_problems(stack, baseline, "before the kill")
    counts = Counter(first.values())
    victim = max(stack.replicas, key=lambda r: counts[r.addr])
    moved = {name for name, addr in first.items() if addr == victim.addr}
    victim_before = {
        s: fetch_export(victim.process.url, s) for s in dict.fromkeys([args.stream, OTHER_STREAM])
    }
    kill = kill_and_move(stack, victim, viewers, moved, args.move_timeout)
    problems += kill.pop("problems")
    moved_viewers = [v for v in viewers if v.name in moved]
    from_ms = int((kill["killAt"] - args.compare_seconds) * 1000)
    streams = list(victim_before)
    compared = same_data(stack, streams, victim_before, moved_viewers, from_ms)
    # The chart's stream is dense; OTHER_STREAM may have no point in a short window (then
    # there is nothing to compare, which is not a difference).
    problems += [f"different series: {c}" for c in compared if c["mismatches"] not in (0, None)]
    mine = [c for c in compared if c["compared"].startswith(f"{args.stream}:")]
    problems += [f"nothing to compare: {c}" for c in mine if not c["points"]]
    lag = lags(stack, args.stream, viewers)
    problems += [
        f"{name}'s newest point is {ms} ms off its replica's"
        for name, ms in lag.items()
        if abs(ms) > 1000 * args.tolerance
    ]
    now_on = {v.name: page_replica(stack, v.key or "")() for v in viewers}
    problems += link_problems(stack, baseline, "after the kill")
    return {
        "viewers": viewers,
        "spread": spread,
        "first": first,
        "now": now_on,
        "victim": victim,
        "moved": moved,
        "kill": kill,
        "compared": compared,
        "lagMs": lag,
        "problems": problems,
    }


def close_viewers(viewers: Sequence[Viewer], fleet: SocketFleet) -> list[str]:
    """Close every tab and socket (nginx logs a WebSocket when it closes)."""
    for viewer in viewers:
        if isinstance(viewer, BrowserViewer):
            viewer.close()
    return fleet.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start, check, stop; returns the figures (``ok`` says whether every check held)."""
    stack = Stack(args.public_name)
    started = time.monotonic()
    with contextlib.ExitStack() as cleanup:  # every step runs, even if one before it fails
        cleanup.callback(stack.stop)
        start_stack(stack, args.replicas, args.rate, ["--topics", args.topics])
        since = {r.addr: r.process.log.stat().st_size for r in stack.replicas}
        browser = None
        if args.browsers:
            pw = sync_playwright().start()
            cleanup.callback(pw.stop)
            resolve = f"--host-resolver-rules=MAP {args.public_name} 127.0.0.1"
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, resolve])
        fleet = SocketFleet()
        cleanup.callback(fleet.close)
        result = experiment(stack, args, browser, fleet)
        crashes = close_viewers(result["viewers"], fleet)
        keys = [v.key or "" for v in result["viewers"]]
        with contextlib.suppress(TimeoutError):  # the route check names what is missing
            wait_until(lambda: sockets_logged(stack, keys), 10, "nginx to log every socket")
        stack.stop_nginx()
        lines = read_access_log(stack.access_log)
        nginx = nginx_errors(stack)
        logs = {r.addr: error_lines(r.process.log, since[r.addr]) for r in stack.live()}
    figures = report(args, result, lines, logs)
    figures["nginxUpstreamRefused"] = nginx["upstreamRefused"]
    figures["problems"] += [f"nginx: {line}" for line in nginx["severe"]]
    figures["problems"] += [f"a socket viewer crashed: {c}" for c in crashes]
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["ok"] = not figures["problems"]
    return figures


def report(
    args: argparse.Namespace,
    result: dict[str, Any],
    lines: list[Any],
    logs: dict[str, list[str]],
) -> dict[str, Any]:
    """The figures: per viewer its route and times, per replica its viewers, the checks."""
    viewers: list[Viewer] = result["viewers"]
    first, moved, kill = result["first"], result["moved"], result["kill"]
    victim: str = result["victim"].addr
    keyed = {v.name: v.key or "" for v in viewers}
    route = routes(lines, list(keyed.values()), kill["killAt"])
    problems: list[str] = list(result["problems"])
    rows = []
    for v in viewers:
        r = route[keyed[v.name]]
        problems += route_problems(v.name, r, first[v.name], v.name in moved, victim)
        rows.append(_viewer_row(v, r, result))
    for addr, errors in logs.items():
        if errors:
            problems.append(f"{len(errors)} error line(s) in {addr}'s log: {errors[:2]}")
    drops, reloads = before_kill(rows)
    if reloads:
        problems.append(f"socket viewers loaded their page {reloads} more time(s) before the kill")
    move_times = [kill["shown"][n] for n in sorted(moved) if n in kill["shown"]]
    by_kind = {
        kind: [
            row["secondsToPointAfterKill"] for row in rows if row["moved"] and row["kind"] == kind
        ]
        for kind in ("browser", "socket")
    }
    before, after = Counter(first.values()), Counter(result["now"].values())
    return {
        "replicas": args.replicas,
        "viewers": len(viewers),
        "browsers": args.browsers,
        "killed": victim,
        "viewersPerReplica": {
            a: {"before": before[a], "after": after[a]} for a in sorted(set(before) | set(after))
        },
        "firstVisitSpread": result["spread"],
        "moved": len(moved),
        "moveSecondsMax": max(move_times, default=None),
        "moveSecondsMedian": statistics.median(move_times) if move_times else None,
        "moveSecondsByKind": by_kind,
        "socketDropsBeforeKill": drops,
        "simulatorLinks": {"beforeKill": args.replicas, "afterKill": kill["linksAfter"]},
        "linkDropSeconds": kill["linkDropSeconds"],
        "comparedSeries": result["compared"],
        "viewerRows": rows,
        "settings": {
            "rate": args.rate,
            "topics": args.topics,
            "stream": args.stream,
            "publicName": args.public_name,
            "hold": args.hold,
            "tolerance": args.tolerance,
        },
        "problems": problems,
    }


def _viewer_row(viewer: Viewer, route: Route, result: dict[str, Any]) -> dict[str, Any]:
    kill = result["kill"]
    return {
        "viewer": viewer.name,
        "kind": viewer.kind,
        "replica": result["first"][viewer.name],
        "moved": viewer.name in result["moved"],
        "replicaNow": result["now"][viewer.name],
        "servedAfterKillBy": sorted(route.after),
        "requests": route.requests,
        "socketRequests": route.sockets,
        "retriedPastDead": route.retried,
        "secondsToPointAfterKill": kill["shown"].get(viewer.name),
        "lagMs": result["lagMs"].get(viewer.name),
        "consoleErrors": len(getattr(viewer, "console", [])),
        "timeline": [  # socket viewers: page loads, connects, drops, relative to the kill
            f"{t - kill['began']:+.3f} s {what}" for t, what in getattr(viewer, "timeline", [])
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run like Ctrl-C does: through every finally, so nothing is left over.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return write_figures(args.out, run(args), hide=("viewerRows", "comparedSeries"))


if __name__ == "__main__":
    raise SystemExit(main())
