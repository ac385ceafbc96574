"""Fixtures of the end-to-end tests: the servers of ``servers.py`` and Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RATE,
    Process,
    Stack,
    free_port,
    start_dashboard,
    start_simulator,
)


@pytest.fixture(scope="module")
def dashboard() -> Iterator[Process]:
    """The dashboard with its embedded simulator."""
    proc = start_dashboard("--sim-rate", RATE)
    yield proc
    proc.stop()


@pytest.fixture
def external_stack() -> Iterator[Stack]:
    """An external simulator and a dashboard using it, with fast reconnect backoff."""
    port = free_port()
    simulator = start_simulator(port)
    try:
        dash = start_dashboard(
            "--simulator-url", simulator.url, "--backoff-initial", "0.5", "--backoff-max", "2"
        )
    except BaseException:
        simulator.stop()
        raise
    stack = Stack(dash, simulator, port)
    yield stack
    stack.dashboard.stop()
    stack.simulator.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (never ``playwright install``)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests; {CHROMIUM} is missing")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (scripts/test.sh installs it as root)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def wide_page(browser: Browser) -> Iterator[Page]:
    """A page in a 1400 x 900 window (a desktop screen: the chart about 1,300 px wide)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()
