"""Stream facts: what the dashboard knows of the streams besides the wire."""

from __future__ import annotations

from app.facts import StreamFacts

NOW = 1_795_000_000.0


def test_expected_interval_from_catalog() -> None:
    """The catalog's daily volume and patterns give the expected gap between events."""
    facts = StreamFacts.packaged()
    interval = facts.expected_interval_s("customer.tutor.search", NOW)
    assert interval is not None and 1 < interval < 120
    assert facts.expected_interval_s("no.such.stream", NOW) is None


def test_names_are_the_catalogs_fifty_streams() -> None:
    """The packaged catalog lists the marketplace's 50 streams, in a stable order."""
    facts = StreamFacts.packaged()
    assert len(facts.names) == 50 == len(set(facts.names))
    assert facts.names[0] == "customer.signup.started"
