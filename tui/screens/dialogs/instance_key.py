"""The instance keyroll dialog: the pre-flight report first, then route and confirmation.

Blockers allow only Cancel; services at risk of downtime need the rack's name typed (the
roll then goes on with `force`); production racks always need it typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from tui.core.inventory import RackEntry
from tui.core.preflight import MIN_SAFE_PROCESSES, PreflightReport
from tui.screens.dialogs.base import Dialog
from tui.screens.dialogs.typed import TypedConfirmation
from tui.widgets.theme import theme_style

ROUTES = ("rack", "cloudformation")
ROUTE_LABELS = {
    "rack": "rack: the rack makes the key pair and saves it as its SSH key",
    "cloudformation": "cloudformation: keyroll makes the key pair and keeps its private key",
}
# the names of their styles in the theme
BLOCKER_STYLE, RISK_STYLE, WARNING_STYLE, GOOD_STYLE = "failed", "warning", "warning", "complete"


@dataclass(frozen=True)
class InstanceKeyRequest:
    """The route chosen, and `force` when the person confirmed the downtime risks."""

    route: str
    force: bool


def report_text(report: PreflightReport) -> Text:
    """The pre-flight report: what was checked, blockers, downtime risks, warnings."""
    text = Text()
    text.append("Pre-flight: ", style="bold")
    text.append(
        f"status {report.status or 'unknown'}, key pair {report.key_name or '(none)'}, "
        f"{len(report.instances)} instance(s), {report.services_checked} service(s) checked."
    )
    for blocker in report.blockers:
        text.append(f"\n✖ {blocker}", style=theme_style(BLOCKER_STYLE))
    if report.risks:
        text.append(
            f"\n{len(report.risks)} service(s) run fewer than {MIN_SAFE_PROCESSES} processes:",
            style="bold",
        )
        for risk in report.risks:
            text.append(f"\n⚠ {risk.sentence()}", style=theme_style(RISK_STYLE))
    for warning in report.warnings:
        text.append(f"\n⚠ {warning}", style=theme_style(WARNING_STYLE))
    if report.ok and not report.warnings:
        text.append(
            f"\n✔ The stack is stable and every service runs at least {MIN_SAFE_PROCESSES} "
            "processes.",
            style=theme_style(GOOD_STYLE),
        )
    return text


def instance_key_plan(rack: RackEntry, route: str, instances: int) -> list[str]:
    """What the keyroll will do, in order, as sentences for the dialog."""
    stack = rack.stack
    if route == "rack":
        steps = [
            f"The rack makes a new key pair ({stack}-keypair-NNNN), saves its private key as "
            "the rack's SSH key, and updates the Key parameter.",
            "If the update rolls back, the saved SSH key no longer matches the instances "
            "(SSH key mismatch) until a keyroll succeeds; keyroll offers the retry.",
        ]
    else:
        steps = [
            "keyroll creates the key pair, keeps its private key in its keystore (0600), then "
            "updates Key with UpdateStack (needs AWS access to the stack).",
            "The rack's saved SSH key is left alone: a rollback leaves no mismatch, but "
            "`convox instances ssh` keeps using the old key.",
        ]
    steps.append(
        f"CloudFormation replaces all {instances} instance(s), one batch at a time; keyroll "
        "shows each batch and every service's running processes."
    )
    return steps


class InstanceKeyrollDialog(Dialog[InstanceKeyRequest | None]):
    """The pre-flight `report` of `rack`, then the route and the confirmation it needs."""

    def __init__(self, rack: RackEntry, report: PreflightReport) -> None:
        super().__init__()
        self.rack = rack
        self.report = report

    @property
    def blocked(self) -> bool:
        return bool(self.report.blockers)

    @property
    def needs_typing(self) -> bool:
        return not self.blocked and (bool(self.report.risks) or self.rack.production)

    def compose(self) -> ComposeResult:
        rack, report = self.rack, self.report
        danger = self.blocked or self.needs_typing
        with Vertical(classes="dialog-box -long" + (" -danger" if danger else "")):
            title = Text.assemble("Roll the instance SSH key of ", (rack.name, "bold"))
            if rack.production:
                title.append("  ")
                title.append(" PRODUCTION ", style=theme_style("production-badge"))
            yield Static(title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="instance-key-body"):
                yield Static(report_text(report), classes="dialog-text", id="instance-key-report")
                if not self.blocked:
                    with RadioSet(id="instance-key-route"):
                        for n, route in enumerate(ROUTES):
                            yield RadioButton(
                                ROUTE_LABELS[route],
                                value=n == 0,
                                name=route,
                                id=f"instance-key-route-{route}",
                            )
                    yield Static("", classes="dialog-text", id="instance-key-plan")
            # the confirmation and the buttons stay in view however short the terminal
            if self.blocked:
                yield Static(
                    "The keyroll cannot start until the blocker above is gone.",
                    classes="dialog-error",
                )
            elif self.needs_typing:
                why = "despite the downtime risk" if report.risks else "on a production rack"
                yield Static(Text.assemble("Type ", (rack.name, "bold"), f" to roll {why}:"))
                yield TypedConfirmation(rack.name, id="instance-key-typed")
            with Horizontal(classes="dialog-buttons"):
                if not self.blocked:
                    yield Button(
                        "Start the keyroll",
                        variant="error" if self.needs_typing else "primary",
                        id="instance-key-start",
                        disabled=self.needs_typing,
                    )
                yield Button("Cancel", id="instance-key-cancel")

    def on_mount(self) -> None:
        if self.blocked:
            self.query_one("#instance-key-cancel", Button).focus()
            return
        self._refresh_plan()
        self.query_one("#instance-key-route", RadioSet).focus()

    @property
    def route(self) -> str:
        index = self.query_one("#instance-key-route", RadioSet).pressed_index
        return ROUTES[max(0, index)]

    def _confirmed(self) -> bool:
        if self.blocked:
            return False
        if not self.needs_typing:
            return True
        return self.query_one("#instance-key-typed", TypedConfirmation).matches

    def _refresh_plan(self) -> None:
        plan = instance_key_plan(self.rack, self.route, len(self.report.instances))
        text = Text("What will happen:", style="bold")
        for n, step in enumerate(plan, 1):
            text.append(f"\n{n}. {step}", style="")
        self.query_one("#instance-key-plan", Static).update(text)
        self.query_one("#instance-key-start", Button).disabled = not self._confirmed()

    @on(RadioSet.Changed)
    @on(Input.Changed, "#instance-key-typed")
    def _changed(self) -> None:
        self._refresh_plan()

    @on(Button.Pressed, "#instance-key-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#instance-key-start")
    @on(Input.Submitted, "#instance-key-typed")
    def _start(self) -> None:
        if self._confirmed():
            self.dismiss(InstanceKeyRequest(self.route, force=bool(self.report.risks)))
