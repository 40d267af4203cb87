"""`keyroll history [RACK] [--json]`: the rolls the journal holds, newest first."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from tui.base.errors import EXIT_OK
from tui.commands.roll_progress import print_json
from tui.core.journal import RollRecord
from tui.core.roll_targets import inventory_for, journal_for, match_rack
from tui.services.workspace import open_workspace


def select(records: list[RollRecord], rack: str | None) -> list[RollRecord]:
    """The records of `rack`: its full name, or its name without the Console org."""
    if rack is None:
        return records
    return [r for r in records if rack in (r.rack, r.rack.rsplit("/", 1)[-1])]


def _duration_s(record: RollRecord) -> float | None:
    if record.ended is None:
        return None
    ended = datetime.fromisoformat(record.ended)
    return round((ended - datetime.fromisoformat(record.started)).total_seconds(), 1)


def as_json(record: RollRecord) -> dict[str, Any]:
    """One roll as `--json` lists it: no key, only what happened and what was measured."""
    return {
        "roll_id": record.roll_id,
        "kind": record.kind,
        "rack": record.rack,
        "via": record.route,
        "started_at": record.started,
        "finished_at": record.ended,
        "duration_s": _duration_s(record),
        "outcome": record.outcome or "unfinished",
        "last_step": record.last_step,
        "downtime_s": record.downtime_s,
        "longest_outage_s": record.longest_outage_s,
        "old_key_refused": record.old_key_refused,
        "messages": list(record.messages),
    }


def _stamp(iso: str | None) -> str:
    if iso is None:
        return "-"
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _downtime(row: dict[str, Any]) -> str:
    """The measured downtime; a finished roll that measured nothing says so (not '0.0 s')."""
    if row["downtime_s"] is not None:
        return f"{row['downtime_s']:.1f} s"
    return "-" if row["outcome"] == "unfinished" else "not measured"


def table(rows: list[dict[str, Any]]) -> str:
    """The text table: start, end, rack, kind, route, outcome, duration, measured downtime."""
    header = ("STARTED", "ENDED", "RACK", "KIND", "VIA", "OUTCOME", "TOOK", "DOWNTIME")
    body = [
        (
            _stamp(r["started_at"]),
            _stamp(r["finished_at"]),
            r["rack"],
            r["kind"],
            r["via"],
            r["outcome"] if r["outcome"] != "unfinished" else f"unfinished ({r['last_step']})",
            "-" if r["duration_s"] is None else f"{r['duration_s']:.1f} s",
            _downtime(r),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *body]
    )


def run(args: argparse.Namespace) -> int:
    """Print the rolls of one rack (or of every rack) from the journal."""
    rack: str | None = getattr(args, "rack", None)
    with open_workspace(args) as workspace:
        journal = journal_for(workspace)
        records = select(journal.records(), rack)
        if rack is not None and not records:
            # Not in the journal: the rack must be one keyroll knows (exit 2 if not), as for
            # `roll` and `switch`; a removed rack's history stays readable from the journal.
            rack = match_rack(inventory_for(workspace).racks, rack).name
            records = select(journal.records(), rack)
        problems = list(journal.problems)
    rows = [as_json(r) for r in records]
    if getattr(args, "json", False):
        print_json({"rolls": rows, "problems": problems})
        return EXIT_OK
    if rows:
        print(table(rows))
        if any(r["outcome"] == "unfinished" for r in rows):
            print("Unfinished rolls: run `keyroll resume` to finish them.")
    else:
        where = f" of {rack}" if rack else ""
        print(f"No rolls{where} in keyroll's journal yet.")
    for problem in problems:
        print(f"warning: {problem}")
    return EXIT_OK
