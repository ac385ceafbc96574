"""The pure parts of access control: token and session checks, redirects, warnings, secrets."""

from __future__ import annotations

import logging

import pytest
from starlette.datastructures import Headers

from app.config import load_settings
from app.security.auth import SESSION_COOKIE, TokenGate, access_warnings, is_loopback
from app.security.login import login_page, safe_next
from app.ws_client.link import _RedactCredentials

TOKEN = "correct-horse-battery-staple-42"


class Clock:
    """A settable clock for session expiry."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"  Bearer   {TOKEN}  ", True),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer {TOKEN[:-1]}", False),
        (f"Basic {TOKEN}", False),
        (TOKEN, False),
        ("Bearer ", False),
        ("", False),
        (None, False),
    ],
)
def test_bearer_header(header: str | None, ok: bool) -> None:
    """Only ``Bearer <the token>`` passes; other schemes, prefixes and suffixes do not."""
    assert TokenGate(TOKEN, 3600).bearer_matches(header) is ok


def test_session_cookie_lifecycle() -> None:
    """A session is valid until it expires; a tampered or foreign one never is."""
    clock = Clock()
    gate = TokenGate(TOKEN, 3600, clock=clock)
    cookie = gate.issue_session()
    assert TOKEN not in cookie
    assert gate.session_valid(cookie)
    assert gate.allows(Headers({"cookie": f"{SESSION_COOKIE}={cookie}"}))
    expiry, nonce, signature = cookie.split(".")
    assert not gate.session_valid(f"{int(expiry) + 9999}.{nonce}.{signature}")
    flipped = signature[:-1] + ("1" if signature.endswith("0") else "0")
    assert not gate.session_valid(f"{expiry}.{nonce}.{flipped}")
    assert not gate.session_valid(cookie + ".x")
    assert not gate.session_valid("")
    assert not gate.session_valid(None)
    assert not TokenGate("another-token-of-enough-length", 3600, clock=clock).session_valid(cookie)
    clock.now += 3601
    assert not gate.session_valid(cookie)
    assert not gate.allows(Headers({"cookie": f"{SESSION_COOKIE}={cookie}"}))


def test_empty_token_is_refused() -> None:
    """A gate with an empty token would let everyone in, so it cannot be built."""
    with pytest.raises(ValueError):
        TokenGate("", 60)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "/"),
        ("/?stream=customer.tutor.search", "/?stream=customer.tutor.search"),
        ("/api/dashboard/status", "/api/dashboard/status"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/login?next=/", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_local_paths(target: str | None, expected: str) -> None:
    """The post-login redirect stays on this server (no open redirect, no header split)."""
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("dashboard.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """Loopback means 127.0.0.0/8, ::1 and localhost; any other name may resolve anywhere."""
    assert is_loopback(host) is loopback


def test_access_warnings() -> None:
    """Warn beyond loopback without a token, about a short token, and a token over http."""
    assert access_warnings(load_settings([])) == []
    (open_wide,) = access_warnings(load_settings(["--host", "0.0.0.0"]))
    assert "NO authentication" in open_wide and "--auth-token" in open_wide
    assert access_warnings(load_settings(["--host", "0.0.0.0", "--auth-token", TOKEN])) == []
    (short,) = access_warnings(load_settings(["--auth-token", "abc"]))
    assert "shorter than" in short and "abc" not in short
    external = ["--simulator-url", "http://sim.example:8765", "--simulator-token", TOKEN]
    (plain,) = access_warnings(load_settings(external))
    assert "plain http" in plain and TOKEN not in plain
    https = ["--simulator-url", "https://sim.example", "--simulator-token", TOKEN]
    assert access_warnings(load_settings(https)) == []


def test_tokens_stay_out_of_settings_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``repr``, ``str`` and JSON of the settings show stars, never a token."""
    monkeypatch.setenv("DASHBOARD_AUTH_TOKEN", TOKEN)
    settings = load_settings(["--simulator-token", "sim-" + TOKEN])
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert TOKEN not in text and "**********" in text
    assert settings.auth_token.get_secret_value() == TOKEN
    assert settings.auth_enabled and settings.upstream_token == TOKEN  # embedded: own token


def test_upstream_token_per_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedded, the link sends the auth token; external, the simulator token."""
    monkeypatch.delenv("DASHBOARD_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("DASHBOARD_SIMULATOR_TOKEN", raising=False)
    both = ["--auth-token", TOKEN, "--simulator-token", "sim-token"]
    assert load_settings(both).upstream_token == TOKEN
    external = [*both, "--simulator-url", "https://sim.example"]
    assert load_settings(external).upstream_token == "sim-token"
    assert load_settings([]).upstream_token == ""


def test_missing_ca_file_is_a_bad_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """A CA file that does not exist ends the program with one line naming the flag."""
    with pytest.raises(SystemExit) as exc:
        load_settings(["--simulator-ca-file", "/nonexistent/ca.pem"])
    assert exc.value.code == 2
    assert "--simulator-ca-file" in capsys.readouterr().err


def test_login_page_escapes_what_it_echoes() -> None:
    """The form echoes the title and next path escaped, and is not cacheable or frameable."""
    response = login_page("<b>Ops</b>", '/"><script>alert(1)</script>', "Wrong <token>.")
    body = bytes(response.body).decode()
    assert "<script>alert(1)" not in body and "<b>Ops" not in body and "<token>" not in body
    assert "&lt;b&gt;Ops&lt;/b&gt;" in body and 'method="post"' in body
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_handshake_debug_log_hides_credentials() -> None:
    """websockets' debug lines of request headers show ``[redacted]`` for credentials."""
    redact = _RedactCredentials()
    for name in ("Authorization", "authorization", "Cookie"):
        record = logging.LogRecord(
            "websockets.client", logging.DEBUG, __file__, 1, "> %s: %s", (name, TOKEN), None
        )
        assert redact.filter(record) and TOKEN not in record.getMessage()
    other = logging.LogRecord(
        "websockets.client", logging.DEBUG, __file__, 1, "> %s: %s", ("Host", "a"), None
    )
    assert redact.filter(other) and other.getMessage() == "> Host: a"


def test_credentials_in_the_simulator_url_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """user:password@ in the URL would leak into logs and status; the flag says what to use."""
    with pytest.raises(SystemExit):
        load_settings(["--simulator-url", "https://user:secret@sim.example"])
    err = capsys.readouterr().err
    assert "--simulator-token" in err and "secret" not in err
