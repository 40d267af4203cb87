"""The keystore: every API key and instance private key keyroll holds, in one 0600 JSON file.

Keys are stored by host: a rack host holds that rack's API key, a Console host holds the
account key (which also reaches every rack that Console proxies). During a rack-key roll a
host holds its `current` key and a `pending` one; when the roll ends the loser becomes
`retired`, kept for `RETIRED_KEEP_DAYS` so that no key is ever lost. Every change is read,
applied and written atomically under a lock before the call returns.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.base.errors import BadInputError, RefusedError
from tui.base.secret import Secret
from tui.core import paths
from tui.core.files import ensure_private_dir, read_text, write_private

FORMAT_VERSION = 1
CURRENT, PENDING, RETIRED = "current", "pending", "retired"
ROLES = (CURRENT, PENDING, RETIRED)
RETIRED_KEEP_DAYS = 90
RETIRED_KEEP_MIN = 5


class KeystoreError(BadInputError):
    """The keystore file cannot be read as a keystore; it is left untouched."""


@dataclass(frozen=True)
class KeyEntry:
    """One key held for a host, with its role and when that role was set."""

    key: Secret
    role: str
    since: str

    @property
    def fingerprint(self) -> str:
        return self.key.fingerprint()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Keystore:
    """API keys by host, with roles, and instance private keys by rack and key-pair name."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.keystore_file()
        self._data = self._load()

    def __repr__(self) -> str:
        return f"Keystore({str(self.path)!r}, hosts={len(self._data['hosts'])})"

    # Reading

    def hosts(self) -> list[str]:
        """Every host the keystore holds a key for."""
        return sorted(self._data["hosts"])

    def entries(self, host: str) -> list[KeyEntry]:
        """Every key held for `host`: pending, current, then retired newest first."""
        raw = self._data["hosts"].get(host, [])
        order = {PENDING: 0, CURRENT: 1, RETIRED: 2}
        items = sorted(raw, key=lambda e: (order[e["role"]], _neg(e["since"])))
        return [KeyEntry(Secret(e["key"]), e["role"], e["since"]) for e in items]

    def current(self, host: str) -> Secret | None:
        """The key `host` accepts as far as keyroll knows."""
        return self._one(host, CURRENT)

    def pending(self, host: str) -> Secret | None:
        """The new key of a rack-key roll that has not finished."""
        return self._one(host, PENDING)

    def keys_for(self, host: str) -> list[Secret]:
        """The keys a dual-key client tries, in order: pending first, then current."""
        return [e.key for e in self.entries(host) if e.role in (PENDING, CURRENT)]

    def retired(self, host: str) -> list[Secret]:
        """Keys `host` used to accept, newest first."""
        return [e.key for e in self.entries(host) if e.role == RETIRED]

    def has_fingerprint(self, fingerprint: str) -> bool:
        """Whether any key held (API or private, any role) has this fingerprint."""
        for entries in self._data["hosts"].values():
            if any(Secret(e["key"]).fingerprint() == fingerprint for e in entries):
                return True
        for names in self._data["private_keys"].values():
            if any(Secret(e["key"]).fingerprint() == fingerprint for e in names.values()):
                return True
        return False

    def private_key(self, rack: str, name: str) -> Secret | None:
        """The instance SSH private key of key pair `name` on `rack`, if keyroll made it."""
        entry = self._data["private_keys"].get(rack, {}).get(name)
        return Secret(entry["key"]) if entry else None

    def private_key_names(self, rack: str) -> list[str]:
        """The key-pair names keyroll holds a private key for on `rack`."""
        return sorted(self._data["private_keys"].get(rack, {}))

    # Changing (each call is written to disk before it returns)

    def set_current(self, host: str, key: Secret) -> None:
        """Make `key` the current key of `host` (a login or a paste); the old one is retired."""
        with self._change() as data:
            entries = data["hosts"].setdefault(host, [])
            if any(e["role"] == CURRENT and e["key"] == key.reveal() for e in entries):
                return
            _retire(entries, lambda e: e["role"] == CURRENT or e["key"] == key.reveal())
            entries.append(_entry(key, CURRENT))

    def add_pending(self, host: str, key: Secret) -> None:
        """Hold the new key of a roll beside the current one, before the rack is asked to change.

        A host holds one pending key: a second different one is refused until the first is
        promoted or retired, so an unfinished roll is never silently forgotten.
        """
        with self._change() as data:
            entries = data["hosts"].setdefault(host, [])
            pending = [e for e in entries if e["role"] == PENDING]
            if pending and pending[0]["key"] == key.reveal():
                return
            if pending:
                raise RefusedError(
                    f"{host} already has a pending key from an unfinished roll; resume or "
                    "abandon that roll (`keyroll resume`) before starting another."
                )
            if any(e["role"] == CURRENT and e["key"] == key.reveal() for e in entries):
                raise BadInputError(
                    f"The new key for {host} is the key it already uses; choose a new key."
                )
            entries.append(_entry(key, PENDING))

    def promote(self, host: str, key: Secret) -> None:
        """The roll succeeded: pending `key` becomes current and the old current is retired."""
        with self._change() as data:
            entries = data["hosts"].setdefault(host, [])
            if any(e["role"] == CURRENT and e["key"] == key.reveal() for e in entries):
                return
            if not any(e["role"] == PENDING and e["key"] == key.reveal() for e in entries):
                raise BadInputError(
                    f"The key to promote for {host} is not its pending key; keyroll changed "
                    "nothing, check the roll journal."
                )
            _retire(entries, lambda e: e["role"] == CURRENT)
            for e in entries:
                if e["role"] == PENDING:
                    e["role"], e["since"] = CURRENT, _now()

    def retire_pending(self, host: str, key: Secret) -> None:
        """The roll failed or rolled back: pending `key` is retired and current stays."""
        with self._change() as data:
            entries = data["hosts"].setdefault(host, [])
            _retire(entries, lambda e: e["role"] == PENDING and e["key"] == key.reveal())

    def put_private_key(self, rack: str, name: str, key: Secret) -> None:
        """Keep the instance SSH private key of key pair `name` made for `rack`."""
        with self._change() as data:
            data["private_keys"].setdefault(rack, {})[name] = {
                "key": key.reveal(),
                "since": _now(),
            }

    # File handling

    def _one(self, host: str, role: str) -> Secret | None:
        for e in self.entries(host):
            if e.role == role:
                return e.key
        return None

    def _load(self) -> dict[str, Any]:
        text = read_text(self.path)
        if text is None:
            return {"version": FORMAT_VERSION, "hosts": {}, "private_keys": {}}
        return _parse(text, self.path)

    @contextmanager
    def _change(self) -> Iterator[dict[str, Any]]:
        """Read the file fresh under a lock, let the caller change it, write it back."""
        ensure_private_dir(self.path.parent, tighten=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = self._load()
            yield data
            _prune(data)
            write_private(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
            self._data = data
        finally:
            os.close(fd)


def _entry(key: Secret, role: str) -> dict[str, str]:
    return {"key": key.reveal(), "role": role, "since": _now()}


def _retire(entries: list[dict[str, str]], which: Any) -> None:
    for e in entries:
        if e["role"] != RETIRED and which(e):
            e["role"], e["since"] = RETIRED, _now()


def _prune(data: dict[str, Any]) -> None:
    """Drop retired keys older than RETIRED_KEEP_DAYS, always keeping the newest few."""
    limit = datetime.now(UTC) - timedelta(days=RETIRED_KEEP_DAYS)
    for host, entries in data["hosts"].items():
        retired = sorted(
            (e for e in entries if e["role"] == RETIRED), key=lambda e: _neg(e["since"])
        )
        drop = {
            id(e) for e in retired[RETIRED_KEEP_MIN:] if datetime.fromisoformat(e["since"]) < limit
        }
        data["hosts"][host] = [e for e in entries if id(e) not in drop]


def _neg(since: str) -> float:
    return -datetime.fromisoformat(since).timestamp()


def _parse(text: str, path: Path) -> dict[str, Any]:
    """Check the file's shape; any damage is an error naming the file, never a rewrite."""

    def bad(what: str) -> KeystoreError:
        return KeystoreError(
            f"The keystore {path} is damaged ({what}); keyroll left it unchanged, restore it "
            "from a backup or move it aside."
        )

    try:
        data = json.loads(text)
    except RecursionError:
        raise bad("JSON nested too deeply") from None
    except json.JSONDecodeError as error:
        raise bad(f"not JSON at line {error.lineno}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise bad(f"not a version {FORMAT_VERSION} keystore")
    hosts, private = data.get("hosts"), data.get("private_keys")
    if not isinstance(hosts, dict) or not isinstance(private, dict):
        raise bad("'hosts' or 'private_keys' is missing")
    for host, entries in hosts.items():
        if not isinstance(entries, list):
            raise bad(f"the entry for {host} is not a list")
        for e in entries:
            if not (
                isinstance(e, dict)
                and isinstance(e.get("key"), str)
                and e.get("role") in ROLES
                and _is_time(e.get("since"))
            ):
                raise bad(f"a key entry for {host} is malformed")
    for rack, names in private.items():
        if not isinstance(names, dict) or not all(
            isinstance(e, dict) and isinstance(e.get("key"), str) and _is_time(e.get("since"))
            for e in names.values()
        ):
            raise bad(f"a private key entry for {rack} is malformed")
    return data


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
