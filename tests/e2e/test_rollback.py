"""Scenario `rollback`: every update fails and CloudFormation rolls it back; the old key stays."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("rollback", 20.0)


def test_direct_rack_key_roll_rolls_back_and_keeps_the_old_key(served: Served) -> None:
    dev = served.rack("dev")
    result = served.keyroll("roll", "rack-key", "dev", "--wait", "--json")
    summary = result.json
    assert result.code == 1, result
    assert summary["outcome"] == "rolled_back"
    assert any("old key stays current" in m for m in summary["messages"]), summary
    # the old key is still the one everything uses; the new one is retired, not lost
    host = dev["host"]
    assert served.current_key(host) == dev["api_key"] == served.cli_key(host)
    assert served.keystore.pending(host) is None
    retired = served.keystore.retired(host)
    assert len(retired) == 1 and retired[0].reveal() != dev["api_key"]
    assert http_status(dev["url"], "/auth", dev["api_key"]) == 200
    assert http_status(dev["url"], "/auth", retired[0].reveal()) == 401


def test_text_output_names_the_rollback_and_what_to_do(served: Served) -> None:
    result = served.keyroll("roll", "rack-key", "dev", "--wait")
    assert result.code == 1, result
    lines = result.stdout.splitlines()
    assert any(" dev rollback " in line or "UPDATE_ROLLBACK" in line for line in lines), result
    assert lines[-1].startswith("rolled_back: rack-key roll of dev via rack")
    assert "the old key stays in use" in lines[-1]


def test_console_rack_key_roll_rolls_back(served: Served) -> None:
    console = served.console
    result = served.keyroll("roll", "rack-key", "staging", "--wait", "--json")
    assert result.code == 1, result
    assert result.json["outcome"] == "rolled_back"
    assert served.cli_key(console["host"]) == console["api_key"]
    staging = served.rack("acme/staging")
    assert http_status(staging["url"], "/auth", staging["api_key"]) == 200  # the rack kept it


def test_instance_key_roll_rolls_back_and_says_so(served: Served) -> None:
    dev = served.rack("dev")
    with httpx.Client(verify=False, timeout=5) as client:
        before = client.get(dev["url"] + "/system", auth=("convox", dev["api_key"])).json()
    result = served.keyroll("roll", "instance-key", "dev", "--force", "--wait", "--json")
    summary = result.json
    assert result.code == 1, result
    assert summary["outcome"] == "rolled_back"
    said = summary["messages"] + summary["warnings"]
    assert any("SSH key mismatch" in m for m in said), summary
    assert any("keyroll roll instance-key dev" in m for m in said), summary  # the retry
    if summary["watched_with"] == "cloudformation":
        assert summary["failure_reasons"], summary
    with httpx.Client(verify=False, timeout=5) as client:
        after = client.get(dev["url"] + "/system", auth=("convox", dev["api_key"])).json()
    assert after["parameters"]["Key"] == before["parameters"]["Key"]
    assert served.cli_key(dev["host"]) == dev["api_key"]
