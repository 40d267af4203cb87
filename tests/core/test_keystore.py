"""The keystore: roles through a roll, persistence, 0600, corruption left alone, no key shown."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tui.base.errors import BadInputError, RefusedError
from tui.base.secret import Secret
from tui.core.keystore import Keystore, KeystoreError

HOST = "rack.example.com"
OLD = Secret("OldKey0123456789abcdefghijklmnopqrstuvwxy")
NEW = Secret("NewKey0123456789abcdefghijklmnopqrstuvwxy")
OTHER = Secret("OtherKey23456789abcdefghijklmnopqrstuvwxy")


@pytest.fixture
def store(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "data" / "keystore.json")


def test_a_successful_roll_moves_keys_through_their_roles(store: Keystore) -> None:
    store.set_current(HOST, OLD)
    store.add_pending(HOST, NEW)
    assert store.keys_for(HOST) == [NEW, OLD]
    assert store.current(HOST) == OLD and store.pending(HOST) == NEW
    store.promote(HOST, NEW)
    assert store.keys_for(HOST) == [NEW]
    assert store.current(HOST) == NEW and store.pending(HOST) is None
    assert store.retired(HOST) == [OLD]
    again = Keystore(store.path)
    assert again.current(HOST) == NEW and again.retired(HOST) == [OLD]
    assert [e.role for e in again.entries(HOST)] == ["current", "retired"]


def test_a_rolled_back_roll_keeps_the_old_key_and_retires_the_new(store: Keystore) -> None:
    store.set_current(HOST, OLD)
    store.add_pending(HOST, NEW)
    store.retire_pending(HOST, NEW)
    assert Keystore(store.path).keys_for(HOST) == [OLD]
    assert store.retired(HOST) == [NEW]
    assert store.has_fingerprint(NEW.fingerprint())


def test_one_pending_key_per_host(store: Keystore) -> None:
    store.set_current(HOST, OLD)
    store.add_pending(HOST, NEW)
    store.add_pending(HOST, NEW)  # the same key again is harmless
    with pytest.raises(RefusedError):
        store.add_pending(HOST, OTHER)
    with pytest.raises(BadInputError):
        store.promote(HOST, OTHER)
    assert store.keys_for(HOST) == [NEW, OLD]


def test_set_current_retires_the_previous_key(store: Keystore) -> None:
    store.set_current(HOST, OLD)
    store.set_current(HOST, NEW)
    assert store.current(HOST) == NEW and store.retired(HOST) == [OLD]


def test_private_keys_by_rack_and_name(store: Keystore) -> None:
    pem = Secret("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n")
    store.put_private_key("acme/production", "production-keypair-4821", pem)
    again = Keystore(store.path)
    assert again.private_key("acme/production", "production-keypair-4821") == pem
    assert again.private_key_names("acme/production") == ["production-keypair-4821"]
    assert again.has_fingerprint(pem.fingerprint())


def test_file_is_0600_and_repr_shows_no_key(store: Keystore) -> None:
    store.set_current(HOST, OLD)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    shown = repr(store) + repr(store.entries(HOST))
    assert OLD.reveal() not in shown
    assert json.loads(store.path.read_text())["hosts"][HOST][0]["key"] == OLD.reveal()


@pytest.mark.parametrize(
    "content",
    [
        b'{"version": 1, "hosts": {',
        b'{"version": 1, "hosts": {"h": [{"key": 1}]}, "private_keys": {}}',
        b"[]",
    ],
)
def test_corrupt_keystore_is_a_clear_error_and_never_rewritten(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "keystore.json"
    path.write_bytes(content)
    with pytest.raises(KeystoreError) as caught:
        Keystore(path)
    assert str(path) in str(caught.value) and "left it unchanged" in str(caught.value)
    assert path.read_bytes() == content
