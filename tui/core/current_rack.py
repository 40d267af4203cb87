"""keyroll's current rack: one plain file in the state dir, written by `keyroll switch`."""

from __future__ import annotations

from pathlib import Path

from tui.core import paths
from tui.core.files import read_text, write_private

FILE_NAME = "current-rack"


def current_rack(state_dir: Path | None = None) -> str | None:
    """The rack keyroll opens on, if one was chosen."""
    text = read_text((state_dir or paths.state_dir()) / FILE_NAME)
    return text.strip() or None if text else None


def set_current_rack(name: str, state_dir: Path | None = None) -> None:
    """Remember `name` (plain or `org/name`) as keyroll's current rack."""
    write_private((state_dir or paths.state_dir()) / FILE_NAME, f"{name}\n", tighten_dir=True)
