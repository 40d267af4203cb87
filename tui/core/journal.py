"""The roll journal: every roll written ahead, step by step, so a crash never loses one.

One JSON file per roll in the state dir, rewritten atomically before each step. Keys appear
only as `Secret.fingerprint()`. The journal refuses to record `update-requested` for a roll
whose new key is not already in the keystore, so a key that is about to go live on a rack is
always on disk first. `RackLock` keeps two keyroll processes from rolling one rack at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.base.secret import Secret
from tui.core import paths
from tui.core.files import ensure_private_dir, read_text, write_private
from tui.core.keystore import Keystore
from tui.core.rolls.events import RollKind

KINDS = tuple(RollKind)
ROUTES = ("console", "rack", "cloudformation")
STEPS = ("planned", "key-stored", "update-requested", "watching", "verifying", "outcome")
OUTCOMES = ("succeeded", "rolled_back", "failed", "refused")


class JournalError(KeyrollError):
    """A roll record cannot be read or does not allow the step asked for."""


@dataclass(frozen=True)
class Step:
    """One step of a roll, recorded before the step is taken."""

    name: str
    at: str
    message: str | None = None


@dataclass(frozen=True)
class RollRecord:
    """Everything the journal knows about one roll."""

    roll_id: str
    kind: str
    rack: str
    route: str
    started: str
    steps: tuple[Step, ...]
    host: str | None = None
    new_key: str | None = None
    old_key: str | None = None
    outcome: str | None = None
    ended: str | None = None
    downtime_s: float | None = None
    longest_outage_s: float | None = None
    old_key_refused: bool | None = None
    messages: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def last_step(self) -> str:
        return self.steps[-1].name

    def to_json(self) -> dict[str, Any]:
        """The record as the journal stores it (and as `--json` prints it)."""
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["steps"] = [{"step": s.name, "at": s.at, "message": s.message} for s in self.steps]
        data["messages"] = list(self.messages)
        return data

    @classmethod
    def from_json(cls, data: Any) -> RollRecord:
        fields = dict(data)
        fields["steps"] = tuple(Step(s["step"], s["at"], s.get("message")) for s in data["steps"])
        fields["messages"] = tuple(data.get("messages", ()))
        record = cls(**fields)
        if record.kind not in KINDS or record.route not in ROUTES or not record.steps:
            raise ValueError("not a roll record")
        return record


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a rack's roll history."""

    roll_id: str
    kind: str
    route: str
    started: str
    ended: str | None
    outcome: str | None
    downtime_s: float | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _safe(name: str) -> str:
    """A rack name (maybe `org/name`) as a file-name part."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class Journal:
    """Roll records in a directory (keyroll's state dir by default)."""

    def __init__(self, directory: Path | None = None, keystore: Keystore | None = None) -> None:
        self.directory = directory or paths.journal_dir()
        self.keystore = keystore
        self.problems: list[str] = []

    def __repr__(self) -> str:
        return f"Journal({str(self.directory)!r})"

    def begin(
        self,
        kind: str,
        rack: str,
        route: str,
        *,
        host: str | None = None,
        new_key: Secret | None = None,
        old_key: Secret | None = None,
        message: str | None = None,
    ) -> RollRecord:
        """Record a planned roll and return it with its new roll id."""
        if kind not in KINDS:
            raise BadInputError(f"'{kind}' is not a roll kind; use one of {', '.join(KINDS)}.")
        if route not in ROUTES:
            raise BadInputError(f"'{route}' is not a roll route; use one of {', '.join(ROUTES)}.")
        now = _now()
        stamp = datetime.fromisoformat(now).strftime("%Y%m%dT%H%M%S")
        record = RollRecord(
            roll_id=f"{stamp}-{_safe(rack)}-{kind}-{secrets.token_hex(3)}",
            kind=kind,
            rack=rack,
            route=route,
            started=now,
            steps=(Step("planned", now, message),),
            host=host,
            new_key=new_key.fingerprint() if new_key is not None else None,
            old_key=old_key.fingerprint() if old_key is not None else None,
        )
        self._write(record)
        return record

    def step(
        self,
        roll_id: str,
        name: str,
        *,
        message: str | None = None,
        new_key: Secret | None = None,
    ) -> RollRecord:
        """Record that step `name` is about to be taken (call it before taking the step)."""
        if name not in STEPS or name in ("planned", "outcome"):
            allowed = ", ".join(s for s in STEPS if s not in ("planned", "outcome"))
            raise BadInputError(f"'{name}' is not a roll step to record; use one of {allowed}.")
        record = self._open(roll_id)
        updates: dict[str, Any] = {}
        if new_key is not None:
            updates["new_key"] = new_key.fingerprint()
        fingerprint = updates.get("new_key", record.new_key)
        if name == "update-requested":
            self._check_key_stored(record, fingerprint)
        return self._append(record, Step(name, _now(), message), **updates)

    def finish(
        self,
        roll_id: str,
        outcome: str,
        *,
        downtime_s: float | None = None,
        longest_outage_s: float | None = None,
        old_key_refused: bool | None = None,
        message: str | None = None,
    ) -> RollRecord:
        """Record the roll's outcome and measurements; no step may follow."""
        if outcome not in OUTCOMES:
            raise BadInputError(f"'{outcome}' is not an outcome; use one of {', '.join(OUTCOMES)}.")
        record = self._open(roll_id)
        now = _now()
        return self._append(
            record,
            Step("outcome", now, message),
            outcome=outcome,
            ended=now,
            downtime_s=downtime_s,
            longest_outage_s=longest_outage_s,
            old_key_refused=old_key_refused,
        )

    def note(self, roll_id: str, message: str) -> RollRecord:
        """Add a message to a roll (shown in its summary); never put a key's value in it."""
        record = self._read(roll_id)
        return self._replace(record, messages=(*record.messages, message))

    def get(self, roll_id: str) -> RollRecord:
        """The record of one roll."""
        return self._read(roll_id)

    def records(self) -> list[RollRecord]:
        """Every readable record, newest first; unreadable ones are listed in `problems`."""
        self.problems = []
        out: list[RollRecord] = []
        if not self.directory.is_dir():
            return out
        for path in self.directory.glob("*.json"):
            try:
                out.append(self._read(path.stem))
            except JournalError as error:
                self.problems.append(str(error))
        return sorted(out, key=lambda r: r.started, reverse=True)

    def unfinished(self) -> list[RollRecord]:
        """Rolls with no outcome yet (a crash or a kill left them): resume or abandon them."""
        return [r for r in self.records() if not r.finished]

    def history(self, rack: str | None = None) -> list[HistoryEntry]:
        """Rolls of `rack` (or of every rack), newest first."""
        return [
            HistoryEntry(r.roll_id, r.kind, r.route, r.started, r.ended, r.outcome, r.downtime_s)
            for r in self.records()
            if rack is None or r.rack == rack
        ]

    # Internals

    def _path(self, roll_id: str) -> Path:
        if _safe(roll_id) != roll_id:
            raise BadInputError(f"'{roll_id}' is not a roll id; copy it from `keyroll history`.")
        return self.directory / f"{roll_id}.json"

    def _read(self, roll_id: str) -> RollRecord:
        path = self._path(roll_id)
        text = read_text(path)
        if text is None:
            raise BadInputError(f"There is no roll {roll_id} in {self.directory}; check the id.")
        try:
            return RollRecord.from_json(json.loads(text))
        except (ValueError, TypeError, KeyError, RecursionError):
            raise JournalError(
                f"The roll record {path} is damaged; keyroll left it unchanged, move it aside "
                "to continue."
            ) from None

    def _open(self, roll_id: str) -> RollRecord:
        record = self._read(roll_id)
        if record.finished:
            raise RefusedError(
                f"Roll {roll_id} already ended ({record.outcome}); start a new roll instead."
            )
        return record

    def _check_key_stored(self, record: RollRecord, fingerprint: str | None) -> None:
        if fingerprint is None:
            if (
                record.kind == RollKind.RACK_KEY and record.route != "console"
            ):  # Console keeps its key
                raise RefusedError(
                    f"Roll {record.roll_id} has no new key recorded; keyroll will not request "
                    "a rack-key update whose key is not stored first."
                )
            return
        store = Keystore(self.keystore.path) if self.keystore is not None else None
        if store is None or not store.has_fingerprint(fingerprint):
            raise RefusedError(
                f"The new key of roll {record.roll_id} is not in the keystore; store it "
                "before requesting the update so a crash cannot lose it."
            )

    def _append(self, record: RollRecord, step: Step, **updates: Any) -> RollRecord:
        return self._replace(record, steps=(*record.steps, step), **updates)

    def _replace(self, record: RollRecord, **updates: Any) -> RollRecord:
        data = record.to_json()
        data.update(updates)
        if "steps" in updates:
            data["steps"] = [
                {"step": s.name, "at": s.at, "message": s.message} for s in updates["steps"]
            ]
        if "messages" in updates:
            data["messages"] = list(updates["messages"])
        new = RollRecord.from_json(data)
        self._write(new)
        return new

    def _write(self, record: RollRecord) -> None:
        text = json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n"
        write_private(self._path(record.roll_id), text, tighten_dir=True)


class RackLock:
    """An exclusive, non-blocking lock on one rack, held for the length of a roll.

    The lock is `fcntl.flock` on a file beside the journal: the kernel drops it when the
    process ends, so a crash never leaves a rack locked.
    """

    def __init__(self, rack: str, directory: Path | None = None) -> None:
        self.rack = rack
        self.path = (directory or paths.locks_dir()) / f"{_safe(rack)}.lock"
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"RackLock({self.rack!r}, held={self._fd is not None})"

    def acquire(self) -> None:
        """Take the lock or raise `RefusedError` when another process holds it."""
        ensure_private_dir(self.path.parent, tighten=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise RefusedError(
                f"Rack {self.rack} is being rolled by another keyroll process{pid}; "
                "wait for that roll to finish, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Let another process roll the rack."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RackLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
