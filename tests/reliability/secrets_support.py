"""Secrets for the reliability suite: every key a sandbox world knows, the places keyroll may
show or write text, and the search of one in the other.

A key is searched in the forms it could leak in: as is, inside HTTP Basic auth
(`base64("convox:<key>")`), and, for a private SSH key, each line of its PEM body.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tui.base.secret import Secret
from tui.core.keystore import Keystore
from tui.sandbox.runtime import Sandbox
from tui.services.workspace import Workspace

MIN_PEM_LINE = 40  # a PEM body line this long is unique to its key


@dataclass
class KnownKeys:
    """Every key seen so far: the world's (old ones stay known after a roll) and keyroll's."""

    values: dict[str, str] = field(default_factory=dict)  # value -> what it is

    def add(self, what: str, key: Secret | str | None) -> None:
        if key is None:
            return
        value = key.reveal() if isinstance(key, Secret) else key
        if value:
            self.values.setdefault(value, what)

    def gather(self, sandbox: Sandbox, keystore: Keystore) -> None:
        """Add what the world and the keystore hold right now."""
        world = sandbox.world
        with world.locked():
            self.add("account key", world.console.api_key)
            for rack in world.racks.values():
                for key in rack.api_keys:
                    self.add(f"{rack.full_name} API key", key)
                self.add(f"{rack.full_name} Password parameter", rack.stack.password)
            for name, key in world.console.rack_keys.items():
                self.add(f"Console's key for {name}", key)
            for name, pair in world.key_pairs.items():
                self.add(f"private key of {name}", pair.private_key)
        if sandbox.aws:
            self.add("AWS secret access key", sandbox.aws["secret_access_key"])
        for host in keystore.hosts():
            for entry in keystore.entries(host):
                self.add(f"keystore entry for {host}", entry.key)
        for rack in keystore._data["private_keys"]:
            for name in keystore.private_key_names(rack):
                self.add(f"keystore private key {name}", keystore.private_key(rack, name))

    def needles(self) -> dict[str, str]:
        """Every string whose presence means a leak -> what leaked."""
        found: dict[str, str] = {}
        for value, what in self.values.items():
            found[value] = what
            basic = base64.b64encode(f"convox:{value}".encode()).decode()
            found[basic] = f"{what} (in Basic auth)"
            if "-----BEGIN" in value:
                for line in value.splitlines():
                    if len(line) >= MIN_PEM_LINE and not line.startswith("-----"):
                        found[line] = f"{what} (a line of it)"
        return found


def leaks(text: str, needles: dict[str, str]) -> list[str]:
    """What of `needles` appears in `text`."""
    return sorted({what for needle, what in needles.items() if needle in text})


class LogCapture(logging.Handler):
    """Every log record of every logger, at debug level, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # a record that cannot format is still evidence
            self.lines.append(f"{record.name} {record.msg!r} {record.args!r} ({error})")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


DEBUG_LOGGERS = ("", "botocore", "boto3", "urllib3", "httpx", "httpcore", "tui", "textual")


@contextmanager
def debug_logging() -> Iterator[LogCapture]:
    """Capture every logger at debug level (root, botocore, httpx, ...) for the block."""
    capture = LogCapture()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in DEBUG_LOGGERS}
    root.addHandler(capture)
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def workspace_opener(workspace: Workspace) -> object:
    """An `open_workspace` replacement that yields the test's own workspace every time."""

    @contextmanager
    def opener(_args: argparse.Namespace) -> Iterator[Workspace]:
        yield workspace

    return opener


def modes(root: Path) -> list[str]:
    """Every file under `root` that is not 0600, and every dir that is not 0700."""
    wrong = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            mode = stat.S_IMODE((Path(dirpath) / name).stat().st_mode)
            if mode != 0o700:
                wrong.append(f"dir {Path(dirpath) / name} is {mode:o}")
        for name in filenames:
            mode = stat.S_IMODE((Path(dirpath) / name).stat().st_mode)
            if mode != 0o600:
                wrong.append(f"file {Path(dirpath) / name} is {mode:o}")
    return wrong


def files_under(root: Path) -> list[Path]:
    """Every regular file under `root`."""
    return sorted(p for p in root.rglob("*") if p.is_file())
