"""`keyroll` with no command: the dashboard (on the sandbox when there is nothing else to show)."""

from __future__ import annotations

import argparse
import gc
from typing import TYPE_CHECKING, TextIO

from tui.base.errors import EXIT_OK, BadInputError
from tui.services.workspace import starts_on_sandbox

if TYPE_CHECKING:
    from tui.app import KeyrollApp

HEADLESS_COMMANDS = (
    "keyroll racks, keyroll switch RACK, keyroll roll KIND, keyroll history, keyroll resume"
)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


def require_terminal(stdin: TextIO, stdout: TextIO) -> None:
    """The full-screen dashboard reads keys from a terminal and draws on one: refuse without."""
    if _is_terminal(stdin) and _is_terminal(stdout):
        return
    raise BadInputError(
        "The dashboard needs a terminal (stdin and stdout are not both one); for scripts use "
        f"the headless commands ({HEADLESS_COMMANDS}; `keyroll --help` lists them all)."
    )


def make_app(args: argparse.Namespace) -> KeyrollApp:
    """The dashboard app, its files already opening in a thread while Textual loads."""
    if not getattr(args, "sandbox", False) and starts_on_sandbox():
        args.sandbox = True
        args.auto_sandbox = True
    from tui.services.workspace import open_workspace
    from tui.services.workspace_opening import WorkspaceOpening

    # Start-up allocates a few hundred thousand long-lived objects (Textual, the screens, the
    # inventory); collecting garbage among them costs a tenth of the first frame and frees
    # nothing. The app freezes them and turns collection back on once its first frame is
    # painted (`KeyrollApp.on_mount`).
    gc.disable()
    opening = WorkspaceOpening(open_workspace, args)  # before Textual's imports, not after
    from tui.app import KeyrollApp

    return KeyrollApp(args, opening=opening)


def run(args: argparse.Namespace) -> int:
    """Open the dashboard; with no Convox config and no keyroll racks or keys, on the sandbox."""
    result = make_app(args).run()
    return EXIT_OK if result is None else int(result)
