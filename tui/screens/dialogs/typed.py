"""Typed confirmation: the person types a rack's name before a risky action may start."""

from __future__ import annotations

from textual.widgets import Input


class TypedConfirmation(Input):
    """An input that is satisfied only by exactly `expected` (a rack's name)."""

    DEFAULT_CSS = """
    TypedConfirmation {
        margin-bottom: 1;
    }
    """

    def __init__(self, expected: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=f"type {expected} to confirm", id=id)
        self.expected = expected

    @property
    def matches(self) -> bool:
        return self.value.strip() == self.expected
