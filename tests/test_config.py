"""Settings: defaults, environment variables, flags, derived URLs and bad values."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.config import load_settings


def test_defaults() -> None:
    """With no flags and no env the dashboard listens on loopback and embeds the simulator."""
    s = load_settings([])
    assert (s.host, s.port, s.topics, s.history_days) == ("127.0.0.1", 8080, ["*"], 7)
    assert s.embedded and s.http_base == "http://127.0.0.1:8080"
    assert s.ws_url == "ws://127.0.0.1:8080/ws"
    assert s.max_reconnect_attempts == 0 and s.silence_limit == 75
    assert (s.backoff_initial, s.backoff_max) == (1, 30)


def test_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    """DASHBOARD_* variables override defaults and flags override variables."""
    monkeypatch.setenv("DASHBOARD_PORT", "9001")
    monkeypatch.setenv("DASHBOARD_TOPICS", "session.*, anomalies")
    monkeypatch.setenv("DASHBOARD_SHOW", "false")
    s = load_settings([])
    assert (s.port, s.topics, s.show) == (9001, ["session.*", "anomalies"], False)
    s = load_settings(["--port", "9002", "--topics", "*", "--show"])
    assert (s.port, s.topics, s.show) == (9002, ["*"], True)


def test_env_names_in_any_case_and_bad_env_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A variable's name may be in any case; unknown ones are ignored; a bad value ends the
    program as a bad flag does, naming the setting."""
    monkeypatch.setenv("dashboard_sim_rate", "12.5")
    monkeypatch.setenv("DASHBOARD_NO_SUCH_SETTING", "1")
    monkeypatch.setenv("DASHBOARD_ALLOWED_HOSTS", "dash.example, 10.0.0.5")
    s = load_settings([])
    assert s.sim_rate == 12.5 and s.allowed_hosts == ["dash.example", "10.0.0.5"]
    monkeypatch.setenv("DASHBOARD_PORT", "eighty")
    with pytest.raises(SystemExit) as stop:
        load_settings([])
    assert stop.value.code == 2
    assert "--port:" in capsys.readouterr().err


def test_read_only_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--read-only`` / ``DASHBOARD_READ_ONLY``; off by default, the flag wins."""
    assert load_settings([]).read_only is False
    monkeypatch.setenv("DASHBOARD_READ_ONLY", "true")
    assert load_settings([]).read_only is True
    assert load_settings(["--no-read-only"]).read_only is False


@pytest.mark.parametrize(
    ("url", "http_base", "ws_url"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765", "ws://127.0.0.1:8765/ws"),
        ("https://sim.example.com/", "https://sim.example.com", "wss://sim.example.com/ws"),
        ("http://10.1.2.3:80/sim", "http://10.1.2.3:80/sim", "ws://10.1.2.3:80/sim/ws"),
    ],
)
def test_simulator_url_derives_ws_url(url: str, http_base: str, ws_url: str) -> None:
    """The WebSocket URL is derived from the HTTP base: ws:// or wss:// and /ws."""
    s = load_settings(["--simulator-url", url])
    assert not s.embedded
    assert (s.http_base, s.ws_url) == (http_base, ws_url)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "http"], "--port"),
        (["--simulator-url", "ftp://example.com"], "--simulator-url"),
        (["--simulator-url", "http://"], "--simulator-url"),
        (["--simulator-url", "http://host:99999"], "--simulator-url"),
        (["--topics", "customer tutor"], "invalid topic"),
        (["--topics", "customer.**"], "invalid topic"),
        (["--topics", ","], "--topics"),
        (["--history-days", "0"], "--history-days"),
        (["--sim-rate", "-1"], "--sim-rate"),
    ],
)
def test_bad_values_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad value exits with status 2 and one line naming the flag, no traceback."""
    with pytest.raises(SystemExit) as exc:
        load_settings(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]


def test_cli_help_and_bad_flag_in_a_real_process() -> None:
    """`python -m app --help` lists the knobs; a bad port exits 2 with one line."""
    help_run = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, timeout=60
    )
    assert help_run.returncode == 0
    for flag in (
        "--simulator-url",
        "--topics",
        "--history-days",
        "--native",
        "--no-show",
        "--sim-seed",
        "--sim-rate",
        "--max-reconnect-attempts",
        "--silence-limit",
    ):
        assert flag in help_run.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "app", "--port", "70000"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "--port" in bad.stderr
