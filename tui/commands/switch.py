"""`keyroll switch RACK`: make RACK current for keyroll and, unless turned off, the Convox CLI."""

from __future__ import annotations

import argparse
import json

from tui.base.errors import EXIT_OK
from tui.core.inventory import build_inventory
from tui.core.roll_targets import match_rack
from tui.services.switch import switch_to
from tui.services.workspace import open_workspace


def run(args: argparse.Namespace) -> int:
    """Switch to `args.rack` and print what was written."""
    with open_workspace(args) as workspace:
        inventory = build_inventory(
            workspace.settings, workspace.keystore, workspace.cli, record=workspace.inventory_record
        )
        rack = match_rack(inventory.racks, args.rack)
        written = switch_to(workspace, inventory, rack)
        cli_dir = str(workspace.cli.path)
    if getattr(args, "json", False):
        print(
            json.dumps(
                {
                    "rack": rack.name,
                    "via": rack.via,
                    "convox_cli": {"dir": cli_dir, "written": written}
                    if workspace.settings.write_convox_cli
                    else None,
                },
                indent=2,
            )
        )
    else:
        print(f"Switched to {rack.name}")
        if written:
            print(f"Convox CLI: wrote {', '.join(written)} in {cli_dir}")
    return EXIT_OK
