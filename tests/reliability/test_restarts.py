"""Simulator restarts under a running dashboard: ``python -m scripts.restarts`` with 3 cycles
(the full 20 run on demand: ``.venv/bin/python -m scripts.restarts``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


def test_three_restarts_recover_with_no_duplicate_and_no_loss(tmp_path: Path) -> None:
    """SIGKILL/SIGTERM x3: every restart recovered; the export equals the model exactly."""
    out = tmp_path / "restarts.json"
    args = ["--restarts", "3", "--min-up", "1.5", "--max-up", "3", "--max-down", "1"]
    fast = ["--backoff-initial", "0.2", "--backoff-max", "1", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.restarts", *args, *fast],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    figures = json.loads(out.read_text("utf-8"))
    assert figures["recoveries"] == 3
    assert set(figures["signals"]) == {"SIGKILL", "SIGTERM"}
    assert figures["duplicatePoints"] == 0 and figures["missingEvents"] == 0
    assert figures["eventsPresent"] == figures["eventsExpected"] > 0
    assert figures["problems"] == []
