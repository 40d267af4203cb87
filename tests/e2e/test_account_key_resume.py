"""SIGKILL a headless account-key roll right after a journal step, then `keyroll resume --yes`.

Whatever step the process died at, resume must end the roll, and the account key the
keystore and the CLI hold must be the one the Console accepts: no key lost.
"""

from __future__ import annotations

import signal

import pytest

from tests.e2e.conftest import Served, http_status, scenario_fixture
from tui.core.journal import Journal

served = scenario_fixture("ok", 20.0)
CRASH_ENV = "KEYROLL_TEST_CRASH_AFTER"


def _crash_then_resume(served: Served, step: str, *roll: str) -> dict[str, object]:
    crashed = served.keyroll("roll", *roll, "--json", env={CRASH_ENV: step})
    assert crashed.code == -signal.SIGKILL, crashed
    journal = Journal(served.home / "state" / "rolls")
    [record] = journal.unfinished()
    assert record.last_step == step
    resumed = served.keyroll("resume", "--yes", "--json")
    [summary] = resumed.json["resumed"]
    assert summary["roll_id"] == record.roll_id
    assert journal.get(record.roll_id).outcome == summary["outcome"]
    assert resumed.code == (0 if summary["outcome"] == "succeeded" else 1), resumed
    return dict(summary)


# `test_kill_and_resume.py` kills it after `key-stored`; these are the other steps.
@pytest.mark.parametrize("step", ["planned", "update-requested", "verifying"])
def test_account_key_roll_killed_at_each_step(served: Served, step: str) -> None:
    console = served.console
    host, url = console["host"], console["url"]
    summary = _crash_then_resume(served, step, "account-key")
    assert summary["outcome"] == "succeeded", summary
    key = served.current_key(host)
    assert served.cli_key(host) == key and served.keystore.pending(host) is None
    assert http_status(url, "/auth", key) == 200
