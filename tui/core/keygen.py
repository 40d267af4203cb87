"""Rack API keys: generating random ones and checking a user's own against the rack's rules."""

from __future__ import annotations

import secrets
import string

from tui.core.errors import BadInputError
from tui.core.secret import Secret

# Only [A-Za-z0-9]: the Convox SDK sends the key percent-escaped in Basic auth, the rack
# compares raw strings, so any character that needs escaping would lock the CLI out.
ALPHABET = string.ascii_letters + string.digits
MIN_GENERATED, MAX_GENERATED = 40, 50
MIN_OWN, MAX_OWN = 1, 50  # the stack's Password parameter: MinLength 1, MaxLength 50
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
    bad = sorted({c for c in raw if c not in ALPHABET})
    if bad:
        kinds = "a space" if bad == [" "] else f"{len(bad)} kind(s) of character outside them"
        raise KeyRuleError(
            "The key may only use letters A-Z, a-z and digits 0-9 (the Convox CLI cannot send "
            f"other characters intact), and it contains {kinds}."
        )
    return Secret(raw)
