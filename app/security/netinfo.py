"""The machine's own names and addresses, for a dashboard bound to every interface.

Read once at start, before the server runs: the host name, its FQDN and the addresses
that name resolves to (each lookup in a daemon thread with a deadline, since a broken DNS
must not delay the start), and the interface addresses Linux lists in ``/proc`` (no
lookup at all). Elsewhere the ``/proc`` part finds nothing; ``--allowed-hosts`` adds names.
"""

from __future__ import annotations

import contextlib
import ipaddress
import queue
import socket
import threading
from collections.abc import Callable
from pathlib import Path

LOOKUP_TIMEOUT_S = 2.0


def _within(fn: Callable[[], set[str]], timeout: float) -> set[str]:
    """``fn()`` in a daemon thread; an empty set if it fails or takes over ``timeout``."""
    out: queue.Queue[set[str]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            out.put(fn())
        except OSError:
            out.put(set())

    threading.Thread(target=run, name="netinfo", daemon=True).start()
    try:
        return out.get(timeout=timeout)
    except queue.Empty:
        return set()


def _resolved_names() -> set[str]:
    name = socket.gethostname()
    found = {name, socket.getfqdn(name)}
    for *_, sockaddr in socket.getaddrinfo(name, None):
        found.add(str(sockaddr[0]))
    return found


def ipv4_addresses(fib_trie: str) -> set[str]:
    """Local IPv4 addresses in the text of ``/proc/net/fib_trie`` (``/32 host LOCAL``)."""
    found: set[str] = set()
    previous = ""
    for line in fib_trie.splitlines():
        text = line.strip()
        if text == "/32 host LOCAL":
            address = previous.rpartition(" ")[2]
            with contextlib.suppress(ValueError):
                found.add(str(ipaddress.IPv4Address(address)))
        previous = text
    return found


def ipv6_addresses(if_inet6: str) -> set[str]:
    """Global and site IPv6 addresses in the text of ``/proc/net/if_inet6`` (no link-local)."""
    found: set[str] = set()
    for line in if_inet6.splitlines():
        fields = line.split()
        if not fields or len(fields[0]) != 32:
            continue
        try:
            address = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
        except ValueError:
            continue
        if not address.is_link_local:
            found.add(str(address))
    return found


def _read(path: str) -> str:
    try:
        return Path(path).read_text("ascii", "replace")
    except OSError:
        return ""


def machine_names(timeout: float = LOOKUP_TIMEOUT_S) -> set[str]:
    """Host name, FQDN and addresses of this machine (blocking: call before serving)."""
    names = _within(_resolved_names, timeout)
    names |= ipv4_addresses(_read("/proc/net/fib_trie"))
    names |= ipv6_addresses(_read("/proc/net/if_inet6"))
    return {n for n in names if n}
