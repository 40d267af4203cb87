"""The files one keyroll run works on: settings, keystore, state dir, Convox CLI dir.

How they are found (the user's own, or a throwaway set on the sandbox) is
`tui.services.workspace`; this is what both front ends and the dashboard's session hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.convox_cli import CliConfig
from tui.core.inventory_record import FILE_NAME as INVENTORY_RECORD_FILE
from tui.core.inventory_record import InventoryRecord
from tui.core.keystore import Keystore
from tui.core.settings import Settings


@dataclass
class Workspace:
    """Settings, keystore, state dir and Convox CLI dir for one command run."""

    settings: Settings
    keystore: Keystore
    state_dir: Path
    cli: CliConfig
    env: Mapping[str, str]
    sandbox: Any = None
    read_only: bool = False  # `--read-only`: no file may change, keyroll's own included

    @property
    def current_rack_file(self) -> Path:
        """Where keyroll remembers its current rack."""
        return self.state_dir / "current-rack"

    @property
    def inventory_record(self) -> InventoryRecord:
        """keyroll's record of the racks it saw (never written in read-only mode)."""
        return InventoryRecord(self.state_dir / INVENTORY_RECORD_FILE, writable=not self.read_only)
