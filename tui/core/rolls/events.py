"""What a roll reports as it goes: typed events, one callback, for the TUI and the CLI alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True)
class StackEventSeen:
    """One CloudFormation event of the roll's operation (or a rack status change without AWS)."""

    timestamp: datetime
    logical_id: str
    status: str
    reason: str = ""
    resource_type: str = ""
    physical_id: str = ""


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


@dataclass(frozen=True)
class Finished:
    """The roll is over (`outcome` None: stopped unfinished); `summary` is what `--json` prints."""

    outcome: Outcome | None
    summary: dict[str, object] = field(default_factory=dict)


RollEvent = (
    PhaseChanged
    | StackEventSeen
    | ProbeSeen
    | InstanceProgress
    | ServiceProcesses
    | BackoffNotice
    | Note
    | Finished
)
