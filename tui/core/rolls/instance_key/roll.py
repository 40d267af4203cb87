"""`InstanceKeyRoll`: one rack's instance SSH key rolled by the route its table names."""

from __future__ import annotations

from typing import Any

from tui.base.errors import BadInputError
from tui.core.journal import RollRecord
from tui.core.preflight import PreflightReport
from tui.core.rolls.base import Confirm, Roll
from tui.core.rolls.events import (
    InstanceProgress,
    Outcome,
    Phase,
    PhaseChanged,
    RollEvent,
    RollKind,
)
from tui.core.rolls.instance_key.base import InstanceKeyRoute
from tui.core.rolls.instance_key.cloudformation import CloudFormationRoute
from tui.core.rolls.instance_key.rack import RackRoute

# the first is the default route, which the retry command need not name
ROUTES: dict[str, type[InstanceKeyRoute]] = {
    "rack": RackRoute,
    "cloudformation": CloudFormationRoute,
}
DEFAULT_ROUTE = "rack"


class InstanceKeyRoll(Roll):
    """Roll one rack's instance SSH key by the `rack` or the `cloudformation` route.

    `force=True` goes on despite services with fewer than three running processes (the
    headless `--force`; the dashboard asks for a typed confirmation first).
    """

    kind = RollKind.INSTANCE_KEY

    def __init__(self, *args: Any, force: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        route = ROUTES.get(self.route)
        if route is None:
            raise BadInputError(
                f"'{self.route}' is not a route for an instance keyroll; use rack or "
                "cloudformation."
            )
        self.force = force
        self.preflight: PreflightReport | None = None
        self.old_key_name = ""
        self.new_key_name = ""
        self.old_ids: list[str] = []
        self.batch_size = 1
        self.route_steps = route(self)

    def emit(self, event: RollEvent) -> None:
        if isinstance(event, InstanceProgress):
            self.summary.record_batch(event)
        super().emit(event)

    def execute(self) -> Outcome:
        self.emit(PhaseChanged(Phase.PREFLIGHT))
        return self.route_steps.start()

    def continue_from(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish an instance keyroll from its last journal step (for `keyroll resume`)."""
        return self.route_steps.resume(record, confirm)

    def retry_command(self) -> str:
        """The headless command that starts this keyroll again as it was started (a forced
        roll needs `--force` again, or the pre-flight refuses it)."""
        via = f" --via {self.route}" if self.route != DEFAULT_ROUTE else ""
        force = " --force" if self.force else ""
        return f"keyroll roll instance-key {self.target.name}{via}{force}"

    def remember_new_key_name(self, key_name: str) -> None:
        """The key pair the rack made, in the roll and in its journal record."""
        self.new_key_name = key_name
        if self.roll_id:
            self.target.journal.note(self.roll_id, f"new key pair {key_name}")
