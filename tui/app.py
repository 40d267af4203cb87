"""The keyroll dashboard: one Textual app over the roll engine of `tui.core`.

The app owns what outlives a screen: the workspace (opened in a thread from the start, see
`tui.services.workspace_opening`; the first frame never waits for it), the inventory, the
racks' statuses (polled in the background, 2 s for racks with a roll running, 30 s
otherwise), and the rolls of this process. Rolls run in thread workers; their events come
back as `RollUpdated` / `RollEnded` messages, which the app forwards to the screen the
person is looking at. One handler turns every failed worker into a notification with the
error's sentence.
"""

from __future__ import annotations

import argparse
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from tui.base.errors import KeyrollError, RefusedError
from tui.core.inventory import Inventory, RackEntry, RackStatus
from tui.core.roll_runs import Emit, RollRun, RollRuns
from tui.core.settings import Settings, SettingsError
from tui.core.status_schedule import StatusSchedule
from tui.messages import RollEnded, RollUpdated
from tui.palette import RackCommands
from tui.screens import breakpoints
from tui.services.workspace import Workspace, open_workspace
from tui.services.workspace_opening import (
    OpenedWorkspace,
    WorkspaceOpener,
    WorkspaceOpening,
    read_last_rolls,
)
from tui.widgets.status import READ_ONLY_SENTENCE
from tui.widgets.theme import KEYROLL_THEME, KEYROLL_VARIABLES

if TYPE_CHECKING:  # the roll engine and its HTTP clients load in workers, off the first frame
    from tui.core.fleet_status import FleetStatus
    from tui.core.journal import HistoryEntry, RollRecord
    from tui.core.rolls.base import Roll
    from tui.core.rolls.events import RollEvent
    from tui.core.rolls.target import RollOptions, RollTarget

POLL_TICK_S = 0.5  # the poller looks at least this often for a rack a roll just hurried


@dataclass
class WorkspaceOpened(Message):
    """The workspace is open: its inventory, each rack's last roll, unfinished rolls."""

    opened: OpenedWorkspace


@dataclass
class InventoryReloaded(Message):
    """The inventory and the journal were read again (after a roll ended)."""

    inventory: Inventory
    last_rolls: dict[str, HistoryEntry]


@dataclass
class StatusesFetched(Message):
    """Fresh statuses of some racks (only those that were due)."""

    statuses: dict[str, RackStatus]


def rolls_running_text(count: int) -> str:
    """The header's count of running rolls."""
    if count == 0:
        return "no roll running"
    return f"{count} roll{'s' if count > 1 else ''} running"


