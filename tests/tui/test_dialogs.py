"""The roll dialogs, driven with Pilot: what each offers, what it returns, what stays masked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, SelectionList

from tests.tui.roll_harness import (
    click,
    isolate_aws,
    plain,
    sandbox_workspaces,
    screen_text,
    wait_until,
)
from tui.base.secret import Secret
from tui.clients.key_pairs import create_key_pair
from tui.clients.models import Instance
from tui.core.inventory import RackEntry
from tui.core.key_pair_cleanup import key_pair_report
from tui.core.preflight import PreflightReport, ServiceRisk
from tui.core.roll_targets import target_for
from tui.core.settings import RackSettings
from tui.screens.dialogs import (
    ConfirmDialog,
    InstanceKeyRequest,
    InstanceKeyrollDialog,
    KeyPairsDialog,
    KeyRevealDialog,
    PasteKeyDialog,
    RackKeyRequest,
    RackKeyRollDialog,
)
from tui.services.workspace import Workspace

__all__ = ["sandbox_workspaces"]  # the fixture is used by name

SIZE = (120, 40)
PRODUCTION = RackEntry(
    "acme/production",
    "console",
    "console.acme.test",
    ("console",),
    settings=RackSettings("production", console="acme", production=True),
)
DEV = RackEntry("dev", "direct", "rack.dev.test", ("convox-cli",))


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)


class DialogHost(App[None]):
    """Pushes one dialog and records what it returns."""

    def __init__(self, dialog: Screen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def report(**kw: Any) -> PreflightReport:
    base = PreflightReport(
        rack="acme/production",
        status="running",
        key_name="production-keypair-0001",
        services_checked=4,
        instances=[Instance(id=f"i-0{n}", status="active") for n in range(3)],
    )
    for name, value in kw.items():
        setattr(base, name, value)
    return base


async def test_confirm_without_typing_returns_true_or_false() -> None:
    app = DialogHost(ConfirmDialog("Delete it?"))
    async with app.run_test(size=SIZE) as pilot:
        assert "Delete it?" in screen_text(app)
        await click(pilot, "#confirm-yes")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [True]
    app = DialogHost(ConfirmDialog("Delete it?"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        assert app.results == [False]


async def test_typed_confirmation_needs_the_exact_name() -> None:
    app = DialogHost(ConfirmDialog("Roll production?", typed="acme/production"))
    async with app.run_test(size=SIZE) as pilot:
        yes = app.screen.query_one("#confirm-yes", Button)
        assert yes.disabled
        await pilot.press(*"acme/prod", "enter")
        assert yes.disabled and app.results == []
        await pilot.press(*"uction")
        assert not yes.disabled
        await pilot.press("enter")
        assert app.results == [True]


async def test_rack_key_dialog_for_a_direct_rack_takes_a_valid_own_key_masked() -> None:
    app = DialogHost(RackKeyRollDialog(DEV))
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "rack: keyroll sets the key" in text and "console:" not in text
        assert "Dual-key" in plain(app.screen.query_one("#rack-key-plan"))
        await click(pilot, "#rack-key-source-own")
        field = app.screen.query_one("#rack-key-own", Input)
        assert not field.disabled and field.password
        field.focus()
        await pilot.press(*"bad key!")
        await pilot.press("enter")
        error = plain(app.screen.query_one("#rack-key-error"))
        assert "letters A-Z, a-z and digits 0-9" in error and app.results == []
        field.value = ""
        await pilot.press(*"MyOwnKey123")
        assert "MyOwnKey123" not in screen_text(app)  # masked as it is typed
        await click(pilot, "#rack-key-start")
        assert isinstance(app.screen, ConfirmDialog)  # 11 characters: short, asked first
        await click(pilot, "#confirm-yes")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [RackKeyRequest("rack", Secret("MyOwnKey123"), False)]
        assert "MyOwnKey123" not in repr(app.results)


async def test_rack_key_dialog_for_a_production_console_rack() -> None:
    app = DialogHost(RackKeyRollDialog(PRODUCTION))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        assert "PRODUCTION" in screen_text(app)
        assert not dialog.query_one("#rack-key-own-box").display  # the Console makes the key
        assert "The Console makes a random key" in plain(dialog.query_one("#rack-key-plan"))
        start = dialog.query_one("#rack-key-start", Button)
        assert start.disabled
        await click(pilot, "#rack-key-route-cloudformation")
        assert dialog.query_one("#rack-key-own-box").display
        assert dialog.query_one("#rack-key-relink", Checkbox).display
        assert "re-links the Console" in plain(dialog.query_one("#rack-key-plan"))
        dialog.query_one("#rack-key-typed", Input).focus()
        await pilot.press(*"acme/production")
        assert not start.disabled
        await click(pilot, "#rack-key-start")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [RackKeyRequest("cloudformation", None, True)]


async def test_instance_keyroll_dialog_with_a_blocker_only_cancels() -> None:
    blocked = report(blockers=["Rack acme/production is updating; wait until it reads running."])
    app = DialogHost(InstanceKeyrollDialog(PRODUCTION, blocked))
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "is updating" in text and "cannot start" in text
        assert not app.screen.query("#instance-key-start")
        await click(pilot, "#instance-key-cancel")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [None]


async def test_instance_keyroll_dialog_risks_need_the_name_and_force() -> None:
    risky = report(risks=[ServiceRisk("worker", "worker", 1, 1)])
    app = DialogHost(InstanceKeyrollDialog(PRODUCTION, risky))
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "worker/worker runs 1 of 1 process(es) and will go down" in text
        assert "despite the downtime risk" in text
        assert app.screen.query_one("#instance-key-start", Button).disabled
        await click(pilot, "#instance-key-route-cloudformation")
        assert "keeps its private key" in plain(app.screen.query_one("#instance-key-plan"))
        app.screen.query_one("#instance-key-typed", Input).focus()
        await pilot.press(*"acme/production", "enter")
        assert app.results == [InstanceKeyRequest("cloudformation", force=True)]


async def test_instance_keyroll_dialog_for_a_safe_rack_starts_without_force() -> None:
    app = DialogHost(InstanceKeyrollDialog(DEV, report(rack="dev")))
    async with app.run_test(size=SIZE) as pilot:
        assert "every service runs at least 3 processes" in screen_text(app)
        assert "SSH key mismatch" in plain(app.screen.query_one("#instance-key-plan"))
        await click(pilot, "#instance-key-start")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [InstanceKeyRequest("rack", force=False)]


async def test_key_reveal_shows_the_key_once_and_copies_it() -> None:
    key = Secret("NewAccountKey0123456789abcdef")
    dialog = KeyRevealDialog("Your new account key", key)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        assert key.reveal() in screen_text(app)
        assert "only time keyroll shows this key" in screen_text(app)
        await pilot.press("c")
        assert app.clipboard == key.reveal()
        await click(pilot, "#reveal-done")
        await wait_until(pilot, lambda: bool(app.results), what="the dialog's answer")
        assert app.results == [None]
        assert not dialog.showing
        assert key.reveal() not in screen_text(app)


async def test_paste_key_is_masked_checked_and_returned_as_a_secret() -> None:
    app = DialogHost(PasteKeyDialog("Paste the account key"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert "The key is empty" in plain(app.screen.query_one("#paste-error"))
        await pilot.press(*"two words")
        await pilot.press("enter")
        assert "holds spaces" in plain(app.screen.query_one("#paste-error"))
        app.screen.query_one("#paste-key", Input).value = ""
        await pilot.press(*"PastedKey42")
        assert "PastedKey42" not in screen_text(app)
        await pilot.press("enter")
        assert app.results == [Secret("PastedKey42")]
        assert isinstance(app.results[0], Secret)


async def test_key_pairs_dialog_deletes_the_unused_pairs_after_confirmation(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    ws = sandbox_workspaces()
    target = target_for(ws, "dev")
    stack = target.rack.stack
    made = [create_key_pair(target.aws, stack)[0] for _ in range(2)]
    pairs = key_pair_report(target.aws, stack)
    assert sorted(pairs.unused) == sorted(made)
    app = DialogHost(KeyPairsDialog(target.rack, pairs))
    async with app.run_test(size=SIZE) as pilot:
        text = screen_text(app)
        assert "2 unused key pair(s)" in text
        assert f"kept  {pairs.current_key}" in text and "the stack's Key parameter" in text
        listing = app.screen.query_one("#key-pairs-unused", SelectionList)
        assert sorted(listing.selected) == sorted(made)
        await click(pilot, "#key-pairs-delete")
        assert isinstance(app.screen, ConfirmDialog)
        await click(pilot, "#confirm-yes")
        await wait_until(
            pilot, lambda: "Deleted 2" in plain(app.screen.query_one("#key-pairs-status"))
        )
        await click(pilot, "#key-pairs-close")
        assert [sorted(r) for r in app.results] == [sorted(made)]
    assert key_pair_report(target.aws, stack).unused == []


async def test_key_pairs_dialog_in_read_only_mode_deletes_nothing() -> None:
    app = DialogHost(KeyPairsDialog(DEV, [], read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        delete = app.screen.query_one("#key-pairs-delete", Button)
        assert delete.disabled and "read-only" in str(delete.label)
        await pilot.press("escape")
        assert app.results == [None]


async def test_after_copying_the_revealed_key_enter_closes_the_dialog() -> None:
    key = Secret("NewAccountKey0123456789abcdef")
    dialog = KeyRevealDialog("Your new account key", key)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # focus starts on Copy: Enter copies
        assert app.clipboard == key.reveal() and app.results == []
        await pilot.press("enter")  # copied: Enter now means done
        await wait_until(pilot, lambda: app.results == [None])
        assert not dialog.showing


async def own_key_typed(pilot: Any, app: DialogHost, key: str) -> None:
    await click(pilot, "#rack-key-source-own")
    field = app.screen.query_one("#rack-key-own", Input)
    field.focus()
    await pilot.press(*key)


async def test_a_short_own_rack_key_is_warned_about_and_needs_a_yes() -> None:
    short = "abc"
    app = DialogHost(RackKeyRollDialog(DEV))
    async with app.run_test(size=SIZE) as pilot:
        await own_key_typed(pilot, app, short)
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog)
        question = plain(confirm.query_one("#confirm-question"))
        assert "3 characters" in question and "32" in question
        assert short not in question
        await pilot.press("escape")  # no: back to the dialog, nothing started
        await wait_until(pilot, lambda: isinstance(app.screen, RackKeyRollDialog))
        assert app.results == []
        await click(pilot, "#rack-key-start")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await click(pilot, "#confirm-yes")
        await wait_until(pilot, lambda: len(app.results) == 1)
        assert app.results == [RackKeyRequest("rack", Secret(short), False)]


async def test_an_own_rack_key_of_32_characters_starts_without_a_question() -> None:
    long_enough = "K" * 32
    app = DialogHost(RackKeyRollDialog(DEV))
    async with app.run_test(size=SIZE) as pilot:
        await own_key_typed(pilot, app, long_enough)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.results) == 1)
        assert app.results == [RackKeyRequest("rack", Secret(long_enough), False)]
