"""keyroll's record of the racks it saw last time, so a Console that does not answer hides none.

One small JSON file in keyroll's state dir: for each Console host, the `org/name` of every
rack its `GET /racks` listed; and the hosts a Convox CLI login names that turned out to be
racks, not Consoles (a legacy `~/.convox` login straight to a rack), with their names. Names
and hosts only, never a key. Written atomically, and only when what was seen changed. It is
keyroll's own derived data: an unreadable record is reported and written anew at the next
listing, which holds everything it held.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.base.errors import KeyrollError
from tui.core.files import read_text, write_private

FILE_NAME = "inventory.json"
VERSION = 1


@dataclass
class SeenRacks:
    """What the record holds: Console racks by Console host, and rack hosts with their names."""

    consoles: dict[str, list[str]] = field(default_factory=dict)
    rack_hosts: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "consoles": {host: sorted(names) for host, names in sorted(self.consoles.items())},
            "rack_hosts": dict(sorted(self.rack_hosts.items())),
        }


def _parse(data: Any) -> SeenRacks:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not a keyroll inventory record")
    consoles, rack_hosts = data.get("consoles", {}), data.get("rack_hosts", {})
    if not isinstance(consoles, dict) or not isinstance(rack_hosts, dict):
        raise ValueError("not a keyroll inventory record")
    seen = SeenRacks()
    for host, names in consoles.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"bad rack list for {host}")
        seen.consoles[str(host)] = list(names)
    for host, name in rack_hosts.items():
        if not isinstance(name, str):
            raise ValueError(f"bad rack name for {host}")
        seen.rack_hosts[str(host)] = name
    return seen


class InventoryRecord:
    """The record file at `path`; with `writable` false (read-only mode) it is never written."""

    def __init__(self, path: Path, *, writable: bool = True) -> None:
        self.path = path
        self.writable = writable
        self._read: SeenRacks | None = None

    def __repr__(self) -> str:
        return f"InventoryRecord({str(self.path)!r}, writable={self.writable})"

    def read(self, problems: list[str]) -> SeenRacks:
        """What was seen last time (empty when nothing was); a bad file adds to `problems`."""
        text = read_text(self.path)
        seen = SeenRacks()
        if text is not None:
            try:
                seen = _parse(json.loads(text))
            except (ValueError, RecursionError):
                problems.append(
                    f"keyroll's record of the racks it saw ({self.path}) cannot be read; "
                    "keyroll writes it anew at the next rack listing."
                )
        self._read = SeenRacks(dict(seen.consoles), dict(seen.rack_hosts))
        return seen

    def save(self, seen: SeenRacks, problems: list[str]) -> None:
        """Write `seen` when it differs from what `read` found (and writing is allowed)."""
        if not self.writable or (self._read is not None and seen.to_json() == self._read.to_json()):
            return
        try:
            write_private(self.path, json.dumps(seen.to_json(), indent=2) + "\n", tighten_dir=True)
        except KeyrollError as error:  # a record not written costs only the next listing
            problems.append(str(error))
            return
        self._read = SeenRacks(dict(seen.consoles), dict(seen.rack_hosts))
