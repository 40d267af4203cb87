"""The rack API key roll dialog: route, random or own key, what will happen, confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from tui.base.errors import KeyrollError
from tui.base.key_rules import RECOMMENDED_MIN_LENGTH, validate_own_key
from tui.base.secret import Secret
from tui.core.inventory import VIA_CONSOLE, RackEntry
from tui.screens.dialogs.base import Dialog
from tui.screens.dialogs.confirm import ConfirmDialog
from tui.screens.dialogs.typed import TypedConfirmation
from tui.widgets.theme import theme_style

ROUTE_LABELS = {
    "console": "console: the Console makes and keeps a random key",
    "rack": "rack: keyroll sets the key through the rack's API (PUT /system)",
    "cloudformation": "cloudformation: UpdateStack on the stack's Password (Console or API down)",
}


@dataclass(frozen=True)
class RackKeyRequest:
    """What the person chose: the route, their own key (None: a random one), and re-link."""

    route: str
    own_key: Secret | None
    relink: bool


def routes_for(rack: RackEntry) -> tuple[str, ...]:
    """The routes a rack allows: a Console rack's key is the Console's, else the rack's own."""
    if rack.via == VIA_CONSOLE:
        return ("console", "cloudformation")
    return ("rack", "cloudformation")


def own_key_allowed(route: str) -> bool:
    """Only the Console route makes its own key and never takes one."""
    return route != "console"


def rack_key_plan(rack: RackEntry, route: str, *, own_key: bool, relink: bool) -> list[str]:
    """What the roll will do, in order, as sentences for the dialog."""
    key = "your own key (checked against the rack's rules first)" if own_key else "a random key"
    stack = rack.stack
    if route == "console":
        steps = [
            f"The Console makes a random key, sets it as {stack}'s Password and keeps it; "
            "keyroll never sees it.",
            "Until CloudFormation has replaced the API service, requests through the Console "
            "may fail (the Console switches to the new key first).",
            "keyroll watches the update, then checks that the Console reaches the rack again.",
        ]
    elif route == "rack":
        steps = [
            f"keyroll stores {key} in its keystore (0600) before anything is sent.",
            "It asks the rack to set Password (PUT /system); every other parameter is kept.",
            "Dual-key: keyroll keeps using the old key until the rack accepts the new one, so "
            "the rack stays available throughout.",
            "Then it verifies the new key, checks that the old one is refused, and rewrites "
            "the Convox CLI's key for this rack.",
        ]
    else:
        steps = [
            f"keyroll stores {key} in its keystore (0600) before anything is sent.",
            f"It calls UpdateStack on {stack} with only Password changed (needs AWS access "
            "to the stack); every other parameter keeps its value.",
        ]
        if rack.via == VIA_CONSOLE:
            steps.append(
                "Then it re-links the Console with the new key."
                if relink
                else "The Console cannot reach the rack until it is re-linked (l on the rack's "
                "screen)."
            )
    steps.append("If CloudFormation rolls back, the old key stays current and nothing is lost.")
    return steps


