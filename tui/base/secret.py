"""`Secret`: a key that is masked everywhere unless revealed on purpose."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, NoReturn

MASK = "**********"


class Secret:
    """A string that hides itself in `repr`, `str`, f-strings, logs and exceptions.

    The value comes out only through `reveal()`. Comparison is constant-time.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret takes a str")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The real value: call only where the key must leave the process (a request, a file)."""
        return self._value

    def hint(self) -> str:
        """A masked form that tells keys apart: the last four characters of a long key."""
        value = self.reveal()
        if len(value) >= 20:
            return f"{MASK}{value[-4:]}"
        return MASK

    def fingerprint(self) -> str:
        """A short, one-way id for journals and logs (the key cannot be recovered from it)."""
        return hashlib.sha256(self.reveal().encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __len__(self) -> int:
        return len(self.reveal())

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self.reveal()))

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: reveal it on purpose where it must be stored")
