"""``python -m app`` leaves out what NiceGUI imports but the dashboard never uses."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.support.processes import start_dashboard


def _names(text: str) -> set[str]:
    """The modules listed by ``-X importtime`` in ``text``."""
    lines = [line for line in text.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


def _imported(args: list[str]) -> set[str]:
    """The modules a Python command imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    return _names(done.stderr)


@pytest.mark.timeout(90)
def test_the_serving_dashboard_leaves_out_unused_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real entry point, until it serves: NiceGUI and its Socket.IO are in; aiohttp,
    Pydantic's old API and pywebview (no native window asked for) are not."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # -X importtime, into the log
    dashboard = start_dashboard()
    dashboard.stop()
    imported = _names(dashboard.log.read_text())
    assert {"nicegui", "socketio", "engineio.async_client", "app.main", "app.pages"} <= imported
    # an attempt on an absent package is listed (a few microseconds); none of its modules
    for package in ("aiohttp", "pydantic.v1", "webview"):
        assert not {name for name in imported if name.startswith(f"{package}.")}, package


@pytest.mark.timeout(60)
def test_help_and_bad_values_answer_before_nicegui_is_loaded() -> None:
    """``--help`` and a bad value end with the settings, before the 0.6 s of NiceGUI."""
    for args in (["--help"], ["--port", "0"]):
        imported = _imported(["-m", "app", *args])
        assert "app.config" in imported and "nicegui" not in imported, args


@pytest.mark.timeout(60)
def test_the_native_window_keeps_pywebview() -> None:
    """With ``--native`` pywebview stays importable (NiceGUI checks for it, its window
    process needs it); without, it is marked absent like the others."""
    check = (
        "import sys; from app.__main__ import skip_unused_imports as s; s({native});"
        " print(sorted(n for n in ('aiohttp', 'pydantic.v1', 'webview')"
        " if n in sys.modules and sys.modules[n] is None))"
    )
    for native, absent in (
        (True, "['aiohttp', 'pydantic.v1']"),
        (False, "['aiohttp', 'pydantic.v1', 'webview']"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", check.format(native=native)],
            capture_output=True,
            text=True,
            timeout=50,
            check=True,
        )
        assert done.stdout.strip() == absent, native


@pytest.mark.timeout(60)
@pytest.mark.skipif(importlib.util.find_spec("aiohttp") is None, reason="aiohttp not installed")
def test_without_the_skip_nicegui_imports_what_it_leaves_out() -> None:
    """The skip is needed: NiceGUI's import chain pulls aiohttp and Pydantic's old API in
    when nothing stops it (and pywebview, when the native extra is installed)."""
    imported = _imported(["-c", "import nicegui"])
    assert "aiohttp.client" in imported and "pydantic.v1.main" in imported
    if importlib.util.find_spec("webview") is not None:
        assert "webview.window" in imported
