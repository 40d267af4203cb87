"""Rack API keys: generating random ones and checking a user's own against the rack's rules."""

from __future__ import annotations

import secrets
import string

from tui.base.errors import BadInputError
from tui.base.secret import Secret

# Only [A-Za-z0-9]: the Convox SDK sends the key percent-escaped in Basic auth, the rack
# compares raw strings, so any character that needs escaping would lock the CLI out.
ALPHABET = string.ascii_letters + string.digits
MIN_GENERATED, MAX_GENERATED = 40, 50
MIN_OWN, MAX_OWN = 1, 50  # the stack's Password parameter: MinLength 1, MaxLength 50
# Shorter own keys are allowed by the rack but easy to guess: warn, and ask to confirm.
RECOMMENDED_MIN_LENGTH = 32


class KeyRuleError(BadInputError):
    """An own key that breaks one of the rack's rules; the message names the rule."""


def generate_rack_key() -> Secret:
    """A random rack key of 40 to 50 characters from [A-Za-z0-9], from the `secrets` module."""
    length = MIN_GENERATED + secrets.randbelow(MAX_GENERATED - MIN_GENERATED + 1)
    return Secret("".join(secrets.choice(ALPHABET) for _ in range(length)))


def validate_own_key(value: str | Secret) -> Secret:
    """Check a key the user chose; raise `KeyRuleError` naming the first rule it breaks."""
    raw = value.reveal() if isinstance(value, Secret) else value
    raw = raw.strip("\r\n")
    if len(raw) < MIN_OWN:
        raise KeyRuleError("The key is empty: a rack key needs 1 to 50 characters.")
    if len(raw) > MAX_OWN:
        raise KeyRuleError(
            f"The key is {len(raw)} characters long: a rack key may have at most {MAX_OWN}."
        )
    kinds = bad_character_kinds(raw)
    if kinds:
        raise KeyRuleError(
            "The key may only use letters A-Z, a-z and digits 0-9 (the Convox CLI cannot send "
            f"other characters intact), and it contains {_words(kinds)}."
        )
    return Secret(raw)


def bad_character_kinds(raw: str) -> list[str]:
    """The kinds of character in `raw` outside [A-Za-z0-9], named without showing any."""
    found = {_kind(c) for c in raw if c not in ALPHABET}
    return [kind for kind in KIND_ORDER if kind in found]


KIND_ORDER = (
    "spaces",
    "punctuation such as '-' or '_'",
    "control or invisible characters",
    "non-ASCII letters",
    "non-ASCII digits or numbers",
    "other non-ASCII characters such as symbols",
)


def _kind(c: str) -> str:
    """The kind of one character outside [A-Za-z0-9] (every such character has one)."""
    if c.isspace():
        return KIND_ORDER[0]
    if not c.isprintable():
        return KIND_ORDER[2]
    if c.isascii():
        return KIND_ORDER[1]
    if c.isalpha():
        return KIND_ORDER[3]
    if c.isnumeric():
        return KIND_ORDER[4]
    return KIND_ORDER[5]


def _words(kinds: list[str]) -> str:
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def short_key_warning(value: str | Secret) -> str | None:
    """A sentence when an own key is shorter than `RECOMMENDED_MIN_LENGTH`, else None; the
    dashboard asks to confirm it, the headless roll wants `--allow-short-key`."""
    length = len(value.reveal() if isinstance(value, Secret) else value)
    if length >= RECOMMENDED_MIN_LENGTH:
        return None
    return (
        f"The key has {length} characters, fewer than the {RECOMMENDED_MIN_LENGTH} keyroll "
        f"recommends (its random keys have {MIN_GENERATED} to {MAX_GENERATED}), so it is "
        "easier to guess."
    )
