"""Render ``deploy/nginx/dashboard.conf.template`` for a set of dashboard replicas.

    .venv/bin/python -m scripts.nginx_conf --listen 80 --server-name dashboard.example.com \\
        --replica 127.0.0.1:8081 --replica 127.0.0.1:8082 > /etc/nginx/conf.d/dashboard.conf

Prints the ``http{}`` snippet (Debian's nginx includes ``conf.d/*.conf`` there). With
``--standalone DIR`` it writes ``DIR/dashboard.conf`` and a self-contained ``DIR/nginx.conf``
(pid, logs and temporary files under DIR), which ``nginx -p DIR -c DIR/nginx.conf -e
DIR/error.log -g 'daemon off;'`` runs without root paths: what ``scripts.replicas`` does.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "deploy" / "nginx"
SNIPPET = TEMPLATES / "dashboard.conf.template"
STANDALONE = TEMPLATES / "nginx.conf.template"
FIELD = re.compile(r"\{\{([A-Z_]+)\}\}")
FAIL_TIMEOUT_S = 10
"""How long nginx skips a replica it could not reach before trying it again."""


def render(template: str, fields: dict[str, str]) -> str:
    """Fill every ``{{NAME}}`` of ``template``; KeyError names a field left without a value."""
    missing = sorted(set(FIELD.findall(template)) - set(fields))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return FIELD.sub(lambda m: fields[m.group(1)], template)


def server_lines(replicas: Sequence[str], fail_timeout_s: int = FAIL_TIMEOUT_S) -> str:
    """The upstream's ``server`` lines, one per ``host:port``."""
    if not replicas:
        raise ValueError("at least one replica is needed")
    return "\n".join(
        f"    server {r} max_fails=1 fail_timeout={fail_timeout_s}s;" for r in replicas
    )


def snippet(
    listen: str,
    server_name: str,
    replicas: Sequence[str],
    access_log: str = "/var/log/nginx/dashboard.access.log",
    fail_timeout_s: int = FAIL_TIMEOUT_S,
) -> str:
    """``dashboard.conf``: the upstream of ``replicas`` and the server listening on ``listen``."""
    fields = {
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "SERVERS": server_lines(replicas, fail_timeout_s),
        "ACCESS_LOG": access_log,
    }
    return render(SNIPPET.read_text("utf-8"), fields)


def write_standalone(
    prefix: Path,
    listen: str,
    server_name: str,
    replicas: Sequence[str],
    fail_timeout_s: int = FAIL_TIMEOUT_S,
) -> Path:
    """Write ``prefix/dashboard.conf`` and ``prefix/nginx.conf``; returns the latter.

    The access log is ``prefix/access.log``, the error log ``prefix/error.log``.
    """
    prefix = prefix.resolve()
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers run as nobody: they must reach the temporary files.
    for path in (prefix, prefix / "temp"):
        path.chmod(0o755)
    conf = snippet(listen, server_name, replicas, str(prefix / "access.log"), fail_timeout_s)
    (prefix / "dashboard.conf").write_text(conf, "utf-8")
    main = render(STANDALONE.read_text("utf-8"), {"PREFIX": str(prefix)})
    out = prefix / "nginx.conf"
    out.write_text(main, "utf-8")
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scripts.nginx_conf", description=(__doc__ or "").split("\n")[0]
    )
    p.add_argument("--listen", default="80", help="nginx listen value (default 80)")
    p.add_argument("--server-name", default="_", help="public host name (default _: any)")
    p.add_argument(
        "--replica", action="append", required=True, help="host:port of a replica (repeat)"
    )
    p.add_argument("--access-log", default="/var/log/nginx/dashboard.access.log")
    p.add_argument("--fail-timeout", type=int, default=FAIL_TIMEOUT_S, help="seconds")
    p.add_argument("--standalone", type=Path, help="write DIR/nginx.conf and DIR/dashboard.conf")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.standalone:
        out = write_standalone(
            args.standalone, args.listen, args.server_name, args.replica, args.fail_timeout
        )
        print(f"nginx -p {out.parent} -c {out} -e {out.parent}/error.log -g 'daemon off;'")
    else:
        print(
            snippet(
                args.listen, args.server_name, args.replica, args.access_log, args.fail_timeout
            ),
            end="",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
