"""The plan of an instance keyroll as the journal keeps it with `update-requested`: the old
key pair, the new one (when keyroll made it), and the instances to replace. Names and ids
only, never a key; a resumed roll reads it back to judge the result, and the person watching
reads the same plan in words."""

from __future__ import annotations

import re

from tui.core.journal import RollRecord

# The plan the journal keeps with `update-requested`, so a resumed roll can judge the result.
PLAN = re.compile(r"old key pair (?P<old>\S*); new key pair (?P<new>\S*); instances (?P<ids>\S*)")


def plan_message(old: str, new: str, instance_ids: list[str]) -> str:
    """The journal message of `update-requested` (names and ids only, never a key).

    A resumed roll reads it back with `parse_plan`.
    """
    return (
        f"old key pair {old}; new key pair {new or '-'}; instances {','.join(instance_ids) or '-'}"
    )


def plan_words(old: str, new: str, instance_ids: list[str]) -> str:
    """The same plan as the person watching reads it (the rack route learns the new key
    pair's name only once the rack has made it)."""
    replacement = new or "a new key pair the rack makes"
    ids = ", ".join(instance_ids) or "none listed"
    return (
        f"key pair {old or '(none)'} to be replaced by {replacement}; "
        f"{len(instance_ids)} instance(s) to replace: {ids}"
    )


def parse_plan(record: RollRecord) -> tuple[str, str, list[str]]:
    """(old key pair, new key pair or '', old instance ids) from a roll's journal steps."""
    for step in reversed(record.steps):
        match = PLAN.search(step.message or "")
        if match:
            new = "" if match["new"] == "-" else match["new"]
            ids = [] if match["ids"] == "-" else match["ids"].split(",")
            return match["old"], new, ids
    return "", "", []
