"""The stepped clock: a world that moves only when a test advances it, and the stepping
helpers that make the code under test see every state before time moves on."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.sandbox.conftest import rack_client, stack_status
from tests.stepping import requests_of, step, step_until, stepping
from tui.base.key_rules import generate_rack_key
from tui.sandbox.clock import SteppedClock
from tui.sandbox.default_world import build_default_world
from tui.sandbox.runtime import Sandbox
from tui.sandbox.world import World, WorldOptions


def test_a_stepped_clock_stands_still_until_advanced() -> None:
    clock = SteppedClock()
    assert clock.now() == clock.now() == clock.start
    moment = clock.start + timedelta(seconds=5)
    assert clock.monotonic_at(moment) == math.inf
    assert clock.real_seconds(1.0) == math.inf and clock.real_seconds(0.0) == 0.0
    assert clock.advance(2.5) == clock.start + timedelta(seconds=2.5)
    assert clock.advance_to(clock.start) == clock.start + timedelta(seconds=2.5)  # never back
    assert clock.advance_to(moment) == moment and clock.elapsed == 5.0
    assert clock.monotonic_at(moment) < math.inf
    with pytest.raises(ValueError, match="forward only"):
        clock.advance(-1.0)


def test_wait_until_wakes_on_the_advance_that_reaches_the_moment() -> None:
    clock = SteppedClock()
    moment = clock.start + timedelta(seconds=3)
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(clock.wait_until(moment, 60)))
    waiter.start()
    clock.advance(1.0)
    clock.advance(2.0)
    waiter.join(60)
    assert woke == [True]
    assert clock.wait_until(moment, 0) is True  # already past: no wait


def test_a_stepped_world_applies_update_steps_only_as_it_is_advanced() -> None:
    world = build_default_world(WorldOptions(stepped=True, seed=3))
    world.update_rack_parameters("production", {"Password": generate_rack_key()})
    update = world.rack("production").update
    assert update is not None and not update.done
    applied = update.applied
    with world.locked() as now:
        assert now == world.clock.start and update.applied == applied
    due = world.next_due()
    assert due is not None and due > world.clock.now()
    world.advance_to(due)
    assert update.applied > applied
    while world.next_due() is not None:
        step(world)
    assert update.done and world.rack("production").stack.status == "UPDATE_COMPLETE"
    with pytest.raises(TypeError, match="stepped=True"):
        World(WorldOptions(seed=3)).advance(1.0)


def test_step_until_sees_every_rack_status_and_names_what_never_happened(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(scenario="rollback", stepped=True)
    with rack_client(sandbox) as client:
        client.post("/instances/keyroll")
        statuses: list[str] = []

        def rested() -> bool:
            status = client.get("/system").json()["status"]
            if not statuses or statuses[-1] != status:
                statuses.append(status)
            return stack_status(sandbox) == "UPDATE_ROLLBACK_COMPLETE"

        step_until(sandbox.world, rested)
    assert statuses == ["updating", "rollback", "running"]
    with pytest.raises(AssertionError, match=r"the impossible did not happen in 3 steps"):
        step_until(sandbox.world, lambda: False, what="the impossible", max_steps=3)


def test_the_background_stepper_waits_for_the_poller_and_reports_a_silent_one(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)
    world = sandbox.world
    polls = requests_of(world, "production GET /system")
    with rack_client(sandbox) as client:
        client.put("/system", data={"parameters": "InstanceType=t3.medium"})
        statuses: list[str] = []
        with stepping(world, "production GET /system") as stepper:
            for _ in range(1000):  # a bound, reached only if the stepper is broken
                statuses.append(client.get("/system").json()["status"])
                if statuses[-1] == "running":
                    break
        assert statuses[0] == "updating" and statuses[-1] == "running"
        # two polls a step: the world never moved without this loop asking twice
        assert stepper.steps <= polls() // 2
    with pytest.raises(AssertionError, match=r"nobody \(dev GET /system\) made no poll for"):
        with stepping(world, "dev GET /system", polled_by="nobody", poll_timeout_s=0.2) as idle:
            assert idle.ended()  # it gives up by itself, without waiting for the block
