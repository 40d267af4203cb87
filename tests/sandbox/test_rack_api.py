"""The Rack API over real TLS sockets: every endpoint's shape, auth, and the ALB host check."""

from __future__ import annotations

import re
import ssl

import httpx
import pytest

from tests.sandbox.conftest import rack_client
from tui.clients.models import App, Instance, Process, Service, System, parse_list
from tui.sandbox.runtime import Sandbox


def test_auth_answers_ok_text(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        reply = client.get("/auth")
    assert (reply.status_code, reply.text) == (200, "ok\n")


def test_system_has_every_field_and_masks_the_password(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        data = client.get("/system").json()
    assert set(data) == {"count", "domain", "name", "outputs", "parameters", "provider"} | {
        "rack-domain",
        "region",
        "status",
        "type",
        "version",
    }
    system = System.from_json(data)
    assert (system.name, system.status, system.count, system.type) == (
        "production",
        "running",
        3,
        "t3.small",
    )
    assert system.region == "us-east-1" and system.version == "20240415123456"
    assert system.rack_domain.startswith("rack.") and system.rack_domain.endswith(
        ".us-east-1.convox.site"
    )
    assert system.outputs["RackDomain"] == system.outputs["Dashboard"] == system.rack_domain
    params = system.parameters
    assert params["Password"] == "****"
    assert re.fullmatch(r"production-keypair-[1-9][0-9]{3}", params["Key"])
    for name in ("InstanceCount", "InstanceUpdateBatchSize", "HighAvailability", "ApiCount"):
        assert name in params
    assert "System=convox" in params["Tags"]
    assert "Type=rack" in params["Tags"]
    key = next(r["api_key"] for r in sandbox.info()["racks"] if r["name"] == "acme/production")
    assert key not in str(data)


def test_instances_shape(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        data = client.get("/instances").json()
    instances = parse_list(data, Instance, "GET /instances")
    assert len(instances) == 3
    assert [i.id for i in instances] == sorted(i.id for i in instances)
    for item, instance in zip(data, instances, strict=True):
        assert set(item) == {"agent", "cpu", "id", "memory", "private-ip", "processes"} | {
            "public-ip",
            "status",
            "started",
        }
        assert instance.id.startswith("i-") and len(instance.id) == 19
        assert instance.healthy and instance.private_ip.startswith("10.0.")
        assert instance.processes >= 1


def test_apps_services_and_processes(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        apps = parse_list(client.get("/apps").json(), App, "GET /apps")
        assert [a.name for a in apps] == ["api", "docs", "web", "worker"]
        web = App.from_json(client.get("/apps/web").json())
        assert web.release.startswith("R") and web.status == "running"
        counts = {}
        for app in apps:
            services = parse_list(
                client.get(f"/apps/{app.name}/services").json(), Service, "services"
            )
            for service in services:
                procs = parse_list(
                    client.get(
                        f"/apps/{app.name}/processes", params={"service": service.name}
                    ).json(),
                    Process,
                    "processes",
                )
                running = [p for p in procs if p.status == "running" and p.release == app.release]
                counts[f"{app.name}/{service.name}"] = (service.count, len(running))
        assert counts == {
            "api/api": (2, 2),
            "docs/web": (3, 3),
            "web/web": (3, 3),
            "worker/worker": (1, 1),
        }
        by_release = client.get("/apps/web/processes", params={"release": "RNOPE"}).json()
        assert by_release == []
        missing = client.get("/apps/nope/services")
        assert (missing.status_code, missing.text) == (404, "app not found: nope\n")


def test_processes_spread_over_instances(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        procs = client.get("/apps/web/processes").json()
    assert len({p["instance"] for p in procs}) == 3
    assert all(len(p["id"]) == 32 for p in procs)
    assert set(procs[0]) >= {"id", "app", "name", "status", "release", "instance", "ports"}


def test_system_processes(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        procs = client.get("/system/processes").json()
    assert sorted(p["name"] for p in procs) == ["monitor", "web", "web"]


def test_wrong_key_and_jwt_user_are_refused(sandbox: Sandbox) -> None:
    with rack_client(sandbox, key="not-the-key") as client:
        reply = client.get("/system")
    assert (reply.status_code, reply.text) == (401, "invalid authentication\n")
    host = sandbox.rack_host("acme/production")
    key = next(r["api_key"] for r in sandbox.info()["racks"] if r["name"] == "acme/production")
    with httpx.Client(verify=False) as client:
        assert client.get(f"https://{host}/auth", auth=("jwt", key)).status_code == 401
        assert client.get(f"https://{host}/auth").status_code == 401
        # the user name is ignored unless it is jwt
        assert client.get(f"https://{host}/auth", auth=("anyone", key)).status_code == 200


def test_another_racks_key_is_refused(sandbox: Sandbox) -> None:
    staging = next(r["api_key"] for r in sandbox.info()["racks"] if r["name"] == "acme/staging")
    with rack_client(sandbox, key=staging) as client:
        assert client.get("/auth").status_code == 401


def test_unknown_host_like_the_load_balancer(sandbox: Sandbox) -> None:
    port = sandbox.rack_host("acme/production").split(":")[1]
    with rack_client(sandbox) as client:
        reply = client.get("/system", headers={"Host": f"localhost:{port}"})
        assert (reply.status_code, reply.text) == (404, "unknown host")
        domain = client.get("/system").json()["rack-domain"]
        assert client.get("/system", headers={"Host": domain}).status_code == 200


def test_unknown_route(sandbox: Sandbox) -> None:
    with rack_client(sandbox) as client:
        reply = client.get("/nothing/here")
    assert reply.status_code == 404 and reply.headers["Content-Type"].startswith("text/plain")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_certificate_is_self_signed_for_loopback(sandbox: Sandbox) -> None:
    assert sandbox.certificate is not None
    pinned = ssl.create_default_context(cafile=str(sandbox.certificate.cert_path))
    host = sandbox.rack_host("acme/production")
    with httpx.Client(verify=pinned) as client:
        assert client.get(f"https://{host}/auth").status_code == 401
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(sandbox.certificate.cert_pem)
    org = cert.subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)[0].value
    assert org == "convox"
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 364 <= days <= 366
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.minimum_version = ssl.TLSVersion.TLSv1
    with httpx.Client(verify=old) as client:
        try:
            client.get(f"https://{host}/auth")
            refused = False
        except httpx.ConnectError:
            refused = True
    assert refused
