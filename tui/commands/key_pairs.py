"""`keyroll key-pairs RACK [--delete-unused] [--yes] [--json]`: a rack's unused EC2 key pairs.

Convox's keyroll never deletes the key pair it replaces. The judging is the dashboard's own
(`tui.core.key_pair_cleanup`): a pair is unused when it is named `<stack>-keypair-NNNN`, is not
the stack's `Key` and no instance uses it. Deleting asks first, on a terminal, unless `--yes`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.base.errors import EXIT_OK, BadInputError, KeyrollError, RefusedError
from tui.commands.roll_progress import print_json
from tui.core.key_pair_cleanup import KeyPairReport, delete_unused_key_pairs, key_pair_report
from tui.core.roll_targets import target_for
from tui.services.workspace import open_workspace


def as_json(rack: str, report: KeyPairReport, deleted: list[str] | None) -> dict[str, Any]:
    """The `--json` object: the unused pairs, the kept ones and why, what was deleted."""
    return {
        "rack": rack,
        "stack": report.stack,
        "current_key": report.current_key,
        "unused": [
            {"name": v.name, "created": v.created.isoformat() if v.created else None}
            for v in report.verdicts
            if v.unused
        ],
        "kept": [{"name": v.name, "why": v.why} for v in report.verdicts if not v.unused],
        "deleted": deleted,
    }


def text(data: dict[str, Any]) -> list[str]:
    """What was deleted, the unused pairs one a line, the pairs kept and why, what to do."""
    rack, unused, kept = data["rack"], data["unused"], data["kept"]
    lines = []
    if data["deleted"]:
        lines.append(f"Deleted {len(data['deleted'])} key pair(s): {', '.join(data['deleted'])}.")
    if unused:
        lines.append(f"Unused key pairs of {rack} (stack {data['stack']}):")
        for pair in unused:
            created = f"  created {pair['created']}" if pair["created"] else ""
            lines.append(f"  {pair['name']}{created}")
    else:
        lines.append(f"{rack} has no unused key pair.")
    lines += [f"kept: {pair['name']} ({pair['why']})" for pair in kept]
    if unused and data["deleted"] is None:
        lines.append(f"Delete them with `keyroll key-pairs {rack} --delete-unused`.")
    return lines


def _report(aws: Any, stack: str) -> KeyPairReport:
    """The judged key pairs; no AWS access is a refusal: nothing was read, nothing changed."""
    try:
        return key_pair_report(aws, stack)
    except (RefusedError, BadInputError):
        raise
    except KeyrollError as error:
        raise RefusedError(
            f"{error.message.rstrip('.')}; give keyroll AWS credentials for the rack's account "
            "(the standard AWS chain, or [aws] in keyroll's settings)."
        ) from None


def _confirmed(args: argparse.Namespace, rack: str, names: list[str]) -> bool:
    """`--yes`, or a yes typed on a terminal; without either, a refusal (exit 3)."""
    if getattr(args, "yes", False):
        return True
    if getattr(args, "json", False) or not sys.stdin.isatty():
        raise RefusedError(
            f"Deleting {len(names)} key pair(s) of {rack} needs a yes and there is no terminal "
            "to ask: run again with --yes."
        )
    answer = input(f"Delete {len(names)} unused key pair(s) of {rack}: {', '.join(names)}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    """List a rack's unused key pairs; with --delete-unused, delete them after a yes."""
    delete = bool(getattr(args, "delete_unused", False))
    if delete and getattr(args, "read_only", False):
        raise RefusedError(
            "Read-only mode (--read-only) lists key pairs but deletes none; run without it "
            "to delete them."
        )
    deleted: list[str] | None = None
    with open_workspace(args) as workspace:
        target = target_for(workspace, args.rack)
        if delete and target.rack.read_only:
            raise RefusedError(
                f"{target.name} is marked read_only in keyroll's settings; remove that mark to "
                "delete its key pairs."
            )
        report = _report(target.aws, target.rack.stack)
        if delete and report.unused:
            if _confirmed(args, target.name, report.unused):
                # judged afresh inside: a pair that came into use meanwhile is never deleted
                deleted = delete_unused_key_pairs(target.aws, target.rack.stack, report.unused)
                report = _report(target.aws, target.rack.stack)
            else:
                print("Nothing deleted.")
        elif delete:
            deleted = []
    data = as_json(target.name, report, deleted)
    if getattr(args, "json", False):
        print_json(data)
    else:
        print("\n".join(text(data)))
    sys.stdout.flush()
    return EXIT_OK
