"""Host and Origin policy as pure functions: parsing, own names per bind address, verdicts."""

from __future__ import annotations

import pytest

from app.config import load_settings
from app.security.netinfo import ipv4_addresses, ipv6_addresses
from app.security.origins import (
    Authority,
    Origin,
    OriginPolicy,
    own_names,
    parse_authority,
    parse_origin,
)
from app.security.wiring import origin_policy

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("localhost", Authority("localhost")),
        ("LocalHost:8080", Authority("localhost", 8080)),
        ("localhost.:8080", Authority("localhost", 8080)),
        ("127.0.0.1:80", Authority("127.0.0.1", 80)),
        ("[::1]", Authority("::1")),
        ("[0:0:0:0:0:0:0:1]:8080", Authority("::1", 8080)),
        ("dash.example.com", Authority("dash.example.com")),
        ("::1", None),
        ("[::1", None),
        ("[::1]x", None),
        ("localhost:", None),
        ("localhost:0", None),
        ("localhost:99999", None),
        ("localhost:80:80", None),
        ("user@localhost", None),
        ("local host", None),
        ("evil.example/x", None),
        ("a..b", None),
        ("", None),
    ],
)
def test_parse_authority(text: str, expected: Authority | None) -> None:
    """Host headers parse to a canonical name and port; anything odd is None (refused)."""
    assert parse_authority(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://127.0.0.1:8080", Origin("http", "127.0.0.1", 8080)),
        ("http://localhost", Origin("http", "localhost", 80)),
        ("HTTPS://Dash.Example", Origin("https", "dash.example", 443)),
        ("http://[::1]:8080", Origin("http", "::1", 8080)),
        ("null", None),
        ("file://", None),
        ("chrome-extension://abc", None),
        ("http://", None),
        ("http://a.example:x", None),
        ("127.0.0.1:8080", None),
    ],
)
def test_parse_origin(text: str, expected: Origin | None) -> None:
    """Origins are http(s) with an effective port; ``null`` and other schemes are None."""
    assert parse_origin(text) == expected


def test_own_names_per_bind_address() -> None:
    """Loopback: loopback names; a specific address: it too; all interfaces: the machine's."""
    machine = ["vm", "vm.example.internal", "192.0.2.2", "fd00::2"]
    assert own_names("127.0.0.1", machine) == LOOPBACK
    assert own_names("127.0.0.2") == LOOPBACK | {"127.0.0.2"}
    assert own_names("localhost") == LOOPBACK
    assert own_names("[::1]") == LOOPBACK
    assert own_names("192.0.2.2", machine) == LOOPBACK | {"192.0.2.2"}
    assert own_names("Dash.Example.") == LOOPBACK | {"dash.example"}
    assert own_names("0.0.0.0", machine) == LOOPBACK | {"vm", "vm.example.internal"} | {
        "192.0.2.2",
        "fd00::2",
    }
    assert own_names("::", machine) == own_names("0.0.0.0", machine)


POLICY = OriginPolicy(
    frozenset(LOOPBACK),
    frozenset({Authority("dash.example"), Authority("proxy.example", 8443)}),
    frozenset({Origin("https", "ops.example", 443)}),
)


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:8080", True),
        ("localhost:8080", True),
        ("localhost", True),
        ("[::1]:8080", True),
        ("127.0.0.1:1234", True),
        ("dash.example:9999", True),
        ("proxy.example:8443", True),
        ("proxy.example", False),
        ("attacker.example", False),
        ("attacker.example:8080", False),
        ("127.0.0.1.attacker.example", False),
        ("", False),
        (None, False),
    ],
)
def test_hosts(host: str | None, ok: bool) -> None:
    """Own names pass with any port; extra names with their port (or any, if none given)."""
    refusal = POLICY.judge("http", "GET", "http", host, None)
    assert (refusal is None) is ok
    if refusal is not None:
        assert (refusal.status, refusal.code) == (403, "FORBIDDEN_HOST")


