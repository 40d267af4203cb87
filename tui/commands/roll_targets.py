"""From a command's workspace to the objects a roll works on: inventory, journal, target."""

from __future__ import annotations

from tui.commands.switch import match_rack
from tui.commands.workspace import Workspace
from tui.core.inventory import Inventory, build_inventory
from tui.core.journal import Journal
from tui.core.rolls.target import RollTarget


def journal_for(workspace: Workspace) -> Journal:
    """The workspace's roll journal (its state dir's `rolls`)."""
    return Journal(workspace.state_dir / "rolls", workspace.keystore)


def inventory_for(workspace: Workspace) -> Inventory:
    return build_inventory(workspace.settings, workspace.keystore, workspace.cli)


def target_for(
    workspace: Workspace, name: str, inventory: Inventory | None = None
) -> RollTarget:
    """The roll target for rack `name` (matched as `keyroll switch` matches names)."""
    inventory = inventory or inventory_for(workspace)
    entry = match_rack(inventory.racks, name)
    return RollTarget(
        rack=entry,
        inventory=inventory,
        keystore=workspace.keystore,
        journal=journal_for(workspace),
        settings=workspace.settings,
        env=workspace.env,
        locks_dir=workspace.state_dir / "locks",
    )
