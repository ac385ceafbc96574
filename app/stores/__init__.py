"""State the UI binds to: plain Python objects, no UI imports."""
