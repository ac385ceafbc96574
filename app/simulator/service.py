"""The Simulator: catalog, scenario book, model, generator and engine wired for one config."""

from __future__ import annotations

from app.lifecycle import Lifecycle
from app.simulator.catalog import Catalog, load_catalog
from app.simulator.config import SimulatorConfig
from app.simulator.engine import Engine
from app.simulator.generator import Generator
from app.simulator.model import Model
from app.simulator.scenarios import Run, ScenarioBook


class Simulator(Lifecycle):
    """One simulator instance. ``start()``/``stop()`` run its single generator task."""

    def __init__(self, config: SimulatorConfig | None = None, catalog: Catalog | None = None):
        self.config = config or SimulatorConfig()
        self.catalog = catalog or load_catalog()
        self.book = ScenarioBook(self.catalog, self.config.scenario_time_scale)
        self.model = Model(self.catalog, self.config.seed, self.book)
        self.generator = Generator(self.model, self.config.rate)
        self.engine = Engine(self.config, self.generator, self.book)

    @property
    def running(self) -> bool:
        return self.engine.running

    def now(self) -> float:
        """The simulator's clock, epoch seconds."""
        return self.config.clock()

    async def start(self) -> None:
        """Pre-fill the catch-up window and start generating. Fails if already started."""
        await self.engine.start()

    async def stop(self) -> None:
        """Stop generating and close every WebSocket client (1001). Safe to call twice."""
        await self.engine.stop()

    # --- scenarios (the REST layer calls these) -------------------------------------------

    def activate(self, scenario_id: str) -> Run:
        """Start a scenario now (raises ScenarioError: 404 unknown, 409 already active)."""
        return self.book.activate(scenario_id, self.now())

    def stop_scenario(self) -> Run | None:
        """End the active scenario now; it settles back. None when none is active."""
        return self.book.stop(self.now())

    def reset(self) -> None:
        """Drop every scenario run: back to the baseline, live and in history."""
        self.book.reset(self.now())
