"""The dashboard's session: what outlives a screen, and the one way a roll starts.

One object, without Textual, holds the opened workspace, the inventory, the racks' statuses,
each rack's last roll, the current rack, the rolls of this process (`RollRuns`), the status
schedule and the status poller's clients. It decides whether a roll may start
(`roll_refusal`), which target a name designates (`target_for`) and the options a roll runs
with (`roll_options`), and `start_roll` builds every roll (started, or resumed from a journal
record) through `tui.core.rolls.factory.build_roll`. Running the roll in a thread is the
front end's job: the session hands each new run to the `RollDriver` it was given.

The roll engine, the journal and the HTTP clients load on first use (inside the methods),
never when this module is imported: the dashboard's first frame does not wait for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tui.base.errors import KeyrollError, RefusedError
from tui.core.inventory import Inventory, RackEntry, RackStatus
from tui.core.roll_runs import RollRun, RollRuns
from tui.core.status_schedule import StatusSchedule

if TYPE_CHECKING:  # the roll engine and its HTTP clients load with the first roll or poll
    from tui.base.secret import Secret
    from tui.core.fleet_status import FleetStatus
    from tui.core.journal import HistoryEntry, RollRecord
    from tui.core.rolls.base import Roll
    from tui.core.rolls.events import RollEvent, RollKind
    from tui.core.rolls.summary import RollSummary
    from tui.core.rolls.target import RollOptions, RollTarget
    from tui.core.workspace import Workspace

# Runs a new roll (its `roll.run()`, or `run_resumed(record, ...)` when the record is given)
# and calls `session.roll_finished(run, summary)` at its end; the dashboard's is a thread worker.
RollDriver = Callable[[RollRun, "RollRecord | None"], None]
# Told of every event of every roll, from the roll's own thread.
RollEventSink = Callable[[RollRun, "RollEvent"], None]

READ_ONLY_SENTENCE = (
    "keyroll runs read-only (--read-only): it shows everything and changes nothing (no roll, "
    "switch or deletion)."
)
STILL_OPENING = "keyroll is still opening its files; try again in a moment."


class DashboardSession:
    """The state of one dashboard run and the decisions over it, without a terminal."""

    def __init__(
        self,
        *,
        read_only: bool = False,
        sandboxed: bool = False,
        auto_sandbox: bool = False,
        scenario: str = "ok",
        drive: RollDriver,
        on_event: RollEventSink | None = None,
    ) -> None:
        self.read_only = read_only
        self.sandboxed = sandboxed  # the racks are simulated (`--sandbox`)
        self.auto_sandbox = auto_sandbox  # on the sandbox because no real racks were found
        self.scenario = scenario  # the sandbox's scenario
        self.rolls = RollRuns()
        self.workspace: Workspace | None = None
        self.inventory: Inventory | None = None
        self.statuses: dict[str, RackStatus] = {}
        self.last_rolls: dict[str, HistoryEntry] = {}
        self.current_rack: str | None = None
        self.workspace_failure: str | None = None  # why keyroll's files could not be opened
        self.schedule = StatusSchedule(2.0, 30.0)
        self._drive = drive
        self._on_event = on_event
        self._fleet: FleetStatus | None = None  # the status poller's kept-alive clients
        self._fleet_lock = threading.Lock()
        self._closed = False

    # the workspace ----------------------------------------------------------------------------

    def open(
        self,
        workspace: Workspace,
        inventory: Inventory,
        last_rolls: dict[str, HistoryEntry],
        current_rack: str | None,
    ) -> None:
        """Hold an opened workspace: its racks, their last rolls, the current rack; the
        status schedule follows its settings."""
        self.workspace = workspace
        self.inventory = inventory
        self.last_rolls = last_rolls
        self.current_rack = current_rack
        settings = workspace.settings
        self.schedule = StatusSchedule(settings.poll_active_s, settings.poll_idle_s)

    def reloaded(self, inventory: Inventory, last_rolls: dict[str, HistoryEntry]) -> None:
        """The inventory and the journal were read again (after a roll ended)."""
        self.inventory = inventory
        self.last_rolls = last_rolls

    def find_rack(self, name: str) -> RackEntry | None:
        """The inventory's rack called exactly `name`, if the inventory is there and has it."""
        return self.inventory.find(name) if self.inventory is not None else None

    # rolls ------------------------------------------------------------------------------------

    def roll_refusal(self, rack: RackEntry | None = None) -> str | None:
        """Why no roll may start (read-only mode, or a rack marked read_only), or None."""
        if self.read_only:
            return READ_ONLY_SENTENCE
        if rack is not None and rack.read_only:
            return (
                f"{rack.name} is marked read_only in keyroll's settings; remove that mark to "
                "roll its keys."
            )
        return None

    def target_for(self, rack: str) -> RollTarget:
        """The roll target of `rack` (or `account@<console host>`); reads files: call it
        from a worker."""
        from tui.core.roll_targets import target_for

        if self.workspace is None:
            raise KeyrollError(STILL_OPENING)
        return target_for(self.workspace, rack, self.inventory)

    def account_target(self) -> RollTarget:
        """The roll target of the Console's account key."""
        from tui.core.roll_targets import account_target

        if self.workspace is None:
            raise KeyrollError(STILL_OPENING)
        return account_target(self.workspace, self.inventory)

    def roll_options(self, target: RollTarget, **overrides: Any) -> RollOptions:
        """The options a roll of `target` runs with: the settings' intervals, waiting to the end."""
        from tui.core.rolls.target import RollOptions

        return RollOptions.from_settings(target.settings, **overrides)

    def start_roll(
        self,
        kind: RollKind | str,
        target: RollTarget,
        route: str,
        *,
        options: RollOptions | None = None,
        own_key: Secret | None = None,
        relink: bool = False,
        force: bool = False,
        resume: RollRecord | None = None,
    ) -> RollRun:
        """Build the roll of `kind` on `target` by `route` and hand it to the driver.

        `options` default to `roll_options(target)`; `own_key`, `relink` and `force` go to the
        roll (see `build_roll`). With `resume` (a journal record) the driver resumes it instead
        of starting it. Refused in read-only mode. The rack's status is polled at the next tick.
        """
        from tui.core.rolls import factory

        if self.read_only:
            raise RefusedError(READ_ONLY_SENTENCE)
        kind = factory.roll_kind(kind)
        chosen = options if options is not None else self.roll_options(target)

        def make(emit: Callable[[RollEvent], None], cancel: threading.Event) -> Roll:
            return factory.build_roll(
                kind,
                target,
                route,
                options=chosen,
                emit=emit,
                cancel=cancel,
                own_key=own_key,
                relink=relink,
                force=force,
            )

        run = self.rolls.start(target.name, kind.value, route, make, on_event=self._on_event)
        self._drive(run, resume)
        self.schedule.hurry(run.rack, time.monotonic())
        return run

    def roll_finished(self, run: RollRun, summary: RollSummary) -> None:
        """Record a roll's end (from the driver's thread): its summary on the run."""
        self.rolls.finish(run, summary)

    def roll_ended(self, run: RollRun) -> None:
        """After a roll's end: its rack's next poll is now, with a new client (its keys changed)."""
        with self._fleet_lock:
            fleet = self._fleet
        if fleet is not None:
            fleet.forget(run.rack)
        self.schedule.hurry(run.rack, time.monotonic())

    # statuses ---------------------------------------------------------------------------------

    def poll_due(self, now: float | None = None) -> dict[str, RackStatus] | None:
        """Poll the racks whose status is due; None when there is nothing to poll any more
        (no workspace yet, or the session closed). Blocks on the network: a worker's call."""
        inventory, workspace = self.inventory, self.workspace
        if inventory is None or workspace is None:
            return None
        now = time.monotonic() if now is None else now
        due = self.schedule.due([r.name for r in inventory.racks], now)
        if not due:
            return {}
        fleet = self._status_fleet(with_fresh_keys(inventory, workspace))
        if fleet is None:
            return None
        active = {run.rack for run in self.rolls.running()}
        statuses = fleet.refresh([r for r in inventory.racks if r.name in due])
        self.schedule.polled(due, active, time.monotonic())
        return statuses

    def next_poll_s(self, cap: float) -> float:
        """Seconds until the next rack's status is due, at most `cap`."""
        inventory = self.inventory
        names = [r.name for r in inventory.racks] if inventory is not None else []
        return self.schedule.wait_s(names, time.monotonic(), cap=cap)

    def statuses_polled(self, statuses: dict[str, RackStatus]) -> None:
        """Keep fresh statuses (on the interface's thread)."""
        self.statuses.update(statuses)

    def _status_fleet(self, inventory: Inventory) -> FleetStatus | None:
        """The one `FleetStatus`, made at the first poll (it loads httpx), now polling with
        `inventory`; None once the session has closed."""
        from tui.core.fleet_status import FleetStatus

        with self._fleet_lock:
            if self._closed:
                return None
            if self._fleet is None:
                self._fleet = FleetStatus(inventory)
            else:
                self._fleet.use(inventory)
            return self._fleet

    def close(self) -> None:
        """Stop watching every running roll (the journal keeps them for resume) and close
        the status poller's clients."""
        for run in self.rolls.running():
            run.cancel.set()
        with self._fleet_lock:
            fleet, self._fleet, self._closed = self._fleet, None, True
        if fleet is not None:
            fleet.close()


def with_fresh_keys(inventory: Inventory, workspace: Workspace) -> Inventory:
    """The inventory with the keystore's keys read again (a roll may have added a new one)."""
    keys: dict[str, list[Any]] = {}
    for host, held in inventory.keys_by_host.items():
        fresh = workspace.keystore.keys_for(host)
        keys[host] = fresh + [k for k in held if k not in fresh]
    return replace(inventory, keys_by_host=keys)
