"""Real-time operations dashboard for the AI Mock Simulator."""
