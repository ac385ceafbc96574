"""``python -m app`` leaves out what NiceGUI imports but the dashboard never uses."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


def _imported(args: list[str]) -> set[str]:
    """The modules a Python command imported (``-X importtime`` lists each one)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


@pytest.mark.timeout(60)
def test_the_command_line_does_not_import_aiohttp() -> None:
    """The real entry point (``--help`` exits after every import and the settings)."""
    imported = _imported(["-m", "app", "--help"])
    assert {"nicegui", "socketio", "engineio.async_client", "app.main"} <= imported
    # the attempt on the absent package is listed (a few microseconds); none of its modules
    assert not {name for name in imported if name.startswith("aiohttp.")}


@pytest.mark.timeout(60)
@pytest.mark.skipif(importlib.util.find_spec("aiohttp") is None, reason="aiohttp not installed")
def test_without_the_skip_nicegui_imports_aiohttp() -> None:
    """The skip is needed: NiceGUI's import chain pulls aiohttp in when nothing stops it."""
    assert "aiohttp.client" in _imported(["-c", "import nicegui"])
