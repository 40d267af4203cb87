"""SIGKILL a roll at each journal step, run `keyroll resume`, and find nothing lost.

The test-only `KEYROLL_TEST_CRASH_AFTER=<step>` makes the roll's own process SIGKILL itself
right after the journal records that step: a real crash at an exact point.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import COMMAND_TIMEOUT_S, ROOT, Served, http_status, scenario_fixture

served = scenario_fixture("ok", 25.0)

STEPS = ["planned", "key-stored", "update-requested", "watching", "verifying"]
# What `keyroll resume` must end with after a crash at each step (answering yes to its
# question): before any key was stored nothing changed; from then on the roll completes.
EXPECTED = {
    "planned": "failed",
    "key-stored": "succeeded",
    "update-requested": "succeeded",
    "watching": "succeeded",
    "verifying": "succeeded",
}


def crash(served: Served, step: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**served.env, "KEYROLL_TEST_CRASH_AFTER": step}
    completed = subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert completed.returncode == -signal.SIGKILL, completed.stderr
    return completed


def unfinished(served: Served) -> list[dict[str, Any]]:
    records = [json.loads(p.read_text()) for p in (served.home / "state" / "rolls").glob("*")]
    return [r for r in records if r.get("outcome") is None]


@pytest.mark.parametrize("step", STEPS)
def test_rack_key_roll_killed_at_each_step_is_finished_by_resume(served: Served, step: str) -> None:
    dev = served.rack("dev")
    host = dev["host"]
    before = served.current_key(host)
    crash(served, step, "roll", "rack-key", "dev", "--wait", "--json")
    assert [r["steps"][-1]["step"] for r in unfinished(served)] == [step]
    result = served.keyroll("resume", "--yes", "--json")
    assert result.code == (0 if EXPECTED[step] == "succeeded" else 1), str(result)
    (resumed,) = result.json["resumed"]
    assert resumed["outcome"] == EXPECTED[step], str(result)
    assert unfinished(served) == []
    # No key lost: the key the rack accepts is the keystore's current key and the CLI's.
    current = served.current_key(host)
    assert http_status(dev["url"], "/auth", current) == 200
    assert served.cli_key(host) == current
    if EXPECTED[step] == "succeeded":
        assert current != before
        assert http_status(dev["url"], "/auth", before) == 401
    else:
        assert current == before
    assert served.keystore.pending(host) is None


@pytest.mark.parametrize("step", ["key-stored", "watching"])
def test_instance_keyroll_killed_is_finished_by_resume(served: Served, step: str) -> None:
    crash(
        served, step, "roll", "instance-key", "dev", "--via", "cloudformation", "--force", "--wait"
    )
    result = served.keyroll("resume", "--yes", "--json")
    (resumed,) = result.json["resumed"]
    assert resumed["outcome"] == "succeeded", str(result)
    assert unfinished(served) == []
    # The private key of the new key pair is in the keystore: it is never lost.
    names = served.keystore.private_key_names("dev")
    assert names, "the keystore holds no private key for dev"


def test_account_key_roll_killed_after_the_console_answered(served: Served) -> None:
    console = served.console
    crash(served, "key-stored", "roll", "account-key", "--json")
    result = served.keyroll("resume", "--yes", "--json")
    (resumed,) = result.json["resumed"]
    assert resumed["outcome"] == "succeeded", str(result)
    current = served.current_key(console["host"])
    assert http_status(console["url"], "/auth", current) == 200
    assert served.cli_key(console["host"]) == current
