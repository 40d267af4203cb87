"""Pre-flight refusals through the headless CLI: a stack that is updating, a 1-process service.

The sandbox runs at real speed here, so an update started by the test is still under way
when keyroll looks at the rack.
"""

from __future__ import annotations

import httpx

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("ok", 1.0)


def _start_update(url: str, key: str) -> None:
    """`convox rack params set InstanceType=...`: a rolling replacement that takes minutes."""
    with httpx.Client(verify=False, timeout=5) as client:
        reply = client.put(
            url + "/system",
            auth=("convox", key),
            data={"parameters": "InstanceType=t3.medium"},
        )
    assert reply.status_code == 200, reply.text


def _updating(url: str, key: str) -> None:
    """The rack's stack is updating: started here unless an earlier test's update still runs
    (at speed 1 a rolling replacement takes about a minute, far longer than these tests)."""
    with httpx.Client(verify=False, timeout=5) as client:
        status = client.get(url + "/system", auth=("convox", key)).json()["status"]
    if status != "updating":
        _start_update(url, key)


def _key_param(url: str, key: str) -> str:
    with httpx.Client(verify=False, timeout=5) as client:
        reply = client.get(url + "/system", auth=("convox", key))
    assert reply.json()["status"] in ("running", "updating"), reply.text
    return str(reply.json()["parameters"]["Key"])


def test_rack_key_roll_refused_while_the_stack_updates(served: Served) -> None:
    dev, console = served.rack("dev"), served.console
    production = served.rack("acme/production")
    _start_update(dev["url"], dev["api_key"])
    _start_update(production["url"], production["api_key"])
    for rack, via in (("dev", "rack"), ("production", "console")):
        result = served.keyroll("roll", "rack-key", rack, "--via", via, "--wait", "--json")
        assert result.code == 3, result
        summary = result.json
        assert summary["outcome"] == "refused"
        assert any("is updating" in m for m in summary["messages"]), summary
    # nothing changed: no pending key, the CLI and the racks keep their keys
    assert served.keystore.pending(dev["host"]) is None
    assert served.current_key(dev["host"]) == dev["api_key"] == served.cli_key(dev["host"])
    assert http_status(dev["url"], "/auth", dev["api_key"]) == 200
    account = served.cli_key(console["host"])
    assert account == console["api_key"]
    assert http_status(production["url"], "/auth", production["api_key"]) == 200
    proxied = {"Rack": "acme/production"}
    assert http_status(console["url"], "/system", account, headers=proxied) == 200


def test_instance_key_roll_refused_while_the_stack_updates_even_forced(served: Served) -> None:
    production = served.rack("acme/production")
    key = production["api_key"]
    _updating(production["url"], key)
    before = _key_param(production["url"], key)
    result = served.keyroll("roll", "instance-key", "production", "--force", "--wait", "--json")
    assert result.code == 3, result
    assert result.json["outcome"] == "refused"
    assert any("is updating" in m for m in result.json["messages"]), result
    assert _key_param(production["url"], key) == before


def test_instance_key_roll_refused_for_a_service_with_one_process(served: Served) -> None:
    staging = served.rack("acme/staging")
    key = staging["api_key"]
    before = _key_param(staging["url"], key)
    result = served.keyroll("roll", "instance-key", "staging", "--wait")
    assert result.code == 3, result
    last = result.stdout.splitlines()[-1]
    assert last.startswith("refused: instance-key roll of acme/staging"), result
    assert "fewer than 3 processes" in result.stdout and "--force" in result.stdout
    assert "web/web (1)" in result.stdout
    assert _key_param(staging["url"], key) == before
    names = served.keystore.private_key_names("acme/staging")
    assert names == []
