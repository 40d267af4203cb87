"""`keyroll sandbox serve`: run the sandbox headless and print its endpoints as JSON."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tui.base.errors import EXIT_OK
from tui.sandbox.runtime import Sandbox


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; print one line of JSON once every server listens."""
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(
            scenario=args.scenario, speed=args.speed, port_base=args.port_base or 0
        ) as sandbox:
            info = sandbox.info()
            if getattr(args, "write_config", None):
                from tui.sandbox.write_config import write_config

                write_config(info, Path(args.write_config))
            sys.stdout.write(json.dumps(info) + "\n")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return EXIT_OK