@pytest.mark.parametrize(
    ("kind", "method", "scheme", "host", "origin", "ok"),
    [
        ("http", "POST", "http", "127.0.0.1:8080", "http://127.0.0.1:8080", True),
        ("http", "POST", "http", "127.0.0.1:8080", None, True),
        ("http", "POST", "http", "127.0.0.1:8080", "http://127.0.0.1:9999", False),
        ("http", "POST", "http", "127.0.0.1:8080", "http://localhost:8080", False),
        ("http", "POST", "http", "localhost:8080", "http://127.0.0.1:8080", False),
        ("http", "POST", "http", "127.0.0.1:8080", "https://127.0.0.1:8080", False),
        ("http", "POST", "http", "127.0.0.1:8080", "null", False),
        ("http", "GET", "http", "127.0.0.1:8080", "http://evil.example", False),
        ("http", "GET", "http", "127.0.0.1:8080", "http://127.0.0.1:8080", True),
        ("http", "DELETE", "https", "dash.example", "https://dash.example", True),
        ("http", "POST", "http", "dash.example", "https://ops.example", True),
        ("websocket", "GET", "ws", "127.0.0.1:8080", "http://127.0.0.1:8080", True),
        ("websocket", "GET", "wss", "dash.example", "https://dash.example", True),
        ("websocket", "GET", "ws", "127.0.0.1:8080", "http://127.0.0.1:8081", False),
        ("websocket", "GET", "ws", "127.0.0.1:8080", None, True),
    ],
)
def test_origins(
    kind: str, method: str, scheme: str, host: str, origin: str | None, ok: bool
) -> None:
    """Only the request's own origin (scheme, name, port) or a listed one; none: API client."""
    refusal = POLICY.judge(kind, method, scheme, host, origin)
    assert (refusal is None) is ok
    if refusal is not None:
        assert (refusal.status, refusal.code) == (403, "FORBIDDEN_ORIGIN")


def test_fetch_metadata_without_origin() -> None:
    """With no Origin, a browser's ``Sec-Fetch-Site: cross-site`` still refuses a write."""
    host = "127.0.0.1:8080"
    assert POLICY.judge("http", "POST", "http", host, None, "cross-site") is not None
    assert POLICY.judge("http", "POST", "http", host, None, "same-site") is not None
    assert POLICY.judge("websocket", "GET", "ws", host, None, "cross-site") is not None
    assert POLICY.judge("http", "POST", "http", host, None, "same-origin") is None
    assert POLICY.judge("http", "GET", "http", host, None, "cross-site") is None  # a link


def test_refusal_messages_quote_a_short_excerpt() -> None:
    """Refusals name the offending value clipped and escaped, never whole."""
    refusal = POLICY.judge("http", "GET", "http", "x" * 500 + "\n", None)
    assert refusal is not None and len(refusal.message) < 100 and "\n" not in refusal.message


def test_proc_address_parsers() -> None:
    """Interface addresses from /proc/net/fib_trie (LOCAL /32) and if_inet6 (no link-local)."""
    fib = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 127.0.0.1
        /32 host LOCAL
     |-- 192.0.2.2
        /32 host LOCAL
     |-- 192.0.2.255
        /32 link BROADCAST
"""
    assert ipv4_addresses(fib) == {"127.0.0.1", "192.0.2.2"}
    inet6 = (
        "fd000000000000000000000000000002 04 40 00 82     eth0\n"
        "00000000000000000000000000000001 01 80 10 80       lo\n"
        "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
    )
    assert ipv6_addresses(inet6) == {"fd00::2", "::1"}
    assert ipv4_addresses("") == set() and ipv6_addresses("garbage") == set()


def test_settings_add_hosts_and_origins() -> None:
    """``--allowed-hosts`` and ``--allowed-origins`` are normalised and join the policy."""
    settings = load_settings(
        [
            "--allowed-hosts",
            "Dash.Example, proxy.example:8443",
            "--allowed-origins",
            "https://Ops.Example/,http://ops.example:8080",
        ]
    )
    assert settings.allowed_hosts == ["dash.example", "proxy.example:8443"]
    assert settings.allowed_origins == ["https://ops.example", "http://ops.example:8080"]
    policy = origin_policy(settings, machine=lambda: pytest.fail("loopback needs no lookup"))
    assert policy.names == LOOPBACK
    assert policy.host_allowed(Authority("dash.example", 1))
    assert Origin("http", "ops.example", 8080) in policy.extra_origins
    wide = origin_policy(load_settings(["--host", "0.0.0.0"]), machine=lambda: {"vm"})
    assert wide.names == LOOPBACK | {"vm"}


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--allowed-hosts", "http://dash.example"),
        ("--allowed-hosts", "dash.example:99999"),
        ("--allowed-origins", "dash.example"),
        ("--allowed-origins", "ftp://dash.example"),
        ("--allowed-origins", "https://dash.example/path"),
        ("--max-body-bytes", "10"),
    ],
)
def test_bad_security_settings_exit_2(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed host, origin or body cap ends the program with one line naming the flag."""
    with pytest.raises(SystemExit) as exc:
        load_settings([flag, value])
    assert exc.value.code == 2
    assert flag in capsys.readouterr().err
