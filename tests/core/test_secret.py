"""`Secret` hides its value everywhere but `reveal()`."""

from __future__ import annotations

import logging
import pickle

import pytest

from tui.base.errors import KeyrollError
from tui.base.secret import MASK, Secret

VALUE = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"


def test_masked_in_every_string_form() -> None:
    secret = Secret(VALUE)
    for text in (
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>60}",
        "%s" % (secret,),  # noqa: UP031 - old-style formatting is masked too
    ):
        assert VALUE not in text
        assert MASK in text
    assert VALUE not in repr([secret, {"k": secret}])


def test_masked_in_logs_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("keyroll.test").debug("key is %s (%r)", secret, secret)
    assert VALUE not in caplog.text
    error = KeyrollError(f"the key {secret} was refused")
    assert VALUE not in str(error) and VALUE not in repr(error)


def test_revealed_only_on_purpose() -> None:
    secret = Secret(VALUE)
    assert secret.reveal() == VALUE
    assert secret.hint() == MASK + VALUE[-4:]
    assert Secret("short").hint() == MASK
    assert len(secret) == len(VALUE)


def test_equality_and_fingerprint() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret(VALUE + "x")
    assert Secret(VALUE) != VALUE  # never equal to a plain string: no accidental reveal
    assert Secret(VALUE).fingerprint() == Secret(VALUE).fingerprint()
    assert VALUE not in Secret(VALUE).fingerprint()
    assert len({Secret(VALUE), Secret(VALUE)}) == 1


def test_immutable_and_not_pickled() -> None:
    secret = Secret(VALUE)
    with pytest.raises(AttributeError):
        secret._value = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]
