"""From a command's workspace to the objects a roll works on: inventory, journal, target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.core.inventory import Inventory, build_inventory
from tui.core.journal import Journal
from tui.services.switch import match_rack
from tui.services.workspace import Workspace

if TYPE_CHECKING:  # the roll engine loads with the first target: the dashboard opens without it
    from tui.core.rolls.target import RollTarget


def journal_for(workspace: Workspace) -> Journal:
    """The workspace's roll journal (its state dir's `rolls`)."""
    return Journal(workspace.state_dir / "rolls", workspace.keystore)


def inventory_for(workspace: Workspace) -> Inventory:
    """The workspace's merged inventory, keeping (and updating) keyroll's record of racks."""
    return build_inventory(
        workspace.settings, workspace.keystore, workspace.cli, record=workspace.inventory_record
    )


def target_for(workspace: Workspace, name: str, inventory: Inventory | None = None) -> RollTarget:
    """The roll target for rack `name` (matched as `keyroll switch` matches names).

    `account@<console host>` (an account-key roll's name in the journal) is the Console.
    """
    from tui.core.rolls.account_key import is_account_name
    from tui.core.rolls.target import RollTarget

    inventory = inventory or inventory_for(workspace)
    if is_account_name(name):
        return account_target(workspace, inventory)
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


def account_target(workspace: Workspace, inventory: Inventory | None = None) -> RollTarget:
    """The roll target of the Console's account key (named `account@<console host>`)."""
    from tui.core.rolls.account_key import account_target as make_account_target

    return make_account_target(
        inventory or inventory_for(workspace),
        keystore=workspace.keystore,
        journal=journal_for(workspace),
        settings=workspace.settings,
        env=workspace.env,
        locks_dir=workspace.state_dir / "locks",
    )
