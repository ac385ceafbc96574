"""The processes of ``scripts.replicas``: one simulator, N dashboard replicas, nginx in front.

Everything runs on free ports of 127.0.0.1. nginx runs from a generated configuration in a
temporary directory (``scripts.nginx_conf``), in the foreground as a child process, so no
root path is read or written. :meth:`Stack.stop` stops whatever was started, in reverse.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.nginx_conf import write_standalone
from tests.support.processes import (
    ARTIFACTS,
    START_TIMEOUT,
    Process,
    free_port,
    get_json,
    start_dashboard,
    start_simulator,
    status,
    wait_until,
)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class Replica:
    """One dashboard process and the address nginx knows it by (``127.0.0.1:PORT``)."""

    process: Process
    addr: str

    @property
    def alive(self) -> bool:
        return self.process.alive


@dataclass
class Stack:
    """Simulator, replicas and nginx; ``public`` is the URL viewers use (nginx's port, the
    public name), ``entry`` the same on 127.0.0.1 for clients that cannot resolve the name."""

    public_name: str
    simulator: Process | None = None
    replicas: list[Replica] = field(default_factory=list)
    nginx: Process | None = None
    prefix: Path | None = None
    port: int = 0
    pool: ThreadPoolExecutor | None = None
    """Where the processes are started; :meth:`stop` waits for it first."""

    @property
    def public(self) -> str:
        return f"http://{self.public_name}:{self.port}"

    @property
    def entry(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host_header(self) -> str:
        return f"{self.public_name}:{self.port}"

    @property
    def access_log(self) -> Path:
        assert self.prefix is not None
        return self.prefix / "access.log"

    def live(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive]

    def replica(self, addr: str) -> Replica:
        return next(r for r in self.replicas if r.addr == addr)

    def stop_nginx(self) -> None:
        """Stop nginx gracefully (SIGQUIT: requests under way finish and are logged, within
        its worker_shutdown_timeout); safe to call twice."""
        if self.nginx is not None:
            self.nginx.signal(signal.SIGQUIT)

    def stop(self) -> None:
        """Stop nginx, the replicas and the simulator (each awaited; safe to call twice);
        nginx's logs are kept in ``test-artifacts/``, its temporary directory removed."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # starts under way finish
        self.stop_nginx()
        for proc in [*(r.process for r in self.replicas), self.simulator]:
            if proc is not None:
                proc.stop()
        if self.prefix is not None and self.prefix.exists():
            for name in ("access.log", "error.log"):
                if (self.prefix / name).exists():
                    shutil.copy(self.prefix / name, ARTIFACTS / f"replicas-nginx-{name}")
            shutil.rmtree(self.prefix, ignore_errors=True)


def start_stack(stack: Stack, replicas: int, rate: float, flags: list[str]) -> None:
    """Fill ``stack``: the simulator, ``replicas`` dashboards against it (in parallel), nginx.

    Each process is started in a worker thread that records it in ``stack`` itself, so
    ``stack.stop()`` (which first waits for those threads) stops every process that started,
    even after a failed start or Ctrl-C here.
    """
    stack.pool = ThreadPoolExecutor(max(1, replicas))
    stack.pool.submit(_start_simulator, stack, rate).result()
    assert stack.simulator is not None
    args = ["--simulator-url", stack.simulator.url, "--allowed-hosts", stack.public_name]
    futures = [stack.pool.submit(_start_replica, stack, [*args, *flags]) for _ in range(replicas)]
    for future in futures:
        future.result()  # the first failure is raised; the other replicas are in the stack
    start_nginx(stack)


def _start_simulator(stack: Stack, rate: float) -> None:
    stack.simulator = start_simulator(free_port(), rate=rate)


def _start_replica(stack: Stack, args: list[str]) -> None:
    proc = start_dashboard(*args)
    stack.replicas.append(Replica(proc, proc.url.removeprefix("http://")))


