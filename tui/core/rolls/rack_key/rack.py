"""The `rack` route of a rack-key roll: `PUT /system` with a key keyroll makes (or the
user's own, validated). The client holds the new and the old key, so the rack stays
reachable throughout; a Console rack is refused (the Console holds its key). A resumed roll
goes through `OwnKeyRoute.resume`, which asks again with `send_update` below."""

from __future__ import annotations

from tui.base.errors import RefusedError
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients.errors import ClientError
from tui.clients.rack import RackClient
from tui.core.preflight import stability_blocker
from tui.core.rolls.base import LeftOpen, RollFailed, preflight_refusal
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.key_checks import accepts
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN, Began, began_anyway
from tui.core.rolls.rack_key.base import PASSWORD, OwnKeyRoute


class RackRoute(OwnKeyRoute):
    """`PUT /system` on the rack's own API, straight to its host."""

    def start(self) -> Outcome:
        roll = self.roll
        target = roll.target
        if target.via_console:
            raise RefusedError(
                f"{target.name} is managed by the Console, which holds its key; roll it "
                "--via console, or --via cloudformation to go around the Console."
            )
        host = target.direct_host
        assert host is not None
        self.refuse_if_pending(host)
        client = target.direct_client(target.keystore.keys_for(host) or None)
        try:
            system = client.system()
        except ClientError as error:
            raise preflight_refusal(f"Pre-flight: {error}") from None
        blocker = stability_blocker(target.name, system)
        if blocker:
            raise RefusedError(blocker)
        old = client.answered_key
        assert old is not None
        new = roll.own_key or generate_rack_key()
        roll.begin(host=host, old_key=old)
        target.keystore.add_pending(host, new)
        roll.step(Phase.KEY_STORED, new_key=new)
        url = f"https://{host}"
        watch = roll.watcher(client, applied=lambda _s: accepts(url, new, verify=target.verify))
        watch.baseline(region_hint=system.region)
        roll.step(Phase.UPDATE_REQUESTED)
        client.set_keys([old])
        try:
            client.update_parameters({PASSWORD: new})
        except ClientError as error:
            client.set_keys([new, old])
            began = began_anyway(
                client,
                error,
                watch,
                lambda _system: client.answered_key == new,
                within_s=roll.options.verify_s,
                poll_s=roll.options.poll_s,
                cancel=roll.cancel,
            )
            if began is Began.SILENT:
                raise LeftOpen(
                    f"The rack's answer to the update was lost and {target.name} has not "
                    "answered since; keyroll keeps both keys (the new one pending): run "
                    "`keyroll resume` to finish the roll."
                ) from None
            if began is not Began.YES:
                target.keystore.retire_pending(host, new)
                raise RollFailed(_not_begun(target.name, error, began)) from None
            roll.note("The rack's answer to the update was lost, but the update is under way.")
        watch.update_started = True
        client.set_keys([new, old] if roll.options.dual_key else [new])
        roll.start_probe(client)
        return self.watch_and_settle(watch, host, new, old)

    def send_update(self, client: RackClient | None, new: Secret, old: Secret | None) -> None:
        """Ask again, presenting the old key, then hold both (as a live roll does)."""
        assert client is not None and old is not None
        client.set_keys([old])
        client.update_parameters({PASSWORD: new})
        client.set_keys([new, old])


def _not_begun(rack: str, error: ClientError, began: Began) -> str:
    """Why a rack-key update did not begin, or why keyroll cannot tell that it did."""
    if began is Began.UNSEEN:
        return (
            f"The rack's answer to the update was lost ({error}) and {rack} rests with the old "
            f"key: either it never took the update or {ROLLBACK_UNSEEN}. The old key stays "
            "current; start a new roll."
        )
    return f"The rack refused the update ({error}); nothing changed and the old key stays current."
