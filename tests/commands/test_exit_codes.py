"""Exit codes: a roll stopped before any change because nobody answered is refused (exit 3);
`keyroll history` of a rack keyroll never heard of is bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.commands.conftest import snapshot
from tests.core.convox_fake import ACCOUNT_KEY, ConvoxFake
from tui.base.secret import Secret
from tui.cli import main
from tui.core.convox_cli import CliConfig
from tui.core.journal import Journal
from tui.core.keystore import Keystore
from tui.core.settings import load_settings, save_settings


def _rolls(homes: Path) -> list[str]:
    rolls = homes / "keyroll" / "state" / "rolls"
    return sorted(p.name for p in rolls.iterdir()) if rolls.is_dir() else []


@pytest.mark.parametrize("kind", ["rack-key", "instance-key"])
def test_a_rack_that_refuses_the_connection_refuses_the_roll(
    homes: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    keystore = homes / "keyroll" / "data" / "keystore.json"
    before = keystore.read_bytes() if keystore.exists() else b""
    assert main(["roll", kind, "dead", "--via", "rack", "--json"]) == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "refused", summary
    assert any("refused the connection" in m for m in summary["messages"]), summary
    assert _rolls(homes) == []  # nothing began, so the journal holds nothing
    assert (keystore.read_bytes() if keystore.exists() else b"") == before


def test_a_console_that_refuses_the_connection_refuses_the_account_key_roll(
    homes: Path, capsys: pytest.CaptureFixture[str], convox_fake: ConvoxFake
) -> None:
    config = homes / "keyroll" / "config" / "config.toml"
    settings = load_settings(config)
    dead = convox_fake.closed_host
    console = type(settings.console)(host=dead, url=f"https://{dead}")
    save_settings(type(settings)(console=console, racks=settings.racks), config)
    CliConfig(homes / "convox").write_auth(dead, Secret(ACCOUNT_KEY))
    cli_before = snapshot(homes / "convox")
    assert main(["roll", "account-key", "--json"]) == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"] == "refused", summary
    assert any("refused the connection" in m for m in summary["messages"]), summary
    assert _rolls(homes) == [] and snapshot(homes / "convox") == cli_before


def test_history_of_an_unknown_rack_is_bad_input(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "nosuch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("keyroll: ") and "nosuch" in captured.err
    assert len(captured.err.splitlines()) == 1
    assert main(["history", "nosuch", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["exit"] == 2


def test_history_of_a_removed_rack_still_shows_its_rolls(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = Journal(homes / "keyroll" / "state" / "rolls", Keystore(homes / "ks.json"))
    record = journal.begin("rack-key", "retired", "rack", host="retired.example")
    journal.finish(record.roll_id, "succeeded")
    assert main(["history", "retired", "--json"]) == 0
    rolls = json.loads(capsys.readouterr().out)["rolls"]
    assert [r["rack"] for r in rolls] == ["retired"]
    assert main(["history", "dev"]) == 0  # known to the inventory, no rolls yet
    assert "No rolls of dev" in capsys.readouterr().out
