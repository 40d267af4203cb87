"""A roll's summary: what `--json` prints, what the roll screen shows at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.core.rolls.events import Outcome, StackEventSeen


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
    downtime_s: float = 0.0
    longest_outage_s: float = 0.0
    probes: int = 0
    old_key_refused: bool | None = None
    watched_with: str = ""
    final_stack_status: str = ""
    events: list[StackEventSeen] = field(default_factory=list)
    failure_reasons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def to_json(self) -> dict[str, Any]:
        """The object `keyroll roll ... --json` prints."""
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
