"""Certificate checks over real TLS, against the sandbox's loopback HTTPS servers: a certificate
that does not verify is refused in one sentence naming the host and the setting to change; a
pinned one (its path or its PEM text) is accepted."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.base.secret import Secret
from tui.clients import errors
from tui.clients.console import ConsoleClient
from tui.clients.http import make_verify
from tui.clients.rack import RackClient
from tui.sandbox.certificate import make_certificate
from tui.sandbox.runtime import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=5, speed=50.0) as served:
        yield served


def _pem(sandbox: Sandbox) -> str:
    assert sandbox.certificate is not None
    return sandbox.certificate.cert_pem.decode()


def _account_key(sandbox: Sandbox) -> Secret:
    return Secret(sandbox.info()["console"]["api_key"])


def test_a_console_whose_certificate_does_not_verify_is_refused(sandbox: Sandbox) -> None:
    host = sandbox.console_host
    key = _account_key(sandbox)
    with ConsoleClient(f"https://{host}", key, verify=True) as console:
        with pytest.raises(errors.TlsError) as caught:
            console.auth()
        with pytest.raises(errors.TlsError) as proxied:
            console.rack("acme/production").system(retries=0)
    assert str(caught.value) == (
        f"The certificate of the Console at {host} does not verify (self-signed certificate), "
        f"so keyroll sent no key; if {host} is the right host, pin its certificate "
        '(`verify_tls = "<path of its PEM file>"`) or set `verify_tls = false` under [console] '
        "in keyroll's settings."
    )
    assert str(proxied.value) == str(caught.value)  # a proxied rack call is the Console's
    assert key.reveal() not in str(caught.value)


def test_a_rack_whose_certificate_does_not_verify_names_its_racks_entry(sandbox: Sandbox) -> None:
    host = sandbox.rack_host("dev")
    with RackClient(f"https://{host}", [Secret("DevKey0123456789")], verify=True) as rack:
        with pytest.raises(errors.TlsError, match="sent no key") as caught:
            rack.auth()
    assert f'set `verify_tls = false` in a [[racks]] entry with `host = "{host}"`' in str(
        caught.value
    )
    assert str(caught.value).startswith(f"The certificate of the rack at {host} does not verify")


def test_a_pinned_certificate_is_accepted_by_path_or_text_and_another_refused(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    key = _account_key(sandbox)
    url = f"https://{sandbox.console_host}"
    assert sandbox.certificate is not None
    for pin in (_pem(sandbox), str(sandbox.certificate.cert_path)):
        with ConsoleClient(url, key, verify=pin) as console:
            assert console.auth() == "ops@acme.test"
    other = make_certificate(tmp_path)
    with ConsoleClient(url, key, verify=other.cert_pem.decode()) as console:
        with pytest.raises(errors.TlsError) as caught:
            console.auth()
    assert str(caught.value).startswith(
        f"The certificate of the Console at {sandbox.console_host} is not the one pinned for it"
    )
    assert "`verify_tls = false` under [console]" in str(caught.value)


def test_a_pin_that_cannot_be_read_is_one_sentence_without_the_pem(tmp_path: Path) -> None:
    with pytest.raises(errors.TlsError) as missing:
        RackClient("https://127.0.0.1:9", [], verify=str(tmp_path / "gone.pem"))
    assert "cannot be read" in str(missing.value) and "verify_tls" in str(missing.value)
    broken = "-----BEGIN CERTIFICATE-----\nnot-a-certificate\n-----END CERTIFICATE-----\n"
    with pytest.raises(errors.TlsError) as caught:
        RackClient("https://127.0.0.1:9", [], verify=broken)
    assert str(caught.value).startswith("The pinned PEM text cannot be read")
    assert "not-a-certificate" not in str(caught.value)


def test_the_public_ca_check_is_built_once_and_shared() -> None:
    """Loading the CA bundle costs ~50 ms: a status poll of many Console racks must not pay it
    per client."""
    first, again = make_verify(True), make_verify(True)
    assert isinstance(first, ssl.SSLContext) and first is again
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
