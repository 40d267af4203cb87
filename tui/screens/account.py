"""The Convox account: which account the key belongs to, the key masked, and its rolls.

`r` rolls the key through the Console (the app shows the new key once, then never again);
`p` saves a key rolled in the web Console after `GET /auth` accepts it. Both run as an
account-key roll in the app, so the journal, the keystore and the Convox CLI's `auth` are
updated the same way as by `keyroll roll account-key`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.base.secret import Secret
from tui.core.account_overview import AccountOverview
from tui.core.roll_runs import RollRun
from tui.core.rolls.events import Note, PhaseChanged, RollKind
from tui.core.rolls.target import RollTarget
from tui.core.session import DashboardSession
from tui.messages import DashboardSignals, RollUpdate
from tui.screens.in_view import in_view
from tui.screens.refused_keys import REFUSE_ACTION, refusal_bindings
from tui.widgets.status import ModeBanner, outcome_text
from tui.widgets.theme import theme_style

ACCOUNT_ACTIONS = frozenset({"roll", "paste"})


class AccountFetched(Message):
    """The account overview was read (posted by the screen's worker)."""

    def __init__(self, overview: AccountOverview) -> None:
        super().__init__()
        self.overview = overview


def account_lines(overview: AccountOverview | None, *, sandboxed: bool = False) -> list[Text]:
    """The account card's lines; the key only as `Secret.hint()` and its fingerprint."""
    if overview is None:
        return [Text("Reading the account…", style=theme_style("muted"))]
    console = overview.console_host or "-"
    if sandboxed and overview.console_host:
        console = "the sandbox's Console (on loopback)"  # its port changes every start
    lines = [
        Text.assemble(("Console      ", "bold"), console),
        Text.assemble(("Account      ", "bold"), overview.account or "-"),
        Text.assemble(("API key      ", "bold"), overview.key_hint or "none held"),
        Text.assemble(("Fingerprint  ", "bold"), overview.fingerprint or "-"),
    ]
    if overview.pending:
        lines.append(
            Text(
                "An unfinished account-key roll left a pending key: resume it first.",
                theme_style("failed"),
            )
        )
    if overview.problem:
        lines.append(Text(overview.problem, style=theme_style("failed")))
    return lines


ACCOUNT_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Back", id="account.back", tooltip="Back"),
    Binding(
        "r",
        "roll",
        "Roll key",
        id="account.roll",
        tooltip="Roll the account API key through the Console; the new key is shown once",
    ),
    Binding(
        "p",
        "paste",
        "Paste key",
        id="account.paste",
        tooltip="Save a key you rolled in the web Console, after the Console accepts it",
    ),
]


