"""Rolling a rack's API key (the stack's `Password`) by the Console, the rack, or CloudFormation."""

from __future__ import annotations

from typing import Any

from tui.base.errors import KeyrollError, RefusedError
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients.aws_errors import AwsError
from tui.clients.console import ConsoleClient
from tui.clients.console_actions import relink_rack, roll_rack_key
from tui.clients.errors import ClientError
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.clients.stack_update import update_parameters
from tui.core.convox_cli import update_auth_everywhere
from tui.core.journal import RollRecord
from tui.core.preflight import stability_blocker
from tui.core.rolls.base import Confirm, LeftOpen, Roll, RollFailed, preflight_refusal
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.key_checks import (
    AFTER_RACK_KEY_ROLL,
    LINGERING_OLD_KEY,
    accepts,
    wait_until_accepted,
)
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN, Began, began_anyway
from tui.core.rolls.watch import UpdateWatch

ROUTES = ("console", "rack", "cloudformation")
PASSWORD = "Password"
STABLE_STACK_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
)


class RackKeyRoll(Roll):
    """Roll one rack's API key.

    - `console`: the Console's brokered roll; the key is never shown, the Console keeps it.
    - `rack`: `PUT /system` with a key keyroll makes (or the user's own, validated); the
      client holds the new and the old key, so the rack stays reachable throughout.
    - `cloudformation`: UpdateStack with only `Password` changed, for when the Console or the
      rack API is down; a Console rack must be re-linked afterwards.
    """

    kind = "rack-key"

    def __init__(
        self,
        *args: Any,
        own_key: Secret | None = None,
        relink: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.route not in ROUTES:
            raise KeyrollError(f"'{self.route}' is not a route; use one of {', '.join(ROUTES)}.")
        self.own_key = own_key
        self.relink = relink

    def execute(self) -> Outcome:
        if self.route == "console":
            return self._via_console()
        if self.route == "rack":
            return self._via_rack()
        return self._via_cloudformation()

    # route: rack ---------------------------------------------------------------------------

    def _via_rack(self) -> Outcome:
        target = self.target
        if target.via_console:
            raise RefusedError(
                f"{target.name} is managed by the Console, which holds its key; roll it "
                "--via console, or --via cloudformation to go around the Console."
            )
        host = target.direct_host
        assert host is not None
        self._refuse_if_pending(host)
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
        new = self.own_key or generate_rack_key()
        self.begin(host=host, old_key=old)
        target.keystore.add_pending(host, new)
        self.step(Phase.KEY_STORED, new_key=new)
        url = f"https://{host}"
        watch = self.watcher(client, applied=lambda _s: accepts(url, new, verify=target.verify))
        watch.baseline(region_hint=system.region)
        self.step(Phase.UPDATE_REQUESTED)
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
                within_s=self.options.verify_s,
                poll_s=self.options.poll_s,
                cancel=self.cancel,
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
            self.note("The rack's answer to the update was lost, but the update is under way.")
        watch.update_started = True
        client.set_keys([new, old] if self.options.dual_key else [new])
        self.start_probe(client)
        return self._watch_and_settle(watch, host, new, old)

    # route: cloudformation -----------------------------------------------------------------

    def _via_cloudformation(self) -> Outcome:
        target = self.target
        stack = target.rack.stack
        try:
            snapshot = describe_stack(target.aws, stack)
        except AwsError as error:
            raise RefusedError(
                f"The cloudformation route needs AWS access to stack {stack}: {error}"
            ) from None
        if snapshot.status not in STABLE_STACK_STATUSES:
            raise RefusedError(
                f"Stack {stack} is {snapshot.status}; wait until it rests in UPDATE_COMPLETE, "
                "then start the roll."
            )
        host = target.direct_host
        key_host = host or f"cloudformation:{stack}"
        self._refuse_if_pending(key_host)
        held = target.keystore.keys_for(key_host)
        old = held[0] if held else None
        new = self.own_key or generate_rack_key()
        self.begin(host=key_host, old_key=old)
        target.keystore.add_pending(key_host, new)
        self.step(Phase.KEY_STORED, new_key=new)
        client = target.direct_client([new, *held]) if host else None
        watch = self.watcher(client)
        watch.baseline()
        self.step(Phase.UPDATE_REQUESTED)
        try:
            update_parameters(target.aws, stack, {PASSWORD: new})
        except KeyrollError as error:
            target.keystore.retire_pending(key_host, new)
            raise RollFailed(
                f"CloudFormation refused the update ({error}); nothing changed."
            ) from None
        watch.update_started = True
        if client is not None:
            if not self.options.dual_key:
                client.set_keys([new])
            self.start_probe(client)
        return self._watch_and_settle(watch, host, new, old, key_host=key_host)

    def _relink_console(self, new: Secret) -> None:
        name = self.target.name
        if not self.relink:
            self.emit_warning(
                f"The Console cannot reach {name} until it is re-linked with the new key: "
                f"run `keyroll relink {name}` (or press l on the rack's screen)."
            )
            return
        try:
            with self.target.console() as console:
                relink_rack(console, name, new)
        except KeyrollError as error:
            self.emit_warning(
                f"The Console cannot reach {name} until it is re-linked, and the re-link "
                f"failed: {error}"
            )
            return
        self.note(f"Re-linked {name} in the Console with its new key.")

    # route: console ------------------------------------------------------------------------

    def _via_console(self) -> Outcome:
        target = self.target
        if not target.via_console:
            raise RefusedError(
                f"{target.name} is not a Console rack; roll it --via rack (or cloudformation)."
            )
        with target.console() as console:
            proxied = console.rack(target.name)
            try:
                system = proxied.system()
            except ClientError as error:
                raise preflight_refusal(
                    f"Pre-flight through the Console: {str(error).rstrip('.')}; or roll around "
                    f"the Console with --via cloudformation (then `keyroll relink {target.name}`)."
                ) from None
            blocker = stability_blocker(target.name, system)
            if blocker:
                raise RefusedError(blocker)
            self.begin(host=console.host)
            watch = self._console_watcher(console, proxied)
            watch.baseline(region_hint=system.region)
            self.step(Phase.UPDATE_REQUESTED)
            try:
                roll_rack_key(console, target.name)
            except ClientError as error:
                raise RollFailed(f"The Console did not start the roll: {error}") from None
            watch.update_started = True
            self.start_probe(proxied)
            try:  # the probe rides on the Console's connection: stop it before it closes
                self.step(Phase.WATCHING)
                self.detach_if_not_waiting()
                return self._finish_console(console, proxied, self.record_watch(watch.run()))
            finally:
                self.stop_probe()

    def _finish_console(
        self, console: ConsoleClient, proxied: RackClient, outcome: Outcome
    ) -> Outcome:
        """After the watch: the Console must reach the rack with the key it now holds."""
        if outcome is not Outcome.SUCCEEDED:
            self._after_console_failure(console, proxied)
            return outcome
        self.step(Phase.VERIFYING)
        reaches = self._console_reaches(console, proxied)
        if reaches is None:
            raise LeftOpen(
                f"The update of {self.target.name} ended, but the Console does not answer, so "
                "keyroll cannot check that it reaches the rack: run `keyroll resume` to check "
                "again."
            )
        if not reaches:
            raise RollFailed(self._console_cut_off())
        self.note(
            f"The Console rolled {self.target.name}'s key and keeps it (it is never shown); "
            "the CLI reaches the rack through the Console as before."
        )
        self.note(AFTER_RACK_KEY_ROLL)
        return outcome

    def _console_watcher(self, console: ConsoleClient, proxied: RackClient) -> UpdateWatch:
        """A watch through the Console; when the proxied call fails, the Console's own status
        of the rack (`GET /racks`) still tells an update from a rollback."""
        watch = self.watcher(proxied)
        watch.failures_mean_moving = True
        name = self.target.name

        def console_status() -> str:
            return next((r.status for r in console.racks() if r.full_name == name), "")

        watch.status_fallback = console_status
        return watch

    def _after_console_failure(self, console: ConsoleClient, proxied: RackClient) -> None:
        """Say what the failed Console roll left: the old key, or a key the rack refuses."""
        reaches = self._console_reaches(console, proxied, tries=3)
        if reaches:
            self.note("The roll did not complete; the Console and the rack keep the old key.")
        elif reaches is None:
            name = self.target.name
            self.note(
                "The roll did not complete and the Console does not answer now; the Console "
                "stores a new key as it starts a roll, so once it answers, check that it still "
                f"reaches {name}, and if not, set a key around it and re-link it with "
                f"`keyroll roll rack-key {name} --via cloudformation --relink`.",
                "error",
            )
        else:
            self.note(self._console_cut_off(), "error")

    def _console_cut_off(self) -> str:
        name = self.target.name
        return (
            f"The update of {name} ended but the Console cannot reach it: it stored the new "
            "key, which the rack refuses (the update did not complete, or rolled back unseen); "
            f"set a key around the Console and re-link it with `keyroll roll rack-key {name} "
            "--via cloudformation --relink`."
        )

    def _console_reaches(
        self, console: ConsoleClient, proxied: RackClient, tries: int | None = None
    ) -> bool | None:
        """Does the Console reach the rack? None when the Console itself does not answer."""
        console_down = False
        for _ in range(tries or max(1, int(self.options.verify_s))):
            try:
                # GET /system, not /auth: the Console answers /auth itself, for the account
                proxied.system(retries=0)
                return True
            except ClientError:
                try:
                    console.auth()
                    console_down = False
                except ClientError:
                    console_down = True
                if self.cancel.wait(1.0):
                    break
        return None if console_down else False

    # shared --------------------------------------------------------------------------------

    def emit_warning(self, text: str) -> None:
        self.note(text, "warning")

    def _refuse_if_pending(self, host: str) -> None:
        if self.target.keystore.pending(host) is not None:
            raise RefusedError(
                f"An unfinished roll of {self.target.name} left a pending key; run "
                "`keyroll resume` to finish it before starting another."
            )

    def _watch_and_settle(
        self,
        watch: UpdateWatch,
        host: str | None,
        new: Secret,
        old: Secret | None,
        *,
        key_host: str | None = None,
    ) -> Outcome:
        self.step(Phase.WATCHING)
        self.detach_if_not_waiting()
        outcome = self.record_watch(watch.run())
        return self._settle(outcome, host, new, old, key_host=key_host or host)

    def _settle(
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
        if outcome is not Outcome.SUCCEEDED:
            self.target.keystore.retire_pending(key_host, new)
            self.note(
                f"The update did not complete ({self.summary.final_stack_status or 'failed'}); "
                "the old key stays current and the new one was retired."
            )
            return outcome
        self.step(Phase.VERIFYING)
        if host is None:
            self.target.keystore.promote(key_host, new)
            self.emit_warning(
                f"keyroll cannot check the new key: it knows no host for {self.target.name}'s "
                "own API; add `host` to the rack in keyroll's settings."
            )
            return outcome
        url = f"https://{host}"
        verify = self.target.verify
        if not wait_until_accepted(
            url, new, verify=verify, within_s=self.options.verify_s, cancel=self.cancel
        ):
            raise LeftOpen(  # open, not failed: `keyroll resume` must find it to check again
                "CloudFormation finished but the rack does not accept the new key yet; keyroll "
                "keeps both keys (the new one pending): run `keyroll resume` to check again."
            )
        self.target.keystore.promote(key_host, new)
        self._rewrite_cli(host, new)
        if old is not None:
            still_accepted = accepts(url, old, verify=verify)
            self.summary.old_key_refused = None if still_accepted is None else not still_accepted
            if still_accepted:
                self.emit_warning(LINGERING_OLD_KEY)
            elif still_accepted is False:
                self.note(f"{self.target.name} accepts the new key and refuses the old one.")
        self.note(AFTER_RACK_KEY_ROLL)
        if self.target.via_console:
            self._relink_console(new)
        return outcome

    # resume --------------------------------------------------------------------------------

    def continue_from(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish a rack-key roll from its last journal step; no key is ever dropped."""
        from tui.core.rolls.rack_key_resume import continue_rack_key

        return continue_rack_key(self, record, confirm)

    def _rewrite_cli(self, host: str, new: Secret) -> None:
        if not self.options.write_convox_cli:
            return
        written, problems = update_auth_everywhere(host, new, self.target.env)
        if written:
            self.note(f"Updated the Convox CLI's key for {host} in {len(written)} auth file(s).")
        for problem in problems:
            self.emit_warning(f"The Convox CLI's auth file was left alone: {problem}")


def _not_begun(rack: str, error: ClientError, began: Began) -> str:
    """Why a rack-key update did not begin, or why keyroll cannot tell that it did."""
    if began is Began.UNSEEN:
        return (
            f"The rack's answer to the update was lost ({error}) and {rack} rests with the old "
            f"key: either it never took the update or {ROLLBACK_UNSEEN}. The old key stays "
            "current; start a new roll."
        )
    return f"The rack refused the update ({error}); nothing changed and the old key stays current."