class RackKeyRollDialog(Dialog[RackKeyRequest | None]):
    """Choose how to roll `rack`'s API key; production racks need their name typed."""

    DEFAULT_CSS = """
    RackKeyRollDialog #rack-key-own-box {
        height: auto;
    }
    """

    def __init__(self, rack: RackEntry) -> None:
        super().__init__()
        self.rack = rack
        self.routes = routes_for(rack)

    def compose(self) -> ComposeResult:
        rack = self.rack
        danger = " -danger" if rack.production else ""
        with Vertical(classes="dialog-box -long" + danger):
            title = Text.assemble("Roll the rack API key of ", (rack.name, "bold"))
            if rack.production:
                title.append("  ")
                title.append(" PRODUCTION ", style=theme_style("production-badge"))
            yield Static(title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body", id="rack-key-body"):
                yield Static("Route", classes="dialog-label")
                with RadioSet(id="rack-key-route"):
                    for n, route in enumerate(self.routes):
                        yield RadioButton(
                            ROUTE_LABELS[route],
                            value=n == 0,
                            name=route,
                            id=f"rack-key-route-{route}",
                        )
                with Vertical(id="rack-key-own-box"):
                    yield Static("Key", classes="dialog-label")
                    with RadioSet(id="rack-key-source"):
                        yield RadioButton(
                            "a random key (40-50 letters and digits)",
                            value=True,
                            id="rack-key-source-random",
                        )
                        yield RadioButton("my own key", name="own", id="rack-key-source-own")
                    yield Input(
                        placeholder="your key: letters and digits, at most 50",
                        password=True,
                        id="rack-key-own",
                        disabled=True,
                    )
                if rack.via == VIA_CONSOLE:
                    yield Checkbox(
                        "Re-link the Console with the new key afterwards",
                        value=True,
                        id="rack-key-relink",
                    )
                yield Static("", classes="dialog-text", id="rack-key-plan")
            # the confirmation and the buttons stay in view however short the terminal
            if rack.production:
                yield Static(Text.assemble("Type ", (rack.name, "bold"), " to confirm:"))
                yield TypedConfirmation(rack.name, id="rack-key-typed")
            yield Static("", classes="dialog-error", id="rack-key-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Roll the key",
                    variant="error" if rack.production else "primary",
                    id="rack-key-start",
                    disabled=rack.production,
                )
                yield Button("Cancel", id="rack-key-cancel")

    def on_mount(self) -> None:
        self._refresh_choices()
        self.query_one("#rack-key-route", RadioSet).focus()

    # state ---------------------------------------------------------------------------------

    @property
    def route(self) -> str:
        index = self.query_one("#rack-key-route", RadioSet).pressed_index
        return self.routes[max(0, index)]

    @property
    def wants_own_key(self) -> bool:
        pressed = self.query_one("#rack-key-source", RadioSet).pressed_button
        return own_key_allowed(self.route) and pressed is not None and pressed.name == "own"

    @property
    def relink(self) -> bool:
        boxes = self.query("#rack-key-relink")
        return bool(boxes) and self.query_one("#rack-key-relink", Checkbox).value

    def _refresh_choices(self) -> None:
        route = self.route
        self.query_one("#rack-key-own-box").display = own_key_allowed(route)
        self.query_one("#rack-key-own", Input).disabled = not self.wants_own_key
        for box in self.query("#rack-key-relink"):
            box.display = route == "cloudformation"
        plan = rack_key_plan(self.rack, route, own_key=self.wants_own_key, relink=self.relink)
        text = Text("What will happen:", style="bold")
        for n, step in enumerate(plan, 1):
            text.append(f"\n{n}. {step}", style="")
        self.query_one("#rack-key-plan", Static).update(text)
        typed = self.query("#rack-key-typed")
        confirmed = not typed or self.query_one("#rack-key-typed", TypedConfirmation).matches
        self.query_one("#rack-key-start", Button).disabled = not confirmed

    @on(RadioSet.Changed)
    @on(Checkbox.Changed)
    @on(Input.Changed, "#rack-key-typed")
    def _changed(self) -> None:
        self.query_one("#rack-key-error", Static).update("")
        self._refresh_choices()

    # results -------------------------------------------------------------------------------

    @on(Button.Pressed, "#rack-key-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#rack-key-start")
    @on(Input.Submitted)
    def _start(self) -> None:
        if self.query_one("#rack-key-start", Button).disabled:
            return
        own: Secret | None = None
        if self.wants_own_key:
            field = self.query_one("#rack-key-own", Input)
            try:
                own = validate_own_key(field.value)
            except KeyrollError as error:
                self.query_one("#rack-key-error", Static).update(str(error))
                field.focus()
                return
        request = RackKeyRequest(self.route, own, self.relink and self.route == "cloudformation")
        if own is None or len(own.reveal()) >= RECOMMENDED_MIN_LENGTH:
            self.dismiss(request)
            return
        question = (
            f"Your key has {len(own.reveal())} characters; keys shorter than "
            f"{RECOMMENDED_MIN_LENGTH} are easier to guess (a random key has 40 to 50). "
            "Roll with it anyway?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(request)

        self.app.push_screen(ConfirmDialog(question, None), answered)
