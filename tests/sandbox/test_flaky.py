"""Scenario `flaky`: a seeded share of rack requests get 502 or hang past the client timeout."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.sandbox.conftest import console_client, rack_client
from tui.sandbox.runtime import Sandbox


def test_flaky_rack_answers_502_or_stalls(make_sandbox: Callable[..., Sandbox]) -> None:
    # a stall outlasts the client's timeout, which a real answer stays far below even on a
    # loaded machine (it was 0.2 s: a slow answer then counted as a stall, not as ok)
    sandbox = make_sandbox(scenario="flaky", flaky_share=0.5, flaky_stall_seconds=1.5)
    outcomes: dict[str, int] = {"ok": 0, "502": 0, "timeout": 0}
    with rack_client(sandbox, timeout=1.0) as client:
        for _ in range(30):
            try:
                reply = client.get("/auth")
            except httpx.ReadTimeout:
                outcomes["timeout"] += 1
                continue
            if reply.status_code == 502:
                assert reply.text == "Bad Gateway"
                outcomes["502"] += 1
            else:
                assert reply.status_code == 200
                outcomes["ok"] += 1
    assert all(count > 0 for count in outcomes.values()), outcomes
    assert outcomes["ok"] >= 5


def test_flaky_is_off_in_other_scenarios(sandbox: Sandbox) -> None:
    with rack_client(sandbox, timeout=2) as client:
        assert all(client.get("/auth").status_code == 200 for _ in range(20))
    with console_client(sandbox) as client:
        assert client.get("/auth").status_code == 200
