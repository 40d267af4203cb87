"""Atomic private writes: modes, and an interrupted write that leaves the old file whole."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui.core import files
from tui.core.files import FileWriteError, ensure_private_dir, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_is_0600_in_new_0700_dirs(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "secret.json"
    write_private(target, '{"k": "v"}')
    assert target.read_text() == '{"k": "v"}'
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["secret.json"]


def test_replacing_keeps_0600_even_if_the_old_file_was_loose(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600


def test_tighten_sets_an_existing_own_dir_to_0700(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir(mode=0o755)
    own.chmod(0o755)
    ensure_private_dir(own)
    assert mode(own) == 0o755  # a Convox CLI dir keeps its mode
    write_private(own / "x", "1", tighten_dir=True)
    assert mode(own) == 0o700


def test_failed_rename_leaves_the_old_file_whole_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "auth"
    target.write_text('{"old": "file"}')

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(FileWriteError) as caught:
        write_private(target, '{"new": "file"}')
    assert "previous file is unchanged" in str(caught.value)
    assert target.read_text() == '{"old": "file"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth"]


def test_writer_killed_between_write_and_rename_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keystore.json"
    target.write_text("OLD CONTENT\n")
    ready = tmp_path / "ready"
    script = textwrap.dedent(
        f"""
        import os, threading
        from pathlib import Path
        from tui.core import files

        def stall(src, dst):
            Path({str(ready)!r}).write_text("1")
            threading.Event().wait()  # stalled for good: the test kills it here

        files.os.replace = stall
        files.write_private(Path({str(target)!r}), "NEW CONTENT " * 1000)
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 60  # a bound only a broken writer reaches
        while not ready.exists():
            assert writer.poll() is None, "the writer ended before reaching the rename"
            assert time.monotonic() < deadline, "the writer never reached the rename"
            time.sleep(0.02)
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(files.TEMP_SUFFIX)]
        assert len(temps) == 1 and temps[0].read_text().startswith("NEW CONTENT")
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(10)
    assert target.read_text() == "OLD CONTENT\n"
