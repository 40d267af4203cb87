"""The dashboard's first frame loads no network stack: what `startup_ratio` depends on.

The modules the racks screen needs to draw (the app, the racks screen, the CLI entry point)
import neither boto3 nor httpx; those load in workers once the frame is on screen.
"""

from __future__ import annotations

import subprocess
import sys

FIRST_FRAME_MODULES = ("tui.cli", "tui.commands.dashboard", "tui.app", "tui.screens.racks")
NETWORK_MODULES = ("boto3", "botocore", "httpx", "httpcore")


def test_first_frame_modules_import_no_network_stack() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in FIRST_FRAME_MODULES)
        + f"print(','.join(m for m in {NETWORK_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_the_check_sees_a_network_import() -> None:
    code = f"import sys, tui.clients.http\nprint('httpx' in sys.modules, {NETWORK_MODULES!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.startswith("True")
