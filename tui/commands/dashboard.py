"""`keyroll` with no command: the dashboard (on the sandbox when there is nothing else to show)."""

from __future__ import annotations

import argparse

from tui.commands.workspace import starts_on_sandbox
from tui.core.errors import EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Open the dashboard; with no Convox config and no keyroll racks or keys, on the sandbox."""
    if not getattr(args, "sandbox", False) and starts_on_sandbox():
        args.sandbox = True
        args.auto_sandbox = True
    from tui.app import KeyrollApp

    app = KeyrollApp(args)
    result = app.run()
    return EXIT_OK if result is None else int(result)
