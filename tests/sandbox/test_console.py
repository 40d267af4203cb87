"""The Console over real TLS: account auth, racks, proxying, the three actions, faults."""

from __future__ import annotations

from collections.abc import Callable

from tests.sandbox.conftest import console_client, rack_key, stack_status, wait_until
from tests.stepping import step_until
from tui.base.key_rules import generate_rack_key
from tui.sandbox.runtime import Sandbox

PROD = {"Rack": "acme/production"}


def test_auth_and_racks(sandbox: Sandbox) -> None:
    with console_client(sandbox) as client:
        assert client.get("/auth").json() == {"id": "ops@acme.test"}
        assert client.get("/racks").json() == [
            {"name": "production", "organization": {"name": "acme"}, "status": "running"},
            {"name": "staging", "organization": {"name": "acme"}, "status": "running"},
        ]
    with console_client(sandbox, key="wrong") as client:
        reply = client.get("/auth")
        assert (reply.status_code, reply.text) == (401, "invalid authentication\n")
    # a rack key is not the account key
    with console_client(sandbox, key=rack_key(sandbox)) as client:
        assert client.get("/racks").status_code == 401


def test_proxied_calls_reach_the_rack(sandbox: Sandbox) -> None:
    with console_client(sandbox) as client:
        system = client.get("/system", headers=PROD).json()
        assert system["name"] == "production" and system["parameters"]["Password"] == "****"
        staging = client.get("/system", headers={"Rack": "acme/staging"}).json()
        assert staging["name"] == "staging"
        assert len(client.get("/instances", headers=PROD).json()) == 3
        assert client.get("/auth", headers=PROD).json() == {"id": "ops@acme.test"}
        assert client.get("/system", headers={"Rack": "acme/nope"}).status_code == 404
        assert client.get("/system", headers={"Rack": "dev"}).status_code == 404
    assert sandbox.world.requests["production GET /system"] == 1


def test_account_key_roll_kills_the_old_key_at_once(sandbox: Sandbox) -> None:
    old = sandbox.info()["console"]["api_key"]
    with console_client(sandbox) as client:
        reply = client.post("/account/api-key/roll")
    new = reply.json()["api_key"]
    assert new != old and new.isalnum() and 40 <= len(new) <= 50
    with console_client(sandbox, key=old) as client:
        assert client.get("/auth").status_code == 401
    with console_client(sandbox, key=new) as client:
        assert client.get("/auth").status_code == 200
    assert sandbox.info()["console"]["api_key"] == new


def test_brokered_rack_key_roll_makes_the_rack_unavailable_until_done(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)  # the update waits until it was seen under way
    old = rack_key(sandbox)
    with console_client(sandbox) as client:
        reply = client.post("/racks/production/api-key/roll", headers=PROD)
        assert (reply.status_code, reply.text) == (200, "ok\n")
        during = client.get("/system", headers=PROD)
        assert during.status_code == 502 and "rejected the API key" in during.text
        step_until(
            sandbox.world, lambda: stack_status(sandbox) == "UPDATE_COMPLETE", what="the roll's end"
        )
        assert client.get("/system", headers=PROD).status_code == 200
    assert rack_key(sandbox) != old  # the rack now takes only the Console's new key
    assert sandbox.world.console.rack_keys["acme/production"].reveal() == rack_key(sandbox)


def test_relink_after_a_direct_roll(sandbox: Sandbox) -> None:
    new = generate_rack_key()
    sandbox.world.update_rack_parameters("production", {"Password": new})
    wait_until(lambda: stack_status(sandbox) == "UPDATE_COMPLETE")
    with console_client(sandbox) as client:
        assert client.get("/system", headers=PROD).status_code == 502
        wrong = client.post("/racks/production/relink", headers=PROD, data={"password": "bad"})
        assert wrong.status_code == 422 and "does not open" in wrong.text
        right = client.post(
            "/racks/production/relink", headers=PROD, data={"password": new.reveal()}
        )
        assert (right.status_code, right.text) == (200, "ok\n")
        assert client.get("/system", headers=PROD).status_code == 200


def test_session_switch_asks_for_a_session(sandbox: Sandbox) -> None:
    sandbox.world.console.session_required = True
    with console_client(sandbox) as client:
        reply = client.get("/racks")
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"] == 'Session path="/session" token="false"'


def test_console_down(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="console-down")
    with console_client(sandbox) as client:
        for path in ("/auth", "/racks", "/system"):
            reply = client.get(path, headers=PROD)
            assert (reply.status_code, reply.text) == (503, "console unavailable\n")
    # the racks themselves still answer
    from tests.sandbox.conftest import rack_client

    with rack_client(sandbox) as client:
        assert client.get("/auth").status_code == 200
