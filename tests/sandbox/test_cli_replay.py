"""Byte-for-byte replays of the requests the Convox v2 CLI sends, over a raw TLS socket.

Each request is written as Go's net/http writes it (Host, User-Agent, then the other
headers in sorted order, `Accept-Encoding: gzip` last); each reply is checked for what the
CLI parses from it: the status, and the body or JSON fields it reads.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
from typing import Any
from urllib.parse import quote

from tests.sandbox.conftest import rack_key, stack_status, wait_until
from tui.base.key_rules import generate_rack_key
from tui.sandbox.runtime import Sandbox

CLI_VERSION = "20240415123456"


def go_request(
    method: str,
    path: str,
    host: str,
    key: str,
    *,
    rack: str = "",
    body: bytes = b"",
    form: bool = False,
) -> bytes:
    """The bytes the CLI's stdsdk client puts on the wire for one call."""
    auth = base64.b64encode(f"convox:{key}".encode()).decode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"User-Agent: convox.go/{CLI_VERSION}"]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    lines += ["Accept: */*", f"Authorization: Basic {auth}"]
    content_type = "application/x-www-form-urlencoded" if form else "application/octet-stream"
    lines.append(f"Content-Type: {content_type}")
    if rack:
        lines.append(f"Rack: {rack}")
    lines += [f"Version: {CLI_VERSION}", "Accept-Encoding: gzip"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def replay(host: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes over TLS (no verification, as the CLI) and read one HTTP reply."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    address, port = host.split(":")
    with (
        socket.create_connection((address, int(port)), timeout=5) as raw_sock,
        context.wrap_socket(raw_sock) as tls,
    ):
        tls.sendall(raw)
        response = http.client.HTTPResponse(tls)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def call(host: str, method: str, path: str, key: str, **kw: Any) -> tuple[int, bytes]:
    status, _headers, body = replay(host, go_request(method, path, host, key, **kw))
    return status, body


def test_login_against_the_console(sandbox: Sandbox) -> None:
    console = sandbox.info()["console"]
    status, body = call(console["host"], "GET", "/auth", console["api_key"])
    assert status == 200 and json.loads(body)["id"] == "ops@acme.test"
    status, _ = call(console["host"], "GET", "/auth", "wrong")
    assert status == 401  # the CLI says "invalid login"


def test_login_against_a_rack(sandbox: Sandbox) -> None:
    host = sandbox.rack_host("dev")
    status, headers, body = replay(host, go_request("GET", "/auth", host, rack_key(sandbox, "dev")))
    assert (status, body) == (200, b"ok\n")
    assert headers["Content-Type"].startswith("text/plain")
    assert "Server" not in headers


def test_rack_and_rack_params(sandbox: Sandbox) -> None:
    host = sandbox.rack_host("acme/production")
    status, body = call(host, "GET", "/system", rack_key(sandbox))
    system = json.loads(body)
    assert status == 200
    for field in ("name", "status", "version", "region", "count", "type", "rack-domain"):
        assert field in system
    params = system["parameters"]
    assert all(isinstance(v, str) for v in params.values())
    assert params["Password"] == "****" and "Key" in params


def test_rack_params_set_password(sandbox: Sandbox) -> None:
    host, old = sandbox.rack_host("dev"), rack_key(sandbox, "dev")
    new = generate_rack_key().reveal()
    status, _ = call(host, "GET", "/system", old)
    assert status == 200
    body = ("parameters=" + quote(f"Password={new}", safe="")).encode()
    assert body.startswith(b"parameters=Password%3D")
    status, reply = call(host, "PUT", "/system", old, body=body, form=True)
    assert (status, reply) == (200, b"ok\n")  # the CLI prints "Updating parameters... OK"
    wait_until(lambda: stack_status(sandbox, "dev") == "UPDATE_COMPLETE")
    assert call(host, "GET", "/auth", new)[0] == 200
    assert call(host, "GET", "/auth", old)[0] == 401
    # a second identical set is CloudFormation's no-op error, as 500 plain text
    status, reply = call(host, "PUT", "/system", new, body=body, form=True)
    assert status == 500 and reply.startswith(b"ValidationError: No updates are to be performed.")


def test_instances_and_keyroll(sandbox: Sandbox) -> None:
    host, key = sandbox.rack_host("acme/staging"), rack_key(sandbox, "acme/staging")
    status, body = call(host, "GET", "/instances", key)
    rows = json.loads(body)
    assert status == 200 and len(rows) == 2
    for row in rows:  # ID STATUS STARTED PS CPU MEM PUBLIC PRIVATE
        assert row["status"] == "active" and row["agent"] is True
        assert isinstance(row["processes"], int) and isinstance(row["cpu"], float)
        assert row["started"].endswith("Z") and row["private-ip"]
    status, body = call(host, "POST", "/instances/keyroll", key)
    assert (status, body) == (200, b"ok\n")  # "Rolling instance key... OK"
    wait_until(lambda: stack_status(sandbox, "staging") == "UPDATE_COMPLETE")
    _, body = call(host, "GET", "/system", key)
    assert json.loads(body)["parameters"]["Key"].startswith("staging-keypair-")


def test_apps_and_ps(sandbox: Sandbox) -> None:
    host, key = sandbox.rack_host("acme/production"), rack_key(sandbox)
    status, body = call(host, "GET", "/apps", key)
    apps = json.loads(body)
    assert status == 200 and {a["name"] for a in apps} == {"api", "docs", "web", "worker"}
    assert all(a["generation"] == "2" and a["status"] == "running" for a in apps)
    status, body = call(host, "GET", "/apps/web/processes", key)
    procs = json.loads(body)
    assert status == 200 and len(procs) == 3
    for proc in procs:  # ID SERVICE STATUS RELEASE STARTED COMMAND
        assert {"id", "name", "status", "release", "started", "command"} <= set(proc)


def test_racks_and_switch_through_the_console(sandbox: Sandbox) -> None:
    console = sandbox.info()["console"]
    status, body = call(console["host"], "GET", "/racks", console["api_key"])
    racks = json.loads(body)
    assert status == 200
    names = [f"{r['organization']['name']}/{r['name']}" for r in racks]
    assert names == ["acme/production", "acme/staging"]  # `convox switch` matches over these
    assert all(r["status"] == "running" for r in racks)
    # after `convox switch acme/production` the CLI sends the Rack header to the Console
    status, body = call(
        console["host"], "GET", "/system", console["api_key"], rack="acme/production"
    )
    assert status == 200 and json.loads(body)["name"] == "production"
    status, body = call(
        console["host"], "POST", "/instances/keyroll", console["api_key"], rack="acme/production"
    )
    assert (status, body) == (200, b"ok\n")
