"""The keyroll dashboard: one Textual app over the roll engine of `tui.core`.

What outlives a screen is the `DashboardSession` (tui/core/session.py): the workspace, the
inventory, the racks' statuses, the rolls of this process, and the one way a roll starts. The
app creates it and hands it to every screen, and does what needs Textual: it opens the
workspace in a thread from the start (see `tui.services.workspace_opening`; the first frame
never waits for it), polls the racks' statuses in a worker (2 s for racks with a roll
running, 30 s otherwise), runs each roll in a thread worker, asks a roll's questions in a
dialog, and broadcasts every change through `DashboardSignals` (tui/messages.py). Screens ask
it to show another screen with the messages `OpenRack`, `OpenAccount`, `OpenRoll` and
`SwitchRack`. One handler turns every failed worker into a notification with the error's
sentence.
"""

from __future__ import annotations

import argparse
import gc
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from tui.base.errors import KeyrollError
from tui.core.inventory import Inventory, RackStatus
from tui.core.roll_runs import RollRun
from tui.core.session import READ_ONLY_SENTENCE, STILL_OPENING, DashboardSession
from tui.core.settings import Settings, SettingsError
from tui.messages import (
    DashboardSignals,
    OpenAccount,
    OpenRack,
    OpenRoll,
    RollEnded,
    RollUpdate,
    RollUpdated,
    SwitchRack,
)
from tui.palette import RackCommands
from tui.screens import breakpoints
from tui.services.workspace import open_workspace
from tui.services.workspace_opening import (
    OpenedWorkspace,
    WorkspaceOpener,
    WorkspaceOpening,
    read_last_rolls,
)
from tui.widgets.theme import KEYROLL_THEME, KEYROLL_VARIABLES

if TYPE_CHECKING:  # the roll engine and its HTTP clients load in workers, off the first frame
    from tui.core.journal import HistoryEntry, RollRecord
    from tui.core.rolls.events import RollEvent

