"""Switching the current rack, as `convox switch` matches a name: for `keyroll switch` and
the dashboard's switch key."""

from __future__ import annotations

from tui.base.errors import read_only_error
from tui.core.convox_cli import SwitchTarget, switch
from tui.core.current_rack import set_current_rack
from tui.core.inventory import VIA_CONSOLE, Inventory, RackEntry, rack_keys
from tui.services.workspace import Workspace


def switch_to(workspace: Workspace, inventory: Inventory, rack: RackEntry) -> list[str]:
    """Make `rack` keyroll's current rack and, unless turned off, the Convox CLI's.

    Returns the Convox CLI files written (none when `write_convox_cli` is off). Read-only
    mode refuses before any file is read for writing.
    """
    if workspace.read_only:
        raise read_only_error(f"switch to {rack.name}")
    written: list[str] = []
    if workspace.settings.write_convox_cli:
        if rack.via == VIA_CONSOLE:
            target = SwitchTarget(rack.name, console_host=rack.host)
        else:
            keys = rack_keys(inventory, rack)
            key = workspace.keystore.current(rack.host or "") or (keys[0] if keys else None)
            target = SwitchTarget(rack.name, rack_host=rack.host, key=key)
        # The CLI first: a CLI file it cannot use stops the switch before keyroll changes.
        written = switch(workspace.cli, target, env=workspace.env)
    set_current_rack(rack.name, workspace.state_dir)
    return written
