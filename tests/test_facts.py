"""Stream facts: what the dashboard knows of the streams besides the wire."""

from __future__ import annotations

from app.facts import StreamFacts

NOW = 1_795_000_000.0


def test_rate_model_from_catalog() -> None:
    """The catalog's daily volume and patterns give a stream's expected events per second."""
    facts = StreamFacts.packaged()
    model = facts.rate_model("customer.tutor.search")
    assert model is not None and 1 / 120 < model(NOW) < 1
    assert facts.rate_model("no.such.stream") is None


def test_names_are_the_catalogs_fifty_streams() -> None:
    """The packaged catalog lists the marketplace's 50 streams, in a stable order."""
    facts = StreamFacts.packaged()
    assert len(facts.names) == 50 == len(set(facts.names))
    assert facts.names[0] == "customer.signup.started"