Published = TypeVar("Published")
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
        self.session = DashboardSession(
            read_only=bool(getattr(args, "read_only", False)),
            sandboxed=bool(getattr(args, "sandbox", False)),
            auto_sandbox=bool(getattr(args, "auto_sandbox", False)),
            scenario=str(getattr(args, "scenario", "ok")),
            drive=self._run_roll,
            on_event=self._roll_event,
        )
        self.signals = DashboardSignals(self)
        # `keyroll` starts the opening before it imports Textual (tui.dashboard);
        # otherwise it starts with the app
        self._opener = opener
        self._opening = opening
        self._workspace_shown = False
        self._racks_screen: Screen[Any] | None = None
        self._quitting = False

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """keyroll's colours in every theme, so the stylesheet holds in any of them."""
        return {**super().get_theme_variable_defaults(), **KEYROLL_VARIABLES}

    # screens ------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        from tui.screens.racks import RacksScreen

        opened = self._started_opening().ready()
        if opened is not None:  # the racks are in the first frame: no loading frame first
            self._take_workspace(opened)
        self._racks_screen = RacksScreen(self.session, self.signals)
        return self._racks_screen

    def on_mount(self) -> None:
        self.call_after_refresh(_end_startup)
        self._show_roll_count()
        self._started_opening()  # here, not in the worker's thread: one opening only
        if self.session.workspace is None:
            self._open_workspace()
        else:
            self._workspace_shown = True
            self.call_later(self._workspace_ready, self._started_opening().wait())

    def on_unmount(self) -> None:
        self.session.close()  # running rolls stop: the next start offers to resume them
        if self._opening is not None:
            self._opening.close()

    def open_rack(self, name: str, action: str | None = None) -> None:
        """Show the rack screen of `name`, then run one of its actions (`roll_rack_key`, ...)."""
        from tui.screens.rack import RackScreen

        entry = self.session.find_rack(name)
        if entry is None:
            self.notify(f"keyroll knows no rack {name}.", severity="error")
            return
        self.push_screen(RackScreen(self.session, self.signals, entry, action=action))

    def open_account(self, action: str | None = None) -> None:
        """Show the account screen, then run `roll` or `paste` if asked."""
        from tui.screens.account import AccountScreen

        self.push_screen(AccountScreen(self.session, self.signals, action=action))

    def open_roll(self, run: RollRun) -> None:
        """Show the live view of `run` (rendered from its history, then following it)."""
        from tui.screens.roll import RollScreen

        self.push_screen(RollScreen(self.session, self.signals, run))

    def on_open_rack(self, message: OpenRack) -> None:
        self.open_rack(message.name, message.action)

    def on_open_account(self, message: OpenAccount) -> None:
        self.open_account(message.action)

    def on_open_roll(self, message: OpenRoll) -> None:
        self.open_roll(message.run)

    def on_switch_rack(self, message: SwitchRack) -> None:
        self.switch_rack(message.name)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    def action_quit_keyroll(self) -> None:
        running = self.session.rolls.running()
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
        """The session holds the opened workspace's state (screens are told separately)."""
        self.session.open(opened.workspace, opened.inventory, opened.last_rolls, opened.current)
        self._use_keymap(opened.workspace.settings)

    def _use_keymap(self, settings: Settings) -> None:
        """The person's `[keymap]`; one naming a key id keyroll lacks is reported, not used."""
        from tui.keymap import checked_keymap

        try:
            self.set_keymap(checked_keymap(settings, self.BINDINGS))
        except SettingsError as error:
            self.call_later(  # a sentence, not markup: it names `[keymap]`
                self.notify, str(error), title="Keys", severity="error", timeout=10, markup=False
            )

    def on_workspace_opened(self, message: WorkspaceOpened) -> None:
        if self._workspace_shown:
            return
        self._workspace_shown = True
        self._take_workspace(message.opened)
        self._publish(self.signals.inventory_changed, None)
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
        from tui.core.roll_targets import inventory_for

        workspace = self.session.workspace
        if workspace is None:
            return
        self.post_message(InventoryReloaded(inventory_for(workspace), read_last_rolls(workspace)))

    def on_inventory_reloaded(self, message: InventoryReloaded) -> None:
        self.session.reloaded(message.inventory, message.last_rolls)
        self._publish(self.signals.inventory_changed, None)

    def switch_rack(self, name: str) -> None:
        """Make `name` keyroll's current rack and, unless turned off, the Convox CLI's."""
        if self.session.read_only:  # a switch writes keyroll's state and the Convox CLI's files
            self.notify(READ_ONLY_SENTENCE, severity="warning")
            return
        self._switch(name)

    @work(thread=True, exit_on_error=False, group="switch", description="Switching racks")
    def _switch(self, name: str) -> None:
        from tui.core.roll_targets import match_rack
        from tui.services.switch import switch_to

        workspace, inventory = self.session.workspace, self.session.inventory
        if workspace is None or inventory is None:
            raise KeyrollError(STILL_OPENING)
        rack = match_rack(inventory.racks, name)
        written = switch_to(workspace, inventory, rack)
        self.call_from_thread(self._switched, rack.name, written, str(workspace.cli.path))

    def _switched(self, name: str, written: list[str], cli_dir: str) -> None:
        self.session.current_rack = name
        self._publish(self.signals.inventory_changed, None)
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
            statuses = self.session.poll_due()
            if statuses is None:
                return  # no workspace, or the app is closing
            if statuses:
                self.post_message(StatusesFetched(statuses))
            worker.cancelled_event.wait(max(self.session.next_poll_s(cap=POLL_TICK_S), 0.05))

    def on_statuses_fetched(self, message: StatusesFetched) -> None:
        self.session.statuses_polled(message.statuses)
        self._publish(self.signals.statuses_changed, message.statuses)

    def _publish(self, signal: Signal[Published], data: Published) -> None:
        """Tell the screens that subscribed; none once the app shuts down (their widgets are
        being taken apart while a poller's last message may still arrive)."""
        if self.is_running:
            signal.publish(data)

    # rolls ----------------------------------------------------------------------------------

    def _run_roll(self, run: RollRun, resume: RollRecord | None) -> None:
        """The session's driver: run a new roll in a thread worker (resumed with `resume`)."""
        self._drive_roll(run, resume)
        self._show_roll_count()

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
            self.session.roll_finished(run, summary)
            self.post_message(RollEnded(run))
            raise
        self.session.roll_finished(run, summary)
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
        self._publish(self.signals.roll_updated, RollUpdate(message.run, message.event))

    def on_roll_ended(self, message: RollEnded) -> None:
        run = message.run
        self._show_roll_count()
        self.session.roll_ended(run)
        self._tell_outcome(run)
        self._reload_inventory()
        self._publish(self.signals.roll_ended, run)

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
            self.notify(
                f"The {what} {word}. {why}".strip(), severity="error", timeout=10, markup=False
            )

    def _show_roll_count(self) -> None:
        self.sub_title = rolls_running_text(len(self.session.rolls.running()))

    # resuming -------------------------------------------------------------------------------

    def _resume_chosen(self, records: list[RollRecord] | None) -> None:
        if records:
            self.resume_rolls(records)

    def resume_rolls(self, records: list[RollRecord]) -> None:
        """Resume `records` (unfinished rolls from the journal), each in its own worker."""
        if self.session.read_only:
            self.notify(READ_ONLY_SENTENCE, severity="warning")
            return
        self._prepare_resume(records)

    @work(thread=True, exit_on_error=False, group="resume", description="Resuming rolls")
    def _prepare_resume(self, records: list[RollRecord]) -> None:
        for record in records:
            try:
                target = self.session.target_for(record.rack)
            except KeyrollError as error:
                self.call_from_thread(
                    self.notify,
                    f"Roll {record.roll_id} cannot be resumed: {error}",
                    severity="error",
                    timeout=10,
                )
                continue
            self.call_from_thread(
                self.session.start_roll, record.kind, target, record.route, resume=record
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
        # an error's sentence is plain text: `[racks]` in a settings error is not markup
        self.notify(
            text,
            title=event.worker.description or "",
            severity="error",
            timeout=10,
            markup=False,
        )
        if event.worker.group == "workspace":
            self.session.workspace_failure = text
            self._publish(self.signals.workspace_failed, text)


def _end_startup() -> None:
    """After the first frame: garbage collection back on, if `keyroll` paused it for the
    start (`tui.dashboard.make_app`), with the objects made so far frozen out of it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
