"""A roll's summary: what `--json` prints, what the roll screen shows at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.core.rolls.events import InstanceProgress, Outcome, RollKind, StackEventSeen


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RollSummary:
    """Everything a roll measured and decided. It never holds a key, only fingerprints."""

    kind: str
    rack: str
    via: str
    roll_id: str = ""
    outcome: Outcome | None = None
    started_at: str = field(default_factory=now_iso)
    finished_at: str | None = None
    # None: nothing was measured (refused, detached, no probe ran), never a claimed 0.0 s
    downtime_s: float | None = None
    longest_outage_s: float | None = None
    probes: int = 0
    old_key_refused: bool | None = None
    watched_with: str = ""
    final_stack_status: str = ""
    events: list[StackEventSeen] = field(default_factory=list)
    # an instance keyroll's instances and batches, as the dashboard shows them (None: unknown)
    instances_before: list[str] | None = None
    instances_after: list[str] | None = None
    batches: list[dict[str, Any]] = field(default_factory=list)
    # an account-key roll: where the new key went (keyroll's keystore, the CLI's auth files)
    key_saved_to: str | None = None
    cli_auth_files: list[str] = field(default_factory=list)
    failure_reasons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def measured(self) -> bool:
        """Whether the probe measured the rack's availability during this roll."""
        return self.probes > 0 and self.downtime_s is not None

    def record_availability(self, downtime_s: float, longest_outage_s: float, probes: int) -> None:
        """The probe's timeline; a probe that never answered back measured nothing."""
        if probes <= 0:
            self.forget_availability()
            return
        self.downtime_s, self.longest_outage_s, self.probes = downtime_s, longest_outage_s, probes

    def forget_availability(self) -> None:
        """A refused or unfinished roll: what its probe saw is not the roll's downtime."""
        self.downtime_s = self.longest_outage_s = None
        self.probes = 0

    def record_batch(self, progress: InstanceProgress) -> None:
        """The newest state of each batch in turn (a rollback's batches count again from 1)."""
        if progress.batch < 1:  # no batch has begun yet: nothing to show for it
            return
        batch = {
            "batch": progress.batch,
            "batches": progress.batches,
            "new_in_service": list(progress.new_in_service),
            "old_remaining": list(progress.old_remaining),
            "terminated": list(progress.terminated),
        }
        if self.batches and self.batches[-1]["batch"] == progress.batch:
            self.batches[-1] = batch
        else:
            self.batches.append(batch)

    def to_json(self) -> dict[str, Any]:
        """The object `keyroll roll ... --json` prints."""
        data = self._common_json()
        if self.kind == RollKind.INSTANCE_KEY:
            data["instances_before"] = self.instances_before
            data["instances_after"] = self.instances_after
            data["batches"] = [dict(b) for b in self.batches]
        if self.kind == RollKind.ACCOUNT_KEY:
            data["key_saved_to"] = self.key_saved_to
            data["cli_auth_files"] = list(self.cli_auth_files)
        return data

    def _common_json(self) -> dict[str, Any]:
        return {
            "roll_id": self.roll_id,
            "kind": self.kind,
            "rack": self.rack,
            "via": self.via,
            "outcome": self.outcome.value if self.outcome else "unfinished",
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "downtime_s": self.downtime_s,
            "longest_outage_s": self.longest_outage_s,
            "probes": self.probes,
            "old_key_refused": self.old_key_refused,
            "watched_with": self.watched_with,
            "final_stack_status": self.final_stack_status,
            "events": [
                {
                    "time": e.timestamp.isoformat(),
                    "logical_id": e.logical_id,
                    "status": e.status,
                    "reason": e.reason,
                }
                for e in self.events
            ],
            "failure_reasons": list(self.failure_reasons),
            "warnings": list(self.warnings),
            "messages": list(self.messages),
        }
