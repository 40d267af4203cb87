"""The command palette's keyroll commands: switch to, open, and roll every rack (Posting-style).

The provider lists commands from the dashboard session's inventory and rolls; Textual's own
commands stay (the app sets `COMMANDS = App.COMMANDS | {RackCommands}`). A command asks the
app to show a screen with a message (`OpenRack`, ...). In read-only mode the roll and switch
commands are still listed, marked as disabled, and say why when chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from tui.core.inventory import VIA_CONSOLE
from tui.core.session import READ_ONLY_SENTENCE, DashboardSession
from tui.messages import OpenAccount, OpenRack, OpenRoll, SwitchRack


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: its text, its help line, and what it does."""

    text: str
    help: str
    run: Callable[[], Any]


def palette_commands(session: DashboardSession, app: App[Any]) -> list[PaletteCommand]:
    """Every keyroll command for the session's state (racks known, roll running, modes);
    each one posts its request to `app`."""
    inventory = session.inventory
    if inventory is None:
        return []

    def asking(message: Message) -> Callable[[], Any]:
        return partial(app.post_message, message)

    def disabled(text: str, help_text: str, refusal: str) -> PaletteCommand:
        return PaletteCommand(
            f"{text} (disabled)",
            f"{help_text}. {refusal}",
            partial(app.notify, refusal, severity="warning"),
        )

    commands: list[PaletteCommand] = []
    for rack in inventory.racks:
        name = rack.name
        switch_text = f"Switch to {name}"
        switch_help = "Make it keyroll's current rack, and the Convox CLI's"
        commands.append(
            disabled(switch_text, switch_help, READ_ONLY_SENTENCE)
            if session.read_only
            else PaletteCommand(switch_text, switch_help, asking(SwitchRack(name)))
        )
        commands.append(
            PaletteCommand(
                f"Open {name}",
                "Status, parameters, instances, services, roll history",
                asking(OpenRack(name)),
            )
        )
    for run in session.rolls.running():
        commands.append(
            PaletteCommand(
                f"Watch the {run.kind} roll of {run.rack}",
                "The live view of a roll running now",
                asking(OpenRoll(run)),
            )
        )
    for rack in inventory.racks:
        refusal = session.roll_refusal(rack)
        actions = [
            ("roll_rack_key", f"Roll the API key of {rack.name}", "Route, key, what will happen"),
            ("instance_keyroll", f"Instance keyroll of {rack.name}", "Pre-flight report first"),
        ]
        if rack.via == VIA_CONSOLE:
            actions.append(
                ("relink", f"Re-link {rack.name} in the Console", "After a cloudformation roll")
            )
        for action, text, help_text in actions:
            commands.append(
                disabled(text, help_text, refusal)
                if refusal
                else PaletteCommand(text, help_text, asking(OpenRack(rack.name, action)))
            )
        commands.append(
            PaletteCommand(
                f"Unused key pairs of {rack.name}",
                "List old key pairs; delete them unless read-only",
                asking(OpenRack(rack.name, "key_pairs")),
            )
        )
    refusal = session.roll_refusal(None)
    commands.append(
        PaletteCommand("Open the account", "The account key, masked", asking(OpenAccount()))
    )
    for action, text, help_text in (
        ("roll", "Roll the account key", "The new key is shown once"),
        ("paste", "Paste an account key rolled elsewhere", "Checked with GET /auth first"),
    ):
        commands.append(
            disabled(text, help_text, refusal)
            if refusal
            else PaletteCommand(text, help_text, asking(OpenAccount(action)))
        )
    return commands


class RackCommands(Provider):
    """Switch to, open, and roll every rack; watch running rolls; the account key."""

    def _commands(self) -> list[PaletteCommand]:
        # Textual makes the provider from the app's COMMANDS, with no way to hand it the
        # session: the app that lists this provider holds it as `session`.
        session = getattr(self.app, "session", None)
        if not isinstance(session, DashboardSession):
            return []
        return palette_commands(session, self.app)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.text, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(command.text), command.run, command.text, command.help
                )
