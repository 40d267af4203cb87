"""The sandbox's servers never print a bare traceback: a client that hangs up is silent, a
sandbox bug goes to the `keyroll.sandbox` log (the dashboard's terminal stays clean)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.certificate import make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer
from tui.sandbox.world import World

BANNER = "Exception occurred during processing of request"


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


def _sandbox_records(caplog: pytest.LogCaptureFixture, wait: bool) -> list[logging.LogRecord]:
    """The `keyroll.sandbox` records; with `wait`, up to 5 s for the first one (the
    connection closes before the server's thread reports)."""
    deadline = time.monotonic() + (5 if wait else 0.2)
    while True:
        records = [r for r in caplog.records if r.name == "keyroll.sandbox"]
        if (records and wait) or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


def test_a_sandbox_bug_is_logged_not_printed(
    tls_server: Callable[[Callable[[Request], Response]], str],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="keyroll.sandbox")
    _call(tls_server(_raising(RuntimeError("a bug in the sandbox"))))
    records = _sandbox_records(caplog, wait=True)
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
    _call(tls_server(_raising(error)))
    assert _sandbox_records(caplog, wait=False) == []
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
        _call(endpoint.info()["endpoint_url"])
    assert bool(_sandbox_records(caplog, wait=logged)) is logged
    assert BANNER not in capfd.readouterr().err
