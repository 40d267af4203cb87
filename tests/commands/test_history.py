"""`keyroll history`: how a roll's measured downtime reads in the table."""

from __future__ import annotations

from tui.commands.history import as_json, table
from tui.core.journal import RollRecord, Step

STARTED, ENDED = "2026-01-02T03:04:05+00:00", "2026-01-02T03:05:05+00:00"


def _record(outcome: str | None, downtime: float | None) -> RollRecord:
    return RollRecord(
        roll_id=f"r-{outcome}",
        kind="rack-key",
        rack="dev",
        route="rack",
        started=STARTED,
        steps=(Step("planned", STARTED), Step("watching", STARTED)),
        outcome=outcome,
        ended=ENDED if outcome else None,
        downtime_s=downtime,
        longest_outage_s=downtime,
    )


def test_a_finished_roll_that_measured_nothing_says_not_measured() -> None:
    """Issue 12, item 6: a refused roll's downtime read '-' like an unfinished one's."""
    rows = [
        as_json(_record("succeeded", 0.0)),
        as_json(_record("refused", None)),
        as_json(_record(None, None)),
    ]
    assert rows[1]["downtime_s"] is None and rows[1]["longest_outage_s"] is None
    _, measured, refused, unfinished = table(rows).splitlines()
    assert measured.rstrip().endswith("0.0 s")
    assert refused.rstrip().endswith("not measured")
    assert unfinished.rstrip().endswith("-") and "unfinished (watching)" in unfinished
