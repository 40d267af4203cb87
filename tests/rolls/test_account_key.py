"""Account-key rolls against the in-process sandbox: the Console roll, a pasted key, resume."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import pytest

from tests.aws_support import scrub_aws_env
from tui.base.errors import BadInputError
from tui.base.secret import Secret
from tui.clients.console import ConsoleClient
from tui.clients.console_actions import roll_account_key
from tui.core.roll_targets import account_target, journal_for, target_for
from tui.core.rolls.account_key import AccountKeyRoll, check_pasted_key, is_account_name
from tui.core.rolls.events import Outcome, PhaseChanged, RollEvent
from tui.core.rolls.target import RollOptions, RollTarget
from tui.services.workspace import Workspace, open_workspace

FAST = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=3.0)


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    scrub_aws_env(monkeypatch, tmp_path)


@pytest.fixture
def ws() -> Iterator[Workspace]:
    with ExitStack() as stack:
        args = argparse.Namespace(sandbox=True, scenario="ok", speed=100.0)
        yield stack.enter_context(open_workspace(args))


def console_key(ws: Workspace) -> Secret:
    with ws.sandbox.world.locked():
        key: Secret = ws.sandbox.world.console.api_key
    return key


def cli_auth(ws: Workspace) -> dict[str, str]:
    return dict(json.loads((ws.cli.path / "auth").read_text()))


def run(target: RollTarget, **kw: Any) -> tuple[AccountKeyRoll, Any, list[RollEvent]]:
    events: list[RollEvent] = []
    roll = AccountKeyRoll(
        target, "console", options=kw.pop("options", FAST), emit=events.append, **kw
    )
    return roll, roll.run(), events


def test_roll_stores_verifies_promotes_and_rewrites_the_cli(ws: Workspace) -> None:
    target = account_target(ws)
    host = target.rack.host
    assert host is not None and is_account_name(target.name)
    old = ws.keystore.current(host)
    roll, summary, events = run(target)
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    new = ws.keystore.current(host)
    assert new is not None and new != old
    assert roll.new_key == new == console_key(ws)  # the dashboard reveals it once
    assert ws.keystore.pending(host) is None and old in ws.keystore.retired(host)
    assert cli_auth(ws)[host] == new.reveal()
    assert summary.old_key_refused is True
    steps = [s.name for s in journal_for(ws).get(summary.roll_id).steps]
    assert steps == ["planned", "update-requested", "key-stored", "verifying", "outcome"]
    phases = [e.phase.value for e in events if isinstance(e, PhaseChanged)]
    assert phases == steps[:-1]
    text = json.dumps(summary.to_json()) + repr(roll) + repr(events)
    assert new.reveal() not in text and old is not None and old.reveal() not in text


def test_the_cli_is_left_alone_when_settings_say_so(ws: Workspace) -> None:
    before = (ws.cli.path / "auth").read_bytes()
    _roll, summary, _ = run(account_target(ws), options=replace(FAST, write_convox_cli=False))
    assert summary.outcome is Outcome.SUCCEEDED
    assert (ws.cli.path / "auth").read_bytes() == before
    assert any("left the Convox CLI's files alone" in m for m in summary.messages)


def test_a_pasted_key_is_checked_then_saved_the_same_way(ws: Workspace) -> None:
    target = account_target(ws)
    host, url = target.rack.host, ws.settings.console.base_url
    assert host is not None
    held = ws.keystore.current(host)
    with ConsoleClient(url, console_key(ws)) as console:
        rolled = roll_account_key(console)  # "I rolled it in the web UI"
    with pytest.raises(BadInputError, match="refused the pasted key"):
        check_pasted_key(url, Secret("NotTheKey123"), verify=False)
    _r, refused, _ = run(target, pasted=Secret("NotTheKey123"))
    assert refused.outcome is Outcome.FAILED and refused.roll_id == ""  # nothing journaled
    assert ws.keystore.current(host) == held and ws.keystore.pending(host) is None
    assert check_pasted_key(url, rolled, verify=False) == "ops@acme.test"
    roll, summary, _ = run(target, pasted=rolled)
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    assert ws.keystore.current(host) == rolled and cli_auth(ws)[host] == rolled.reveal()
    assert summary.old_key_refused is True
    assert roll.new_key is None  # the user has the key: nothing to reveal
    steps = [s.name for s in journal_for(ws).get(summary.roll_id).steps]
    assert steps == ["planned", "key-stored", "verifying", "outcome"]


def test_a_pending_account_key_refuses_a_new_roll(ws: Workspace) -> None:
    target = account_target(ws)
    assert target.rack.host is not None
    ws.keystore.add_pending(target.rack.host, Secret("LeftByACrash123"))
    before = console_key(ws)
    _roll, summary, _ = run(target)
    assert summary.outcome is Outcome.REFUSED
    assert "keyroll resume" in summary.messages[-1]
    assert console_key(ws) == before


def test_target_for_resolves_the_journal_name_of_an_account_roll(ws: Workspace) -> None:
    target = account_target(ws)
    again = target_for(ws, target.name)
    assert again.rack == target.rack


# resume: each journal step as a crash would leave it ---------------------------------------


def crashed_after(ws: Workspace, step: str) -> tuple[RollTarget, Any]:
    """Take the roll's own steps up to `step`, as a process killed right after it would."""
    target = account_target(ws)
    host = target.rack.host
    assert host is not None
    journal = journal_for(ws)
    old = ws.keystore.current(host)
    record = journal.begin("account-key", target.name, "console", host=host, old_key=old)
    if step == "planned":
        return target, record
    record = journal.step(record.roll_id, "update-requested")
    if step == "update-requested":
        return target, record
    with ConsoleClient(ws.settings.console.base_url, console_key(ws)) as console:
        new = roll_account_key(console)
    ws.keystore.add_pending(host, new)
    record = journal.step(record.roll_id, "key-stored", new_key=new)
    if step == "verifying":
        record = journal.step(record.roll_id, "verifying")
    return target, record


