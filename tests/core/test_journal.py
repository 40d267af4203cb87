"""The roll journal: steps written ahead, key-stored-first rule, queries, and rack locks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest

from tui.base.errors import RefusedError
from tui.base.secret import Secret
from tui.core import journal as journal_module
from tui.core.journal import Journal, JournalError, RackLock
from tui.core.keystore import Keystore

HOST = "rack.example.com"
OLD = Secret("OldKey0123456789abcdefghijklmnopqrstuvwxy")
NEW = Secret("NewKey0123456789abcdefghijklmnopqrstuvwxy")


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    store = Keystore(tmp_path / "data" / "keystore.json")
    store.set_current(HOST, OLD)
    return store


@pytest.fixture
def journal(tmp_path: Path, keystore: Keystore) -> Journal:
    return Journal(tmp_path / "state" / "rolls", keystore)


def test_a_roll_is_written_ahead_step_by_step(journal: Journal, keystore: Keystore) -> None:
    roll = journal.begin("rack-key", "dev", "rack", host=HOST, new_key=NEW, old_key=OLD)
    keystore.add_pending(HOST, NEW)
    journal.step(roll.roll_id, "key-stored")
    journal.step(roll.roll_id, "update-requested")
    journal.step(roll.roll_id, "watching", message="UPDATE_IN_PROGRESS")
    journal.step(roll.roll_id, "verifying")
    done = journal.finish(
        roll.roll_id, "succeeded", downtime_s=0.0, longest_outage_s=0.0, old_key_refused=True
    )
    reread = Journal(journal.directory).get(roll.roll_id)
    assert reread == done
    assert [s.name for s in reread.steps] == [
        "planned",
        "key-stored",
        "update-requested",
        "watching",
        "verifying",
        "outcome",
    ]
    assert reread.outcome == "succeeded" and reread.old_key_refused is True
    assert reread.new_key == NEW.fingerprint() and reread.old_key == OLD.fingerprint()
    text = (journal.directory / f"{roll.roll_id}.json").read_text()
    assert NEW.reveal() not in text and OLD.reveal() not in text
    with pytest.raises(RefusedError):
        journal.step(roll.roll_id, "watching")


def test_update_requested_is_refused_until_the_new_key_is_stored(
    journal: Journal, keystore: Keystore
) -> None:
    roll = journal.begin("rack-key", "dev", "rack", host=HOST, new_key=NEW)
    with pytest.raises(RefusedError) as caught:
        journal.step(roll.roll_id, "update-requested")
    assert "not in the keystore" in str(caught.value)
    assert journal.get(roll.roll_id).last_step == "planned"
    keystore.add_pending(HOST, NEW)
    assert journal.step(roll.roll_id, "update-requested").last_step == "update-requested"


def test_a_rack_key_roll_without_a_new_key_cannot_request_the_update(journal: Journal) -> None:
    roll = journal.begin("rack-key", "dev", "rack")
    with pytest.raises(RefusedError):
        journal.step(roll.roll_id, "update-requested")
    # The Console's brokered roll makes and keeps the key itself: there is none to store.
    brokered = journal.begin("rack-key", "acme/production", "console")
    assert journal.step(brokered.roll_id, "update-requested").last_step == "update-requested"
    account = journal.begin("account-key", "console.convox.com", "console")
    assert journal.step(account.roll_id, "update-requested").last_step == "update-requested"


def test_unfinished_and_history_newest_first(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a clock a second apart a call: the order never rests on how fast the machine writes
    moments = (datetime(2025, 3, 4, 9, 30, tzinfo=UTC) + timedelta(seconds=n) for n in count())
    monkeypatch.setattr(journal_module, "_now", lambda: next(moments).isoformat())
    first = journal.begin("instance-key", "dev", "rack")
    journal.finish(first.roll_id, "rolled_back", downtime_s=12.5, message="signal timeout")
    second = journal.begin("instance-key", "dev", "cloudformation")
    journal.begin("account-key", "acme/production", "console")
    assert [r.roll_id for r in journal.unfinished() if r.rack == "dev"] == [second.roll_id]
    history = journal.history("dev")
    assert [h.roll_id for h in history] == [second.roll_id, first.roll_id]
    assert history[1].outcome == "rolled_back" and history[1].downtime_s == 12.5
    assert history[1].route == "rack" and history[1].ended is not None
    assert len(journal.history()) == 3


def test_a_damaged_record_is_reported_and_left_alone(journal: Journal) -> None:
    good = journal.begin("rack-key", "dev", "rack")
    bad = journal.directory / "20250101T000000-dev-rack-key-abcdef.json"
    bad.write_text('{"roll_id": ')
    assert [r.roll_id for r in journal.records()] == [good.roll_id]
    assert len(journal.problems) == 1 and str(bad) in journal.problems[0]
    with pytest.raises(JournalError):
        journal.get(bad.stem)
    assert bad.read_text() == '{"roll_id": '


def test_a_second_process_cannot_lock_the_same_rack(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from tui.core.journal import RackLock
                with RackLock("acme/production", Path({str(locks)!r})):
                    print("locked", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RefusedError) as caught:
            RackLock("acme/production", locks).acquire()
        assert f"pid {holder.pid}" in str(caught.value)
        with RackLock("dev", locks):  # another rack is free
            pass
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(10)
    with RackLock("acme/production", locks) as lock:
        assert "held=True" in repr(lock)
