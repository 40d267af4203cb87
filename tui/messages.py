"""How the dashboard's parts tell each other things.

- `DashboardSignals`: what the app broadcasts to the screens that subscribed (on mount): the
  inventory changed, fresh statuses, the workspace failed to open, a roll's event, a roll's
  end. A screen reads the state itself from the `DashboardSession` it was given.
- `RollUpdated` / `RollEnded`: posted from a roll's thread to the app, which publishes them
  as signals on the interface's thread (a `Signal` is not thread-safe).
- `OpenRack`, `OpenAccount`, `OpenRoll`, `SwitchRack`: a screen or the palette asks the app
  to show a screen or switch racks; the messages bubble up to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from textual.message import Message
from textual.signal import Signal

if TYPE_CHECKING:  # the roll engine's types: not loaded for the first frame
    from textual.dom import DOMNode

    from tui.core.inventory import RackStatus
    from tui.core.roll_runs import RollRun
    from tui.core.rolls.events import RollEvent

Carried = TypeVar("Carried")


class RollUpdated(Message):
    """A roll reported an event (posted from the roll's thread; the history is on the run)."""

    def __init__(self, run: RollRun, event: RollEvent) -> None:
        super().__init__()
        self.run = run
        self.event = event


class RollEnded(Message):
    """A roll's thread finished; `run.summary` holds the outcome."""

    def __init__(self, run: RollRun) -> None:
        super().__init__()
        self.run = run


@dataclass(frozen=True)
class RollUpdate:
    """One event of one roll, as the `roll_updated` signal carries it."""

    run: RollRun
    event: RollEvent


class DashboardSignals:
    """The app's broadcasts; screens subscribe in `on_mount` and are dropped when removed.

    Subscribe without `immediate`: the callback then runs from the screen's own queue, where
    an error fails loudly (an immediate callback's error is only logged by `Signal.publish`).
    A screen reads the state it missed before mounting from the session in `on_mount`.
    Nothing is published once the app shuts down (a poller's last result may still arrive
    while the screens are being taken apart), and a callback queued before the shutdown began
    is dropped when its turn comes (`listen`).
    """

    def __init__(self, owner: DOMNode) -> None:
        # the inventory, the journal's last rolls or the current rack changed
        self.inventory_changed: Signal[None] = Signal(owner, "inventory_changed")
        # fresh statuses of the racks just polled
        self.statuses_changed: Signal[dict[str, RackStatus]] = Signal(owner, "statuses_changed")
        # keyroll's files could not be opened: the sentence that says why
        self.workspace_failed: Signal[str] = Signal(owner, "workspace_failed")
        self.roll_updated: Signal[RollUpdate] = Signal(owner, "roll_updated")
        self.roll_ended: Signal[RollRun] = Signal(owner, "roll_ended")

    @staticmethod
    def listen(
        node: DOMNode, signal: Signal[Carried], callback: Callable[[Carried], object]
    ) -> None:
        """Subscribe `node` to `signal`: `callback` runs from the node's queue, and not at all
        once the app has begun to shut down (its widgets may already be gone)."""

        def unless_shutting_down(data: Carried) -> None:
            if node.app.is_running:
                callback(data)

        signal.subscribe(node, unless_shutting_down)


@dataclass
class OpenRack(Message):
    """Show the rack screen of `name`, then run one of its actions (`roll_rack_key`, ...)."""

    name: str
    action: str | None = None


@dataclass
class OpenAccount(Message):
    """Show the account screen, then run `roll` or `paste` if given."""

    action: str | None = None


@dataclass
class OpenRoll(Message):
    """Show the live view of `run`."""

    run: RollRun


@dataclass
class SwitchRack(Message):
    """Make `name` keyroll's current rack and, unless turned off, the Convox CLI's."""

    name: str
