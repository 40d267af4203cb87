"""`AwsEndpoint`: the sandbox's CloudFormation, EC2 and Auto Scaling on one loopback port.

boto3 reaches it through `endpoint_url` and speaks the real query protocols: form-encoded
`Action=...&Version=...` POSTs answered in XML, as botocore sends and parses them. The
service is the SigV4 credential scope's (else the form's `Version`). The endpoint has one
access key of its own, random per start; a request signed with another key id is refused
(the signature itself is not checked). Plain HTTP: botocore needs no certificate then.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import secrets
import socket
import string
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tui.base.errors import KeyrollError
from tui.base.secret import Secret
from tui.sandbox import aws_autoscaling, aws_cloudformation, aws_ec2
from tui.sandbox.aws_query import (
    EndpointError,
    credential_scope,
    parse_parameters,
    read_form,
)
from tui.sandbox.aws_throttle import (
    DEFAULT_MAX_CALM,
    THROTTLE_CODE,
    THROTTLE_MESSAGE,
    ThrottleGate,
)
from tui.sandbox.aws_xml import error_xml, result_xml, service_namespace
from tui.sandbox.cloud_api import CloudApi
from tui.sandbox.cloud_errors import CloudApiError
from tui.sandbox.server_errors import report_request_error
from tui.sandbox.world import World

DEFAULT_REGION = "us-east-1"
Handler = Callable[[CloudApi, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Service:
    """One AWS service the endpoint speaks: botocore's name, API version, actions, flavour."""

    name: str
    api_version: str
    actions: dict[str, Handler]
    ec2: bool = False


SERVICES = {
    s.name: s
    for s in (
        Service("cloudformation", "2010-05-15", aws_cloudformation.ACTIONS),
        Service("ec2", "2016-11-15", aws_ec2.ACTIONS, ec2=True),
        Service("autoscaling", "2011-01-01", aws_autoscaling.ACTIONS),
    )
}
BY_VERSION = {s.api_version: s for s in SERVICES.values()}


