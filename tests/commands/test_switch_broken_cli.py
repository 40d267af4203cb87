"""Regression: `keyroll switch` with a Convox CLI file it cannot use changes nothing at all
(it used to record keyroll's current rack before the CLI file stopped it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.base.secret import Secret
from tui.core.convox_cli import CliConfig, CliFileError
from tui.core.current_rack import FILE_NAME, current_rack
from tui.core.inventory import VIA_DIRECT, Inventory, RackEntry
from tui.core.keystore import Keystore
from tui.core.settings import Settings
from tui.services.switch import switch_to
from tui.services.workspace import Workspace

HOST = "127.0.0.1:5443"


def _workspace(tmp_path: Path) -> Workspace:
    cli = CliConfig(tmp_path / "convox")
    cli.write_map("auth", {HOST: "DevKey0123456789abcdefghijklmnopqrstuvwxyz"})
    (cli.path / "racks").write_text("[" * 100_000)
    return Workspace(
        settings=Settings(),
        keystore=Keystore(tmp_path / "keystore.json"),
        state_dir=tmp_path / "state",
        cli=cli,
        env={},
    )


def test_a_broken_cli_file_stops_the_switch_before_keyroll_changes(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    rack = RackEntry("dev", VIA_DIRECT, HOST, ("keyroll",))
    inventory = Inventory(racks=[rack], keys_by_host={HOST: [Secret("k" * 40)]})
    with pytest.raises(CliFileError):
        switch_to(workspace, inventory, rack)
    assert not (workspace.state_dir / FILE_NAME).exists()
    assert (workspace.cli.path / "racks").read_text() == "[" * 100_000


def test_a_good_switch_still_records_the_current_rack(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (workspace.cli.path / "racks").write_text("{}")
    rack = RackEntry("dev", VIA_DIRECT, HOST, ("keyroll",))
    inventory = Inventory(racks=[rack], keys_by_host={HOST: [Secret("k" * 40)]})
    assert switch_to(workspace, inventory, rack) == ["host", "racks"]
    assert current_rack(workspace.state_dir) == "dev"
