"""The page tests' one ``services`` fixture: fresh stores and fakes for the fake main file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pages import dashboard_state
from tests.pages.dashboard_state import FakeServices, make_services


@pytest.fixture
def services(request: pytest.FixtureRequest) -> Iterator[FakeServices]:
    """Fresh stores and fakes, installed before the User fixture runs the main file;
    ``param`` (indirect parametrization) gives :func:`make_services` its keyword arguments."""
    dashboard_state.current = make_services(**getattr(request, "param", {}))
    yield dashboard_state.current
    dashboard_state.current = None
