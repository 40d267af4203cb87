"""Snapshots of the roll screen (mid-roll, rolled back) and of every roll dialog.

Deterministic: replayed events with fixed timestamps, a frozen elapsed time, fixed keys and
dates, no blinking cursor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import settled
from tests.tui.roll_harness import (
    ReplayApp,
    isolate_aws,
    mid_roll_events,
    replayed_run,
    rolled_back_events,
)
from tests.tui.test_dialogs import DEV, PRODUCTION, DialogHost, report
from tui.base.secret import Secret
from tui.core.key_pair_cleanup import KeyPairVerdict
from tui.core.preflight import ServiceRisk
from tui.screens.dialogs import (
    ConfirmDialog,
    InstanceKeyrollDialog,
    KeyPairsDialog,
    KeyRevealDialog,
    PasteKeyDialog,
    RackKeyRollDialog,
)

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _fixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)


async def settle(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settled(pilot, 0.3)


def test_roll_screen_mid_roll(snap_compare: Any) -> None:
    app = ReplayApp(replayed_run(mid_roll_events(), kind="instance-key"))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_roll_screen_rolled_back(snap_compare: Any) -> None:
    app = ReplayApp(replayed_run(rolled_back_events(), kind="instance-key"))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_confirm_dialog_typed(snap_compare: Any) -> None:
    dialog = ConfirmDialog(
        "Start the instance keyroll of acme/production again via rack?", "acme/production"
    )
    assert snap_compare(DialogHost(dialog), terminal_size=SIZE, run_before=settle)


def test_rack_key_dialog_production(snap_compare: Any) -> None:
    assert snap_compare(
        DialogHost(RackKeyRollDialog(PRODUCTION)), terminal_size=SIZE, run_before=settle
    )


def test_rack_key_dialog_direct(snap_compare: Any) -> None:
    assert snap_compare(DialogHost(RackKeyRollDialog(DEV)), terminal_size=SIZE, run_before=settle)


def test_instance_keyroll_dialog_with_risks(snap_compare: Any) -> None:
    risky = report(
        risks=[ServiceRisk("worker", "worker", 1, 1), ServiceRisk("api", "api", 2, 2)],
        warnings=["instance i-02 is draining"],
    )
    dialog = InstanceKeyrollDialog(PRODUCTION, risky)
    assert snap_compare(DialogHost(dialog), terminal_size=SIZE, run_before=settle)


def test_instance_keyroll_dialog_blocked(snap_compare: Any) -> None:
    blocked = report(
        status="updating",
        blockers=[
            "Rack acme/production is updating; wait until it reads running, then start the roll "
            "(a roll now could leave the saved key and the instances mismatched)."
        ],
    )
    dialog = InstanceKeyrollDialog(PRODUCTION, blocked)
    assert snap_compare(DialogHost(dialog), terminal_size=SIZE, run_before=settle)


def test_key_reveal_dialog(snap_compare: Any) -> None:
    dialog = KeyRevealDialog("Your new account key", Secret("Fixed0Snapshot1Key2For3Tests4Only"))
    assert snap_compare(DialogHost(dialog), terminal_size=SIZE, run_before=settle)


def test_paste_key_dialog(snap_compare: Any) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await pilot.press(*"PastedKey42")
        await settle(pilot)

    dialog = PasteKeyDialog("Paste the account key you rolled in the web Console")
    assert snap_compare(DialogHost(dialog), terminal_size=SIZE, run_before=typed)


def test_key_pairs_dialog(snap_compare: Any) -> None:
    day = datetime(2025, 1, 15, tzinfo=UTC)
    pairs = [
        KeyPairVerdict("dev-keypair-1001", day, True),
        KeyPairVerdict("dev-keypair-1002", day, True),
        KeyPairVerdict("dev-keypair-1003", day, False, "the stack's Key parameter"),
    ]
    assert snap_compare(
        DialogHost(KeyPairsDialog(DEV, pairs)), terminal_size=SIZE, run_before=settle
    )


# 80x24, the classic terminal: the same screens must work there ---------------------------

CLASSIC = (80, 24)


def test_roll_screen_mid_roll_80x24(snap_compare: Any) -> None:
    app = ReplayApp(replayed_run(mid_roll_events(), kind="instance-key"))
    assert snap_compare(app, terminal_size=CLASSIC, run_before=settle)


def test_roll_screen_rolled_back_80x24(snap_compare: Any) -> None:
    app = ReplayApp(replayed_run(rolled_back_events(), kind="instance-key"))
    assert snap_compare(app, terminal_size=CLASSIC, run_before=settle)


def test_rack_key_dialog_production_80x24(snap_compare: Any) -> None:
    assert snap_compare(
        DialogHost(RackKeyRollDialog(PRODUCTION)), terminal_size=CLASSIC, run_before=settle
    )


def test_rack_key_dialog_direct_80x24(snap_compare: Any) -> None:
    assert snap_compare(
        DialogHost(RackKeyRollDialog(DEV)), terminal_size=CLASSIC, run_before=settle
    )


def test_instance_keyroll_dialog_with_risks_80x24(snap_compare: Any) -> None:
    risky = report(
        risks=[ServiceRisk("worker", "worker", 1, 1), ServiceRisk("api", "api", 2, 2)],
        warnings=["instance i-02 is draining"],
    )
    dialog = InstanceKeyrollDialog(PRODUCTION, risky)
    assert snap_compare(DialogHost(dialog), terminal_size=CLASSIC, run_before=settle)


def test_key_reveal_dialog_80x24(snap_compare: Any) -> None:
    dialog = KeyRevealDialog("Your new account key", Secret("Fixed0Snapshot1Key2For3Tests4Only"))
    assert snap_compare(DialogHost(dialog), terminal_size=CLASSIC, run_before=settle)


def test_key_pairs_dialog_80x24(snap_compare: Any) -> None:
    day = datetime(2025, 1, 15, tzinfo=UTC)
    pairs = [KeyPairVerdict(f"dev-keypair-10{n:02d}", day, True) for n in range(8)]
    pairs.append(KeyPairVerdict("dev-keypair-1099", day, False, "the stack's Key parameter"))
    assert snap_compare(
        DialogHost(KeyPairsDialog(DEV, pairs)), terminal_size=CLASSIC, run_before=settle
    )
