"""Context for the chart: what the simulator says is going on besides the streams."""
