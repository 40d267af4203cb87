"""A small threaded HTTPS server that hands each request to a plain `Request -> Response` app.

The TLS handshake happens in the connection's own thread, so a slow or non-TLS client never
blocks the accept loop. Replies look like Go's `net/http`: no `Server` header, a `Date`,
`Content-Length` always, and plain-text errors with `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tui.base.errors import KeyrollError
from tui.sandbox.server_errors import report_request_error

HANDSHAKE_TIMEOUT = 10.0


@dataclass
class Request:
    """One HTTP request as an app sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""

    def header(self, name: str) -> str:
        return str(self.headers.get(name, "") or "")

    def form(self) -> dict[str, str]:
        """The url-encoded form body, one value per field (the last one, as Go's FormValue)."""
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in fields.items()}

    def basic_auth(self) -> tuple[str, str] | None:
        """The Basic credentials, or None when absent or malformed."""
        value = self.header("Authorization")
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None


@dataclass
class Response:
    """What an app answers."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0  # wait this long before answering (a hung upstream)
    reset: bool = False  # answer nothing: cut the connection with a TCP reset

    @classmethod
    def ok(cls) -> Response:
        """stdapi's `RenderOK`: 200 `ok\\n`."""
        return cls(200, b"ok\n")

    @classmethod
    def text(cls, status: int, message: str) -> Response:
        """Go's `http.Error`: the message and a newline, as plain text."""
        return cls(status, (message + "\n").encode(), headers={"X-Content-Type-Options": "nosniff"})

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
        return cls(status, body.encode(), "application/json")


App = Callable[[Request], Response]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TlsServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox must not scribble over the dashboard's terminal."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            self.headers,
            body,
        )
        try:
            response = self.server.app(request)
        except KeyrollError as error:
            response = Response.text(500, str(error))
        if response.stall_seconds and self.server.stopping.wait(response.stall_seconds):
            self.close_connection = True
            return
        if response.reset:
            self._reset()
            return
        self.send_response_only(response.status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _reset(self) -> None:
        """Close at once with SO_LINGER 0, so the client gets a RST instead of a reply."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve


class TlsServer(ThreadingHTTPServer):
    """HTTPS on a loopback port (0: a free one), serving `app` in a background thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, app: App, context: ssl.SSLContext) -> None:
        self.app = app
        self.context = context
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as error:
            raise KeyrollError(
                f"The sandbox cannot listen on 127.0.0.1:{port} ({error.strerror}); choose "
                "another --port-base or leave it out to use free ports."
            ) from None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock: socket.socket = request
        # Headers and body leave in two writes: without this, Nagle holds the second ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that does not speak TLS, or hung up: nothing to answer
        tls.settimeout(None)
        try:
            _Handler(tls, client_address, self)
        except (ssl.SSLError, ConnectionError, TimeoutError):
            pass  # the client went away mid-request
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        report_request_error(client_address)

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake stalled requests, and close the socket."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
