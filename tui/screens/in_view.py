"""Which screen a roll's news is for: the one the person is looking at, under any dialog."""

from __future__ import annotations

from typing import Any

from textual.screen import ModalScreen, Screen


def in_view(screen: Screen[Any]) -> bool:
    """Whether `screen` is the top screen of the stack that is not a dialog (modal)."""
    for shown in reversed(screen.app.screen_stack):
        if not isinstance(shown, ModalScreen):
            return shown is screen
    return False