@cache
def service_model(name: str) -> Any:
    """botocore's model of a service (loaded once per process: EC2's is large)."""
    import botocore.session  # lazy: only a running endpoint needs it

    return botocore.session.get_session().get_service_model(name)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, XML body and the request id header."""

    status: int
    body: str
    request_id: str
    ec2: bool = False


class AwsEndpoint:
    """CloudFormation, EC2 and Auto Scaling for one `World`, served on 127.0.0.1.

    `scenario` defaults to the world's; under `throttle`, a seeded share of CloudFormation
    calls answer 400 `Throttling` (never more than 3 calls in a row pass). `requests` counts
    every authenticated request by action (throttled ones too); `throttled` counts the
    refusals. Use as a context manager, or `start()` and `stop()`. `secret_access_key` is a
    `Secret`: reveal it only into a credentials file or `info()`.
    """

    def __init__(
        self,
        world: World,
        *,
        scenario: str | None = None,
        seed: int | None = None,
        port: int = 0,
        region: str | None = None,
        throttle_share: float | None = None,
    ) -> None:
        self.world = world
        self.scenario = scenario if scenario is not None else world.options.scenario
        self.region = region or _world_region(world)
        self.access_key_id = "AKIA" + _random(string.ascii_uppercase + string.digits, 16)
        self.secret_access_key = Secret(_random(string.ascii_letters + string.digits + "+/", 40))
        gate_seed = seed if seed is not None else world.options.seed
        self.throttle: ThrottleGate | None = None
        if self.scenario == "throttle":
            self.throttle = (
                ThrottleGate(gate_seed, max_calm=DEFAULT_MAX_CALM)
                if throttle_share is None
                else ThrottleGate(gate_seed, share=throttle_share)
            )
        self.requests: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.internal_errors: list[BaseException] = []
        self._counter_lock = threading.Lock()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ----------------------------------------------------------------------------

    def start(self) -> AwsEndpoint:
        """Listen on 127.0.0.1 and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        try:
            server = _Server(("127.0.0.1", self._port), _Handler)
        except OSError as error:
            raise KeyrollError(
                f"The sandbox's AWS endpoint cannot listen on 127.0.0.1:{self._port} "
                f"({error.strerror}); choose another port or leave it to pick a free one."
            ) from None
        server.endpoint = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="keyroll-sandbox-aws",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> AwsEndpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses and credentials ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (start it first)."""
        if self._server is None:
            raise KeyrollError("The sandbox's AWS endpoint is not running; start it first.")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The `endpoint_url` for boto3: `http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    def info(self) -> dict[str, str]:
        """What `keyroll sandbox serve` prints for AWS: endpoint, region, keys in clear."""
        return {
            "endpoint_url": self.url,
            "region": self.region,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key.reveal(),
        }

    def credentials_text(self, profile: str = "default") -> str:
        """An AWS shared-credentials file holding the endpoint's key under `profile`."""
        parser = configparser.ConfigParser()
        parser[profile] = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key.reveal(),
        }
        text = io.StringIO()
        parser.write(text)
        return text.getvalue()

    def write_credentials(self, path: Path, profile: str = "default") -> Path:
        """Write `credentials_text(profile)` to `path`, readable by its owner only (0600)."""
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(self.credentials_text(profile))
        return path

    # requests -----------------------------------------------------------------------------

    def handle(self, authorization: str, form: dict[str, str]) -> Reply:
        """Answer one query-protocol request: its `Authorization` header and form fields."""
        request_id = str(uuid.uuid4())
        service = _service_for(authorization, form)
        try:
            if service is None:
                raise EndpointError(
                    "The request names no AWS service this endpoint serves.",
                    code="InvalidAction",
                )
            return self._answer(service, authorization, form, request_id)
        except CloudApiError as error:
            return self._error(service, error.code, str(error), error.http_status, request_id)
        except Exception as error:  # a bug here must look like AWS failing, never hang boto3
            self.internal_errors.append(error)
            return self._error(
                service,
                "InternalFailure",
                "The request processing has failed because of an unknown error, exception or "
                "failure.",
                500,
                request_id,
            )

    def _answer(
        self, service: Service, authorization: str, form: dict[str, str], request_id: str
    ) -> Reply:
        self._authenticate(service, authorization)
        action = form.get("Action", "")
        if not action:
            raise EndpointError("No action was supplied with this request.", code="MissingAction")
        version = form.get("Version", "")
        if version != service.api_version:
            raise EndpointError(
                f"The requested version ({version}) of service {service.name} does not exist",
                code="NoSuchVersion",
            )
        handler = service.actions.get(action)
        if handler is None:
            raise EndpointError(
                f"The action {action} is not valid for this web service.", code="InvalidAction"
            )
        with self._counter_lock:
            self.requests[action] += 1
        if service.name == "cloudformation" and self.throttle and self.throttle.refuse():
            with self._counter_lock:
                self.throttled[action] += 1
            raise EndpointError(THROTTLE_MESSAGE, code=THROTTLE_CODE)
        operation = service_model(service.name).operation_model(action)
        params = parse_parameters(form, operation.input_shape, ec2=service.ec2)
        result = handler(self.world.cloud, params)
        return Reply(200, result_xml(operation, result, request_id, ec2=service.ec2), request_id)

    def _authenticate(self, service: Service, authorization: str) -> None:
        scope = credential_scope(authorization)
        if scope is None:
            raise EndpointError(
                "Request is missing Authentication Token",
                code="MissingAuthenticationToken",
                http_status=403,
            )
        if scope.access_key_id != self.access_key_id:
            if service.ec2:
                raise EndpointError(
                    "AWS was not able to validate the provided access credentials",
                    code="AuthFailure",
                    http_status=401,
                )
            raise EndpointError(
                "The security token included in the request is invalid.",
                code="InvalidClientTokenId",
                http_status=403,
            )
        if scope.region != self.region:
            raise EndpointError(
                f"Credential should be scoped to a valid region, not '{scope.region}'. ",
                code="SignatureDoesNotMatch",
                http_status=403,
            )

    def _error(
        self, service: Service | None, code: str, message: str, status: int, request_id: str
    ) -> Reply:
        ec2 = service is not None and service.ec2
        model = service_model(service.name if service else "cloudformation")
        body = error_xml(
            service_namespace(model), code, message, request_id, ec2=ec2, sender=status < 500
        )
        return Reply(status, body, request_id, ec2=ec2)


def _service_for(authorization: str, form: dict[str, str]) -> Service | None:
    scope = credential_scope(authorization)
    if scope is not None and scope.service in SERVICES:
        return SERVICES[scope.service]
    return BY_VERSION.get(form.get("Version", ""))


def _world_region(world: World) -> str:
    with world.lock:
        regions = {rack.region for rack in world.racks.values()}
    return regions.pop() if len(regions) == 1 else DEFAULT_REGION


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    endpoint: AwsEndpoint

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        report_request_error(client_address)

    def close_connections(self) -> None:
        """Hang up every open keep-alive connection, so a stopped endpoint answers nothing."""
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox must not scribble over the dashboard's terminal."""

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if self.command == "GET":
            body = urlsplit(self.path).query.encode()
        reply = self.server.endpoint.handle(
            str(self.headers.get("Authorization", "") or ""), read_form(body)
        )
        payload = reply.body.encode()
        self.send_response_only(reply.status)
        self.send_header("Date", self.date_time_string())
        self.send_header("x-amzn-RequestId", reply.request_id)
        content_type = "text/xml;charset=UTF-8" if reply.ec2 else "text/xml"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_GET = _serve
