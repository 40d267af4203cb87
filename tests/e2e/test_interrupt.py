"""Ctrl+C during a waiting roll: it says what state the roll is in and how to finish it.

The roll runs as a subprocess on the sandbox; SIGINT goes to it once it printed the progress
line of a known step (the sandbox's slow scenario keeps the update going meanwhile).
"""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.e2e.conftest import COMMAND_TIMEOUT_S, ROOT, Served, http_status, scenario_fixture

served = scenario_fixture("slow", 6.0)


def test_ctrl_c_while_watching_says_the_step_and_that_resume_finishes_it(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "roll", "rack-key", "dev"],
        cwd=ROOT,
        env=served.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen: list[str] = []
        for line in process.stdout:  # the progress line of the step, never a fixed pause
            seen.append(line)
            if line.rstrip().endswith("step watching"):
                break
        assert seen and seen[-1].rstrip().endswith("step watching"), seen
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, (seen, rest, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one sentence
    assert "rack-key roll of dev" in lines[0] and "'watching'" in lines[0], err
    assert "update is under way" in lines[0] and "`keyroll resume`" in lines[0], err
    for key in served.known_keys():
        assert key not in err and key not in rest and key not in "".join(seen)

    # the journal kept the roll: resume finishes it, and the CLI gets the new key
    resumed = served.keyroll("resume", "--yes", "--json")
    assert resumed.code == 0, resumed
    assert [r["outcome"] for r in resumed.json["resumed"]] == ["succeeded"]
    new = served.cli_key(dev["host"])
    assert new != before and http_status(dev["url"], "/system", new) == 200
