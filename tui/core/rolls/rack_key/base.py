"""What the routes of a rack-key roll share.

`RackKeyRoute` is what every route gives its roll: how the roll starts, and how it resumes
from the step where the journal left it. `OwnKeyRoute` is the common half of the `rack` and
`cloudformation` routes, where keyroll makes the new key (or takes the user's own) and stores
it as pending before it asks for the update: it settles the roll the same way whether it ran
live or resumed after a stop (retire the key, or verify, promote it and tell the Convox CLI),
and on resume finds out whether the update is running, done, or never sent. No key is ever
dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from tui.base.errors import KeyrollError, RefusedError
from tui.base.secret import Secret
from tui.clients.console_actions import relink_rack
from tui.clients.errors import ClientError
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.core.convox_cli import update_auth_everywhere
from tui.core.journal import RollRecord
from tui.core.rolls.base import Confirm, LeftOpen, RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.key_checks import (
    AFTER_RACK_KEY_ROLL,
    LINGERING_OLD_KEY,
    accepts,
    wait_until_accepted,
)
from tui.core.rolls.watch import MODE_CLOUDFORMATION, MOVING_RACK_STATUSES, UpdateWatch

if TYPE_CHECKING:
    from tui.core.rolls.rack_key.roll import RackKeyRoll

PASSWORD = "Password"
STABLE_STACK_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
)


class RackKeyRoute:
    """One way to roll a rack's API key: how the roll starts, and how it resumes."""

    def __init__(self, roll: RackKeyRoll) -> None:
        self.roll = roll

    def start(self) -> Outcome:
        """The roll's steps from pre-flight to its outcome; raises `KeyrollError`."""
        raise TypeError(f"{type(self).__name__} must define start()")

    def resume(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish the roll from its last journal step; no key is ever dropped."""
        raise TypeError(f"{type(self).__name__} must define resume()")


class OwnKeyRoute(RackKeyRoute):
    """A route where keyroll holds the new key: stored as pending before the update is
    requested, made current only once the rack accepts it."""

    def send_update(self, client: RackClient | None, new: Secret, old: Secret | None) -> None:
        """Ask for the update that sets `Password` to `new`; raises `KeyrollError` if refused."""
        raise TypeError(f"{type(self).__name__} must define send_update()")

    # a live roll ---------------------------------------------------------------------------

    def warn(self, text: str) -> None:
        self.roll.note(text, "warning")

    def refuse_if_pending(self, host: str) -> None:
        roll = self.roll
        if roll.target.keystore.pending(host) is not None:
            raise RefusedError(
                f"An unfinished roll of {roll.target.name} left a pending key; run "
                "`keyroll resume` to finish it before starting another."
            )

    def watch_and_settle(
        self,
        watch: UpdateWatch,
        host: str | None,
        new: Secret,
        old: Secret | None,
        *,
        key_host: str | None = None,
    ) -> Outcome:
        roll = self.roll
        roll.step(Phase.WATCHING)
        roll.detach_if_not_waiting()
        outcome = roll.record_watch(watch.run())
        return self.settle(outcome, host, new, old, key_host=key_host or host)

    def settle(
        self,
        outcome: Outcome,
        host: str | None,
        new: Secret,
        old: Secret | None,
        *,
        key_host: str | None,
    ) -> Outcome:
        """After the stack rests: retire the new key, or verify it, promote it, tell the CLI."""
        assert key_host is not None
        roll = self.roll
        target = roll.target
        if outcome is not Outcome.SUCCEEDED:
            target.keystore.retire_pending(key_host, new)
            roll.note(
                f"The update did not complete ({roll.summary.final_stack_status or 'failed'}); "
                "the old key stays current and the new one was retired."
            )
            return outcome
        roll.step(Phase.VERIFYING)
        if host is None:
            target.keystore.promote(key_host, new)
            self.warn(
                f"keyroll cannot check the new key: it knows no host for {target.name}'s "
                "own API; add `host` to the rack in keyroll's settings."
            )
            return outcome
        url = f"https://{host}"
        verify = target.verify
        if not wait_until_accepted(
            url, new, verify=verify, within_s=roll.options.verify_s, cancel=roll.cancel
        ):
            raise LeftOpen(  # open, not failed: `keyroll resume` must find it to check again
                "CloudFormation finished but the rack does not accept the new key yet; keyroll "
                "keeps both keys (the new one pending): run `keyroll resume` to check again."
            )
        target.keystore.promote(key_host, new)
        self.rewrite_cli(host, new)
        if old is not None:
            still_accepted = accepts(url, old, verify=verify)
            roll.summary.old_key_refused = None if still_accepted is None else not still_accepted
            if still_accepted:
                self.warn(LINGERING_OLD_KEY)
            elif still_accepted is False:
                roll.note(f"{target.name} accepts the new key and refuses the old one.")
        roll.note(AFTER_RACK_KEY_ROLL)
        if target.via_console:
            self.relink_console(new)
        return outcome

    def rewrite_cli(self, host: str, new: Secret) -> None:
        roll = self.roll
        if not roll.options.write_convox_cli:
            return
        written, problems = update_auth_everywhere(host, new, roll.target.env)
        if written:
            roll.note(f"Updated the Convox CLI's key for {host} in {len(written)} auth file(s).")
        for problem in problems:
            self.warn(f"The Convox CLI's auth file was left alone: {problem}")

    def relink_console(self, new: Secret) -> None:
        roll = self.roll
        name = roll.target.name
        if not roll.relink:
            self.warn(
                f"The Console cannot reach {name} until it is re-linked with the new key: "
                f"run `keyroll relink {name}` (or press l on the rack's screen)."
            )
            return
        try:
            with roll.target.console() as console:
                relink_rack(console, name, new)
        except KeyrollError as error:
            self.warn(
                f"The Console cannot reach {name} until it is re-linked, and the re-link "
                f"failed: {error}"
            )
            return
        roll.note(f"Re-linked {name} in the Console with its new key.")

    # resume --------------------------------------------------------------------------------

    def resume(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish the roll from its last journal step: is the update running, done, or never
        sent? Then settle it as a live roll does; no key is ever dropped."""
        roll = self.roll
        key_host = record.host
        if not key_host:
            raise RollFailed(f"Roll {record.roll_id} names no host; it cannot be resumed.")
        keystore = roll.target.keystore
        new = keystore.pending(key_host)
        current = keystore.current(key_host)
        if new is None or new.fingerprint() != record.new_key:
            if current is not None and current.fingerprint() == record.new_key:
                roll.note("The new key was already verified and made current before the stop.")
                host = roll.target.direct_host
                if host:
                    self.rewrite_cli(host, current)
                return Outcome.SUCCEEDED
            raise RollFailed(
                f"The pending key of roll {record.roll_id} is not in the keystore; the old key "
                "stays current. Start a new roll."
            )
        old = current
        host = roll.target.direct_host
        client = roll.target.direct_client([new, old] if old else [new]) if host else None
        last = record.last_step
        if last in ("planned", Phase.KEY_STORED.value):
            question = (
                f"Roll {record.roll_id} stored a new key for {roll.target.name} but never "
                "requested the update. Request it now?"
            )
            if not confirm(question):
                keystore.retire_pending(key_host, new)
                raise RollFailed(
                    "Abandoned before the update was requested: nothing changed on the rack, "
                    "the old key stays current and the unused new key was retired."
                )
            return self.request_again(client, host, new, old, key_host)
        if last == Phase.VERIFYING.value:
            roll.summary.final_stack_status = "UPDATE_COMPLETE"
            return self.settle(Outcome.SUCCEEDED, host, new, old, key_host=key_host)
        # update-requested or watching: the update may be running, done, or never sent.
        if client is not None:
            roll.start_probe(client)
        watch = roll.watcher(client, applied=self.applied_check(host, new))
        moving, status = self.stack_state(watch, client)
        if moving:
            if last != Phase.WATCHING.value:
                roll.step(Phase.WATCHING)
            return self.settle(roll.record_watch(watch.run()), host, new, old, key_host=key_host)
        applied = self.applied_check(host, new)(None)
        roll.summary.final_stack_status = status
        if applied:
            return self.settle(Outcome.SUCCEEDED, host, new, old, key_host=key_host)
        if "ROLLBACK" in status:
            keystore.retire_pending(key_host, new)
            roll.note(
                "The update rolled back; the old key stays current and the new one was retired."
            )
            return Outcome.ROLLED_BACK
        question = (
            f"Roll {record.roll_id} stopped as it requested the update of {roll.target.name}, "
            "and the rack shows no sign of it. Request it now?"
        )
        if not confirm(question):
            keystore.retire_pending(key_host, new)
            raise RollFailed(
                "Abandoned: the update never took effect, the old key stays current and the "
                "unused new key was retired."
            )
        if client is not None:
            roll.stop_probe()
        return self.request_again(client, host, new, old, key_host)

    def applied_check(
        self, host: str | None, new: Secret
    ) -> Callable[[System | None], bool | None]:
        """Does the rack accept the new key? None when keyroll knows no host to ask."""
        if host is None:
            return lambda _system: None
        url = f"https://{host}"
        return lambda _system: accepts(url, new, verify=self.roll.target.verify)

    def stack_state(self, watch: UpdateWatch, client: RackClient | None) -> tuple[bool, str]:
        """Is the stack still moving, and its status (CloudFormation's, else the rack's)."""
        region = ""
        if client is not None:
            try:
                system = client.system()
                region = system.region
            except ClientError:
                system = None
        else:
            system = None
        mode = watch.baseline(region_hint=region)
        if mode == MODE_CLOUDFORMATION and watch.aws is not None:
            snapshot = describe_stack(watch.aws, self.roll.target.rack.stack)
            return not snapshot.outcome.is_final, snapshot.status
        status = system.status if system else "unknown"
        return status in MOVING_RACK_STATUSES, status

    def request_again(
        self,
        client: RackClient | None,
        host: str | None,
        new: Secret,
        old: Secret | None,
        key_host: str,
    ) -> Outcome:
        """Request the update a stopped roll never sent (the person said yes), then watch it."""
        roll = self.roll
        watch = roll.watcher(client, applied=self.applied_check(host, new))
        region = ""
        if client is not None:
            with suppress(ClientError):
                region = client.system().region
        watch.baseline(region_hint=region)
        roll.step(Phase.UPDATE_REQUESTED)
        try:
            self.send_update(client, new, old)
        except KeyrollError as error:
            roll.target.keystore.retire_pending(key_host, new)
            raise RollFailed(f"The update was refused ({error}); nothing changed.") from None
        watch.update_started = True
        if client is not None:
            roll.start_probe(client)
        return self.watch_and_settle(watch, host, new, old, key_host=key_host)
