"""The roll screen tells how a roll is watched from where its stack events come from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.tui.roll_harness import ReplayApp, plain, replayed_run, until_replayed
from tui.core.rolls.events import Phase, PhaseChanged, RollEvent, StackEventSeen, StackEventSource

AT = datetime(2025, 3, 4, 9, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("source", "watched"),
    [
        (StackEventSource.CLOUDFORMATION, "watched through CloudFormation"),
        (StackEventSource.RACK_STATUS, "watched through the rack's status"),
    ],
)
async def test_the_header_names_the_source_of_the_stack_events(
    source: StackEventSource, watched: str
) -> None:
    # the same reason text either way: only the source field tells the two apart
    status = StackEventSeen(
        AT, "acme/staging", "updating", "rack status (GET /system)", source=source
    )
    events: list[RollEvent] = [PhaseChanged(Phase.WATCHING), status]
    app = ReplayApp(replayed_run(events))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_replayed(pilot)
        header = plain(screen.header_bar)
    assert watched in header
