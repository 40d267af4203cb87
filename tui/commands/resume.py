"""`keyroll resume`: finish every roll the journal holds open (after a crash, or --no-wait)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tui.base.errors import EXIT_FAILED, EXIT_OK, read_only_error
from tui.commands.roll import options_for
from tui.commands.roll_progress import ProgressPrinter, exit_code_for, print_json, summary_lines
from tui.core.journal import RollRecord
from tui.core.roll_targets import account_target, inventory_for, journal_for, target_for
from tui.core.rolls.events import RollEvent, RollKind
from tui.core.rolls.resume import Unresumable, resume_all, unfinished
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.target import RollTarget
from tui.services.workspace import open_workspace


def _confirm(args: argparse.Namespace, printer: ProgressPrinter) -> Callable[[str], bool]:
    """Yes/no questions: `--yes` answers yes; a terminal asks; otherwise the answer is no."""

    def say(line: str) -> None:  # with --json, stdout holds the JSON object alone
        if getattr(args, "json", False):
            print(line, file=sys.stderr, flush=True)
        else:
            printer.write(line)

    def ask(question: str) -> bool:
        if getattr(args, "yes", False):
            say(f"{question} yes (--yes)")
            return True
        if sys.stdin.isatty() and not getattr(args, "json", False):
            answer = input(f"{question} [y/N] ").strip().lower()
            return answer in ("y", "yes")
        say(f"{question} no (no terminal to ask: run `keyroll resume --yes` to go on)")
        return False

    return ask


def run(args: argparse.Namespace) -> int:
    """Resume each unfinished roll in turn; exit with the worst outcome's status."""
    as_json = bool(getattr(args, "json", False))
    printer = ProgressPrinter(quiet=as_json)
    summaries: list[RollSummary] = []
    problems: list[str] = []
    with open_workspace(args) as workspace:
        journal = journal_for(workspace)
        if not unfinished(journal):
            return _nothing(as_json, journal.problems)
        if workspace.read_only:
            raise read_only_error("finish the unfinished rolls")
        inventory = inventory_for(workspace)

        def target(record: RollRecord) -> RollTarget:
            if record.kind == RollKind.ACCOUNT_KEY:
                return account_target(workspace, inventory)
            return target_for(workspace, record.rack, inventory)

        def emit(record: RollRecord, event: RollEvent) -> None:
            printer(event)

        options = options_for(workspace, _waiting(args))
        for result in resume_all(
            journal,
            target,
            options=lambda _target: options,
            confirm=_confirm(args, printer),
            emit=emit,
        ):
            if isinstance(result, Unresumable):
                problems.append(result.reason)
                if not as_json:
                    printer.write(f"cannot resume: {result.reason}")
                continue
            summaries.append(result)
            if not as_json:
                for line in summary_lines(result):
                    printer.write(line)
    if as_json:
        print_json(
            {"resumed": [s.to_json() for s in summaries], "problems": problems},
        )
    codes = [exit_code_for(s.outcome) for s in summaries] + [EXIT_FAILED] * len(problems)
    return max(codes, default=EXIT_OK)


def _waiting(args: argparse.Namespace) -> argparse.Namespace:
    """Resume always waits: finishing the roll is the point."""
    waiting = argparse.Namespace(**vars(args))
    waiting.no_wait = False
    return waiting


def _nothing(as_json: bool, problems: list[str]) -> int:
    if as_json:
        print_json({"resumed": [], "problems": problems})
    else:
        print("No unfinished rolls: nothing to resume.")
        for problem in problems:
            print(f"warning: {problem}")
    return EXIT_OK
