"""Every knob in one settings object: defaults here, then ``DASHBOARD_*`` env vars, then flags.

``load_settings(argv)`` is the one entry point. A bad value ends the program with one
line on stderr and exit status 2, the way argparse reports a bad flag.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from app.protocol.topics import check_topic
from app.security.origins import check_allowed_host, check_allowed_origin

ENV_PREFIX = "DASHBOARD_"


class Settings(BaseModel):
    """The dashboard's configuration. Field descriptions are the ``--help`` texts.

    Values given to the constructor (the flags) win over ``DASHBOARD_<NAME>`` environment
    variables (any case), which win over the defaults; the variables' texts are read as the
    flags' are.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    # --- server -------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="interface the dashboard listens on")
    port: int = Field(8080, ge=1, le=65535, description="port the dashboard listens on")
    native: bool = Field(False, description="open in a native window (needs the 'native' extra)")
    show: bool = Field(True, description="open a browser tab at start (--no-show: do not)")
    title: str = Field("Marketplace Operations", description="page title")

    # --- upstream simulator ---------------------------------------------------------------
    simulator_url: str = Field(
        "",
        description="HTTP base URL of an external simulator, e.g. http://127.0.0.1:8765; "
        "empty: the embedded simulator",
    )
    topics: list[str] = Field(
        default_factory=lambda: ["*"],
        description="comma-separated topics to follow ('*': every stream, 'domain.*', a "
        "stream name, 'anomalies'); the grid shows what they deliver in full",
    )
    history_days: float = Field(7.0, gt=0, le=31, description="days of history loaded at start")

    # --- connection manager ---------------------------------------------------------------
    backoff_initial: float = Field(
        1.0, gt=0, description="first retry delay (reconnects, history requests), seconds"
    )
    backoff_max: float = Field(
        30.0, gt=0, description="longest retry delay, never exceeded, seconds"
    )
    backoff_jitter: float = Field(
        0.2, ge=0, le=1, description="random spread of each delay, as a fraction (0 = none)"
    )
    max_reconnect_attempts: int = Field(
        0, ge=0, description="reconnect attempts before giving up (0 = forever)"
    )
    stable_after: float = Field(
        5.0, ge=0, description="seconds a link must stay up before the backoff resets"
    )
    silence_limit: float = Field(
        75.0, gt=0, description="seconds with no frame and no ping before the link counts dead"
    )
    catchup_window: float = Field(
        300.0, gt=0, description="how far back the server can replay on reconnect, seconds"
    )
    max_frame_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="larger frames are skipped and counted"
    )
    connect_timeout: float = Field(10.0, gt=0, description="WebSocket opening handshake limit")
    history_timeout: float = Field(30.0, gt=0, description="history request limit, seconds")
    history_max_mb: float = Field(
        64.0, gt=0, description="larger history answers are refused, MiB (7 days x 50 is ~7.5)"
    )
    state_interval: float = Field(
        5.0,
        ge=0.2,
        le=3600,
        description="seconds between reads of the simulator's state (active external events "
        "and scenario); failures back off like every retry",
    )

    # --- stream store ---------------------------------------------------------------------
    retention_days: float = Field(
        8.0, gt=0, description="points older than this are dropped from memory"
    )
    max_points_per_stream: int = Field(100_000, ge=100, description="cap on points kept per stream")
    raw_window_minutes: float = Field(
        60.0,
        ge=0.05,
        le=7 * 24 * 60,
        description="minutes live events stay raw; older ones are rolled up per bucket "
        "(lowest, highest, first critical and last event kept, with the bucket's count)",
    )
    rollup_bucket_seconds: int = Field(
        60, ge=1, le=3600, description="width of a roll-up bucket, in seconds"
    )
    push_interval: float = Field(
        0.1, ge=0.02, description="seconds between chart pushes to each browser tab"
    )
    chart_draw_budget: float = Field(
        0.04,
        ge=0.01,
        le=0.5,
        description="share of a tab's time its chart may spend redrawing new points: "
        "higher draws them sooner (lower latency), lower keeps the tab idle",
    )

    # --- embedded simulator ---------------------------------------------------------------
    sim_seed: int = Field(7, description="seed of the embedded simulator's generator")
    sim_rate: float = Field(
        1.0, gt=0, le=100_000, description="multiplier of the embedded simulator's rates"
    )
    sim_ping_interval: float = Field(
        30.0, gt=0, description="embedded simulator's ping interval, seconds"
    )
    sim_ping_timeout: float = Field(
        60.0, gt=0, description="embedded simulator closes a link silent this long, seconds"
    )
    sim_catchup_window: float = Field(
        300.0, gt=0, description="embedded simulator's catch-up window, seconds"
    )

    # --- access and TLS (see app/security/, app/upstream.py) ------------------------------
    auth_token: SecretStr = Field(
        "",  # validated into a SecretStr
        validate_default=True,
        description="token protecting the pages, /api/dashboard/* and the embedded simulator "
        "(browsers log in with a form; API clients send 'Authorization: Bearer TOKEN'); "
        "empty: no authentication",
    )
    auth_session_hours: float = Field(
        168.0, gt=0, description="how long a browser login lasts, hours"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="comma-separated extra Host names the dashboard answers to, 'name' (any "
        "port) or 'name:port', e.g. a proxy's public name; its own names always pass",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="comma-separated extra origins (scheme://host[:port]) whose pages may open "
        "WebSockets and send state-changing requests; the dashboard's own always may",
    )
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="larger request bodies are refused with 413, bytes"
    )
    simulator_token: SecretStr = Field(
        "",  # validated into a SecretStr
        validate_default=True,
        description="bearer token sent to an external simulator (WebSocket handshake and "
        "REST requests: history, state, scenario control); empty: none",
    )
    simulator_ca_file: str = Field(
        "",
        description="PEM file of the CA(s) to trust for an https:// simulator instead of the "
        "system's; certificates are always verified",
    )
    read_only: bool = Field(
        False,
        description="watch only: no scenario panel, the dashboard refuses to start, stop or "
        "reset scenarios and the embedded simulator answers those requests 403",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_env(cls, given: Any) -> Any:
        if not isinstance(given, dict):
            return given
        env = {key.upper(): value for key, value in os.environ.items()}
        names = {ENV_PREFIX + name.upper(): name for name in cls.model_fields}
        return {**{names[k]: v for k, v in env.items() if k in names}, **given}

    @field_validator("topics", "allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("topics")
    @classmethod
    def _check_topics(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one topic is needed")
        return [check_topic(t) for t in value]

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, value: list[str]) -> list[str]:
        return [str(check_allowed_host(h)) for h in value]

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        return [str(check_allowed_origin(o)) for o in value]

    @field_validator("simulator_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise ValueError(f"{value!r} has a malformed port") from exc
        if parts.username is not None or parts.password is not None:
            # It would show in logs and in /api/dashboard/status; a token has its own flag.
            raise ValueError("credentials in the URL are not accepted; use --simulator-token")
        return value.rstrip("/")

    @field_validator("simulator_ca_file")
    @classmethod
    def _check_ca_file(cls, value: str) -> str:
        value = value.strip()
        if value and not Path(value).is_file():
            raise ValueError(f"{value!r} is not a readable file")
        return value

    # --- derived ----------------------------------------------------------------------------

    @property
    def embedded(self) -> bool:
        """True when the dashboard serves and uses its own simulator."""
        return not self.simulator_url

    @property
    def http_base(self) -> str:
        """Base URL of the simulator's REST API."""
        if self.simulator_url:
            return self.simulator_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def auth_enabled(self) -> bool:
        """True when ``--auth-token`` protects the dashboard."""
        return bool(self.auth_token.get_secret_value())

    @property
    def upstream_token(self) -> str:
        """The bearer token the dashboard's own link sends ("": none).

        In embedded mode the link talks to this very server, which the auth token guards.
        """
        token = self.auth_token if self.embedded else self.simulator_token
        return token.get_secret_value()

    @property
    def ws_url(self) -> str:
        """The simulator's WebSocket URL: ``ws://`` (``wss://`` for https) + ``/ws``."""
        parts = urlsplit(self.http_base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = parts.path.rstrip("/") + "/ws"
        return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def build_parser() -> argparse.ArgumentParser:
    """One flag per settings field, generated so flags and fields cannot drift apart."""
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Real-time operations dashboard for the AI Mock Simulator. Every flag "
        "can also be set as an environment variable DASHBOARD_<NAME>.",
    )
    for name, info in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        default = info.get_default(call_default_factory=True)
        help_text = f"{info.description} (default: {_show(default)})"
        if info.annotation is bool:
            parser.add_argument(
                flag,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(flag, dest=name, default=None, metavar=name.upper(), help=help_text)
    return parser


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return repr(value) if value == "" else str(value)


def load_settings(argv: Sequence[str] | None = None) -> Settings:
    """Settings from env vars and ``argv``; exits with status 2 and one line on a bad value."""
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        _fail(parser, exc)


def _fail(parser: argparse.ArgumentParser, exc: ValidationError) -> NoReturn:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else "settings"
    message = err["msg"].removeprefix("Value error, ")
    print(f"{parser.prog}: error: --{field.replace('_', '-')}: {message}", file=sys.stderr)
    raise SystemExit(2)
