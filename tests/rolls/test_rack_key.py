"""Rack-key rolls against the in-process sandbox: every route's outcome, keys and files."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.aws_support import scrub_aws_env
from tests.conftest import record_figure
from tests.stepping import stepping
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.core.roll_targets import target_for
from tui.core.rolls.events import Outcome, ProbeSeen, RollEvent
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.resume import resume_all
from tui.core.rolls.target import RollOptions
from tui.sandbox.runtime import Sandbox
from tui.services.workspace import Workspace, open_workspace, sandbox_workspace

FAST = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=5.0)


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    scrub_aws_env(monkeypatch, tmp_path)


@pytest.fixture
def open_ws() -> Iterator[Callable[..., Workspace]]:
    with ExitStack() as stack:

        def make(scenario: str = "ok", speed: float = 100.0, *, stepped: bool = False) -> Workspace:
            if stepped:  # the product's sandbox workspace, on a world the test steps
                sandbox = Sandbox(scenario=scenario, stepped=True)
                return stack.enter_context(sandbox_workspace(sandbox))
            args = argparse.Namespace(sandbox=True, scenario=scenario, speed=speed)
            return stack.enter_context(open_workspace(args))

        yield make


def probes_seen(events: list[RollEvent]) -> Callable[[], int]:
    """How many probes a roll reported so far (a poll counter for `stepping`)."""
    return lambda: sum(isinstance(e, ProbeSeen) for e in events)


def world_accepts(ws: Workspace, rack: str, key: Secret) -> bool:
    with ws.sandbox.world.locked():
        return bool(ws.sandbox.world.rack(rack).accepts(key.reveal()))


def cli_auth(ws: Workspace) -> dict[str, str]:
    return dict(json.loads((ws.cli.path / "auth").read_text()))


def roll(ws: Workspace, rack: str, route: str, **kw: Any) -> tuple[Any, list[RollEvent]]:
    events: list[RollEvent] = kw.pop("events", [])
    options = kw.pop("options", FAST)
    target = target_for(ws, rack)
    summary = RackKeyRoll(target, route, options=options, emit=events.append, **kw).run()
    return summary, events


def test_direct_roll_keeps_the_rack_available_and_leaves_every_file_right(
    open_ws: Callable[..., Workspace],
) -> None:
    ws = open_ws(stepped=True)
    host = ws.sandbox.rack_host("dev")
    old = ws.keystore.current(host)
    assert old is not None
    events: list[RollEvent] = []
    # the world moves a step only after two more probes: the probe sees the whole update
    with stepping(ws.sandbox.world, polls=probes_seen(events), polled_by="the availability probe"):
        summary, _ = roll(ws, "dev", "rack", events=events)
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    new = ws.keystore.current(host)
    assert new is not None and new != old and ws.keystore.pending(host) is None
    assert old in ws.keystore.retired(host)
    assert world_accepts(ws, "dev", new) and not world_accepts(ws, "dev", old)
    assert cli_auth(ws)[host] == new.reveal()
    assert summary.old_key_refused is True
    probes = [e for e in events if isinstance(e, ProbeSeen)]
    assert len(probes) >= 5 and all(p.up for p in probes)
    assert summary.downtime_s == 0.0
    record_figure(
        f"rack-key roll of dev, dual-key on: downtime {summary.downtime_s:.2f} s "
        f"over {summary.probes} probes"
    )
    record = ws_journal(ws).get(summary.roll_id)
    assert [s.name for s in record.steps] == [
        "planned",
        "key-stored",
        "update-requested",
        "watching",
        "verifying",
        "outcome",
    ]
    text = json.dumps(summary.to_json())
    assert new.reveal() not in text and old.reveal() not in text


def test_without_dual_key_the_probe_measures_the_documented_outage(
    open_ws: Callable[..., Workspace],
) -> None:
    ws = open_ws(speed=10.0)
    options = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=5.0, dual_key=False)
    summary, _ = roll(ws, "dev", "rack", options=options)
    assert summary.outcome is Outcome.SUCCEEDED
    assert summary.downtime_s > 0.3, summary.to_json()
    record_figure(
        f"rack-key roll of dev, dual-key off: downtime {summary.downtime_s:.2f} s "
        f"over {summary.probes} probes (sandbox speed 10)"
    )
    assert summary.longest_outage_s <= summary.downtime_s


def test_rollback_keeps_the_old_key(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws(scenario="rollback")
    host = ws.sandbox.rack_host("dev")
    old = ws.keystore.current(host)
    auth_before = (ws.cli.path / "auth").read_bytes()
    summary, _ = roll(ws, "dev", "rack")
    assert summary.outcome is Outcome.ROLLED_BACK
    assert ws.keystore.current(host) == old and ws.keystore.pending(host) is None
    assert old is not None and world_accepts(ws, "dev", old)
    assert (ws.cli.path / "auth").read_bytes() == auth_before
    assert any("old key stays current" in m for m in summary.messages)


def test_old_key_lingers_is_a_warning_with_what_to_do(
    open_ws: Callable[..., Workspace],
) -> None:
    ws = open_ws(scenario="old-key-lingers")
    summary, _ = roll(ws, "dev", "rack")
    assert summary.outcome is Outcome.SUCCEEDED
    assert summary.old_key_refused is False
    assert any("still accepts the old key" in w for w in summary.warnings)


def test_own_key_is_used(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws()
    mine = Secret("MyOwnKey123")
    summary, _ = roll(ws, "dev", "rack", own_key=mine)
    assert summary.outcome is Outcome.SUCCEEDED
    assert world_accepts(ws, "dev", mine)


def test_refused_while_the_stack_updates(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws(stepped=True)  # the update stays in progress
    ws.sandbox.world.update_rack_parameters("dev", {"InstanceType": "t3.large"})
    summary, _ = roll(ws, "dev", "rack")
    assert summary.outcome is Outcome.REFUSED
    assert "is updating" in summary.messages[-1]
    assert summary.roll_id == ""  # refused before anything was planned


def test_the_rack_route_refuses_a_console_rack(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws()
    summary, _ = roll(ws, "acme/staging", "rack")
    assert summary.outcome is Outcome.REFUSED
    assert "--via console" in summary.messages[-1]


def test_console_route_rolls_a_key_nobody_sees(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws(stepped=True)
    before = dict(ws.sandbox.world.console.rack_keys)
    events: list[RollEvent] = []
    probes = probes_seen(events)
    # the world moves a step only after two more probes: the probe sees the outage
    with stepping(ws.sandbox.world, polls=probes, polled_by="the availability probe"):
        summary, _ = roll(ws, "acme/staging", "console", events=events)
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    after = ws.sandbox.world.console.rack_keys["acme/staging"]
    assert after != before["acme/staging"]
    assert world_accepts(ws, "staging", after)
    assert summary.downtime_s > 0  # the Console's own roll: unavailable, as the docs say


def test_two_rolls_of_one_rack_at_once_one_refuses(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws(stepped=True)  # the first roll's update waits for the world to be stepped
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(roll(ws, "dev", "rack")[0]))
    first.start()
    while not list((ws.state_dir / "rolls").glob("*.json")):
        threading.Event().wait(0.01)
    second, _ = roll(ws, "dev", "rack")
    with stepping(ws.sandbox.world, "dev GET /system", polled_by="the first roll"):
        first.join()
    assert second.outcome is Outcome.REFUSED
    assert (
        "another keyroll process" in second.messages[-1]
        or "unfinished roll" in (second.messages[-1])
    )
    assert results[0].outcome is Outcome.SUCCEEDED


def test_detached_roll_is_finished_by_resume(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws(speed=20.0)
    host = ws.sandbox.rack_host("dev")
    options = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=5.0, wait=False)
    summary, _ = roll(ws, "dev", "rack", options=options)
    assert summary.outcome is None and ws.keystore.pending(host) is not None
    journal = ws_journal(ws)
    assert [r.roll_id for r in journal.unfinished()] == [summary.roll_id]
    done = list(
        resume_all(
            journal,
            lambda record: target_for(ws, record.rack),
            options=lambda _t: FAST,
            confirm=lambda _q: True,
        )
    )
    assert len(done) == 1 and getattr(done[0], "outcome", None) is Outcome.SUCCEEDED
    new = ws.keystore.current(host)
    assert new is not None and world_accepts(ws, "dev", new)
    assert cli_auth(ws)[host] == new.reveal()
    assert journal.unfinished() == []


def test_resume_asks_before_requesting_a_stored_key(open_ws: Callable[..., Workspace]) -> None:
    ws = open_ws()
    host = ws.sandbox.rack_host("dev")
    old = ws.keystore.current(host)
    journal = ws_journal(ws)
    record = journal.begin("rack-key", "dev", "rack", host=host, old_key=old)
    new = generate_rack_key()
    ws.keystore.add_pending(host, new)
    journal.step(record.roll_id, "key-stored", new_key=new)
    questions: list[str] = []
    done = list(
        resume_all(
            journal,
            lambda record: target_for(ws, record.rack),
            options=lambda _t: FAST,
            confirm=lambda q: questions.append(q) or False,
        )
    )
    assert questions and "never requested the update" in questions[0]
    assert getattr(done[0], "outcome", None) is Outcome.FAILED
    assert ws.keystore.current(host) == old and ws.keystore.pending(host) is None
    assert new in ws.keystore.retired(host)  # retired, never dropped


def ws_journal(ws: Workspace) -> Any:
    from tui.core.roll_targets import journal_for

    return journal_for(ws)
