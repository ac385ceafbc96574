"""Fixtures of the simulator tests; the helpers themselves live in ``sim_helpers``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.simulator.sim_helpers import RawClient, Running, run_server


@pytest.fixture
def serve() -> Callable[..., contextlib.AbstractAsyncContextManager[Running]]:
    """The ``run_server`` factory: ``async with serve(fast_config(...)) as srv``."""
    return run_server


@pytest.fixture
def raw_client() -> Callable[[int], Any]:
    """``await raw_client(port)``: a RawClient connected to ``/ws``."""
    return RawClient.connect
