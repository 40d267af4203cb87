"""Ctrl+C during a waiting roll: it says what state the roll is in and how to finish it.

The roll runs as a subprocess on a sandbox in the test's process, on a stepped clock: the
update it requests stands still until the test moves the world, so SIGINT (sent once the
roll printed the progress line of a known step) always finds it watching, however slowly
the machine gets to it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import COMMAND_TIMEOUT_S, ROOT, Served, http_status, serve_stepped
from tui.sandbox.runtime import Sandbox


def _as_a_terminal_starts_it() -> None:
    """Ctrl+C reaches a command a terminal starts in the foreground: SIGINT at its default and
    not blocked, whatever the test runner's process (and so the child) inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@pytest.fixture
def stepped(tmp_path: Path) -> Iterator[tuple[Served, Sandbox]]:
    with serve_stepped(tmp_path, "ok") as world:
        yield world


def test_ctrl_c_while_watching_says_the_step_and_that_resume_finishes_it(
    stepped: tuple[Served, Sandbox],
) -> None:
    served, sandbox = stepped
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    inherited = (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, []))
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "roll", "rack-key", "dev"],
        cwd=ROOT,
        env=served.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_a_terminal_starts_it,
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
    assert process.returncode == 130, (seen, rest, err, inherited)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one sentence
    assert "rack-key roll of dev" in lines[0] and "'watching'" in lines[0], err
    assert "update is under way" in lines[0] and "`keyroll resume`" in lines[0], err
    for key in served.known_keys():
        assert key not in err and key not in rest and key not in "".join(seen)

    # the journal kept the roll: once the update has ended, resume finishes it, and the CLI
    # gets the new key
    world = sandbox.world
    with world.locked():
        update = world.rack("dev").update
    assert update is not None and not update.done, "the update moved on a stepped clock"
    world.advance_to(update.ends_at)
    resumed = served.keyroll("resume", "--yes", "--json")
    assert resumed.code == 0, resumed
    assert [r["outcome"] for r in resumed.json["resumed"]] == ["succeeded"]
    new = served.cli_key(dev["host"])
    assert new != before and http_status(dev["url"], "/system", new) == 200