class KeyrollApp(App[int]):
    """The dashboard: racks (home), a rack, the account, live rolls, the palette."""

    CSS_PATH = "app.tcss"
    TITLE = "keyroll"
    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL  # 80x24 lays out tighter: see the module
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL
    COMMANDS = App.COMMANDS | {RackCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_keyroll", "Quit", id="quit", tooltip="Quit keyroll"),
        Binding(
            "question_mark",
            "help",
            "Keys",
            key_display="?",
            id="help",
            tooltip="Show the keys of this screen",
        ),
    ]

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        opener: WorkspaceOpener = open_workspace,
        opening: WorkspaceOpening | None = None,
    ) -> None:
        super().__init__()
        self.register_theme(KEYROLL_THEME)
        self.theme = KEYROLL_THEME.name
        self.args = args
        self.read_only: bool = bool(getattr(args, "read_only", False))
        self.sandboxed: bool = bool(getattr(args, "sandbox", False))
        self.auto_sandbox: bool = bool(getattr(args, "auto_sandbox", False))
        self.scenario: str = str(getattr(args, "scenario", "ok"))
        self.rolls = RollRuns()
        self.workspace: Workspace | None = None
        self.inventory: Inventory | None = None
        self.statuses: dict[str, RackStatus] = {}
        self.last_rolls: dict[str, HistoryEntry] = {}
        self.current_rack: str | None = None
        self.schedule = StatusSchedule(2.0, 30.0)
        # `keyroll` starts the opening before it imports Textual (tui.dashboard);
        # otherwise it starts with the app
        self._opener = opener
        self._opening = opening
        self._workspace_shown = False
        self._racks_screen: Screen[Any] | None = None
        self._quitting = False
        self._fleet: FleetStatus | None = None  # the status poller's kept-alive clients
        self._fleet_lock = threading.Lock()
        self._fleet_closed = False

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """keyroll's colours in every theme, so the stylesheet holds in any of them."""
        return {**super().get_theme_variable_defaults(), **KEYROLL_VARIABLES}

    # screens ------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        from tui.screens.racks import RacksScreen

        opened = self._started_opening().ready()
        if opened is not None:  # the racks are in the first frame: no loading frame first
            self._take_workspace(opened)
        self._racks_screen = RacksScreen()
        return self._racks_screen

    def on_mount(self) -> None:
        self.call_after_refresh(_end_startup)
        self._show_roll_count()
        self._started_opening()  # here, not in the worker's thread: one opening only
        if self.workspace is None:
            self._open_workspace()
        else:
            self._workspace_shown = True
            self.call_later(self._workspace_ready, self._started_opening().wait())

    def on_unmount(self) -> None:
        for run in self.rolls.running():
            run.cancel.set()  # the journal keeps them: the next start offers to resume them
        with self._fleet_lock:
            fleet, self._fleet, self._fleet_closed = self._fleet, None, True
        if fleet is not None:
            fleet.close()
        if self._opening is not None:
            self._opening.close()

    def open_rack(self, name: str, action: str | None = None) -> None:
        """Show the rack screen of `name`, then run one of its actions (`roll_rack_key`, ...)."""
        from tui.screens.rack import RackScreen

        entry = self.inventory.find(name) if self.inventory else None
        if entry is None:
            self.notify(f"keyroll knows no rack {name}.", severity="error")
            return
        self.push_screen(RackScreen(entry, action=action))

    def open_account(self, action: str | None = None) -> None:
        """Show the account screen, then run `roll` or `paste` if asked."""
        from tui.screens.account import AccountScreen

        self.push_screen(AccountScreen(action=action))

    def open_roll(self, run: RollRun) -> None:
        """Show the live view of `run` (rendered from its history, then following it)."""
        from tui.screens.roll import RollScreen

        self.push_screen(RollScreen(run))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    def action_quit_keyroll(self) -> None:
        running = self.rolls.running()
        if not running:
            self._quit()
            return
        from tui.screens.dialogs import ConfirmDialog

        question = (
            f"{rolls_running_text(len(running)).capitalize()}; quit anyway? keyroll stops "
            "watching and offers to resume them at the next start."
        )
        self.push_screen(ConfirmDialog(question, None), lambda yes: self._quit() if yes else None)

    def _quit(self) -> None:
        self._quitting = True
        self.exit(0)

    async def on_event(self, event: events.Event) -> None:
        if self._quitting and isinstance(event, events.Key | events.MouseEvent):
            return  # typed after q: a dialog opened while the app closes had no widgets
        await super().on_event(event)

    # the workspace --------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="workspace",
        description="Opening keyroll's files",
    )
    def _open_workspace(self) -> None:
        self.post_message(WorkspaceOpened(self._started_opening().wait()))

    def _started_opening(self) -> WorkspaceOpening:
        if self._opening is None:
            self._opening = WorkspaceOpening(self._opener, self.args)
        return self._opening

    def _take_workspace(self, opened: OpenedWorkspace) -> None:
        """Hold the opened workspace's state (screens are told separately)."""
        self.workspace = opened.workspace
        self.inventory = opened.inventory
        self.last_rolls = opened.last_rolls
        self.current_rack = opened.current
        settings = opened.workspace.settings
        self.schedule = StatusSchedule(settings.poll_active_s, settings.poll_idle_s)
        self._use_keymap(settings)

    def _use_keymap(self, settings: Settings) -> None:
        """The person's `[keymap]`; one naming a key id keyroll lacks is reported, not used."""
        from tui.keymap import checked_keymap

        try:
            self.set_keymap(checked_keymap(settings, self.BINDINGS))
        except SettingsError as error:
            self.call_later(self.notify, str(error), title="Keys", severity="error", timeout=10)

    def on_workspace_opened(self, message: WorkspaceOpened) -> None:
        if self._workspace_shown:
            return
        self._workspace_shown = True
        self._take_workspace(message.opened)
        self._tell_screens("inventory_changed")
        self._workspace_ready(message.opened)

    def _workspace_ready(self, opened: OpenedWorkspace) -> None:
        """What follows the racks on screen: the inventory's problems, the status poller,
        the offer to resume unfinished rolls."""
        for problem in opened.inventory.problems:
            self.notify(problem, severity="warning", timeout=10)
        # the poller's threads load the HTTP stack and open connections: after the frame
        self.call_after_refresh(self._poll_statuses)
        if opened.unfinished:
            from tui.screens.resume import ResumeScreen

            self.push_screen(ResumeScreen(opened.unfinished), self._resume_chosen)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="inventory",
        description="Reading the racks again",
    )
    def _reload_inventory(self) -> None:
        from tui.services.roll_targets import inventory_for

        workspace = self.workspace
        if workspace is None:
            return
        self.post_message(InventoryReloaded(inventory_for(workspace), read_last_rolls(workspace)))

    def on_inventory_reloaded(self, message: InventoryReloaded) -> None:
        self.inventory = message.inventory
        self.last_rolls = message.last_rolls
        self._tell_screens("inventory_changed")

    def switch_rack(self, name: str) -> None:
        """Make `name` keyroll's current rack and, unless turned off, the Convox CLI's."""
        if self.read_only:  # a switch writes keyroll's state and the Convox CLI's files
            self.notify(READ_ONLY_SENTENCE, severity="warning")
            return
        self._switch(name)

    @work(thread=True, exit_on_error=False, group="switch", description="Switching racks")
    def _switch(self, name: str) -> None:
        from tui.services.switch import match_rack, switch_to

        workspace, inventory = self.workspace, self.inventory
        if workspace is None or inventory is None:
            raise KeyrollError("keyroll is still opening its files; try again in a moment.")
        rack = match_rack(inventory.racks, name)
        written = switch_to(workspace, inventory, rack)
        self.call_from_thread(self._switched, rack.name, written, str(workspace.cli.path))

    def _switched(self, name: str, written: list[str], cli_dir: str) -> None:
        self.current_rack = name
        self._tell_screens("inventory_changed")
        detail = f" Convox CLI: wrote {', '.join(written)} in {cli_dir}." if written else ""
        self.notify(f"Switched to {name}.{detail}", title="Switched")

    # statuses -------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="statuses",
        description="Polling the racks' statuses",
    )
    def _poll_statuses(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            inventory, workspace = self.inventory, self.workspace
            if inventory is None or workspace is None:
                return
            names = [r.name for r in inventory.racks]
            active = {run.rack for run in self.rolls.running()}
            due = self.schedule.due(names, time.monotonic())
            if due:
                racks = [r for r in inventory.racks if r.name in due]
                fleet = self._status_fleet(_with_fresh_keys(inventory, workspace))
                if fleet is None:
                    return  # the app is closing
                statuses = fleet.refresh(racks)
                self.schedule.polled(due, active, time.monotonic())
                self.post_message(StatusesFetched(statuses))
            wait = self.schedule.wait_s(names, time.monotonic(), cap=POLL_TICK_S)
            worker.cancelled_event.wait(max(wait, 0.05))

    def _status_fleet(self, inventory: Inventory) -> FleetStatus | None:
        """The app's one `FleetStatus`, made at the first poll (it loads httpx), now polling
        with `inventory`; None once the app has closed it."""
        from tui.core.fleet_status import FleetStatus

        with self._fleet_lock:
            if self._fleet_closed:
                return None
            if self._fleet is None:
                self._fleet = FleetStatus(inventory)
            else:
                self._fleet.use(inventory)
            return self._fleet

    def _forget_status_client(self, rack: str) -> None:
        """The next poll of `rack` builds a new client (its keys changed, or a roll ended)."""
        with self._fleet_lock:
            fleet = self._fleet
        if fleet is not None:
            fleet.forget(rack)

    def on_statuses_fetched(self, message: StatusesFetched) -> None:
        self.statuses.update(message.statuses)
        self._tell_screens("statuses_changed", message.statuses)

    def _tell_screens(self, method: str, *args: Any) -> None:
        """Call `method` on every screen of the stack that has it (racks, rack, account).

        A screen still composing gets the call once it has mounted (its widgets are not there
        yet); once the app shuts down no screen does: their widgets are being taken apart while
        a poller's last message may still arrive.
        """
        if not self.is_running:
            return
        for screen in self.screen_stack:
            handler = getattr(screen, method, None)
            if not callable(handler):
                continue
            if screen.is_mounted:
                handler(*args)
            else:
                screen.call_later(handler, *args)

    # rolls ----------------------------------------------------------------------------------

    def target_for(self, rack: str) -> RollTarget:
        """The roll target of `rack` (or `account@<console host>`); call it from a worker."""
        from tui.services.roll_targets import target_for

        if self.workspace is None:
            raise KeyrollError("keyroll is still opening its files; try again in a moment.")
        return target_for(self.workspace, rack, self.inventory)

    def roll_options(self, target: RollTarget, **overrides: object) -> RollOptions:
        """The options a roll of `target` runs with: the settings' intervals, waiting to the end."""
        from tui.core.rolls.target import RollOptions

        return RollOptions.from_settings(target.settings, **overrides)

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

    def start_roll(
        self,
        rack: str,
        kind: str,
        route: str,
        make: Callable[[Emit, threading.Event], Roll],
        *,
        resume: RollRecord | None = None,
    ) -> RollRun:
        """Build a roll with `make(emit, cancel)` and run it in a thread worker.

        With `resume`, the worker calls `run_resumed(resume, confirm)` instead of `run()`;
        its questions go to a `ConfirmDialog`. Events come back as `RollUpdated`, the end
        as `RollEnded`.
        """
        if self.read_only:
            raise RefusedError(READ_ONLY_SENTENCE)
        run = self.rolls.start(rack, kind, route, make, on_event=self._roll_event)
        self._drive_roll(run, resume)
        self.schedule.hurry(rack, time.monotonic())
        self._show_roll_count()
        return run

    def _roll_event(self, run: RollRun, event: RollEvent) -> None:
        self.post_message(RollUpdated(run, event))  # from the roll's thread: post only

    @work(thread=True, exit_on_error=False, group="rolls", description="A roll")
    def _drive_roll(self, run: RollRun, resume: RollRecord | None) -> None:
        from tui.core.rolls.events import Outcome
        from tui.core.rolls.summary import RollSummary, now_iso

        roll = run.roll
        assert roll is not None
        try:
            if resume is not None:
                summary = roll.run_resumed(resume, self.confirm_from_thread)
            else:
                summary = roll.run()
        except BaseException as error:
            summary = RollSummary(kind=run.kind, rack=run.rack, via=run.route)
            summary.outcome = Outcome.FAILED
            summary.finished_at = now_iso()
            summary.messages.append(
                f"The roll stopped on an unexpected {type(error).__name__}; see `keyroll history`."
            )
            self.rolls.finish(run, summary)
            self.post_message(RollEnded(run))
            raise
        self.rolls.finish(run, summary)
        self.post_message(RollEnded(run))

    def confirm_from_thread(self, question: str) -> bool:
        """Ask `question` in a `ConfirmDialog` from a roll's thread and wait for the answer."""
        from tui.screens.dialogs import ConfirmDialog

        answered = threading.Event()
        answer: list[bool] = []

        def got(result: bool | None) -> None:
            answer.append(bool(result))
            answered.set()

        def ask() -> None:
            self.push_screen(ConfirmDialog(question, None), got)

        self.call_from_thread(ask)
        while not answered.wait(0.5):
            if not self.is_running:
                return False
        return answer[0]

    def on_roll_updated(self, message: RollUpdated) -> None:
        self._forward(RollUpdated(message.run, message.event))

    def on_roll_ended(self, message: RollEnded) -> None:
        run = message.run
        self._show_roll_count()
        self._forget_status_client(run.rack)
        self.schedule.hurry(run.rack, time.monotonic())
        self._tell_outcome(run)
        self._reload_inventory()
        self._forward(RollEnded(run))

    def _forward(self, message: RollUpdated | RollEnded) -> None:
        """Hand a roll message to the screen in view (under any dialog), not back to the app."""
        message.stop()  # handled by that screen only: it must not bubble back here
        if not self.is_running:
            return
        for screen in reversed(self.screen_stack):
            if not isinstance(screen, ModalScreen):
                screen.post_message(message)
                return

    def _tell_outcome(self, run: RollRun) -> None:
        summary = run.summary
        if summary is None:
            return
        from tui.core.rolls.events import NewAccountKey, Outcome

        for event in run.events:
            if not isinstance(event, NewAccountKey):
                continue
            key = event.take()  # the dialog holds the only reference left
            if key is not None and summary.outcome is Outcome.SUCCEEDED:
                from tui.screens.dialogs import KeyRevealDialog

                self.push_screen(KeyRevealDialog("The new account key", key))
        from tui.widgets.roll_header import KIND_WORDS, target_words

        what = f"{KIND_WORDS.get(run.kind, run.kind)} roll of {target_words(run.rack)}"
        if summary.outcome is Outcome.SUCCEEDED:
            self.notify(f"The {what} succeeded.", title="Roll finished")
        elif summary.outcome is None:
            self.notify(
                f"The {what} stopped unfinished; keyroll offers to resume it at the next start.",
                severity="warning",
            )
        else:
            why = summary.messages[-1] if summary.messages else ""
            word = summary.outcome.value.replace("_", " ")
            self.notify(f"The {what} {word}. {why}".strip(), severity="error", timeout=10)

    def _show_roll_count(self) -> None:
        self.sub_title = rolls_running_text(len(self.rolls.running()))

    # resuming -------------------------------------------------------------------------------

    def _resume_chosen(self, records: list[RollRecord] | None) -> None:
        if records:
            self.resume_rolls(records)

    def resume_rolls(self, records: list[RollRecord]) -> None:
        """Resume `records` (unfinished rolls from the journal), each in its own worker."""
        if self.read_only:
            self.notify(READ_ONLY_SENTENCE, severity="warning")
            return
        self._prepare_resume(records)

    @work(thread=True, exit_on_error=False, group="resume", description="Resuming rolls")
    def _prepare_resume(self, records: list[RollRecord]) -> None:
        from tui.core.rolls.factory import build_roll

        for record in records:
            try:
                target = self.target_for(record.rack)
            except KeyrollError as error:
                self.call_from_thread(
                    self.notify,
                    f"Roll {record.roll_id} cannot be resumed: {error}",
                    severity="error",
                    timeout=10,
                )
                continue
            options = self.roll_options(target)

            def make(
                emit: Emit,
                cancel: threading.Event,
                target: RollTarget = target,
                record: RollRecord = record,
                options: RollOptions = options,
            ) -> Roll:
                return build_roll(
                    record.kind, target, record.route, options=options, emit=emit, cancel=cancel
                )

            self.call_from_thread(
                self.start_roll, record.rack, record.kind, record.route, make, resume=record
            )

    # workers --------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes a notification with its error's sentence."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, KeyrollError):
            text = str(error)
        else:
            what = event.worker.description or "A background task"
            text = (
                f"{what} failed unexpectedly ({type(error).__name__}); "
                "try again, and report it if it happens again."
            )
        self.notify(text, title=event.worker.description or "", severity="error", timeout=10)
        if event.worker.group == "workspace":
            self._tell_screens("workspace_failed", text)


def _end_startup() -> None:
    """After the first frame: garbage collection back on, if `keyroll` paused it for the
    start (`tui.dashboard.make_app`), with the objects made so far frozen out of it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _with_fresh_keys(inventory: Inventory, workspace: Workspace) -> Inventory:
    """The inventory with the keystore's keys read again (a roll may have added a new one)."""
    keys: dict[str, list[Any]] = {}
    for host, held in inventory.keys_by_host.items():
        fresh = workspace.keystore.keys_for(host)
        keys[host] = fresh + [k for k in held if k not in fresh]
    return replace(inventory, keys_by_host=keys)
