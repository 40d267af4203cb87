"""What the account screen shows: the Console, the account the key belongs to, the key masked."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui.clients.console import ConsoleClient
from tui.clients.errors import ClientError, WrongKeyError
from tui.core.inventory import Inventory
from tui.core.keystore import Keystore


@dataclass(frozen=True)
class AccountOverview:
    """The account key keyroll holds, masked, and what the Console says about it."""

    console_host: str | None
    account: str = ""
    key_hint: str = ""
    fingerprint: str = ""
    pending: bool = False
    problem: str | None = None

    @property
    def has_key(self) -> bool:
        return bool(self.key_hint)


def fetch_account_overview(inventory: Inventory, keystore: Keystore) -> AccountOverview:
    """Ask the Console (`GET /auth`) which account the held key belongs to.

    The key is read from the keystore first (a roll may have changed it since the inventory
    was built), then from the inventory (the Convox CLI's `auth`).
    """
    host = inventory.console_host
    if not host or not inventory.console_url:
        return AccountOverview(None, problem="keyroll knows no Console; run `convox login`.")
    key = keystore.current(host) or inventory.console_key
    pending = keystore.pending(host) is not None
    if key is None:
        return AccountOverview(
            host,
            pending=pending,
            problem=f"keyroll holds no account key for {host}; press p to paste one.",
        )
    base = AccountOverview(
        host, key_hint=key.hint(), fingerprint=key.fingerprint(), pending=pending
    )
    try:
        verify = inventory.console_verify()
        with ConsoleClient(inventory.console_url, key, verify=verify) as console:
            account = console.auth()
    except WrongKeyError:
        return replace(
            base,
            problem=f"The Console at {host} refuses the key keyroll holds; press p to paste "
            "the key rolled in the web Console.",
        )
    except ClientError as error:
        return replace(base, problem=f"The Console did not answer GET /auth: {error}")
    return replace(base, account=account)
