"""keyroll's colours: one registered Textual theme, and the Rich styles drawn from it.

Every colour of the dashboard is here, as a variable of the `keyroll` theme; `.tcss` files
use them as `$keyroll-...`, and code that builds Rich `Text` asks `theme_style` for a named
style, which reads the active theme's variables when it is called (a screen rendering, a
widget updating). The theme is Textual's default (`textual-dark`) plus those variables, so
the dashboard looks exactly as it did before it had a theme.

Status colours follow Rain (in progress blue, complete green, failed or rolled back red);
production has its own colour so nobody mistakes it for staging (k9s's production skin).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from textual import active_app
from textual.theme import BUILTIN_THEMES, Theme

THEME_NAME = "keyroll"

# The variables every theme gets (`App.get_theme_variable_defaults`): picking another theme
# in the command palette keeps keyroll's stylesheet valid.
KEYROLL_VARIABLES: dict[str, str] = {
    "keyroll-complete": "#5fd75f",
    "keyroll-in-progress": "#5fafff",
    "keyroll-failed": "#ff5f5f",
    "keyroll-alarm": "#d70000",  # the background of a failed or rolled-back roll's badge
    "keyroll-warning": "#ffd75f",
    "keyroll-unknown": "#d7af5f",
    "keyroll-pending": "#c0c0c0",
    "keyroll-muted": "#8a8a8a",
    "keyroll-production": "#af005f",
    "keyroll-sandbox": "#5f5f00",
    "keyroll-read-only": "#875f00",
    "keyroll-light": "#ffffff",  # text on the dark badges and banners
    "keyroll-dark": "#000000",  # text on the light badges
}

_DARK = BUILTIN_THEMES["textual-dark"]
KEYROLL_THEME = Theme(
    name=THEME_NAME,
    primary=_DARK.primary,
    secondary=_DARK.secondary,
    accent=_DARK.accent,
    warning=_DARK.warning,
    error=_DARK.error,
    success=_DARK.success,
    foreground=_DARK.foreground,
    background=_DARK.background,
    surface=_DARK.surface,
    panel=_DARK.panel,
    boost=_DARK.boost,
    dark=_DARK.dark,
    luminosity_spread=_DARK.luminosity_spread,
    text_alpha=_DARK.text_alpha,
    variables={**_DARK.variables, **KEYROLL_VARIABLES},
)

# Named Rich styles, written with the theme's variables.
STYLES: dict[str, str] = {
    "complete": "$keyroll-complete",
    "complete-bold": "bold $keyroll-complete",
    "in-progress": "bold $keyroll-in-progress",
    "failed": "bold $keyroll-failed",
    "warning": "$keyroll-warning",
    "warning-bold": "bold $keyroll-warning",
    "unknown": "$keyroll-unknown",
    "pending": "$keyroll-pending",
    "muted": "$keyroll-muted",
    "gone": "dim",  # what is over: dimmed, in no colour of its own
    "production-badge": "bold $keyroll-light on $keyroll-production",
    "read-only-badge": "bold $keyroll-dark on $keyroll-unknown",
    "succeeded-badge": "bold $keyroll-dark on $keyroll-complete",
    "alarm-badge": "bold $keyroll-light on $keyroll-alarm",
    "refused-badge": "bold $keyroll-dark on $keyroll-warning",
    "stopped-badge": "bold $keyroll-dark on $keyroll-pending",
}
_VARIABLE = re.compile(r"\$([a-z0-9-]+)")


def active_variables() -> Mapping[str, str]:
    """The running app's theme variables; keyroll's own outside an app (a unit test)."""
    try:
        app = active_app.get()
    except LookupError:
        return KEYROLL_VARIABLES
    return app.theme_variables or KEYROLL_VARIABLES


def theme_style(name: str, variables: Mapping[str, str] | None = None) -> str:
    """The Rich style `name` (a key of `STYLES`) in the colours of `variables`: `failed`
    gives `bold #ff5f5f` in keyroll's theme.

    Without `variables`, those of the active theme, read now: call it when the text is
    built, not at import.
    """
    values = active_variables() if variables is None else variables
    return _VARIABLE.sub(
        lambda match: values.get(match[1]) or KEYROLL_VARIABLES[match[1]], STYLES[name]
    )


class ThemeStyles(Mapping[str, str]):
    """Keys (a category, a level) to named theme styles; a look-up reads the active theme."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)

    def __getitem__(self, key: str) -> str:
        return theme_style(self.names[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)
