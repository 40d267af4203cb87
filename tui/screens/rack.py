"""One rack: status, parameters, instances, services (under 3 processes flagged), roll history.

`r` rolls the rack API key, `k` starts an instance keyroll (pre-flight first), `c` lists
unused key pairs, `l` re-links a Console rack, `w` watches the rack's latest roll. Every
network call runs in a worker; the roll starts through the session (`session.start_roll`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tui.core.inventory import VIA_CONSOLE, RackEntry, RackStatus
from tui.core.preflight import MIN_SAFE_PROCESSES, PreflightReport
from tui.core.rack_overview import RackOverview
from tui.core.roll_runs import RollRun
from tui.core.rolls.events import RollKind
from tui.core.rolls.target import RollTarget
from tui.core.session import DashboardSession
from tui.messages import DashboardSignals, OpenRoll
from tui.screens import breakpoints
from tui.screens.in_view import in_view
from tui.screens.refused_keys import REFUSE_ACTION, refusal_bindings
from tui.widgets.status import (
    ModeBanner,
    age_text,
    outcome_text,
    production_badge,
    read_only_badge,
    status_text,
    when_text,
)
from tui.widgets.tables import fill_table
from tui.widgets.theme import theme_style

ROLL_ACTIONS = frozenset({"roll_rack_key", "instance_keyroll", "relink"})
START_ACTIONS = ROLL_ACTIONS | {"key_pairs"}  # key pairs list in read-only too; deleting is off
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "#parameters": ("parameter", "value"),
    "#instances": ("Instance", "Status", "Agent", "PS", "CPU", "MEM", "Private IP", "Age"),
    "#services": ("App", "Service", "Running", "Desired"),
    "#history": ("Roll", "Route", "Started", "Outcome", "Downtime", "Roll id"),
}


class OverviewFetched(Message):
    """The rack's overview was read (posted by the screen's worker)."""

    def __init__(self, overview: RackOverview) -> None:
        super().__init__()
        self.overview = overview


def instance_age(started: str) -> str:
    return age_text(started) if started else "-"


RACK_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="rack.back", tooltip="Back to the racks"),
    Binding(
        "r",
        "roll_rack_key",
        "Roll API key",
        id="rack.roll_rack_key",
        tooltip="Roll the rack's API key (the stack's Password parameter)",
    ),
    Binding(
        "k",
        "instance_keyroll",
        "Instance keyroll",
        id="rack.instance_keyroll",
        tooltip="Roll the instances' SSH key: pre-flight report first, then confirmation",
    ),
    Binding(
        "c",
        "key_pairs",
        "Key pairs",
        id="rack.key_pairs",
        tooltip="List the rack's unused key pairs and delete them",
    ),
    Binding(
        "l",
        "relink",
        "Re-link",
        id="rack.relink",
        tooltip="Give the Console the key keyroll holds (after a cloudformation roll)",
    ),
    Binding("w", "watch", "Watch roll", id="rack.watch", tooltip="The latest roll, live"),
    Binding(
        "f5",
        "refresh",
        "Refresh",
        id="rack.refresh",
        tooltip="Read the rack again",
        show=False,  # the footer is full; `?` lists it
    ),
]


class RackScreen(Screen[None]):
    """One rack's settings and workload, and its roll actions."""

    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL  # also in test apps, which set none
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL

    BINDINGS: ClassVar[list[BindingType]] = [
        *RACK_BINDINGS,
        *refusal_bindings(RACK_BINDINGS, ROLL_ACTIONS),  # read-only: say why
    ]

    def __init__(
        self,
        session: DashboardSession,
        signals: DashboardSignals,
        rack: RackEntry,
        action: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.signals = signals
        self.rack = rack
        self.start_action = action
        self.overview: RackOverview | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBanner(self.session, id="banner")
        with VerticalScroll(id="rack-body"):  # a short terminal scrolls to the focused panel
            with Horizontal(id="rack-top"):
                yield Static(id="rack-summary")
                yield DataTable(id="parameters", cursor_type="none", show_header=False)
            with Horizontal(id="rack-middle"):
                yield DataTable(id="instances", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="services", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
            yield Static(id="rack-problems")
        yield Footer()

    def on_mount(self) -> None:
        self.set_class(self.rack.production, "production")
        for table_id, columns in TABLE_COLUMNS.items():
            fill_table(self.query_one(table_id, DataTable), columns, [])
        for table_id, title in (
            ("#parameters", "Parameters"),
            ("#instances", "Instances"),
            ("#services", "Services"),
            ("#history", "Roll history"),
        ):
            self.query_one(table_id).border_title = title
        self._show_summary()
        self.query_one("#instances").loading = True
        self.signals.listen(self, self.signals.inventory_changed, self.inventory_changed)
        self.signals.listen(self, self.signals.statuses_changed, self.statuses_changed)
        self.signals.listen(self, self.signals.roll_ended, self.roll_ended)
        self._fetch()
        if self.start_action in START_ACTIONS:
            # from the palette: "Roll the API key of X" opens the rack, then its dialog
            self.call_after_refresh(self.run_action, self.start_action)

    # reading the rack -------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="rack-overview",
        description="Reading the rack",
    )
    def _fetch(self) -> None:
        from tui.core.rack_overview import fetch_rack_overview
        from tui.core.roll_targets import journal_for

        workspace, inventory = self.session.workspace, self.session.inventory
        if workspace is None or inventory is None:
            return
        overview = fetch_rack_overview(inventory, self.rack, journal_for(workspace))
        self.post_message(OverviewFetched(overview))

    def on_overview_fetched(self, message: OverviewFetched) -> None:
        self.overview = message.overview
        self._render_overview(message.overview)

    def action_refresh(self) -> None:
        self._fetch()

    def statuses_changed(self, statuses: dict[str, RackStatus]) -> None:
        if self.rack.name in statuses:
            self._show_summary()

    def inventory_changed(self, _: None = None) -> None:
        inventory = self.session.inventory
        fresh = inventory.find(self.rack.name) if inventory else None
        if fresh is not None:
            self.rack = fresh
        self._fetch()  # the app reloads the inventory after each roll: the history changed

    def on_screen_resume(self) -> None:
        if self.overview is not None:
            self._fetch()  # back from a roll or a dialog: show what changed meanwhile

    def roll_ended(self, run: RollRun) -> None:
        if run.rack == self.rack.name and in_view(self):  # out of view: fetched on resume
            self._fetch()

    # rendering --------------------------------------------------------------------------------

    def _show_summary(self) -> None:
        rack = self.rack
        polled = self.session.statuses.get(rack.name)
        overview = self.overview
        status = polled.status if polled else (overview.system.status if overview else "")
        title = Text(rack.name, style="bold") + Text("  ") + production_badge(rack.production)
        title += read_only_badge(rack.read_only)
        lines = [
            title,
            Text.assemble("status   ", status_text(status)),
            Text(f"source   {rack.via} ({', '.join(rack.sources)})"),
            Text(f"stack    {rack.stack}"),
        ]
        if overview is not None:
            system = overview.system
            lines.append(Text(f"region   {system.region or '-'}"))
            lines.append(Text(f"domain   {system.rack_domain or '-'}"))
        running = self.session.rolls.running_on(rack.name)
        if running is not None:
            lines.append(Text.assemble("roll     ", outcome_text("running"), f" ({running.kind})"))
        if polled is not None and polled.error:
            lines.append(Text(polled.error, style=theme_style("failed")))
        for summary in self.query("#rack-summary").results(Static):  # none while composing
            summary.update(Text("\n").join(lines))

    def _render_overview(self, overview: RackOverview) -> None:
        self._show_summary()
        fill_table(
            self.query_one("#parameters", DataTable),
            TABLE_COLUMNS["#parameters"],
            [(Text(name, style="bold"), value) for name, value in overview.parameters()],
        )
        instances = self.query_one("#instances", DataTable)
        instances.loading = False
        fill_table(
            instances,
            TABLE_COLUMNS["#instances"],
            [
                (
                    i.id,
                    status_text("running" if i.healthy else i.status or "unregistered"),
                    "yes" if i.agent else Text("no", style=theme_style("failed")),
                    str(i.processes),
                    f"{i.cpu:.0%}",
                    f"{i.memory:.0%}",
                    i.private_ip or "-",
                    instance_age(i.started),
                )
                for i in overview.instances
            ],
        )
        services = self.query_one("#services", DataTable)
        fill_table(
            services,
            TABLE_COLUMNS["#services"],
            [
                tuple(
                    Text(cell, style=theme_style("failed") if row.at_risk else "")
                    for cell in (row.app, row.service, str(row.running), str(row.desired))
                )
                for row in overview.services
            ],
        )
        risks = overview.risks
        services.border_subtitle = (
            f"{len(risks)} at risk: under {MIN_SAFE_PROCESSES} running"
            if risks
            else f"none under {MIN_SAFE_PROCESSES} running"
        )
        history = self.query_one("#history", DataTable)
        fill_table(
            history,
            TABLE_COLUMNS["#history"],
            [
                (
                    entry.kind,
                    entry.route,
                    when_text(entry.started),
                    outcome_text(entry.outcome),
                    "-" if entry.downtime_s is None else f"{entry.downtime_s:.1f}s",
                    entry.roll_id,
                )
                for entry in overview.history
            ],
        )
        if not overview.history:
            history.border_subtitle = "no roll recorded yet"
        else:
            history.border_subtitle = ""
        self.query_one("#rack-problems", Static).update("\n".join(overview.problems))

    # which actions are allowed ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Roll actions are hidden in read-only mode (their keys say why); re-link only for
        Console racks."""
        refused = self.session.roll_refusal(self.rack) is not None
        if action == REFUSE_ACTION:
            return refused
        if action == "relink" and self.rack.via != VIA_CONSOLE:
            return False
        return not (action in ROLL_ACTIONS and refused)

    def action_refuse(self) -> None:
        self._refused()

    def _refused(self) -> bool:
        refusal = self.session.roll_refusal(self.rack)
        if refusal is not None:
            self.notify(refusal, severity="warning")
            return True
        running = self.session.rolls.running_on(self.rack.name)
        if running is not None:
            self.notify(
                f"A {running.kind} roll of {self.rack.name} is running; press w to watch it.",
                severity="warning",
            )
            return True
        return False

    # r: the rack API key -----------------------------------------------------------------------

    def action_roll_rack_key(self) -> None:
        if self._refused():
            return
        from tui.screens.dialogs import RackKeyRollDialog

        self.app.push_screen(RackKeyRollDialog(self.rack), self._rack_key_chosen)

    def _rack_key_chosen(self, request: Any) -> None:
        if request is not None:
            self._prepare_rack_key_roll(request)

    @work(thread=True, exit_on_error=False, group="rack-roll", description="Starting the roll")
    def _prepare_rack_key_roll(self, request: Any) -> None:
        target = self.session.target_for(self.rack.name)  # reads files: here, in a worker
        self.app.call_from_thread(
            self._start,
            RollKind.RACK_KEY,
            target,
            request.route,
            own_key=request.own_key,
            relink=request.relink,
        )

    def _start(self, kind: RollKind, target: RollTarget, route: str, **choices: Any) -> None:
        """Start the roll through the session, then show it."""
        run = self.session.start_roll(kind, target, route, **choices)
        self._show_summary()
        self.app.post_message(OpenRoll(run))

    # k: the instances' SSH key -----------------------------------------------------------------

    def action_instance_keyroll(self) -> None:
        if self._refused():
            return
        self.notify(f"Pre-flight checks of {self.rack.name}…", timeout=3)
        self._preflight()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="preflight",
        description="Pre-flight",
    )
    def _preflight(self) -> None:
        from tui.base.errors import KeyrollError
        from tui.clients.errors import ClientError
        from tui.core.preflight import check_instance_keyroll

        target = self.session.target_for(self.rack.name)
        try:
            with target.client() as client:
                report = check_instance_keyroll(target.name, client)
        except ClientError as error:
            raise KeyrollError(
                f"The pre-flight checks could not read {target.name}: {error}"
            ) from None
        self.app.call_from_thread(self._show_preflight, target, report)

    def _show_preflight(self, target: RollTarget, report: PreflightReport) -> None:
        from tui.screens.dialogs import InstanceKeyrollDialog

        def chosen(request: Any) -> None:
            if request is not None:
                self._start(RollKind.INSTANCE_KEY, target, request.route, force=request.force)

        self.app.push_screen(InstanceKeyrollDialog(self.rack, report), chosen)

    # c: unused key pairs -------------------------------------------------------------------------

    def action_key_pairs(self) -> None:
        self._list_key_pairs()  # the dialog itself deletes nothing in read-only mode

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="key-pairs", description="Key pairs"
    )
    def _list_key_pairs(self) -> None:
        from tui.core.key_pair_cleanup import key_pair_report

        report = key_pair_report(self.rack.aws, self.rack.stack)
        self.app.call_from_thread(self._show_key_pairs, report)

    def _show_key_pairs(self, report: Any) -> None:
        from tui.screens.dialogs import KeyPairsDialog

        self.app.push_screen(KeyPairsDialog(self.rack, report, read_only=self.session.read_only))

    # l: Console re-link ----------------------------------------------------------------------

    def action_relink(self) -> None:
        if self._refused():
            return
        from tui.screens.dialogs import ConfirmDialog

        question = (
            f"Re-link {self.rack.name} in the Console with the key keyroll holds for its own "
            "host? Do this after a roll that went around the Console (cloudformation route)."
        )
        self.app.push_screen(ConfirmDialog(question, None), self._relink_confirmed)

    def _relink_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._relink()

    @work(thread=True, exclusive=True, exit_on_error=False, group="relink", description="Re-link")
    def _relink(self) -> None:
        from tui.services.relink import relink

        target = self.session.target_for(self.rack.name)
        host, key, status = relink(target)
        self.app.call_from_thread(
            self.notify,
            f"Re-linked {target.name} in the Console with the key keyroll holds for {host} "
            f"(fingerprint {key.fingerprint()}); the Console reaches it again ({status}).",
            title="Re-linked",
        )

    # navigation --------------------------------------------------------------------------------

    def action_watch(self) -> None:
        run = self.session.rolls.latest_for(self.rack.name)
        if run is None:
            self.notify(f"No roll of {self.rack.name} has run since keyroll started.")
            return
        self.app.post_message(OpenRoll(run))

    def action_back(self) -> None:
        self.dismiss()
