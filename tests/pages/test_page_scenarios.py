"""The scenario panel and the header's scenario, driven by NiceGUI's User fixture.

The panel's commands go through the real scenario control and client to a scripted
simulator in-process (``tests/support/scripted_scenarios.py``), so what the page says is
what the dashboard makes of real answers, refusals included.
"""

from __future__ import annotations

import time

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from tests.pages import dashboard_state
from tests.pages.dashboard_state import FakeServices, wait_for

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")

WAIT = 30
"""``should_see`` retries (0.1 s apart)."""
HOSTILE = "<img src=x onerror=alert('pwn-scenario')>"


@pytest.fixture
async def user_page(services: FakeServices, user: User) -> User:
    return user


def _start(user: User, scenario_id: str) -> UserInteraction[ui.element]:
    """The Start button of one scenario."""
    found = user.find(marker=f"scenario-start-{scenario_id}")
    assert len(found.elements) == 1, f"one Start button for {scenario_id}"
    return found


async def _open(user: User) -> None:
    """Open ``/`` and wait for the page-start refresh (list and state) to have landed."""
    await user.open("/")
    await user.should_see("Exam season surge", retries=WAIT)
    store = dashboard_state.current.scenarios.store if dashboard_state.current else None
    await wait_for(lambda: store is not None and store.state_at_ms is not None, "the state")


async def test_panel_lists_scenarios_with_description_and_duration(
    user_page: User, services: FakeServices
) -> None:
    """Name, description and duration of each scenario the simulator offers."""
    await _open(user_page)
    await user_page.should_see("Payment outage")
    await user_page.should_see("Students search and book far more than usual before exams.")
    await user_page.should_see("30 min")
    await user_page.should_see("15 min")  # a duration sent as text ("15 minutes")
    await user_page.should_see(content="No scenario is running")
    await user_page.should_not_see(marker="scenario-status")


async def test_start_shows_the_scenario_in_the_header_and_hands_over_events(
    user_page: User, services: FakeServices
) -> None:
    """Start: the header names it, the panel says it runs, its events go to on_events."""
    handed: list[list[object]] = []
    services.scenarios.on_events = handed.append
    await _open(user_page)
    _start(user_page, "exam-season-surge").click()
    await user_page.should_see(marker="scenario-status", content="Scenario: Exam season surge")
    await user_page.should_see(content="Exam season surge is running since", retries=WAIT)
    assert [e["id"] for e in handed[0]] == ["scripted-1"]  # type: ignore[index]
    (button,) = _start(user_page, "exam-season-surge").elements
    assert isinstance(button, ui.button) and button.text == "Running"
    assert button.props["aria-label"] == "Start Exam season surge"
    assert ("GET", "/api/simulation/state", None) in services.script.requests[-1:]
    (stop,) = user_page.find(marker="scenario-stop").elements
    assert stop.enabled


async def test_stop_shows_settling_in_header_and_a_band_on_the_chart(
    user_page: User, services: FakeServices
) -> None:
    """Stop: the header says it settles, the chart gets a settling band."""
    await _open(user_page)
    _start(user_page, "exam-season-surge").click()
    await user_page.should_see(marker="scenario-status", content="Scenario: Exam season surge")
    user_page.find(marker="scenario-stop").click()
    await user_page.should_see(marker="scenario-status", content="Settling: Exam season surge")
    (chart,) = user_page.find(kind=ui.echart).elements
    assert user_page.client is not None
    scripts = [
        m[2]["code"]
        for _, _, m in user_page.client.outbox.message_history
        if m[1] == "run_javascript" and f'LiveChart.annotate({chart.id},"scenario",' in m[2]["code"]
    ]
    assert scripts and "settling back to baseline" in scripts[-1]


async def test_a_refused_start_is_shown_in_words(user_page: User, services: FakeServices) -> None:
    """409 from the simulator: a sentence on the page, the server's text one click away."""
    await _open(user_page)
    services.script.refuse_start = (
        409,
        {"error": {"code": "SCENARIO_ALREADY_ACTIVE", "message": "quality-crisis is active"}},
    )
    _start(user_page, "payment-outage").click()
    await user_page.should_see(
        content="Could not start the scenario: another scenario is already running", retries=WAIT
    )
    await user_page.should_see(marker="scenario-error-detail", content="quality-crisis is active")
    await user_page.should_not_see(marker="scenario-status")
    user_page.find(marker="scenario-error-dismiss").click()
    await user_page.should_not_see(marker="scenario-error", retries=WAIT)


async def test_server_error_in_the_original_shape_and_hostile_text(
    user_page: User, services: FakeServices
) -> None:
    """A 500 with ``{"error": "text"}`` in markup: words, and the markup shown as text."""
    services.script.scenarios[1]["name"] = HOSTILE
    await _open(user_page)
    await user_page.should_see(HOSTILE)
    services.script.refuse_start = (500, {"error": HOSTILE})
    _start(user_page, "payment-outage").click()
    await user_page.should_see(
        content="Could not start the scenario: the simulator failed (HTTP 500"
    )
    labels = user_page.find(kind=ui.label, content=HOSTILE).elements
    assert labels and not any(label.props.get("innerHTML") for label in labels)


async def test_reset_asks_first(user_page: User, services: FakeServices) -> None:
    """Reset opens a confirmation; only its Reset button resets, for every tab."""
    await _open(user_page)
    _start(user_page, "exam-season-surge").click()
    await user_page.should_see(marker="scenario-status", content="Scenario: Exam season surge")
    user_page.find(marker="scenario-reset").click()
    await user_page.should_see("Reset the simulation?")
    assert not [r for r in services.script.requests if r[1].endswith("/reset")]
    user_page.find("Cancel").click()
    user_page.find(marker="scenario-reset").click()
    user_page.find(marker="scenario-reset-confirm").click()
    await wait_for(lambda: any(r[1].endswith("/reset") for r in services.script.requests), "reset")
    await user_page.should_not_see(marker="scenario-status", retries=WAIT)
    await user_page.should_see(content="No scenario is running", retries=WAIT)


async def test_the_header_follows_the_store_on_every_tab(
    user_page: User, services: FakeServices
) -> None:
    """A change made elsewhere (another tab, the state) reaches this tab's header."""
    await _open(user_page)
    services.scenarios.store.apply_state(
        {"activeModifiers": [{"scenarioId": "payment-outage", "phase": "active"}]}
    )
    await user_page.should_see(marker="scenario-status", content="Scenario: Payment outage")
    services.scenarios.store.apply_state({"activeModifiers": []})
    await user_page.should_not_see(marker="scenario-status", retries=WAIT)


@pytest.mark.parametrize("services", [{"read_only": True}], indirect=True)
async def test_read_only_hides_the_panel_but_shows_the_scenario(
    user_page: User, services: FakeServices
) -> None:
    """``--read-only``: no panel, no commands; the header still names the scenario."""
    await user_page.open("/")
    await user_page.should_see(marker="live-chart", retries=WAIT)
    await user_page.should_not_see(marker="scenario-panel")
    outcome = await services.scenarios.start("exam-season-surge")
    assert not outcome.ok and "read-only" in outcome.text
    assert not [r for r in services.script.requests if r[0] == "POST"]
    await wait_for(lambda: services.scenarios.store.scenarios_loaded, "the list")
    services.script.started("exam-season-surge", time.time())  # someone else started it
    await services.scenarios.refresh_state()
    await user_page.should_see(
        marker="scenario-status", content="Scenario: Exam season surge", retries=WAIT
    )
