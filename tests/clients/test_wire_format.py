"""What keyroll puts on the wire, captured by a real HTTP server: headers, auth, bodies."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from tui import __version__
from tui.base.secret import Secret
from tui.clients import errors
from tui.clients.console import ConsoleClient
from tui.clients.rack import RackClient

GOOD = Secret("GoodKey0123456789abcdefghijklmnopqrstuvwx")
OLD = Secret("OldKey0123456789abcdefghijklmnopqrstuvwxy")


class Capture(BaseHTTPRequestHandler):
    """Records each request; accepts only GOOD; answers like a rack."""

    seen: list[dict[str, object]] = []
    replies: dict[str, tuple[int, str, dict[str, str]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Capture.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        status, text, headers = Capture.replies.get(self.path.split("?")[0], (0, "", {}))
        if not status:
            expected = "Basic " + base64.b64encode(b"convox:" + GOOD.reveal().encode()).decode()
            ok = self.headers.get("Authorization") == expected
            status, text = (200, "ok\n") if ok else (401, "invalid authentication\n")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        data = text.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _handle


@pytest.fixture
def server() -> Iterator[str]:
    Capture.seen = []
    Capture.replies = {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_headers_and_basic_auth_as_the_convox_cli_sends_them(server: str) -> None:
    with RackClient(server, [GOOD]) as rack:
        assert rack.auth() == ""
    request = Capture.seen[-1]
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert request["method"] == "GET" and request["path"] == "/auth"
    assert headers["User-Agent"] == f"keyroll/{__version__}"
    assert headers["Version"] == __version__
    assert headers["Accept"] == "*/*"
    user, _, password = (
        base64.b64decode(headers["Authorization"].split()[1]).decode().partition(":")
    )
    assert (user, password) == ("convox", GOOD.reveal())
    assert "Rack" not in headers


def test_parameters_go_as_one_urlencoded_form_field(server: str) -> None:
    with RackClient(server, [GOOD]) as rack:
        rack.update_parameters({"Password": Secret("abcXYZ123"), "InstanceCount": "4"})
    request = Capture.seen[-1]
    assert request["method"] == "PUT" and request["path"] == "/system"
    assert request["body"] == b"parameters=Password%3DabcXYZ123%26InstanceCount%3D4"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    outer = parse_qs(bytes(request["body"]).decode())  # type: ignore[arg-type]
    assert parse_qs(outer["parameters"][0]) == {"Password": ["abcXYZ123"], "InstanceCount": ["4"]}


def test_keyroll_post_has_no_body(server: str) -> None:
    with RackClient(server, [GOOD]) as rack:
        rack.instance_keyroll()
    request = Capture.seen[-1]
    assert (request["method"], request["path"], request["body"]) == (
        "POST",
        "/instances/keyroll",
        b"",
    )


def test_dual_key_tries_newest_first_then_falls_back(server: str) -> None:
    with RackClient(server, [OLD, GOOD]) as rack:
        rack.auth()
        assert rack.answered_key == GOOD
    assert [r["path"] for r in Capture.seen] == ["/auth", "/auth"]
    with RackClient(server, [GOOD, OLD]) as rack:
        rack.auth()
        assert rack.answered_key == GOOD
    assert len(Capture.seen) == 3  # the first key answered: no second try


def test_every_key_refused_is_one_sentence_without_the_keys(server: str) -> None:
    with RackClient(server, [OLD, Secret("another0123456789")]) as rack:
        with pytest.raises(errors.WrongKeyError) as caught:
            rack.system()
    message = str(caught.value)
    assert len(Capture.seen) == 4  # two passes: a rack may switch keys between attempts
    assert "refused all 2 API keys" in message
    assert OLD.reveal() not in message
    assert message.endswith(".") and "\n" not in message


def test_console_proxies_with_the_rack_header_on_the_same_path(server: str) -> None:
    with ConsoleClient(server, GOOD) as console:
        console.rack("acme/production").auth()
    headers = Capture.seen[-1]["headers"]
    assert isinstance(headers, dict)
    assert headers["Rack"] == "acme/production"
    assert headers["User-Agent"] == f"keyroll/{__version__}"


def test_session_header_is_sent_when_the_cli_has_one(server: str) -> None:
    with RackClient(server, [GOOD], session="sess-123") as rack:
        rack.auth()
    headers = Capture.seen[-1]["headers"]
    assert isinstance(headers, dict) and headers["Session"] == "sess-123"


def test_role_refusal_is_not_retried_with_other_keys(server: str) -> None:
    Capture.replies["/system"] = (401, "you are unauthorized to access this\n", {})
    with RackClient(server, [GOOD, OLD]) as rack:
        with pytest.raises(errors.ForbiddenError):
            rack.update_parameters({"Password": "x"})
    assert len(Capture.seen) == 1


def test_session_challenge_is_a_clear_message(server: str) -> None:
    Capture.replies["/racks"] = (
        401,
        "session required\n",
        {"WWW-Authenticate": 'Session path="/session" token="true"'},
    )
    with ConsoleClient(server, GOOD) as console:
        with pytest.raises(errors.SessionRequiredError) as caught:
            console.racks()
    assert "convox login" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (502, "Bad Gateway", "text/plain", "answered 502: Bad Gateway"),
        (500, '{"error": "stack is busy"}', "application/json", "answered 500: stack is busy"),
        (503, "<html><body>down</body></html>", "text/html", "an HTML error page"),
        (404, "unknown host\n", "text/plain", "404 unknown host"),
    ],
)
def test_error_replies_become_typed_sentences(
    server: str, status: int, body: str, content_type: str, expected: str
) -> None:
    Capture.replies["/system"] = (status, body, {"Content-Type": content_type})
    with RackClient(server, [GOOD]) as rack:
        with pytest.raises(errors.ClientError) as caught:
            rack.system()
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_key_echoed_by_a_server_is_masked(server: str) -> None:
    Capture.replies["/system"] = (500, f"bad password {GOOD.reveal()}", {})
    with RackClient(server, [GOOD]) as rack:
        with pytest.raises(errors.ServerError) as caught:
            rack.system()
    assert GOOD.reveal() not in str(caught.value)


def test_malformed_json_is_a_clear_error(server: str) -> None:
    Capture.replies["/system"] = (200, "{not json", {})
    Capture.replies["/instances"] = (200, '{"id": 1}', {})
    with RackClient(server, [GOOD]) as rack:
        with pytest.raises(errors.KeyrollError, match="not JSON"):
            rack.system()
        with pytest.raises(errors.KeyrollError, match="not a JSON list"):
            rack.instances()


def test_connection_refused_and_timeout() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with RackClient(f"http://127.0.0.1:{port}", [GOOD]) as rack:
        with pytest.raises(errors.UnreachableError, match="refused the connection"):
            rack.system()
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with RackClient(url, [GOOD], timeout=0.3) as rack:
            with pytest.raises(errors.TimeoutError_, match="did not answer"):
                rack.system()
