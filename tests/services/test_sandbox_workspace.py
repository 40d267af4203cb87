"""The sandbox's throwaway workspace: the user's files stay untouched, their keys still work."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tui.core import paths
from tui.services.workspace import open_workspace


def _sandbox_args() -> argparse.Namespace:
    return argparse.Namespace(sandbox=True, scenario="ok", speed=1.0, read_only=False)


def test_the_sandbox_takes_the_users_keymap_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    own = paths.settings_file()
    own.parent.mkdir(parents=True, mode=0o700)
    own.write_text('poll_active_s = 7.0\n\n[keymap]\nhelp = "f1"\nrack.refresh = "f5"\n')
    before = own.read_bytes()
    with open_workspace(_sandbox_args()) as workspace:
        assert workspace.sandbox is not None
        assert dict(workspace.settings.keymap) == {"help": "f1", "rack.refresh": "f5"}
        assert workspace.settings.path == own  # an error about the keymap names the user's file
        assert workspace.settings.poll_active_s != 7.0  # the sandbox's own settings
        assert workspace.settings.racks  # the sandbox's racks, not the user's (none)
    assert own.read_bytes() == before


def test_an_unreadable_settings_file_leaves_the_sandbox_without_a_keymap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    own = paths.settings_file()
    own.parent.mkdir(parents=True, mode=0o700)
    own.write_text("[keymap\n")  # malformed TOML
    with open_workspace(_sandbox_args()) as workspace:
        assert dict(workspace.settings.keymap) == {}
    assert own.read_text() == "[keymap\n"
