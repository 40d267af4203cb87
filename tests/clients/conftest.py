"""Shared fixtures for client tests: moto's server and a scripted CloudFormation endpoint.

Everything listens on 127.0.0.1 port 0; AWS credentials are fake and live under tmp dirs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest

from tests.aws_support import aws_env, moto_target, running_moto, write_credentials
from tui.clients.aws_session import AwsTarget

__all__ = ["aws_env"]  # a fixture, used by name


@pytest.fixture(scope="session")
def aws_moto_url() -> Iterator[str]:
    """moto's server on a free loopback port, for the whole session (tests use unique names)."""
    with running_moto() as url:
        yield url


@pytest.fixture
def aws_moto(aws_env: Path, aws_moto_url: str) -> AwsTarget:
    """An `AwsTarget` on moto's server with a fake credentials file under tmp_path."""
    return moto_target(aws_env, aws_moto_url)


CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
STACK_TYPE = "AWS::CloudFormation::Stack"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class ScriptedCfn:
    """A CloudFormation query endpoint whose events, pages and errors a test scripts.

    `events[stack]` is oldest first, like a stack's history; DescribeStackEvents serves it
    newest first in pages of `page_size` with a NextToken, as AWS does.
    """

    url: str = ""
    page_size: int = 100
    events: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_event(
        self,
        stack: str,
        status: str,
        logical_id: str | None = None,
        *,
        resource_type: str | None = None,
        physical_id: str = "",
        reason: str = "",
        token: str = "",
        operation_id: str = "",
        at: datetime | None = None,
        stack_name: str | None = None,
    ) -> dict[str, str]:
        """Append one event to `stack`'s history, one second after the previous one.

        `stack` is what DescribeStackEvents is called with (a name or a nested stack's ARN);
        `stack_name` is the StackName the events carry, `stack` unless given.
        """
        with self.lock:
            history = self.events.setdefault(stack, [])
            stamp = at or T0 + timedelta(seconds=len(history))
            name = stack_name or stack
            logical = logical_id or name
            event = {
                "EventId": f"{stack}-{len(history):06d}",
                "StackName": name,
                "StackId": f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/x",
                "LogicalResourceId": logical,
                "PhysicalResourceId": physical_id,
                "ResourceType": resource_type or (STACK_TYPE if logical == name else "AWS::X"),
                "Timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "ResourceStatus": status,
                "ResourceStatusReason": reason,
                "ClientRequestToken": token,
                "OperationId": operation_id,
            }
            history.append(event)
            return event

    def reply(self, form: dict[str, str]) -> tuple[int, str]:
        with self.lock:
            self.calls.append(form)
            if self.errors:
                code, message = self.errors.pop(0)
                body = (
                    f'<ErrorResponse xmlns="{CFN_NS}"><Error><Type>Sender</Type>'
                    f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
                    "<RequestId>r</RequestId></ErrorResponse>"
                )
                return 400, body
            action = form.get("Action", "")
            if action == "DescribeStackEvents":
                return 200, self._events_page(form)
            if action == "DescribeStacks":
                return 200, self._stacks(form["StackName"])
            if action == "UpdateStack":
                return 200, self._wrap("UpdateStack", "<StackId>arn:x</StackId>")
            return (
                400,
                f'<ErrorResponse xmlns="{CFN_NS}"><Error><Code>X</Code></Error></ErrorResponse>',
            )

    def _wrap(self, action: str, inner: str) -> str:
        return (
            f'<{action}Response xmlns="{CFN_NS}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"
        )

    def _events_page(self, form: dict[str, str]) -> str:
        newest_first = self.events.get(form["StackName"], [])[::-1]
        start = int(form.get("NextToken") or 0)
        page = newest_first[start : start + self.page_size]
        members = "".join(
            "<member>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items() if v) + "</member>"
            for e in page
        )
        token = ""
        if start + self.page_size < len(newest_first):
            token = f"<NextToken>{start + self.page_size}</NextToken>"
        return self._wrap("DescribeStackEvents", f"<StackEvents>{members}</StackEvents>{token}")

    def _stacks(self, name: str) -> str:
        params = "".join(
            f"<member><ParameterKey>{k}</ParameterKey><ParameterValue>{escape(v)}"
            "</ParameterValue></member>"
            for k, v in self.parameters.get(name, {}).items()
        )
        inner = (
            f"<Stacks><member><StackName>{name}</StackName><StackId>arn:{name}</StackId>"
            "<CreationTime>2026-01-01T00:00:00Z</CreationTime>"
            f"<StackStatus>UPDATE_COMPLETE</StackStatus><Parameters>{params}</Parameters>"
            "<Capabilities><member>CAPABILITY_IAM</member></Capabilities>"
            "<LastOperations><member><OperationType>UPDATE_STACK</OperationType>"
            "<OperationId>op-123</OperationId></member></LastOperations>"
            "</member></Stacks>"
        )
        return self._wrap("DescribeStacks", inner)


@pytest.fixture
def aws_scripted(aws_env: Path) -> Iterator[tuple[ScriptedCfn, AwsTarget]]:
    """A `ScriptedCfn` on a free loopback port and an `AwsTarget` pointing at it."""
    script = ScriptedCfn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            status, body = script.reply(form)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    creds = write_credentials(aws_env / "credentials")
    target = AwsTarget(region="us-east-1", endpoint_url=script.url, credentials_file=creds)
    try:
        yield script, target
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
