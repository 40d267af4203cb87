"""Keys a screen hides while they may not run (read-only mode), which still say why if pressed.

A binding whose `check_action` returns False is left out of the footer and `?`, and pressing
its key does nothing. For each such key this adds a hidden binding to `refuse`, which Textual
tries next, so the person who presses `r` out of habit reads why nothing happens.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType

REFUSE_ACTION = "refuse"


def refusal_bindings(bindings: Iterable[BindingType], actions: Iterable[str]) -> list[Binding]:
    """A hidden `refuse` binding on the keys of each binding in `bindings` whose action is in
    `actions` (list them after those bindings: Textual tries a key's bindings in order)."""
    wanted = set(actions)
    return [
        Binding(binding.key, REFUSE_ACTION, "", show=False)
        for binding in bindings
        if isinstance(binding, Binding) and binding.action in wanted
    ]
