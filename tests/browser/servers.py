"""Real server processes for the end-to-end tests: the dashboard and an external simulator.

The process helpers live in ``tests/support/processes.py`` (shared with the reliability
tests and scripts); this module keeps the browser tests' names and their simulator rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.processes import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    START_TIMEOUT,
    Process,
    free_port,
    start,
    start_dashboard,
    steady_rate,
)
from tests.support.processes import start_simulator as _start_simulator

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "RATE",
    "ROOT",
    "START_TIMEOUT",
    "Process",
    "Stack",
    "free_port",
    "start",
    "start_dashboard",
    "start_simulator",
]

RATE = steady_rate(20)
"""Simulator rate multiplier: 20 in a peak hour, more off-hours for the same volume
(customer.tutor.search about three events a second, api.request.log about 340)."""


def start_simulator(port: int) -> Process:
    """``python -m app.simulator`` on ``port`` at the browser tests' rate."""
    return _start_simulator(port, rate=RATE)


@dataclass
class Stack:
    """A dashboard using an external simulator the test can stop and start again."""

    dashboard: Process
    simulator: Process
    port: int

    def restart_simulator(self) -> None:
        """Start the simulator again on the same port (after :meth:`Process.stop`)."""
        self.simulator = start_simulator(self.port)
