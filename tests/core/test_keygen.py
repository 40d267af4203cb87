"""Rack keys: random ones follow the rules, own ones are checked with a clear message."""

from __future__ import annotations

import re

import pytest

from tui.core.errors import EXIT_BAD_INPUT
from tui.core.keygen import KeyRuleError, generate_rack_key, validate_own_key


def test_generated_keys_are_40_to_50_alphanumerics_and_differ() -> None:
    keys = [generate_rack_key().reveal() for _ in range(300)]
    assert all(re.fullmatch(r"[A-Za-z0-9]{40,50}", k) for k in keys)
    assert len(set(keys)) == len(keys)
    assert len({len(k) for k in keys}) > 5  # the length itself is random too


@pytest.mark.parametrize("value", ["a", "Z9", "x" * 50, "abcDEF123"])
def test_own_key_accepted(value: str) -> None:
    assert validate_own_key(value).reveal() == value


def test_own_key_trailing_newline_from_stdin_is_dropped() -> None:
    assert validate_own_key("abc123\n").reveal() == "abc123"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("", "empty"),
        ("x" * 51, "at most 50"),
        ("has space", "letters A-Z"),
        ("p@ss/word", "letters A-Z"),
        ("clé", "letters A-Z"),
    ],
)
def test_own_key_refused_naming_the_rule(value: str, rule: str) -> None:
    with pytest.raises(KeyRuleError) as caught:
        validate_own_key(value)
    message = str(caught.value)
    assert rule in message
    assert caught.value.exit_code == EXIT_BAD_INPUT
    if len(value) > 3:
        assert value not in message  # the key itself is never echoed
