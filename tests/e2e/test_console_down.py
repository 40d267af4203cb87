"""Scenario `console-down`: the Console answers 503; rolls through it are refused before
anything changes (exit 3), and the `cloudformation` route still rolls a Console rack's key (the
re-link then waits for the Console).
"""

from __future__ import annotations

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("console-down", 20.0)


def test_account_key_roll_is_refused_cleanly(served: Served) -> None:
    console = served.console
    result = served.keyroll("roll", "account-key", "--json")
    summary = result.json
    assert result.code == 3, result
    assert summary["outcome"] == "refused"
    assert any("503" in m for m in summary["messages"]), summary
    assert summary["roll_id"] in ("", None), summary  # refused before the journal's plan
    assert served.current_key(console["host"]) == console["api_key"]
    assert served.cli_key(console["host"]) == console["api_key"]
    assert served.keystore.pending(console["host"]) is None


def test_console_route_is_refused_cleanly_and_names_the_bypass(served: Served) -> None:
    production = served.rack("acme/production")
    result = served.keyroll("roll", "rack-key", "production", "--wait")
    assert result.code == 3, result
    last = result.stdout.splitlines()[-1]
    assert last.startswith("refused: rack-key roll of acme/production via console"), result
    assert "503" in last and "--via cloudformation" in last
    assert http_status(production["url"], "/auth", production["api_key"]) == 200


def test_the_issues_repro_is_refused_with_exit_3(served: Served) -> None:
    """`keyroll --scenario console-down roll rack-key acme/staging --wait`, as a script sees it."""
    staging = served.rack("acme/staging")
    result = served.keyroll("roll", "rack-key", "acme/staging", "--json")
    assert result.code == 3, result
    assert result.json["outcome"] == "refused"
    assert http_status(staging["url"], "/auth", staging["api_key"]) == 200
    history = served.keyroll("history", "acme/staging", "--json")
    assert history.code == 0 and history.json["rolls"] == []  # nothing began: no record


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
