"""Shared pieces of the benchmarks: the results table, timing, processes, /proc readings.

Every figure is recorded with the baseline measured in the same run, so a noisy shared
machine moves both; ratios are what to compare between runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import CHROMIUM, CHROMIUM_ARGS  # the tests' browser, launched alike

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "benchmarks" / "out"
"""Logs of the processes the benchmarks start (git-ignored)."""
START_TIMEOUT = 60.0
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Figure:
    """One line of the table: a measured value, its same-run baseline and its target."""

    area: str
    name: str
    value: float | None
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    """Figures in the order measured, plus raw details for results.json."""

    quick: bool
    compete: bool = False
    """Whether another process keeps one core busy during the latency runs."""
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {figure.area} | {figure.name}: {fmt(figure.value)} {figure.unit}", flush=True)
        return figure


def fmt(value: float | None) -> str:
    """A number for the table: thousands separators, 3 significant digits for small ones."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return "0" if abs(value) < 0.005 else f"{value:.3g}"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def free_port() -> int:
    """A port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- /proc -------------------------------------------------------------------------------


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of ``pid`` (default: this process) in MB, from /proc."""
    path = f"/proc/{pid or 'self'}/status"
    for line in Path(path).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in {path}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (children not included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def cpu_times() -> list[int]:
    """The machine's CPU counters from /proc/stat: user nice system idle iowait irq softirq
    steal, in ticks summed over the cores."""
    first = Path("/proc/stat").read_text().split("\n", 1)[0]
    return [int(x) for x in first.split()[1:9]]


def cpu_share(before: Sequence[int], after: Sequence[int]) -> dict[str, float]:
    """Busy and steal percentages of all cores between two :func:`cpu_times` readings.

    Steal is time the hypervisor gave this VM's cores to other guests: the "noisy shared
    machine" in numbers. Figures measured while it is high are pessimistic.
    """
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d) or 1
    idle = d[3] + d[4]
    return {
        "busy_percent": round(100 * (total - idle - d[7]) / total, 1),
        "steal_percent": round(100 * d[7] / total, 1),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = Path("/proc/loadavg").read_text().split()[:3]
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "loadavg_at_start": [float(x) for x in load],
    }


# --- processes ----------------------------------------------------------------------------


@dataclass
class Proc:
    """A server started by a benchmark: terminated and awaited by :meth:`stop`."""

    popen: subprocess.Popen[bytes]
    url: str
    log: Path
    started: float
    """``time.time()`` just before the process was spawned."""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; always waited for."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def spawn(module_args: list[str], port: int, name: str) -> Proc:
    """Start ``python -m ARGS`` (listening on 127.0.0.1:port) with its output in out/."""
    OUT.mkdir(exist_ok=True)
    log = OUT / f"{name}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"PYTHONUNBUFFERED": "1", "NICEGUI_STORAGE_PATH": str(OUT / ".nicegui")}
    with log.open("wb") as out:
        started = time.time()
        popen = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return Proc(popen, f"http://127.0.0.1:{port}", log, started)


def wait_ready(proc: Proc, path: str, timeout: float = START_TIMEOUT) -> float:
    """Poll ``proc.url + path`` until it answers 200; returns ``time.time()`` of that answer."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.popen.poll() is not None:
            raise RuntimeError(
                f"{proc.log.stem} exited with {proc.popen.returncode}; see {proc.log}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(proc.url + path, timeout=2.0).status_code == 200:
                return time.time()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{proc.log.stem} not ready after {timeout:g} s; see {proc.log}")
        time.sleep(0.02)


@contextlib.contextmanager
def running(
    module_args: list[str], port: int, name: str, ready: str, timeout: float = START_TIMEOUT
) -> Iterator[Proc]:
    """A server process for the duration of a ``with`` block, ready when entered."""
    proc = spawn(module_args, port, name)
    try:
        wait_ready(proc, ready, timeout)
        yield proc
    finally:
        proc.stop()


def simulator(
    port: int, rate: float, name: str = "simulator", timeout: float = START_TIMEOUT
) -> contextlib.AbstractContextManager[Proc]:
    """``python -m app.simulator`` on ``port`` at ``rate``, ready when entered."""
    args = ["app.simulator", "--port", str(port), "--rate", f"{rate:g}", "--log-level", "warning"]
    return running(args, port, f"{name}-{port}", "/api/simulation/state", timeout)


def sim_rate_for(events_per_second: float, now: float | None = None) -> float:
    """The simulator rate multiplier giving ``events_per_second`` over all 50 streams now."""
    return events_per_second / base_rates(now)[1]


def base_rates(now: float | None = None) -> tuple[dict[str, float], float]:
    """Each stream's model rate (events/s at multiplier 1) now, and their sum."""
    from app.simulator import Simulator

    sim = Simulator()
    t = time.time() if now is None else now
    rates = {s.name: sim.model.rate(s, t) for s in sim.catalog.streams}
    return rates, sum(rates.values())


# --- browser ------------------------------------------------------------------------------


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (never ``playwright install``); closed on exit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError(f"the browser areas need Playwright: {_BROWSER_SETUP}") from exc
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"the browser areas need {CHROMIUM}: {_BROWSER_SETUP}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


_BROWSER_SETUP = (
    "run `bash scripts/test.sh` once (it installs both), "
    "or `pip install -e '.[test]'` and `apt install chromium`"
)

CHART_READY_JS = """(min) => {
  const host = document.querySelector('[_echarts_instance_]');
  if (!host) return false;
  const comp = getElement(host);
  if (!comp || !comp.chart) return false;
  const option = comp.chart.getOption();
  const drawn = option.series && option.series[0] ? option.series[0].data.length : 0;
  const held = window.LiveChart ? LiveChart.points(+host.id.slice(1)) : 0;
  return drawn > 0 && Math.max(drawn, held) >= min;
}"""
"""True once the page's chart is drawn and holds at least ``min`` points: those the tab
keeps (``LiveChart.points``; ECharts gets a line past 4,000 points reduced) or, on a page
without ``LiveChart`` (the naive baseline), those ECharts holds."""
