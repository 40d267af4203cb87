"""`RackKeyRoll`: one rack's API key rolled by the route its table names."""

from __future__ import annotations

from typing import Any

from tui.base.errors import KeyrollError
from tui.base.secret import Secret
from tui.core.journal import RollRecord
from tui.core.rolls.base import Confirm, Roll
from tui.core.rolls.events import Outcome, RollKind
from tui.core.rolls.rack_key.base import RackKeyRoute
from tui.core.rolls.rack_key.cloudformation import CloudFormationRoute
from tui.core.rolls.rack_key.console import ConsoleRoute
from tui.core.rolls.rack_key.rack import RackRoute

ROUTES: dict[str, type[RackKeyRoute]] = {
    "console": ConsoleRoute,
    "rack": RackRoute,
    "cloudformation": CloudFormationRoute,
}


class RackKeyRoll(Roll):
    """Roll one rack's API key.

    - `console`: the Console's brokered roll; the key is never shown, the Console keeps it.
    - `rack`: `PUT /system` with a key keyroll makes (or the user's own, validated); the
      client holds the new and the old key, so the rack stays reachable throughout.
    - `cloudformation`: UpdateStack with only `Password` changed, for when the Console or the
      rack API is down; a Console rack must be re-linked afterwards.
    """

    kind = RollKind.RACK_KEY

    def __init__(
        self,
        *args: Any,
        own_key: Secret | None = None,
        relink: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        route = ROUTES.get(self.route)
        if route is None:
            raise KeyrollError(f"'{self.route}' is not a route; use one of {', '.join(ROUTES)}.")
        self.own_key = own_key
        self.relink = relink
        self.route_steps = route(self)

    def execute(self) -> Outcome:
        return self.route_steps.start()

    def continue_from(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish a rack-key roll from its last journal step; no key is ever dropped."""
        return self.route_steps.resume(record, confirm)
