"""Rolling the Convox account API key through the Console, or saving one rolled in the web UI.

The Console returns a new account key once and kills the old one at once, so the new key
goes into the keystore the moment it arrives, before anything else is checked. The roll's
"rack" is the Console itself, named `account@<console host>` in the journal and the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.base.secret import Secret
from tui.clients.console import ConsoleClient
from tui.clients.console_actions import roll_account_key
from tui.clients.errors import ClientError, WrongKeyError
from tui.core.convox_cli import update_auth_everywhere
from tui.core.inventory import SOURCE_CONSOLE, VIA_CONSOLE, Inventory, RackEntry
from tui.core.journal import Journal, RollRecord
from tui.core.keystore import Keystore
from tui.core.rolls.base import LeftOpen, Roll, RollFailed, preflight_refusal
from tui.core.rolls.events import NewAccountKey, Outcome, Phase, RollKind
from tui.core.rolls.target import RollTarget
from tui.core.settings import Settings

ROUTE = "console"
ACCOUNT_PREFIX = "account@"


def account_name(console_host: str) -> str:
    """The name an account-key roll goes by in the journal, the lock and the summary."""
    return f"{ACCOUNT_PREFIX}{console_host}"


def is_account_name(name: str) -> bool:
    """Whether a journal record's rack name is a Console account, not a rack."""
    return name.startswith(ACCOUNT_PREFIX)


def account_console_host(name: str) -> str | None:
    """The Console host of an account-key roll's name (`account_name`'s inverse); None for a
    rack."""
    return name.removeprefix(ACCOUNT_PREFIX) if is_account_name(name) else None


def account_target(
    inventory: Inventory,
    *,
    keystore: Keystore,
    journal: Journal,
    settings: Settings,
    env: Any,
    locks_dir: Path | None,
) -> RollTarget:
    """The roll target of the account key: the Console keyroll reaches racks through."""
    host = inventory.console_host
    if not host or not inventory.console_url:
        raise BadInputError(
            "keyroll knows no Console to roll an account key on; run `convox login` or set "
            "[console] in keyroll's settings."
        )
    entry = RackEntry(account_name(host), VIA_CONSOLE, host, (SOURCE_CONSOLE,), console_host=host)
    return RollTarget(
        rack=entry,
        inventory=inventory,
        keystore=keystore,
        journal=journal,
        settings=settings,
        env=env,
        locks_dir=locks_dir,
    )


def check_pasted_key(url: str, key: Secret, *, verify: bool | str) -> str:
    """Ask the Console whether `key` is an account key; returns the account id it names.

    Raises `BadInputError` when the Console refuses it, so nothing is saved.
    """
    with ConsoleClient(url, key, verify=verify) as console:
        try:
            account = console.auth()
        except WrongKeyError:
            raise BadInputError(
                f"The Console at {console.host} refused the pasted key (nothing was saved); "
                "copy the new key again from the web Console's account page."
            ) from None
        except ClientError as error:
            raise KeyrollError(
                f"keyroll could not check the pasted key, so nothing was saved: {error}"
            ) from None
    if not account:
        raise BadInputError(
            f"{url} accepted the pasted key but named no account: it is not a Convox Console; "
            "check the Console URL in keyroll's settings (nothing was saved)."
        )
    return account


