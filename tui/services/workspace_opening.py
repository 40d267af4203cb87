"""The dashboard's files, opened in a thread from the moment `keyroll` starts.

Reading keyroll's settings, keystore, journal and the Convox CLI's files takes a few
milliseconds; importing the modules that read them takes longer. Started before the
dashboard imports Textual, the opening is usually done by the time the first screen is
composed, so the racks appear in the first frame instead of after a loading frame. When it
is not done yet (a slow disk, the sandbox starting its servers), the app waits for it in a
worker: nothing here ever blocks the interface.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.core.inventory import Inventory
    from tui.core.journal import HistoryEntry, RollRecord
    from tui.services.workspace import Workspace

WorkspaceOpener = Callable[[argparse.Namespace], AbstractContextManager["Workspace"]]


@dataclass(frozen=True)
class OpenedWorkspace:
    """The workspace and what the dashboard shows first: racks, last rolls, unfinished rolls."""

    workspace: Workspace
    inventory: Inventory
    last_rolls: dict[str, HistoryEntry]
    unfinished: list[RollRecord]
    current: str | None  # keyroll's current rack, else the Convox CLI's


def last_rolls_of(records: list[HistoryEntry], racks: dict[str, str]) -> dict[str, HistoryEntry]:
    """The newest journal entry of each rack; `racks` maps roll id to rack name."""
    out: dict[str, HistoryEntry] = {}
    for entry in records:  # newest first
        out.setdefault(racks[entry.roll_id], entry)
    return out


def read_last_rolls(workspace: Workspace) -> dict[str, HistoryEntry]:
    """Each rack's newest roll in the workspace's journal, by rack name."""
    from tui.core.roll_targets import journal_for

    journal = journal_for(workspace)
    racks = {record.roll_id: record.rack for record in journal.records()}
    return last_rolls_of(journal.history(), racks)


def read_opened(workspace: Workspace) -> OpenedWorkspace:
    """Everything the dashboard's first screen needs from an open workspace."""
    from tui.core.current_rack import current_rack
    from tui.core.roll_targets import inventory_for, journal_for

    inventory = inventory_for(workspace)
    return OpenedWorkspace(
        workspace,
        inventory,
        read_last_rolls(workspace),
        journal_for(workspace).unfinished(),
        current_rack(workspace.state_dir) or inventory.cli_current,
    )


class WorkspaceOpening:
    """Opens the workspace in a daemon thread; its files stay open until `close()`."""

    def __init__(self, opener: WorkspaceOpener, args: argparse.Namespace) -> None:
        self._future: Future[OpenedWorkspace] = Future()
        self._files = ExitStack()
        self._thread = threading.Thread(
            target=self._open, args=(opener, args), name="workspace-opening", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"WorkspaceOpening(done={self._future.done()})"

    def _open(self, opener: WorkspaceOpener, args: argparse.Namespace) -> None:
        try:
            workspace = self._files.enter_context(opener(args))
            self._future.set_result(read_opened(workspace))
        except BaseException as error:  # handed to whoever waits: the app's worker reports it
            self._future.set_exception(error)

    def ready(self) -> OpenedWorkspace | None:
        """The opened workspace if it is open already (never waits); None otherwise."""
        if not self._future.done() or self._future.exception() is not None:
            return None
        return self._future.result()

    def wait(self) -> OpenedWorkspace:
        """The opened workspace, waiting for it; raises what the opening raised."""
        return self._future.result()

    def close(self) -> None:
        """Close the files once the opening ends (at once if it has): the app is leaving.

        An opening still under way (the sandbox starting its servers) is not waited for:
        its files close the moment it ends.
        """
        self._future.add_done_callback(lambda _done: self._files.close())
