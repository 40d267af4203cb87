"""The `console` route of a rack-key roll: the Console's brokered roll. The key is never
shown, the Console keeps it; keyroll watches the update through the Console and checks at
the end that the Console still reaches the rack."""

from __future__ import annotations

from tui.base.errors import RefusedError
from tui.clients.console import ConsoleClient
from tui.clients.console_actions import roll_rack_key
from tui.clients.errors import ClientError
from tui.clients.rack import RackClient
from tui.core.journal import RollRecord
from tui.core.preflight import stability_blocker
from tui.core.rolls.base import Confirm, LeftOpen, RollFailed, preflight_refusal
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.key_checks import AFTER_RACK_KEY_ROLL
from tui.core.rolls.rack_key.base import RackKeyRoute
from tui.core.rolls.watch import UpdateWatch


class ConsoleRoute(RackKeyRoute):
    """The Console rolls the key and keeps it; keyroll watches and checks."""

    def start(self) -> Outcome:
        roll = self.roll
        target = roll.target
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
            roll.begin(host=console.host)
            watch = self._watcher(console, proxied)
            watch.baseline(region_hint=system.region)
            roll.step(Phase.UPDATE_REQUESTED)
            try:
                roll_rack_key(console, target.name)
            except ClientError as error:
                raise RollFailed(f"The Console did not start the roll: {error}") from None
            watch.update_started = True
            roll.start_probe(proxied)
            try:  # the probe rides on the Console's connection: stop it before it closes
                roll.step(Phase.WATCHING)
                roll.detach_if_not_waiting()
                return self._finish(console, proxied, roll.record_watch(watch.run()))
            finally:
                roll.stop_probe()

    def resume(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Watch the Console's roll to its end, then check the Console reaches the rack."""
        roll = self.roll
        with roll.target.console() as console:
            proxied = console.rack(roll.target.name)
            if record.last_step == "planned":
                raise RollFailed(
                    "The Console roll was never requested before the stop; nothing changed."
                )
            watch = self._watcher(console, proxied)
            watch.baseline()
            # a roll stopped while watching had its request answered: the update was under way
            watch.update_started = record.last_step in (Phase.WATCHING, Phase.VERIFYING)
            roll.start_probe(proxied)
            try:
                return self._finish(console, proxied, roll.record_watch(watch.run()))
            finally:
                roll.stop_probe()

    def _finish(self, console: ConsoleClient, proxied: RackClient, outcome: Outcome) -> Outcome:
        """After the watch: the Console must reach the rack with the key it now holds."""
        roll = self.roll
        if outcome is not Outcome.SUCCEEDED:
            self._after_failure(console, proxied)
            return outcome
        roll.step(Phase.VERIFYING)
        reaches = self._reaches(console, proxied)
        if reaches is None:
            raise LeftOpen(
                f"The update of {roll.target.name} ended, but the Console does not answer, so "
                "keyroll cannot check that it reaches the rack: run `keyroll resume` to check "
                "again."
            )
        if not reaches:
            raise RollFailed(self._cut_off())
        roll.note(
            f"The Console rolled {roll.target.name}'s key and keeps it (it is never shown); "
            "the CLI reaches the rack through the Console as before."
        )
        roll.note(AFTER_RACK_KEY_ROLL)
        return outcome

    def _watcher(self, console: ConsoleClient, proxied: RackClient) -> UpdateWatch:
        """A watch through the Console; when the proxied call fails, the Console's own status
        of the rack (`GET /racks`) still tells an update from a rollback."""
        watch = self.roll.watcher(proxied)
        watch.failures_mean_moving = True
        name = self.roll.target.name

        def console_status() -> str:
            return next((r.status for r in console.racks() if r.full_name == name), "")

        watch.status_fallback = console_status
        return watch

    def _after_failure(self, console: ConsoleClient, proxied: RackClient) -> None:
        """Say what the failed Console roll left: the old key, or a key the rack refuses."""
        roll = self.roll
        reaches = self._reaches(console, proxied, tries=3)
        if reaches:
            roll.note("The roll did not complete; the Console and the rack keep the old key.")
        elif reaches is None:
            name = roll.target.name
            roll.note(
                "The roll did not complete and the Console does not answer now; the Console "
                "stores a new key as it starts a roll, so once it answers, check that it still "
                f"reaches {name}, and if not, set a key around it and re-link it with "
                f"`keyroll roll rack-key {name} --via cloudformation --relink`.",
                "error",
            )
        else:
            roll.note(self._cut_off(), "error")

    def _cut_off(self) -> str:
        name = self.roll.target.name
        return (
            f"The update of {name} ended but the Console cannot reach it: it stored the new "
            "key, which the rack refuses (the update did not complete, or rolled back unseen); "
            f"set a key around the Console and re-link it with `keyroll roll rack-key {name} "
            "--via cloudformation --relink`."
        )

    def _reaches(
        self, console: ConsoleClient, proxied: RackClient, tries: int | None = None
    ) -> bool | None:
        """Does the Console reach the rack? None when the Console itself does not answer."""
        roll = self.roll
        console_down = False
        for _ in range(tries or max(1, int(roll.options.verify_s))):
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
                if roll.cancel.wait(1.0):
                    break
        return None if console_down else False
