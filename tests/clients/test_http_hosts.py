"""Regressions: a host that cannot be a URL, or a reply nested too deeply, is a clear error."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from tui.base.errors import EXIT_BAD_INPUT
from tui.base.secret import Secret
from tui.clients.errors import BadHostError, ServerError
from tui.clients.http import host_problem
from tui.clients.models import MalformedReplyError
from tui.clients.rack import RackClient

KEY = Secret("HostCheckKey0123456789abcdefghijABCDEFGHIJ")


@pytest.mark.parametrize(
    "host",
    [
        "rack.example.com:99999",  # port out of range
        "rack.example.com:port",
        "[::1",  # unclosed IPv6 bracket (urlsplit raised ValueError)
        "a\x00b",  # httpx raised InvalidURL
        "é" * 300,  # IDNA failed inside getaddrinfo (UnicodeError)
        "a" * 70 + ".example.com",  # a label over 63 characters
        "bad host",
        "",
    ],
)
def test_a_host_that_cannot_be_called_is_bad_input(host: str) -> None:
    client = RackClient(f"https://{host}", [KEY], timeout=0.5)
    with pytest.raises(BadHostError) as caught:
        client.system(retries=0)
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "\n" not in message and message.endswith(".")
    assert message.startswith("The host ") and "keyroll's settings" in message
    assert KEY.reveal() not in message


def test_real_hosts_pass() -> None:
    for url in (
        "https://rack.acme.convox.site",
        "https://127.0.0.1:8443",
        "https://[::1]:5443",
        "https://console.convox.com",
        "http://localhost:1",
    ):
        assert host_problem(url) is None, url


def test_credentials_in_a_bad_url_never_show() -> None:
    client = RackClient("https://convox:TopSecretInUrl@host:x", [KEY])
    with pytest.raises(BadHostError) as caught:
        client.auth()
    assert "TopSecretInUrl" not in str(caught.value)


class _Deep(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        body = b"[" * 100_000 + b"]" * 100_000
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def deep_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Deep)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_deeply_nested_reply_is_malformed_not_a_recursion_error(deep_server: str) -> None:
    with RackClient(deep_server, [KEY]) as client, pytest.raises(MalformedReplyError):
        client.system(retries=0)


def test_a_deeply_nested_error_body_is_a_server_error(deep_server: str) -> None:
    _Deep.status = 500
    try:
        with RackClient(deep_server, [KEY]) as client, pytest.raises(ServerError) as caught:
            client.system(retries=0)
    finally:
        _Deep.status = 200
    assert "answered 500" in str(caught.value) and "\n" not in str(caught.value)