class AccountKeyRoll(Roll):
    """Roll the account API key through the Console, or save one the user rolled elsewhere.

    Without `pasted`: check the login, ask the Console for a new key, store it at once,
    verify it, check the old one is refused, make it current and rewrite the Console host's
    `auth` entry in every Convox CLI config dir. With `pasted`: validate that key with
    `GET /auth` and save it the same way. The key the Console returned arrives in a
    `NewAccountKey` event, for the dashboard's reveal-once dialog; it is never printed.
    """

    kind = RollKind.ACCOUNT_KEY

    def __init__(self, *args: Any, pasted: Secret | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.route != ROUTE:
            raise BadInputError(
                f"The account key rolls only through the Console, not '{self.route}'."
            )
        self.pasted = pasted
        self.handed: NewAccountKey | None = None  # the event that carries the new key
        self.account = ""

    @property
    def new_key(self) -> Secret | None:
        """The key the Console returned, until the one who shows it took it from its event."""
        return self.handed.held if self.handed is not None else None

    def hand_over(self, key: Secret) -> None:
        """Report the Console's new key in its own event (a pasted key is the user's already)."""
        self.handed = NewAccountKey(key)
        self.emit(self.handed)

    @property
    def host(self) -> str:
        host = self.target.rack.host
        assert host is not None
        return host

    def execute(self) -> Outcome:
        keystore = self.target.keystore
        if keystore.pending(self.host) is not None:
            raise RefusedError(
                "An unfinished account-key roll left a pending key; run `keyroll resume` to "
                "finish it before starting another."
            )
        if self.pasted is not None:
            return self._save_pasted(self.pasted)
        with self.target.console() as console:
            old = console.account_key
            self.account = self._login_check(console)
            self.begin(host=self.host, old_key=old)
            return self._roll(console, old)

    # rolling through the Console ------------------------------------------------------------

    def _login_check(self, console: ConsoleClient) -> str:
        try:
            account = console.auth()
        except WrongKeyError:
            raise RefusedError(
                f"The Console at {self.host} refuses the account key keyroll holds; if it was "
                "rolled elsewhere, paste the new one (`keyroll roll account-key "
                "--value-from-stdin`), else run `convox login`."
            ) from None
        except ClientError as error:
            raise preflight_refusal(
                f"Pre-flight: the Console login check failed: {error}"
            ) from None
        if not account:
            raise RefusedError(
                f"{self.host} answered GET /auth without an account id, so it is not a Convox "
                "Console; check the Console URL in keyroll's settings."
            )
        return account

    def _roll(self, console: ConsoleClient, old: Secret) -> Outcome:
        self.step(Phase.UPDATE_REQUESTED)
        try:
            new = roll_account_key(console)
        except ClientError as error:
            raise RollFailed(
                f"The Console did not roll the account key ({error}); check the web Console's "
                "account page to see whether the old key still works."
            ) from None
        self.hand_over(new)
        self.target.keystore.add_pending(self.host, new)  # the Console shows it only once
        self.step(Phase.KEY_STORED, new_key=new)
        return self._settle(new, old)

    # the web UI's key, pasted ----------------------------------------------------------------

    def _save_pasted(self, pasted: Secret) -> Outcome:
        target = self.target
        url = target.inventory.console_url
        assert url is not None
        self.account = check_pasted_key(url, pasted, verify=target.console_verify)
        old = target.keystore.current(self.host)
        self.begin(host=self.host, new_key=pasted, old_key=old)
        if old is not None and old == pasted:
            self.note("The pasted key is the one keyroll already holds for the Console.")
            self.step(Phase.VERIFYING)
            self._rewrite_cli(pasted)
            return Outcome.SUCCEEDED
        target.keystore.add_pending(self.host, pasted)
        self.step(Phase.KEY_STORED, new_key=pasted)
        return self._settle(pasted, old)

    # shared: verify, retire the old key, promote, tell the CLI ------------------------------

    def _settle(self, new: Secret, old: Secret | None) -> Outcome:
        self.step(Phase.VERIFYING)
        url = self.target.inventory.console_url
        assert url is not None
        account = self._wait_accepted(url, new)
        if account is None:
            raise LeftOpen(  # open, not failed: `keyroll resume` must find it to check again
                "The Console does not accept the new account key yet; keyroll keeps it (pending) "
                "in its keystore: run `keyroll resume` to check again."
            )
        self.account = account
        if old is not None and old != new:
            refused = self._refuses(url, old)
            self.summary.old_key_refused = refused
            if refused is False:
                self.note(
                    "The Console still accepts the old account key; roll it again from the web "
                    "Console's account page if it may have leaked.",
                    "warning",
                )
        self.target.keystore.promote(self.host, new)
        self.summary.key_saved_to = str(self.target.keystore.path)
        self.note(f"The Console accepts the new account key for {account}; keyroll saved it.")
        self._rewrite_cli(new)
        return Outcome.SUCCEEDED

    def _wait_accepted(self, url: str, key: Secret) -> str | None:
        """The account id once the Console accepts `key`, or None when it never does."""
        tries = max(1, int(self.options.verify_s))
        for attempt in range(tries):
            with ConsoleClient(url, key, verify=self.target.console_verify) as console:
                try:
                    return console.auth() or None
                except WrongKeyError:
                    pass
                except ClientError as error:
                    if attempt == tries - 1:
                        raise LeftOpen(
                            f"keyroll could not check the new account key ({error}); it is kept "
                            "(pending) in the keystore: run `keyroll resume` to check again."
                        ) from None
            if self.cancel.wait(1.0):
                break
        return None

    def _refuses(self, url: str, key: Secret) -> bool | None:
        with ConsoleClient(url, key, verify=self.target.console_verify) as console:
            try:
                console.auth()
            except WrongKeyError:
                return True
            except ClientError:
                return None
        return False

    def _rewrite_cli(self, new: Secret) -> None:
        if not self.options.write_convox_cli:
            self.note("keyroll left the Convox CLI's files alone, as its settings ask.")
            return
        written, problems = update_auth_everywhere(self.host, new, self.target.env)
        self.summary.cli_auth_files = [str(path) for path in written]
        if written:
            self.note(
                f"Updated the Convox CLI's account key for {self.host} in {len(written)} auth "
                "file(s): the CLI keeps working."
            )
        else:
            self.note(
                f"No Convox CLI config holds a key for {self.host}; run `convox login "
                f"{self.host}` to use the CLI with the new key."
            )
        for problem in problems:
            self.note(f"The Convox CLI's auth file was left alone: {problem}", "warning")

    # resume ----------------------------------------------------------------------------------

    def continue_from(self, record: RollRecord, confirm: Callable[[str], bool]) -> Outcome:
        """Finish an account-key roll a crash left unfinished, from its last recorded step."""
        keystore = self.target.keystore
        step = record.last_step
        if step in (Phase.KEY_STORED.value, Phase.VERIFYING.value):
            return self._resume_stored(record)
        if record.new_key is not None:  # a paste that stopped before the key was saved
            raise RollFailed(
                "keyroll stopped before the pasted key was saved; paste it again with "
                "`keyroll roll account-key --value-from-stdin`."
            )
        with self.target.console() as console:
            old = console.account_key
            if step == Phase.UPDATE_REQUESTED.value and self._refuses_held(console):
                raise RollFailed(
                    "The Console rolled the account key but keyroll stopped before it could "
                    "store the new one; copy it from the web Console's account page and paste "
                    "it with `keyroll roll account-key --value-from-stdin`."
                )
            if not confirm(
                "The Console was not asked for a new account key before keyroll stopped; "
                "roll it now?"
            ):
                raise RollFailed("Left as it was: the old account key stays current.")
            self.account = self._login_check(console)
            if keystore.pending(self.host) is not None:
                raise RefusedError(
                    "The keystore holds a pending account key from another roll; finish that "
                    "roll first."
                )
            return self._roll(console, old)

    def _refuses_held(self, console: ConsoleClient) -> bool:
        try:
            console.auth()
        except WrongKeyError:
            return True
        except ClientError as error:
            raise RollFailed(
                f"keyroll cannot tell whether the Console rolled the account key: {error}"
            ) from None
        return False

    def _resume_stored(self, record: RollRecord) -> Outcome:
        keystore = self.target.keystore
        held = {e.key.fingerprint(): e for e in keystore.entries(self.host)}
        entry = held.get(record.new_key or "")
        if entry is None:
            raise RollFailed(
                f"The keystore holds no key with the fingerprint of roll {record.roll_id}; "
                "paste the account key from the web Console with `keyroll roll account-key "
                "--value-from-stdin`."
            )
        if entry.role not in ("pending", "current"):
            raise RollFailed(
                f"The key of roll {record.roll_id} was retired since; keyroll keeps the current "
                "account key: roll again if you need a new one."
            )
        old = keystore.current(self.host)
        self.hand_over(entry.key)
        if entry.role == "current":  # promoted before the crash: only the CLI may be stale
            self.step(Phase.VERIFYING)
            self._rewrite_cli(entry.key)
            return Outcome.SUCCEEDED
        return self._settle(entry.key, old)