class AccountScreen(Screen[None]):
    """The account API key, masked, with roll (`r`) and paste (`p`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ACCOUNT_BINDINGS,
        *refusal_bindings(ACCOUNT_BINDINGS, ACCOUNT_ACTIONS),  # read-only: say why
    ]

    def __init__(
        self, session: DashboardSession, signals: DashboardSignals, action: str | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.signals = signals
        self.start_action = action
        self.overview: AccountOverview | None = None
        self.run: RollRun | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBanner(self.session, id="banner")
        with Vertical(id="account-body"):
            yield Static(id="account-card")
            yield Static(id="account-roll")
            yield Static(
                "Rolling the account key: the Console makes a new key and kills the old one at "
                "once. keyroll stores the new key before anything else, shows it to you once "
                "(copy it if you need it elsewhere), checks the Console accepts it and refuses "
                "the old one, and rewrites the key in every Convox CLI config, so `convox` "
                "keeps working.",
                id="account-help",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#account-card").border_title = "Convox account"
        self.query_one("#account-roll").display = False  # until a roll has something to say
        self.signals.listen(self, self.signals.inventory_changed, self.inventory_changed)
        self.signals.listen(self, self.signals.roll_updated, self.roll_updated)
        self.signals.listen(self, self.signals.roll_ended, self.roll_ended)
        self._show()
        self._fetch()
        if self.start_action in ACCOUNT_ACTIONS:
            self.call_after_refresh(self.run_action, self.start_action)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="account",
        description="Reading the account",
    )
    def _fetch(self) -> None:
        from tui.core.account_overview import fetch_account_overview

        workspace, inventory = self.session.workspace, self.session.inventory
        if workspace is None or inventory is None:
            return
        overview = fetch_account_overview(inventory, workspace.keystore)
        self.post_message(AccountFetched(overview))

    def on_account_fetched(self, message: AccountFetched) -> None:
        self.overview = message.overview
        self._show()

    def inventory_changed(self, _: None = None) -> None:
        self._fetch()

    def _show(self) -> None:
        self.query_one("#account-card", Static).update(
            Text("\n").join(account_lines(self.overview, sandboxed=self.session.sandboxed))
        )

    # which actions are allowed ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Roll and paste are hidden in read-only mode; their keys say why."""
        if action == REFUSE_ACTION:
            return self.session.read_only
        return not (action in ACCOUNT_ACTIONS and self.session.read_only)

    def action_refuse(self) -> None:
        self._refused()

    def _refused(self) -> bool:
        refusal = self.session.roll_refusal(None)
        if refusal is None and self.run is not None and self.run.running:
            refusal = "The account key is being rolled; wait for that roll to end."
        if refusal is not None:
            self.notify(refusal, severity="warning")
            return True
        return False

    # r: roll -----------------------------------------------------------------------------------

    def action_roll(self) -> None:
        if self._refused():
            return
        from tui.screens.dialogs import ConfirmDialog

        account = self.overview.account if self.overview and self.overview.account else "this"
        question = (
            f"Roll the API key of the {account} account? The Console kills the old key at once: "
            "keyroll shows the new one once and updates the Convox CLI."
        )
        self.app.push_screen(ConfirmDialog(question, None), self._roll_confirmed)

    def _roll_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._prepare(None)

    # p: paste ----------------------------------------------------------------------------------

    def action_paste(self) -> None:
        if self._refused():
            return
        from tui.screens.dialogs import PasteKeyDialog

        self.app.push_screen(
            PasteKeyDialog("Paste the account key you rolled in the web Console"),
            self._pasted,
        )

    def _pasted(self, key: Secret | None) -> None:
        if key is not None:
            self._prepare(key)

    # both: an account-key roll in the app ------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="account-roll", description="Account key")
    def _prepare(self, pasted: Secret | None) -> None:
        if self.session.workspace is None:
            return
        target = self.session.account_target()  # reads files: here, in a worker
        self.app.call_from_thread(self._start, target, pasted)

    def _start(self, target: RollTarget, pasted: Secret | None) -> None:
        from tui.core.rolls.account_key import ROUTE

        self.run = self.session.start_roll(RollKind.ACCOUNT_KEY, target, ROUTE, own_key=pasted)
        self._progress("Starting…")

    def roll_updated(self, update: RollUpdate) -> None:
        if update.run is not self.run or not in_view(self):
            return
        event = update.event
        if isinstance(event, PhaseChanged):
            self._progress(f"step: {event.phase.value}")
        elif isinstance(event, Note):
            self._progress(event.text)

    def roll_ended(self, run: RollRun) -> None:
        if run is not self.run or run.summary is None or not in_view(self):
            return
        outcome = run.summary.outcome
        last = run.summary.messages[-1] if run.summary.messages else ""
        line = Text.assemble(
            ("Last roll  ", "bold"), outcome_text(outcome.value if outcome else None), f"  {last}"
        )
        self._roll_line(line)
        self._fetch()

    def _progress(self, text: str) -> None:
        self._roll_line(
            Text.assemble(("Rolling    ", "bold"), outcome_text("running"), f"  {text}")
        )

    def _roll_line(self, line: Text) -> None:
        status = self.query_one("#account-roll", Static)
        status.update(line)
        status.display = True

    def action_back(self) -> None:
        self.dismiss()
