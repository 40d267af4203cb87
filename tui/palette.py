"""The command palette's keyroll commands: switch to, open, and roll every rack (Posting-style).

The provider lists commands from the app's inventory; Textual's own commands stay (the app
sets `COMMANDS = App.COMMANDS | {RackCommands}`). In read-only mode the roll and switch
commands are still listed, marked as disabled, and say why when chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.core.inventory import VIA_CONSOLE
from tui.widgets.status import READ_ONLY_SENTENCE


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: its text, its help line, and what it does."""

    text: str
    help: str
    run: Callable[[], Any]


def palette_commands(app: Any) -> list[PaletteCommand]:
    """Every keyroll command for the app's current state (racks known, roll running, modes)."""
    inventory = getattr(app, "inventory", None)
    if inventory is None:
        return []
    commands: list[PaletteCommand] = []
    for rack in inventory.racks:
        name = rack.name
        switch_text = f"Switch to {name}"
        switch_help = "Make it keyroll's current rack, and the Convox CLI's"
        commands.append(
            _disabled(app, switch_text, switch_help, READ_ONLY_SENTENCE)
            if getattr(app, "read_only", False)
            else PaletteCommand(switch_text, switch_help, partial(app.switch_rack, name))
        )
        commands.append(
            PaletteCommand(
                f"Open {name}",
                "Status, parameters, instances, services, roll history",
                partial(app.open_rack, name),
            )
        )
    for run in app.rolls.running():
        commands.append(
            PaletteCommand(
                f"Watch the {run.kind} roll of {run.rack}",
                "The live view of a roll running now",
                partial(app.open_roll, run),
            )
        )
    for rack in inventory.racks:
        refusal = app.roll_refusal(rack)
        actions = [
            ("roll_rack_key", f"Roll the API key of {rack.name}", "Route, key, what will happen"),
            ("instance_keyroll", f"Instance keyroll of {rack.name}", "Pre-flight report first"),
        ]
        if rack.via == VIA_CONSOLE:
            actions.append(
                ("relink", f"Re-link {rack.name} in the Console", "After a cloudformation roll")
            )
        for action, text, help_text in actions:
            commands.append(_roll_command(app, text, help_text, refusal, rack.name, action))
        commands.append(
            PaletteCommand(
                f"Unused key pairs of {rack.name}",
                "List old key pairs; delete them unless read-only",
                partial(app.open_rack, rack.name, "key_pairs"),
            )
        )
    refusal = app.roll_refusal(None)
    commands.append(PaletteCommand("Open the account", "The account key, masked", app.open_account))
    for action, text, help_text in (
        ("roll", "Roll the account key", "The new key is shown once"),
        ("paste", "Paste an account key rolled elsewhere", "Checked with GET /auth first"),
    ):
        run = partial(app.open_account, action)
        commands.append(
            _disabled(app, text, help_text, refusal)
            if refusal
            else PaletteCommand(text, help_text, run)
        )
    return commands


def _roll_command(
    app: Any, text: str, help_text: str, refusal: str | None, rack: str, action: str
) -> PaletteCommand:
    if refusal:
        return _disabled(app, text, help_text, refusal)
    return PaletteCommand(text, help_text, partial(app.open_rack, rack, action))


def _disabled(app: Any, text: str, help_text: str, refusal: str) -> PaletteCommand:
    return PaletteCommand(
        f"{text} (disabled)",
        f"{help_text}. {refusal}",
        partial(app.notify, refusal, severity="warning"),
    )


class RackCommands(Provider):
    """Switch to, open, and roll every rack; watch running rolls; the account key."""

    async def discover(self) -> Hits:
        for command in palette_commands(self.app):
            yield DiscoveryHit(command.text, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in palette_commands(self.app):
            score = matcher.match(command.text)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(command.text), command.run, command.text, command.help
                )
