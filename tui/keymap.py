"""The dashboard's keys by id, and the person's `[keymap]` checked against them.

Every binding of keyroll's own has an id (`rack.refresh`, `racks.open`, `quit`); `[keymap]`
in `config.toml` maps ids to other keys, and the app hands the checked map to Textual's
`App.set_keymap`. Settings load without Textual, so the ids are checked here, against the
bindings of the app, its screens and its widgets.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

import tui.screens
import tui.widgets
from tui.core.settings import Settings


def _subclasses(cls: type[DOMNode]) -> Iterator[type[DOMNode]]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def ids_of(bindings: Iterable[BindingType]) -> set[str]:
    """The ids of `bindings` (a tuple binding has none)."""
    return {binding.id for binding in bindings if isinstance(binding, Binding) and binding.id}


def binding_ids(app_bindings: Iterable[BindingType]) -> set[str]:
    """Every binding id of the dashboard: `app_bindings` and those of every screen and
    widget in `tui.screens` and `tui.widgets` (their modules are imported to find them)."""
    for package in (tui.screens, tui.widgets):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    ids = ids_of(app_bindings)
    for node_class in set(_subclasses(DOMNode)):
        if node_class.__module__.startswith("tui."):
            ids |= ids_of(node_class.__dict__.get("BINDINGS", ()))
    return ids


def checked_keymap(settings: Settings, app_bindings: Iterable[BindingType]) -> dict[str, str]:
    """`settings.keymap`, once every id in it is one of the dashboard's; raises
    `SettingsError` naming the file and the unknown ids otherwise."""
    if not settings.keymap:
        return {}  # nothing to check: the screens' modules stay unimported until needed
    settings.check_keymap(binding_ids(app_bindings))
    return dict(settings.keymap)
