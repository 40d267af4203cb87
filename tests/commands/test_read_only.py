"""`--read-only` changes no file: a switch or a re-link is refused (exit 3) in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands.conftest import snapshot
from tui.base.errors import RefusedError
from tui.cli import main
from tui.core.convox_cli import CliConfig
from tui.core.inventory import VIA_DIRECT, Inventory, RackEntry
from tui.core.journal import Journal
from tui.core.keystore import Keystore
from tui.core.settings import Settings
from tui.services.switch import switch_to
from tui.services.workspace import Workspace


@pytest.mark.parametrize("flag_after", [False, True])
def test_read_only_switch_is_refused_and_writes_nothing(
    homes: Path, capsys: pytest.CaptureFixture[str], flag_after: bool
) -> None:
    before = snapshot(homes)
    argv = ["switch", "dev", "--read-only"] if flag_after else ["--read-only", "switch", "dev"]
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("keyroll: "), captured.err
    assert "--read-only" in lines[0] and "switch" in lines[0]
    assert snapshot(homes) == before  # Convox CLI files and keyroll's own, byte for byte


def test_read_only_refusals_do_not_say_keyroll_twice(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["--read-only", "relink", "production"], ["--read-only", "switch", "dev"]):
        assert main(argv) == 3
        err = capsys.readouterr().err
        assert err.startswith("keyroll: ") and "keyroll: keyroll" not in err, err
        assert "Traceback" not in err


def test_the_dashboards_switch_is_refused_too(tmp_path: Path) -> None:
    """The dashboard switches through `switch_to` on a workspace opened with `--read-only`."""
    cli = CliConfig(tmp_path / "convox")
    cli.write_map("racks", {})
    workspace = Workspace(
        settings=Settings(),
        keystore=Keystore(tmp_path / "keystore.json"),
        state_dir=tmp_path / "state",
        cli=cli,
        env={},
        read_only=True,
    )
    rack = RackEntry("dev", VIA_DIRECT, "127.0.0.1:5443", ("keyroll",))
    before = snapshot(tmp_path)
    with pytest.raises(RefusedError, match="--read-only"):
        switch_to(workspace, Inventory(racks=[rack]), rack)
    assert snapshot(tmp_path) == before


def test_read_only_resume_is_refused_and_writes_nothing(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = Journal(homes / "keyroll" / "state" / "rolls", Keystore(homes / "ks.json"))
    journal.begin("rack-key", "dev", "rack", host="127.0.0.1:1")  # unfinished: only planned
    before = snapshot(homes)
    assert main(["--read-only", "resume", "--yes"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("keyroll: Read-only mode")
    assert snapshot(homes) == before
