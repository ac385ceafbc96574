"""``python -m app.simulator``: run the simulator alone under uvicorn (wsproto keepalive).

A bad flag exits with status 2 and one line on stderr; SIGINT/SIGTERM stop it cleanly
(uvicorn handles both and runs the lifespan shutdown, which stops the generator).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

import uvicorn

from app.simulator.app import create_app, serve_options
from app.simulator.config import SimulatorConfig


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The command line; defaults are SimulatorConfig's."""
    d = SimulatorConfig()
    p = _Parser(
        prog="python -m app.simulator",
        description="The AI Mock Simulator: WebSocket /ws and REST /api/simulation/*.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    p.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    p.add_argument("--seed", type=int, default=d.seed, help="generator seed (default: %(default)s)")
    p.add_argument(
        "--rate",
        type=float,
        default=d.rate,
        help="event rate multiplier, a load knob (default: %(default)s)",
    )
    p.add_argument(
        "--ping-interval",
        type=float,
        default=d.ping_interval,
        help="seconds between protocol pings (default: %(default)s)",
    )
    p.add_argument(
        "--ping-timeout",
        type=float,
        default=d.ping_timeout,
        help="close a link with no pong for this long (default: %(default)s)",
    )
    p.add_argument(
        "--catchup-window",
        type=float,
        default=d.catchup_window_s,
        help="seconds of events kept for catch-up (default: %(default)s)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (default: %(default)s)",
    )
    return p


def config_from_args(
    argv: Sequence[str] | None = None,
) -> tuple[argparse.Namespace, SimulatorConfig]:
    """Parsed flags and the config they make; exits 2 with one line on a bad value."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port: {args.port} is not a port number")
    try:
        config = SimulatorConfig(
            seed=args.seed,
            rate=args.rate,
            ping_interval=args.ping_interval,
            ping_timeout=args.ping_timeout,
            catchup_window_s=args.catchup_window,
        )
    except ValueError as exc:
        parser.error(str(exc))
    return args, config


def main(argv: Sequence[str] | None = None) -> None:
    args, config = config_from_args(argv)
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        **serve_options(config),
    )


if __name__ == "__main__":
    main()
