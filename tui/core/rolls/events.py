"""What a roll reports as it goes: typed events, one callback, for the TUI and the CLI alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tui.base.secret import Secret

if TYPE_CHECKING:  # the summary's module reads these events: typing only, no import circle
    from tui.core.rolls.summary import RollSummary


class RollKind(StrEnum):
    """The three keys a rack has, as the journal, the CLI and `--json` name them."""

    ACCOUNT_KEY = "account-key"
    RACK_KEY = "rack-key"
    INSTANCE_KEY = "instance-key"


class Phase(StrEnum):
    """The steps of every roll, in order; the journal records each before it starts."""

    PREFLIGHT = "preflight"
    PLANNED = "planned"
    KEY_STORED = "key-stored"
    UPDATE_REQUESTED = "update-requested"
    WATCHING = "watching"
    VERIFYING = "verifying"
    DONE = "outcome"


class Outcome(StrEnum):
    """How a roll ended. `rolled_back` and `failed` exit 1, `refused` exits 3."""

    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    REFUSED = "refused"


@dataclass(frozen=True)
class PhaseChanged:
    phase: Phase
    detail: str = ""


class StackEventSource(StrEnum):
    """Where a stack event was read: the roll's watch mode, told by the event itself."""

    CLOUDFORMATION = "cloudformation"  # the stack's events (`DescribeStackEvents`)
    RACK_STATUS = "rack-status"  # the rack's own status word, without AWS (`GET /system`)
    # a later issue adds the rack's log stream here


@dataclass(frozen=True)
class StackEventSeen:
    """One event of the roll's stack update: CloudFormation's, or a change of the rack's
    status when keyroll watches without AWS (`source` says which; `timestamp` is then
    keyroll's own clock, and `reason` empty)."""

    timestamp: datetime
    logical_id: str
    status: str
    reason: str = ""
    resource_type: str = ""
    physical_id: str = ""
    source: StackEventSource = StackEventSource.CLOUDFORMATION


@dataclass(frozen=True)
class ProbeSeen:
    """One availability probe: up or down, latency, which key answered."""

    up: bool
    latency_s: float
    detail: str = ""


@dataclass(frozen=True)
class InstanceProgress:
    """Instance replacement during a keyroll: batch n of m, old ids gone, new ids in service."""

    batch: int
    batches: int
    old_remaining: tuple[str, ...] = ()
    new_in_service: tuple[str, ...] = ()
    terminated: tuple[str, ...] = ()
    rolling_back: bool = False
    new_key_left: int = 0  # during a rollback: instances with the new key pair it still replaces


@dataclass(frozen=True)
class ServiceProcesses:
    """One service's running processes during an instance keyroll, against its desired count."""

    app: str
    service: str
    running: int
    desired: int


@dataclass(frozen=True)
class BackoffNotice:
    """The AWS API throttled us; the watch waits this long before the next call."""

    delay_s: float
    reason: str = "throttled"


@dataclass(frozen=True)
class Note:
    """A message for the person watching: info, warning, or error."""

    text: str
    level: str = "info"


class NewAccountKey:
    """The Console returned a new account key: the dashboard shows it once.

    The run keeps every event, so this one hands its key over a single time: `take()` returns
    it once and the event holds nothing after; until then `held` reads it without taking it.
    The key stays a `Secret` (masked in `repr`) all the way to the reveal-once dialog.
    """

    __slots__ = ("_key",)

    def __init__(self, key: Secret) -> None:
        self._key: Secret | None = key

    @property
    def held(self) -> Secret | None:
        """The key, if nobody took it yet."""
        return self._key

    def take(self) -> Secret | None:
        """The key, once: later calls (and `held`) return None."""
        key, self._key = self._key, None
        return key

    def __repr__(self) -> str:
        return f"NewAccountKey({self._key!r})" if self._key is not None else "NewAccountKey(taken)"


@dataclass(frozen=True)
class Finished:
    """The roll is over (`outcome` None: stopped unfinished); `summary` is the roll's
    `RollSummary` as the roll returns it (its `to_json()` is what `--json` prints)."""

    outcome: Outcome | None
    summary: RollSummary | None = None


RollEvent = (
    PhaseChanged
    | StackEventSeen
    | ProbeSeen
    | InstanceProgress
    | ServiceProcesses
    | BackoffNotice
    | Note
    | NewAccountKey
    | Finished
)
