"""Native window mode, for real: ``python -m app --native`` under Xvfb, screenshotted."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MISSING = [
    what
    for what, ok in (
        ("xvfb-run", shutil.which("xvfb-run")),
        ("imagemagick", shutil.which("import")),
        ("the 'native' extra", importlib.util.find_spec("webview")),
    )
    if not ok
]


@pytest.mark.native
@pytest.mark.timeout(150)
def test_native_window_shows_the_dashboard() -> None:
    """The native window opens, connects, and draws the 7-day chart on a virtual screen."""
    if MISSING:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the native check; missing: {', '.join(MISSING)}")
        pytest.skip(f"needs {', '.join(MISSING)} (bash scripts/test.sh installs them as root)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    run = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1400x900x24",
            sys.executable,
            "scripts/native_check.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=140,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "native window up" in run.stdout
    assert (ROOT / "test-artifacts" / "native.png").stat().st_size > 10_000
