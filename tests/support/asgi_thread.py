"""Serve an ASGI app from a uvicorn server in a thread of the test process, on 127.0.0.1.

For scripted test servers (hostile content, TLS) that a test wants to configure in Python
and inspect afterwards; real dashboards and simulators run as processes instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.processes import free_port

START_TIMEOUT = 15.0


@contextmanager
def serve_in_thread(app: Any, **options: Any) -> Iterator[int]:
    """Run ``app`` on a free port of 127.0.0.1 until the block ends; yields the port.

    ``options`` go to ``uvicorn.Config`` (e.g. ``ssl_certfile``). The server is stopped and
    its thread joined on the way out.
    """
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="wsproto",
        lifespan="on",
        **options,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(START_TIMEOUT)
            raise RuntimeError(f"test server on port {port} did not start")
        time.sleep(0.02)  # poll interval of the readiness wait, not a synchronisation
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