def start_nginx(stack: Stack) -> None:
    """nginx in the foreground on a free port, from a configuration in a temporary dir."""
    stack.prefix = Path(tempfile.mkdtemp(prefix="replicas-nginx-"))
    stack.port = free_port()
    conf = write_standalone(
        stack.prefix,
        f"127.0.0.1:{stack.port}",
        stack.public_name,
        [r.addr for r in stack.replicas],
    )
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "replicas-nginx.log"
    args = [NGINX, "-p", str(stack.prefix), "-c", str(conf), "-e", str(stack.prefix / "error.log")]
    with log.open("ab") as out:
        popen = subprocess.Popen([*args, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
    stack.nginx = Process(popen, stack.entry, log)
    wait_until(lambda: _nginx_ready(stack), START_TIMEOUT, "nginx answers for the replicas")


def _nginx_ready(stack: Stack) -> bool:
    if stack.nginx is not None and not stack.nginx.alive:
        raise RuntimeError(f"nginx exited; see {stack.nginx.log} and {stack.prefix}/error.log")
    try:
        answer = httpx.get(
            stack.entry + "/api/dashboard/status", headers={"Host": stack.host_header}
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def simulator_links(stack: Stack) -> int:
    """Upstream links the simulator holds (``connections`` of its state)."""
    assert stack.simulator is not None
    return int(get_json(stack.simulator.url + "/api/simulation/state")["connections"])


def link_facts(replica: Replica) -> dict[str, Any]:
    """What says a replica holds one link: its state, since when, and its reconnects."""
    body = status(replica.process)
    conn = body["connection"]
    return {
        "state": conn["state"],
        "connectedSince": conn["connectedSince"],
        "reconnects": body["counters"]["reconnects"],
        "eventsReceived": body["counters"]["eventsReceived"],
    }


def all_linked(stack: Stack, links: int) -> bool:
    """The simulator holds ``links`` links and every live replica says it is connected."""
    return simulator_links(stack) == links and all(
        link_facts(r)["state"] == "connected" for r in stack.live()
    )


@dataclass(frozen=True)
class LogLine:
    """One request nginx passed on: who asked (affinity key), what, and which replica served.

    ``start`` is when the request began (epoch s): a WebSocket is logged when it closes.
    """

    start: float
    key: str
    method: str
    uri: str
    status: int
    tried: tuple[str, ...]

    @property
    def served_by(self) -> str | None:
        """The replica that answered (the last one tried), None if none did."""
        return self.tried[-1] if self.tried and self.status < 500 else None


def read_access_log(path: Path) -> list[LogLine]:
    """The access log written by ``deploy/nginx/dashboard.conf.template``'s log format."""
    lines: list[LogLine] = []
    if not path.exists():
        return lines
    for text in path.read_text("utf-8").splitlines():
        row = json.loads(text)
        tried = tuple(a.strip() for a in row["upstream"].split(",") if a.strip())
        lines.append(
            LogLine(
                row["msec"] - row["seconds"],
                row["affinity"],
                row["method"],
                row["uri"],
                int(row["status"]),
                tried,
            )
        )
    return lines


def nginx_errors(stack: Stack) -> dict[str, Any]:
    """nginx's error log: replicas it could not reach (expected after a kill) and worse."""
    assert stack.prefix is not None
    path = stack.prefix / "error.log"
    text = path.read_text("utf-8", "replace") if path.exists() else ""
    lines = text.splitlines()
    return {
        "upstreamRefused": sum("connect() failed" in line for line in lines),
        "severe": [line for line in lines if re.search(r"\[(crit|alert|emerg)\]", line)],
    }


def first_visit_spread(stack: Stack, visits: int) -> dict[str, int]:
    """How ``visits`` requests without the affinity cookie (first visits, all from
    127.0.0.1) spread over the replicas: nginx's log of ``GET /api/dashboard/status``."""
    url, host = stack.entry + "/api/dashboard/status", {"Host": stack.host_header}
    with httpx.Client(headers=host, timeout=10) as client:  # no cookie jar kept: see below
        for _ in range(visits):
            client.get(url).raise_for_status()
            client.cookies.clear()
    lines = [line for line in read_access_log(stack.access_log) if line.uri.endswith("/status")]
    counts: dict[str, int] = {r.addr: 0 for r in stack.replicas}
    for line in lines[-visits:]:
        if line.served_by is not None:
            counts[line.served_by] = counts.get(line.served_by, 0) + 1
    return counts


def sockets_logged(stack: Stack, keys: list[str]) -> bool:
    """Every key's last page load has a socket.io request in the log after it (nginx logs a
    WebSocket when it closes)."""
    lines = read_access_log(stack.access_log)
    for key in keys:
        mine = [line for line in lines if line.key == key]
        pages = [line.start for line in mine if line.uri == "/" and line.method == "GET"]
        sockets = [line.start for line in mine if line.uri.startswith("/_nicegui_ws/")]
        if not pages or not any(start >= pages[-1] for start in sockets):
            return False
    return True


def page_replica(stack: Stack, key: str) -> Callable[[], str | None]:
    """A probe: the replica that served ``key``'s newest page GET so far (None: none yet)."""

    def probe() -> str | None:
        pages = [
            line
            for line in read_access_log(stack.access_log)
            if line.key == key and line.uri == "/" and line.method == "GET"
        ]
        return pages[-1].served_by if pages else None

    return probe


def now() -> float:
    """Wall-clock time, comparable with nginx's ``$msec``."""
    return time.time()
