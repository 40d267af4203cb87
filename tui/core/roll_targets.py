"""From a workspace to the objects a roll works on: inventory, journal, target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.base.errors import BadInputError
from tui.core.inventory import Inventory, RackEntry, build_inventory
from tui.core.journal import Journal
from tui.core.workspace import Workspace

if TYPE_CHECKING:  # the roll engine loads with the first target: the dashboard opens without it
    from tui.core.rolls.target import RollTarget


def match_rack(racks: list[RackEntry], name: str) -> RackEntry:
    """The rack `name` designates, matched as `convox switch` does.

    An exact name wins; otherwise `name` must be part of exactly one rack's name.
    """
    for rack in racks:
        if rack.name == name:
            return rack
    matches = [rack for rack in racks if name in rack.name]
    if len(matches) > 1:
        names = ", ".join(rack.name for rack in matches)
        raise BadInputError(
            f"Ambiguous rack name '{name}' matches {names}; use one of those full names."
        )
    if not matches:
        raise BadInputError(
            f"Could not find rack '{name}'; run `keyroll racks` to see the racks keyroll knows."
        )
    return matches[0]


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
