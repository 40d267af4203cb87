"""`keyroll racks [--json]`: every rack keyroll can reach, where it was found, and its status."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.base.errors import EXIT_OK
from tui.core.current_rack import current_rack
from tui.core.inventory import Inventory, RackStatus, build_inventory, fetch_statuses
from tui.core.roll_targets import journal_for
from tui.services.workspace import Workspace, open_workspace


def collect(workspace: Workspace) -> tuple[Inventory, dict[str, RackStatus]]:
    """The merged inventory and the live status of every rack, fetched concurrently."""
    inventory = build_inventory(
        workspace.settings, workspace.keystore, workspace.cli, record=workspace.inventory_record
    )
    statuses = fetch_statuses(inventory)  # each host's certificate check: tui/core/tls.py
    return inventory, statuses


def unfinished_rolls(workspace: Workspace) -> dict[str, str]:
    """Rack name -> the last step of a roll the journal holds open (detached or crashed)."""
    return {record.rack: record.last_step for record in journal_for(workspace).unfinished()}


def as_json(
    inventory: Inventory,
    statuses: dict[str, RackStatus],
    current: str | None,
    unfinished: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The `--json` object: `{"racks": [...], "problems": [...]}`, never a key."""
    unfinished = unfinished or {}
    racks = []
    for rack in inventory.racks:
        status = statuses.get(rack.name, RackStatus(rack.name, "unknown"))
        racks.append(
            {
                "name": rack.name,
                "via": rack.via,
                "host": rack.host,
                "sources": list(rack.sources),
                "status": status.status,
                "status_reason": status.reason or None,
                # a roll the journal holds open: the rack may run, but the roll is not done
                "roll_unfinished": rack.name in unfinished,
                "roll_last_step": unfinished.get(rack.name),
                "error": status.error,
                "version": status.version,
                "region": status.region,
                "production": rack.production,
                "read_only": rack.read_only,
                "stack": rack.stack,
                "current": rack.name == current,
            }
        )
    return {"racks": racks, "problems": list(inventory.problems)}


def _table(data: dict[str, Any]) -> str:
    header = ("", "NAME", "STATUS", "VIA", "SOURCES", "HOST")
    rows = [
        (
            "*" if r["current"] else "",
            r["name"] + (" [production]" if r["production"] else ""),
            "roll unfinished"
            if r["roll_unfinished"]
            else f"{r['status']}: {r['status_reason']}"
            if r["status_reason"]
            else r["status"],
            r["via"],
            ",".join(r["sources"]),
            r["host"] or "",
        )
        for r in data["racks"]
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    for r in data["racks"]:
        if r["error"]:
            lines.append(f"{r['name']}: {r['error']}")
        if r["roll_unfinished"]:
            lines.append(
                f"{r['name']}: a roll stopped after its step '{r['roll_last_step']}' (the rack "
                f"reads {r['status']}); run `keyroll resume` to finish it."
            )
    lines += [f"warning: {p}" for p in data["problems"]]
    if not data["racks"]:
        lines.append(
            "No racks found: run `convox login`, add [[racks]] to keyroll's settings, "
            "or try `keyroll racks --sandbox`."
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the merged inventory with each rack's source and live status."""
    with open_workspace(args) as workspace:
        inventory, statuses = collect(workspace)
        current = current_rack(workspace.state_dir) or inventory.cli_current
        data = as_json(inventory, statuses, current, unfinished_rolls(workspace))
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2))
    else:
        print(_table(data))
    sys.stdout.flush()
    return EXIT_OK
