"""Rack keys: random ones follow the rules, own ones are checked with a clear message."""

from __future__ import annotations

import re

import pytest

from tui.base.errors import EXIT_BAD_INPUT
from tui.base.key_rules import (
    RECOMMENDED_MIN_LENGTH,
    KeyRuleError,
    generate_rack_key,
    short_key_warning,
    validate_own_key,
)
from tui.base.secret import Secret


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


@pytest.mark.parametrize(
    ("value", "kinds", "not_named"),
    [
        ("has space in it", ["spaces"], ["punctuation", "non-ASCII"]),
        ("pass-word_with-dashes", ["punctuation such as '-' or '_'"], ["spaces", "non-ASCII"]),
        ("cléééé1234", ["non-ASCII letters"], ["spaces", "punctuation"]),
        ("tab\there-and ünïcode", ["spaces", "punctuation", "non-ASCII letters"], []),
        ("bell\x07\x1b[31mred", ["control or invisible characters", "punctuation"], ["spaces"]),
    ],
)
def test_a_bad_character_message_names_the_kinds_without_echoing_any(
    value: str, kinds: list[str], not_named: list[str]
) -> None:
    """Issue 12, item 13: the message said only 'N kind(s) of character outside them'."""
    with pytest.raises(KeyRuleError) as caught:
        validate_own_key(value)
    message = str(caught.value)
    for kind in kinds:
        assert kind in message, message
    for kind in not_named:
        assert kind not in message, message
    odd = {c for c in value if not c.isascii() or not c.isalnum()} - {"-", "_", " "}
    assert not odd & set(message), message  # none of the key's own odd characters
    assert message.isprintable() and message.endswith("."), message


def test_a_short_own_key_gets_a_warning_naming_the_recommended_length() -> None:
    assert RECOMMENDED_MIN_LENGTH == 32
    assert short_key_warning(Secret("x" * 32)) is None
    assert short_key_warning(Secret("A" * 50)) is None
    warning = short_key_warning(Secret("abc"))
    assert warning is not None
    assert "3 characters" in warning and "32" in warning and "abc" not in warning
    assert short_key_warning("y" * 31) is not None
