"""The error every expected failure raises: one clear sentence and an exit status."""

from __future__ import annotations

import json

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3


class KeyrollError(Exception):
    """An expected failure. `str(error)` is one sentence saying what happened and what to do."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(KeyrollError):
    """Input from the user or from a file that keyroll cannot use."""

    exit_code = EXIT_BAD_INPUT


class RefusedError(KeyrollError):
    """A pre-flight check refused to start an action."""

    exit_code = EXIT_REFUSED


class RollInterrupted(KeyrollError):
    """Ctrl+C stopped a roll; the message says which step it reached and how to finish it."""

    exit_code = 130  # 128 + SIGINT, as a shell reports a process Ctrl+C stopped


def read_only_error(action: str) -> RefusedError:
    """The refusal of `action` (e.g. "switch to dev") in read-only mode: one sentence."""
    return RefusedError(
        f"Read-only mode (--read-only) changes no file and no key; run without --read-only "
        f"to {action}."
    )


def shown(text: str, limit: int = 60) -> str:
    """Text from a file or a server made safe for a one-line message: control and non-ASCII
    characters escaped (no terminal escape gets through), cut to `limit` characters."""
    safe = json.dumps(text)[1:-1]
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"
