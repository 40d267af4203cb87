"""The sandbox's servers never print a bare traceback: a client that hangs up is silent, a
sandbox bug goes to the `keyroll.sandbox` log (the dashboard's terminal stays clean)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.certificate import make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer
from tui.sandbox.world import World

BANNER = "Exception occurred during processing of request"
HANDLER_BOUND_S = 30.0  # only a broken server takes this long to end a request's thread


def _raising(error: BaseException) -> Callable[..., Response]:
    def app(*_: object) -> Response:
        raise error

    return app


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[[Callable[[Request], Response]], str]]:
    servers: list[TlsServer] = []
    context = make_certificate(tmp_path).server_context()

    def serve(app: Callable[[Request], Response]) -> str:
        server = TlsServer(0, app, context)
        server.start()
        servers.append(server)
        return f"https://127.0.0.1:{server.port}"

    yield serve
    for server in servers:
        server.stop()


def _call(url: str) -> None:
    with pytest.raises(httpx.TransportError):  # the server hung up without an answer
        httpx.get(url + "/system", verify=False, timeout=5)


def _sandbox_records(
    caplog: pytest.LogCaptureFixture, before: set[threading.Thread]
) -> list[logging.LogRecord]:
    """The `keyroll.sandbox` records once every thread started since `before` (the request's
    handler: the connection closes before it reports) has ended."""
    for thread in set(threading.enumerate()) - before:
        thread.join(HANDLER_BOUND_S)
        assert not thread.is_alive(), f"the server's thread {thread.name} never ended"
    return [r for r in caplog.records if r.name == "keyroll.sandbox"]


def test_a_sandbox_bug_is_logged_not_printed(
    tls_server: Callable[[Callable[[Request], Response]], str],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="keyroll.sandbox")
    url = tls_server(_raising(RuntimeError("a bug in the sandbox")))
    before = set(threading.enumerate())
    _call(url)
    records = _sandbox_records(caplog, before)
    assert len(records) == 1
    assert records[0].getMessage().startswith("The sandbox failed to answer a request from ")
    assert records[0].exc_info is not None and "a bug in the sandbox" in str(records[0].exc_info[1])
    assert BANNER not in capfd.readouterr().err


@pytest.mark.parametrize("error", [ConnectionResetError(104, "reset"), TimeoutError()])
def test_a_client_that_hangs_up_is_silent(
    tls_server: Callable[[Callable[[Request], Response]], str],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    error: BaseException,
) -> None:
    caplog.set_level(logging.DEBUG, logger="keyroll.sandbox")
    url = tls_server(_raising(error))
    before = set(threading.enumerate())
    _call(url)
    assert _sandbox_records(caplog, before) == []
    assert BANNER not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("error", "logged"), [(BrokenPipeError(32, "pipe"), False), (KeyError("bug"), True)]
)
def test_the_aws_endpoint_reports_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    error: BaseException,
    logged: bool,
) -> None:
    caplog.set_level(logging.ERROR, logger="keyroll.sandbox")
    with AwsEndpoint(World()) as endpoint:
        monkeypatch.setattr(endpoint, "handle", _raising(error))
        before = set(threading.enumerate())
        _call(endpoint.info()["endpoint_url"])
        records = _sandbox_records(caplog, before)
    assert bool(records) is logged
    assert BANNER not in capfd.readouterr().err
