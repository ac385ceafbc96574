"""``python -m app`` leaves out what NiceGUI imports but the dashboard never uses."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
from app.__main__ import skip_unused_imports
skip_unused_imports()
import engineio.async_client
import nicegui
import socketio
assert sys.modules.get("aiohttp") is None, sys.modules.get("aiohttp")
assert engineio.async_client.aiohttp is None
assert socketio.AsyncServer  # the server NiceGUI serves its pages' sockets with is there
print("ok")
"""


@pytest.mark.timeout(60)
def test_the_command_line_does_not_import_aiohttp() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=50, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.timeout(60)
def test_without_the_skip_nicegui_imports_aiohttp() -> None:
    """The skip is needed: NiceGUI's import chain pulls aiohttp in when nothing stops it."""
    code = "import sys, nicegui; print(sys.modules.get('aiohttp') is not None)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
