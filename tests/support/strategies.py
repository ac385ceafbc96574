"""Hypothesis strategies shared by the topic tests."""

from __future__ import annotations

from hypothesis import strategies as st

from app.simulator.catalog import load_catalog

CATALOG = load_catalog()
stream_names = st.sampled_from(CATALOG.names)
"""One of the catalog's 50 stream names."""
topics = st.one_of(
    st.just("*"),
    st.just("anomalies"),
    stream_names,
    stream_names.map(lambda n: n.split(".")[0] + ".*"),
)
"""Any topic of the contract's four kinds, over the catalog's streams."""
