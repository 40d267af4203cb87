"""Scenario `throttle`: AWS throttles the watch's calls; the roll backs off, says so, finishes."""

from __future__ import annotations

from tests.e2e.conftest import Served, http_status, scenario_fixture

served = scenario_fixture("throttle", 20.0)


def test_cloudformation_watch_backs_off_and_finishes(served: Served) -> None:
    production = served.rack("acme/production")
    result = served.keyroll("roll", "rack-key", "production", "--via", "cloudformation", "--wait")
    assert result.code == 0, result
    assert "before asking AWS again" in result.stdout, result
    assert result.stdout.splitlines()[-1].startswith("succeeded: rack-key roll of acme/production")
    new = served.current_key(production["host"])
    assert http_status(production["url"], "/auth", new) == 200
