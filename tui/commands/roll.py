"""`keyroll roll account-key | rack-key RACK | instance-key RACK`: one roll, headless.

The roll objects of `tui.core.rolls` do the work; this module only chooses the target and
the route, reads an own key from stdin, prints progress (or one JSON object) and turns the
outcome into the exit status: 0 success, 1 failed or rolled back, 2 bad input, 3 refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from tui.base.errors import BadInputError, RollInterrupted, read_only_error
from tui.base.key_rules import short_key_warning, validate_own_key
from tui.base.secret import Secret
from tui.commands.roll_progress import (
    ProgressPrinter,
    exit_code_for,
    print_summary,
    unfinished_sentence,
)
from tui.core.roll_targets import account_target, target_for
from tui.core.rolls.account_key import check_pasted_key
from tui.core.rolls.base import Roll
from tui.core.rolls.events import Outcome, RollKind
from tui.core.rolls.factory import build_roll
from tui.core.rolls.summary import RollSummary, now_iso
from tui.core.rolls.target import RollOptions, RollTarget
from tui.services.workspace import Workspace, open_workspace

# Test-only: `off` makes a rack-key roll drop the old key at once, to measure the outage
# the Convox docs describe. Never set outside the test suite.
DUAL_KEY_ENV = "KEYROLL_TEST_DUAL_KEY"


def read_key(stream: TextIO, kind: str) -> Secret:
    """One key from `stream` (stdin): a rack key must keep the rack's rules (exit 2 if not)."""
    text = stream.read()
    value = text.rstrip("\r\n")
    if "\n" in value:
        raise BadInputError(
            "stdin holds more than one line; give the key alone, on one line, and nothing else."
        )
    if kind == RollKind.ACCOUNT_KEY:
        if not value.strip() or value != value.strip() or " " in value:
            raise BadInputError(
                "The account key read from stdin is empty or holds spaces; paste the key "
                "exactly as the web Console shows it."
            )
        return Secret(value)
    return validate_own_key(value)


def default_route(kind: str, target: RollTarget) -> str:
    """`console` for a Console rack's API key, `rack` otherwise."""
    if kind == RollKind.ACCOUNT_KEY or (kind == RollKind.RACK_KEY and target.via_console):
        return "console"
    return "rack"


def options_for(workspace: Workspace, args: argparse.Namespace) -> RollOptions:
    """The roll's options: the settings' intervals, `--no-wait`, and the test-only dual-key
    switch. A roll waits by default: its last steps verify the key and rewrite the CLI's auth."""
    return RollOptions.from_settings(
        workspace.settings,
        wait=not getattr(args, "no_wait", False),
        dual_key=os.environ.get(DUAL_KEY_ENV, "on") != "off",
    )


def read_only_refusal(args: argparse.Namespace, target: RollTarget) -> str | None:
    """Why the roll may not start in read-only mode, or None."""
    if getattr(args, "read_only", False):
        return str(read_only_error(f"roll the keys of {target.name}"))
    if target.rack.read_only:
        return (
            f"{target.name} is marked read_only in keyroll's settings; remove that mark to "
            "roll its keys."
        )
    return None


def make_roll(
    kind: str,
    target: RollTarget,
    route: str,
    args: argparse.Namespace,
    options: RollOptions,
    printer: ProgressPrinter,
    own_key: Secret | None,
) -> Roll:
    """The roll object for `kind` on `target` by `route`, with the command line's options."""
    return build_roll(
        kind,
        target,
        route,
        options=options,
        emit=printer,
        own_key=own_key,
        relink=bool(getattr(args, "relink", False)),
        force=bool(getattr(args, "force", False)),
    )


def _refused(kind: str, target: RollTarget, route: str, message: str) -> RollSummary:
    summary = RollSummary(kind=kind, rack=target.name, via=route, outcome=Outcome.REFUSED)
    summary.messages.append(message)
    summary.finished_at = now_iso()
    return summary


# What a roll stopped after each journal step leaves, in words.
STEP_WORDS = {
    "planned": "nothing was sent to the rack yet",
    "key-stored": "the new key is stored in keyroll's keystore and no update was requested yet",
    "update-requested": "keyroll was asking for the update, which may or may not have begun",
    "watching": "the update is under way or has ended, and keyroll was watching it",
    "verifying": "the update completed and keyroll was checking the new key",
}


def interrupted(roll: Roll) -> RollInterrupted:
    """Ctrl+C during a roll: which step the journal holds and that `keyroll resume` finishes it."""
    what = f"the {roll.kind} roll of {roll.target.name}"
    if not roll.roll_id:
        return RollInterrupted(f"Interrupted before {what} began: nothing was changed.")
    record = roll.target.journal.get(roll.roll_id)
    if record.outcome is not None:
        return RollInterrupted(f"Interrupted after {what} ended ({record.outcome}).")
    step = record.last_step
    words = STEP_WORDS.get(step, "the journal keeps it")
    return RollInterrupted(
        f"Interrupted: {what} stopped after its step '{step}' ({words}); the journal keeps "
        "it, and `keyroll resume` finishes it."
    )


def run(args: argparse.Namespace) -> int:
    """Run one roll to its end (or, with --no-wait, until its update is requested)."""
    kind: str = args.roll_kind
    as_json = bool(getattr(args, "json", False))
    own_key = read_key(sys.stdin, kind) if getattr(args, "value_from_stdin", False) else None
    printer = ProgressPrinter(quiet=as_json)
    short = (
        short_key_warning(own_key) if own_key is not None and kind == RollKind.RACK_KEY else None
    )
    if short is not None:
        if not getattr(args, "allow_short_key", False):
            raise BadInputError(
                f"{short.removesuffix('.')}: give a longer key, or --allow-short-key to roll "
                "it anyway."
            )
        line = f"warning: {short} Rolling it anyway (--allow-short-key)."
        if as_json:  # stdout holds the JSON object alone
            print(line, file=sys.stderr, flush=True)
        else:
            printer.write(line)
    with open_workspace(args) as workspace:
        if kind == RollKind.ACCOUNT_KEY:
            target = account_target(workspace)
        else:
            target = target_for(workspace, args.rack)
        route = getattr(args, "via", None) or default_route(kind, target)
        refusal = read_only_refusal(args, target)
        if refusal is not None:
            summary = _refused(kind, target, route, refusal)
        else:
            if kind == RollKind.ACCOUNT_KEY and own_key is not None:
                url = target.inventory.console_url or ""
                check_pasted_key(url, own_key, verify=target.console_verify)  # a wrong key exits 2
            roll = make_roll(
                kind, target, route, args, options_for(workspace, args), printer, own_key
            )
            try:
                summary = roll.run()
            except KeyboardInterrupt:
                raise interrupted(roll) from None
    if short is not None:
        summary.warnings.insert(0, short)
    if summary.outcome is None:  # detached (--no-wait) or left open: say what it leaves
        sentence = unfinished_sentence(summary)
        summary.messages.append(sentence[0].upper() + sentence[1:])
    print_summary(summary, as_json=as_json)
    return exit_code_for(summary.outcome)
