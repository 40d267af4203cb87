"""Scenario `console-down`: the Console answers 503; rolls through it fail cleanly, and the
`cloudformation` route still rolls a Console rack's key (the re-link then waits for the Console).
"""

from __future__ import annotations

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("console-down", 20.0)


def test_account_key_roll_fails_cleanly(served: Served) -> None:
    console = served.console
    result = served.keyroll("roll", "account-key", "--json")
    summary = result.json
    assert result.code == 1, result
    assert summary["outcome"] == "failed"
    assert any("503" in m for m in summary["messages"]), summary
    assert served.current_key(console["host"]) == console["api_key"]
    assert served.cli_key(console["host"]) == console["api_key"]
    assert served.keystore.pending(console["host"]) is None


def test_console_route_fails_cleanly_and_names_the_bypass(served: Served) -> None:
    production = served.rack("acme/production")
    result = served.keyroll("roll", "rack-key", "production", "--wait")
    assert result.code == 1, result
    last = result.stdout.splitlines()[-1]
    assert last.startswith("failed: rack-key roll of acme/production via console"), result
    assert "503" in last
    assert http_status(production["url"], "/auth", production["api_key"]) == 200


def test_cloudformation_route_still_rolls_a_console_rack(served: Served) -> None:
    production = served.rack("acme/production")
    result = served.keyroll(
        "roll", "rack-key", "production", "--via", "cloudformation", "--wait", "--json"
    )
    summary = result.json
    assert result.code == 0, result
    assert summary["outcome"] == "succeeded"
    assert any("keyroll relink" in w for w in summary["warnings"]), summary
    new = served.current_key(production["host"])
    assert http_status(production["url"], "/auth", new) == 200
    assert http_status(production["url"], "/auth", production["api_key"]) == 401
    relink = served.keyroll("relink", "production")
    assert relink.code == 1, relink  # the Console is still down: one sentence, no traceback
    assert relink.stderr.startswith("keyroll: ") and "503" in relink.stderr
    assert served.current_key(production["host"]) == new  # the key is kept for a later re-link
