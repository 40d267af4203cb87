"""Scenario `old-key-lingers`: the rack's API keeps accepting the old key after the roll."""

from __future__ import annotations

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("old-key-lingers", 20.0)


def test_the_roll_succeeds_and_warns_that_the_old_key_still_works(served: Served) -> None:
    dev = served.rack("dev")
    result = served.keyroll("roll", "rack-key", "dev", "--wait", "--json")
    summary = result.json
    assert result.code == 0, result
    assert summary["outcome"] == "succeeded"
    assert summary["old_key_refused"] is False
    assert any("still accepts the old key" in w for w in summary["warnings"]), summary
    new = served.current_key(dev["host"])
    assert new != dev["api_key"] and served.cli_key(dev["host"]) == new
    assert http_status(dev["url"], "/auth", new) == 200
    assert http_status(dev["url"], "/auth", dev["api_key"]) == 200  # what the warning is about


def test_text_output_ends_on_the_warning(served: Served) -> None:
    result = served.keyroll("roll", "rack-key", "dev", "--wait")
    assert result.code == 0, result
    assert any(
        line.split(" ", 1)[1].startswith("warning: ") for line in result.stdout.splitlines()[:-1]
    )
    last = result.stdout.splitlines()[-1]
    assert "old key STILL ACCEPTED" in last and "read the warning(s) above" in last
