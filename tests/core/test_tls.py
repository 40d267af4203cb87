"""Which hosts keyroll verifies: the rule, its settings, and a refusal end to end over real TLS."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.base.secret import Secret
from tui.cli import main
from tui.core.keystore import Keystore
from tui.core.settings import (
    ConsoleSettings,
    RackSettings,
    Settings,
    SettingsError,
    parse_settings,
)
from tui.core.tls import ROLE_CONSOLE, ROLE_RACK, has_public_certificate, verify_for
from tui.sandbox.certificate import make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer

ALB_HOST = "rack.convox-demo-1234567890.us-east-1.convox.site"
RACK_KEY = "EdgeRackKey0123456789abcdefghijklmnopqr"


@pytest.mark.parametrize(
    ("host", "public"),
    [
        (ALB_HOST, True),
        (f"{ALB_HOST}:443", True),
        ("RACK.Convox-Demo.EU-West-1.Convox.Site", True),
        (f"{ALB_HOST}.", True),
        (f"{ALB_HOST}:5443", False),  # the API's own port: stdapi's self-signed certificate
        ("convox-demo-1234567890.us-east-1.convox.site", False),  # not under the wildcard
        ("a.rack.convox-demo.us-east-1.convox.site", False),  # a wildcard covers one label
        ("rack.convox.site", False),
        ("dualstack.convox-123.us-east-1.elb.amazonaws.com", False),
        ("127.0.0.1:5443", False),
        ("rack.example.com", False),
        ("rack.demo.us-east-1.convox.site.example.com", False),
        ("[::1]:443", False),
        ("bad:port", False),
    ],
)
def test_a_rack_host_is_verified_by_default_only_behind_the_alb(host: str, public: bool) -> None:
    assert has_public_certificate(host) is public
    assert verify_for(Settings(), host, ROLE_RACK) is public


@pytest.mark.parametrize("host", ["console.convox.com", "console.acme.internal", "127.0.0.1:9"])
def test_any_console_host_is_verified_by_default(host: str) -> None:
    assert verify_for(Settings(), host, ROLE_CONSOLE) is True


def test_settings_override_the_rule_per_host_then_everywhere() -> None:
    elb = "convox-123.us-east-1.elb.amazonaws.com"
    pinned = RackSettings(name="old", host=elb, verify_tls="~/old.pem")
    skipped = RackSettings(name="edge", host=ALB_HOST, verify_tls=False)
    plain = RackSettings(name="plain", host="rack.example.com")
    settings = Settings(racks=(pinned, skipped, plain))
    assert verify_for(settings, elb, ROLE_RACK) == "~/old.pem"  # found by its host
    assert verify_for(settings, ALB_HOST, ROLE_RACK) is False
    assert verify_for(settings, "x:1", ROLE_RACK, pinned) == "~/old.pem"  # handed the entry
    assert verify_for(settings, "rack.example.com", ROLE_RACK, plain) is False
    assert verify_for(settings, "console.convox.com", ROLE_CONSOLE) is True

    # the top-level value, once the user sets it, holds for every host not set on its own
    everywhere = Settings(verify_tls=False, racks=(pinned, plain))
    assert verify_for(everywhere, "console.convox.com", ROLE_CONSOLE) is False
    assert verify_for(everywhere, ALB_HOST, ROLE_RACK) is False
    assert verify_for(everywhere, elb, ROLE_RACK) == "~/old.pem"
    strict = Settings(verify_tls=True, console=ConsoleSettings(verify_tls="/c.pem"))
    assert verify_for(strict, "rack.example.com", ROLE_RACK) is True
    assert verify_for(strict, "console.convox.com", ROLE_CONSOLE) == "/c.pem"


# settings --------------------------------------------------------------------------------------


def test_verify_tls_is_unset_unless_written_and_round_trips_per_host(tmp_path: Path) -> None:
    assert parse_settings("", Path("c.toml")).verify_tls is None
    assert "verify_tls" not in Settings().to_toml()
    pem = make_certificate(tmp_path).cert_pem.decode()
    settings = Settings(
        console=ConsoleSettings(verify_tls=False),
        racks=(RackSettings(name="dev", host="10.0.0.1:5443", verify_tls=pem),),
    )
    again = parse_settings(settings.to_toml(), Path("c.toml"))
    assert again == settings
    assert again.console.verify_tls is False and again.racks[0].verify_tls == pem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[console]\nverify_tls = 3\n",
            r"In c\.toml, 'console\.verify_tls' must be a boolean \(true or false\) or a PEM "
            r"certificate to pin \(its path or its text\); fix it and start keyroll again\.",
        ),
        (
            '[[racks]]\nname = "dev"\nverify_tls = "false"\n',
            r"In c\.toml, 'racks\[0\]\.verify_tls' is the text \"false\": write true or false "
            r"without quotes, or give a PEM certificate to pin; fix it",
        ),
        ('verify_tls = "True"\n', r"In c\.toml, 'verify_tls' is the text \"True\""),
        (
            '[console]\nverify_tls = "-----BEGIN CERTIFICATE-----\\nnot base64\\n"\n',
            r"In c\.toml, 'console\.verify_tls' holds PEM text that is not a certificate; paste",
        ),
        ('[[racks]]\nname = "dev"\nverify_tls = ""\n', r"'racks\[0\]\.verify_tls' must not be"),
        ("[console]\nverify_tls = [true]\n", r"'console\.verify_tls' must be a boolean"),
    ],
)
def test_a_bad_verify_tls_names_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings(text, Path("c.toml"))


# end to end: a host named under convox.site is verified, and refused before any key goes ------


@pytest.fixture
def edge_rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[str], str]]:
    """A rack API over real TLS with a self-signed certificate: (port, requests seen, its PEM)."""
    cert = make_certificate(tmp_path_factory.mktemp("edge"))
    seen: list[str] = []

    def app(request: Request) -> Response:
        seen.append(request.header("Authorization"))
        credentials = request.basic_auth()
        if credentials is None or credentials[1] != RACK_KEY:
            return Response.text(401, "invalid authentication")
        return Response.json({"name": "edge", "status": "running", "version": "20240101000000"})

    server = TlsServer(0, app, cert.server_context())
    server.start()
    try:
        yield server.port, seen, cert.cert_pem.decode()
    finally:
        server.stop()


@pytest.fixture
def alb_name_on_loopback(
    edge_rack: tuple[int, list[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS for the test: ALB_HOST:443 resolves to the edge rack's loopback port, nothing else
    changes (the TLS handshake, SNI and certificate check are the real ones)."""
    real = socket.getaddrinfo
    port = edge_rack[0]

    def getaddrinfo(host: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.lower() == ALB_HOST:
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, service, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    home = tmp_path / "keyroll"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(settings.to_toml())
    Keystore(home / "data" / "keystore.json").set_current(ALB_HOST, Secret(RACK_KEY))
    monkeypatch.setenv("KEYROLL_HOME", str(home))
    monkeypatch.setenv("CONVOX_CONFIG", str(tmp_path / "no-convox"))
    for name in ("CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)


def _edge_status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["racks", "--json"]) == 0
    racks = {r["name"]: r for r in json.loads(capsys.readouterr().out)["racks"]}
    return dict(racks["edge"])


@pytest.mark.usefixtures("alb_name_on_loopback")
def test_a_convox_site_rack_with_a_certificate_that_does_not_verify_gets_no_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edge_rack: tuple[int, list[str], str],
) -> None:
    _port, seen, pem = edge_rack
    _home(tmp_path, monkeypatch, Settings(racks=(RackSettings(name="edge", host=ALB_HOST),)))
    refused = _edge_status(capsys)
    assert refused["status"] == "unknown"
    assert refused["error"] == (
        f"The certificate of the rack at {ALB_HOST} does not verify (self-signed certificate), "
        f"so keyroll sent no key; if {ALB_HOST} is the right host, pin its certificate "
        '(`verify_tls = "<path of its PEM file>"`) or set `verify_tls = false` in a [[racks]] '
        f'entry with `host = "{ALB_HOST}"` in keyroll\'s settings.'
    )
    assert seen == []  # the handshake failed: no request, so no key, reached the server

    # pinned in its own entry, the same rack answers
    pin = tmp_path / "edge.pem"
    pin.write_text(pem)
    entry = RackSettings(name="edge", host=ALB_HOST, verify_tls=str(pin))
    _home(tmp_path, monkeypatch, Settings(racks=(entry,)))
    assert _edge_status(capsys)["status"] == "running"
    assert len(seen) == 1
