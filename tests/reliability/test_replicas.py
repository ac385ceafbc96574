"""Several replicas behind nginx (``deploy/nginx``): the rendered configuration passes
``nginx -t``, and ``python -m scripts.replicas`` holds with 2 replicas and 3 viewers (the full
run, 3 replicas and 12 viewers, on demand: ``.venv/bin/python -m scripts.replicas``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.nginx_conf import render, snippet, write_standalone
from scripts.replicas_stack import NGINX
from tests.support.processes import CHROMIUM, ROOT, steady_rate

RUN_TIMEOUT_S = 150


def _need(path: str, what: str) -> None:
    """Skip without ``path``; in CI (``CI`` set) fail instead, as the browser tests do."""
    if Path(path).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the replica tests; {path} is missing ({what})")
    pytest.skip(f"needs {what} at {path} (scripts/test.sh installs it as root)")


def test_render_names_a_field_without_value() -> None:
    with pytest.raises(KeyError, match="LISTEN"):
        render("listen {{LISTEN}};", {})


def test_snippet_lists_every_replica_and_forwards_the_public_host() -> None:
    conf = snippet("80", "dashboard.example.com", ["127.0.0.1:8081", "10.0.0.2:8080"])
    assert "server 127.0.0.1:8081 max_fails=1 fail_timeout=10s;" in conf
    assert "server 10.0.0.2:8080 max_fails=1 fail_timeout=10s;" in conf
    assert "server_name dashboard.example.com;" in conf
    assert "proxy_set_header Host $http_host;" in conf
    assert "hash $dashboard_affinity consistent;" in conf
    assert "{{" not in conf.split("\nmap ", 1)[1]


def test_rendered_configuration_passes_nginx_t(tmp_path: Path) -> None:
    _need(NGINX, "Debian's nginx")
    conf = write_standalone(tmp_path, "127.0.0.1:8080", "dashboard.localhost", ["127.0.0.1:8081"])
    args = [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(conf)]
    done = subprocess.run(
        [*args, "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.browser
@pytest.mark.timeout(RUN_TIMEOUT_S + 40)
def test_two_replicas_keep_their_viewers_and_hand_them_over_when_one_dies(
    tmp_path: Path,
) -> None:
    """Sticky viewers, one upstream link per replica, and after a SIGKILL the dead
    replica's viewers show the same series on the other replica."""
    _need(NGINX, "Debian's nginx")
    _need(CHROMIUM, "Debian's chromium")
    out = tmp_path / "replicas.json"
    args = ["--replicas", "2", "--viewers", "3", "--browsers", "1", "--hold", "3"]
    args += ["--rate", steady_rate(5)]  # the same volume at any hour
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.replicas", *args, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: see the timeout below
    )
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the script stops what it started...
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # ...or its whole group goes
            output, _ = proc.communicate()
        pytest.fail(f"scripts.replicas ran over {RUN_TIMEOUT_S} s:\n{output[-4000:]}")
    assert proc.returncode == 0, output[-6000:]
    figures = json.loads(out.read_text("utf-8"))
    assert figures["problems"] == []
    assert figures["simulatorLinks"] == {"beforeKill": 2, "afterKill": 1}
    assert figures["moved"] >= 1
    moved = [row for row in figures["viewerRows"] if row["moved"]]
    assert all(row["replicaNow"] not in (None, figures["killed"]) for row in moved)
    assert all(row["secondsToPointAfterKill"] is not None for row in moved)
    compared = figures["comparedSeries"]
    # The other stream may have no live point in the window (None: nothing to compare).
    assert compared and all(c["mismatches"] in (0, None) for c in compared)
    charted = [c for c in compared if c["compared"].startswith("customer.page.view:")]
    assert charted and all(c["points"] > 0 and c["mismatches"] == 0 for c in charted)
