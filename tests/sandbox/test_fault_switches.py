"""The sandbox's fault switches for the reliability suite: resets, lost answers, forced
rollbacks, and the Console's down switch, each switched at run time and counted."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.sandbox.conftest import console_client, rack_client, stack_status, wait_until
from tui.sandbox.runtime import Sandbox


def test_a_reset_cuts_the_connection_without_an_answer(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(scenario="flaky", flaky_share=0.0, flaky_stall_seconds=0.05)
    assert sandbox.flaky is not None
    sandbox.flaky.resets = True
    sandbox.flaky.share = 0.999  # every draw below it is a fault; a third of them resets
    errors = 0
    with rack_client(sandbox, "dev") as client:
        for _ in range(30):
            try:
                client.get("/auth", timeout=2.0)
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                errors += 1
            except httpx.TimeoutException:
                pass
    assert sandbox.flaky.injected["reset"] == errors > 0
    sandbox.flaky.share = 0.0
    with rack_client(sandbox, "dev") as client:
        assert client.get("/auth").status_code == 200


def test_a_lost_answer_still_takes_effect(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="flaky", flaky_share=0.0, flaky_stall_seconds=0.05)
    assert sandbox.flaky is not None
    sandbox.flaky.share, sandbox.flaky.lost_answer_share = 0.999, 1.0
    with rack_client(sandbox, "dev") as client:
        reply = client.put("/system", data={"parameters": "InstanceType=t3.large"})
    assert reply.status_code in (502, 504)
    assert sandbox.flaky.injected["answer-lost"] == 1
    assert stack_status(sandbox, "dev") == "UPDATE_IN_PROGRESS"  # the update started anyway


def test_fail_next_update_rolls_back_one_update_only(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox()
    world = sandbox.world
    world.fail_next_update()
    world.update_rack_parameters("dev", {"Password": world.new_rack_key()})
    wait_until(lambda: stack_status(sandbox, "dev") == "UPDATE_ROLLBACK_COMPLETE")
    assert world.forced_rollbacks == 1
    world.update_rack_parameters("dev", {"InstanceType": "t3.large"})
    wait_until(lambda: stack_status(sandbox, "dev") == "UPDATE_COMPLETE")
    world.fail_next_update()
    world.fail_next_update(False)  # taken back before any update consumed it
    world.update_rack_parameters("dev", {"InstanceType": "t3.small"})
    wait_until(lambda: stack_status(sandbox, "dev") == "UPDATE_COMPLETE")
    assert world.forced_rollbacks == 1


@pytest.mark.parametrize("down_first", [True, False])
def test_the_console_goes_down_and_up_at_run_time(
    make_sandbox: Callable[..., Sandbox], down_first: bool
) -> None:
    sandbox = make_sandbox()
    with console_client(sandbox) as client:
        sandbox.console_api.down = down_first
        first = client.get("/auth").status_code
        sandbox.console_api.down = not down_first
        second = client.get("/auth").status_code
    assert (first, second) == ((503, 200) if down_first else (200, 503))
    assert sandbox.console_api.refused_while_down == 1
