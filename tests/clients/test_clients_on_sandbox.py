"""The rack and Console clients against the sandbox's real HTTPS servers: every call and failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stepping import step_until
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients import errors
from tui.clients.console import ConsoleClient
from tui.clients.console_actions import relink_rack, roll_account_key, roll_rack_key
from tui.clients.rack import RackClient
from tui.sandbox.certificate import make_certificate
from tui.sandbox.runtime import Sandbox

SPEED = 200.0


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        options.setdefault("speed", SPEED)
        options.setdefault("seed", 11)
        started.append(Sandbox(**options).start())
        return started[-1]

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


def _rack(sandbox: Sandbox, name: str) -> dict[str, Any]:
    return next(r for r in sandbox.info()["racks"] if r["name"] == name)


def direct(sandbox: Sandbox, name: str = "acme/production", **kw: Any) -> RackClient:
    rack = _rack(sandbox, name)
    return RackClient(rack["url"], [Secret(rack["api_key"])], **kw)


def console(sandbox: Sandbox, key: Secret | None = None) -> ConsoleClient:
    info = sandbox.info()["console"]
    return ConsoleClient(info["url"], key or Secret(info["api_key"]))


def test_every_rack_call_parses(sandbox: Sandbox) -> None:
    with direct(sandbox) as rack:
        assert rack.auth() == ""
        system = rack.system()
        assert system.name == "production" and system.status == "running"
        assert system.parameters["Password"] != _rack(sandbox, "acme/production")["api_key"]
        assert set(system.parameters["Password"]) == {"*"}
        assert system.key_name.startswith("production-keypair-")
        assert system.count == 3 and system.region == "us-east-1"
        assert system.rack_domain.startswith("rack.") and system.version
        instances = rack.instances()
        assert len(instances) == 3 and [i.id for i in instances] == sorted(i.id for i in instances)
        assert all(i.healthy and i.private_ip for i in instances)
        apps = rack.apps()
        assert apps and all(a.release for a in apps)
        counts = {}
        for app in apps:
            for service in rack.services(app.name):
                running = [
                    p
                    for p in rack.processes(app.name, service=service.name)
                    if p.status == "running"
                ]
                assert all(p.name == service.name and p.app == app.name for p in running)
                counts[f"{app.name}/{service.name}"] = len(running)
        assert sorted(counts.values())[:3] == [1, 2, 3]


def test_update_parameters_and_keyroll_start_stack_updates(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)
    world = sandbox.world
    with direct(sandbox, "acme/staging") as rack:
        old_key_name = rack.system().key_name
        rack.instance_keyroll()
        assert rack.system().status == "updating"
        step_until(world, lambda: rack.system().status == "running", what="the keyroll's end")
        assert rack.system().key_name != old_key_name
        rack.update_parameters({"InstanceType": "t3.medium"})
        step_until(world, lambda: rack.system().status == "running", what="the update's end")
        assert rack.system().type == "t3.medium"


def test_dual_key_follows_a_password_roll(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(stepped=True)  # every state is asked about before time moves on
    old = Secret(_rack(sandbox, "dev")["api_key"])
    new = generate_rack_key()
    with direct(sandbox, "dev") as rack:
        rack.update_parameters({"Password": new})
        rack.set_keys([new, old])
        answered = []

        def rested() -> bool:
            system = rack.system()
            answered.append(rack.answered_key)
            return system.status == "running"

        step_until(sandbox.world, rested, what="the password update's end")
        assert answered[0] == old  # the rack takes the new key only once the API is replaced
        assert answered[-1] == new
        rack.set_keys([old])
        with pytest.raises(errors.WrongKeyError):
            rack.auth()


def test_concurrent_update_is_the_racks_own_500_text(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)  # the keyroll's update stays in progress
    with direct(sandbox) as rack:
        rack.instance_keyroll()
        with pytest.raises(errors.ServerError) as caught:
            rack.update_parameters({"Password": generate_rack_key()})
    assert caught.value.status == 500
    assert "UPDATE_IN_PROGRESS state and can not be updated" in str(caught.value)


def test_no_op_update_is_reported(sandbox: Sandbox) -> None:
    with direct(sandbox) as rack:
        current = rack.system().parameters["InstanceType"]
        with pytest.raises(errors.ServerError, match="No updates are to be performed"):
            rack.update_parameters({"InstanceType": current})


def test_unknown_host_is_the_load_balancers_404(sandbox: Sandbox) -> None:
    rack = _rack(sandbox, "dev")
    port = rack["host"].split(":")[1]
    with RackClient(f"https://localhost:{port}", [Secret(rack["api_key"])]) as client:
        with pytest.raises(errors.UnknownHostError, match="RackDomain"):
            client.system()


def test_wrong_key_on_the_real_server(sandbox: Sandbox) -> None:
    rack = _rack(sandbox, "dev")
    with RackClient(rack["url"], [generate_rack_key()]) as client:
        with pytest.raises(errors.WrongKeyError, match="refused the API key"):
            client.auth()
    with RackClient(rack["url"], [generate_rack_key(), Secret(rack["api_key"])]) as client:
        client.auth()
        assert client.answered_key == Secret(rack["api_key"])


def test_pinned_certificate_accepts_its_rack_and_refuses_another(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    assert sandbox.certificate is not None
    with direct(sandbox, "dev", verify=str(sandbox.certificate.cert_path)) as rack:
        assert rack.system().name == "dev"
    other = make_certificate(tmp_path)
    with direct(sandbox, "dev", verify=str(other.cert_path)) as rack:
        with pytest.raises(errors.TlsError, match="is not the one pinned for it"):
            rack.system()
    with direct(sandbox, "dev", verify=True) as rack:  # system CAs: self-signed is refused
        with pytest.raises(errors.TlsError):
            rack.system()


def test_console_login_racks_and_proxied_calls(sandbox: Sandbox) -> None:
    with console(sandbox) as c:
        assert c.auth() == "ops@acme.test"
        names = {(r.full_name, r.status) for r in c.racks()}
        assert names == {("acme/production", "running"), ("acme/staging", "running")}
        proxied = c.rack("acme/production")
        assert proxied.system().name == "production"
        assert len(proxied.instances()) == 3
        with pytest.raises(errors.NotFoundError):
            c.rack("acme/nope").system()
    with console(sandbox, generate_rack_key()) as c:
        with pytest.raises(errors.WrongKeyError, match="account"):
            c.auth()


def test_console_session_challenge(sandbox: Sandbox) -> None:
    sandbox.world.console.session_required = True
    with console(sandbox) as c:
        with pytest.raises(errors.SessionRequiredError, match="convox login"):
            c.racks()


def test_console_down(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="console-down")
    with console(sandbox) as c:
        with pytest.raises(errors.ServerError, match="503"):
            c.auth()


def test_account_key_roll_returns_the_new_key_once(sandbox: Sandbox) -> None:
    with console(sandbox) as c:
        old = c.account_key
        new = roll_account_key(c)
        assert new != old and len(new) >= 40
        with pytest.raises(errors.WrongKeyError):
            c.auth()
        c.set_account_key(new)
        assert c.auth() == "ops@acme.test"


def test_console_rack_key_roll_and_relink(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(stepped=True)  # every state is asked about before time moves on
    world = sandbox.world
    with console(sandbox) as c:
        proxied = c.rack("acme/staging")
        roll_rack_key(c, "acme/staging")
        outage = 0

        def rested() -> bool:
            nonlocal outage
            try:
                return proxied.system(retries=0).status == "running"
            except errors.ServerError as error:
                assert error.status == 502
                outage += 1
                return False

        step_until(world, rested, what="the Console's roll's end")
        assert outage > 0  # the Console's own roll makes the rack unreachable while it runs
        # A bypass roll directly on the rack, then the Console is re-linked with the new key.
        staging = _rack(sandbox, "acme/staging")
        new = generate_rack_key()
        with RackClient(
            staging["url"], [Secret(sandbox.world.console.rack_keys["acme/staging"].reveal())]
        ) as rack:
            rack.update_parameters({"Password": new})
            rack.set_keys([new])
            step_until(world, lambda: _answers(rack), what="the bypass roll's end")
        with pytest.raises(errors.ServerError, match="re-link"):
            proxied.system()
        relink_rack(c, "acme/staging", new)
        assert proxied.system().status == "running"


def _answers(rack: RackClient) -> bool:
    try:
        return rack.system().status == "running"
    except errors.ClientError:
        return False


def test_flaky_rack_gives_typed_failures(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="flaky", flaky_share=1.0, flaky_stall_seconds=1.0)
    kinds = set()
    with direct(sandbox, "dev", timeout=0.3) as rack:
        for _ in range(12):
            try:
                rack.system(retries=0)
            except (errors.ServerError, errors.TimeoutError_) as error:
                kinds.add(type(error).__name__)
    assert kinds == {"ServerError", "TimeoutError_"}