def resume(target: RollTarget, record: Any, answer: bool) -> tuple[Any, list[str]]:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    roll = AccountKeyRoll(target, "console", options=FAST)
    return roll.run_resumed(record, confirm), asked


@pytest.mark.parametrize("step", ["planned", "update-requested", "key-stored", "verifying"])
def test_resume_finishes_the_roll_from_every_step(ws: Workspace, step: str) -> None:
    target, record = crashed_after(ws, step)
    host = target.rack.host
    assert host is not None
    summary, asked = resume(target, record, True)
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    assert bool(asked) == (step in ("planned", "update-requested"))
    current = ws.keystore.current(host)
    assert current == console_key(ws) and ws.keystore.pending(host) is None
    assert current is not None and cli_auth(ws)[host] == current.reveal()
    assert journal_for(ws).get(record.roll_id).outcome == "succeeded"


def test_resume_asks_and_a_no_leaves_everything_as_it_was(ws: Workspace) -> None:
    target, record = crashed_after(ws, "update-requested")
    before = console_key(ws)
    summary, asked = resume(target, record, False)
    assert asked and summary.outcome is Outcome.FAILED
    assert console_key(ws) == before
    assert journal_for(ws).get(record.roll_id).outcome == "failed"


def test_resume_says_how_to_recover_a_key_the_console_gave_but_a_crash_lost(
    ws: Workspace,
) -> None:
    target, record = crashed_after(ws, "update-requested")
    with ConsoleClient(ws.settings.console.base_url, console_key(ws)) as console:
        roll_account_key(console)  # the process died between the reply and the keystore
    summary, asked = resume(target, record, True)
    assert summary.outcome is Outcome.FAILED and not asked
    assert "--value-from-stdin" in summary.messages[-1]
