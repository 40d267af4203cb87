"""What a roll works on: one rack, how to reach it, and the files that keep its state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tui.base.errors import BadInputError
from tui.base.secret import Secret
from tui.clients.aws_session import AwsTarget
from tui.clients.console import ConsoleClient
from tui.clients.rack import RackClient
from tui.core.inventory import VIA_CONSOLE, Inventory, RackEntry, rack_keys
from tui.core.journal import Journal
from tui.core.keystore import Keystore
from tui.core.settings import Settings
from tui.core.tls import ROLE_CONSOLE, ROLE_RACK, verify_for


@dataclass(frozen=True)
class RollOptions:
    """How a roll runs. Defaults are the product's; tests shorten the intervals."""

    poll_s: float = 2.0
    probe_s: float = 1.0
    poll_jitter: float = 0.1
    verify_s: float = 30.0  # how long a new key may take to be accepted after the update
    dual_key: bool = True  # test-only switch: off, the client drops the old key at once
    wait: bool = True  # False: return once the update is requested; `keyroll resume` finishes
    watch_timeout_s: float = 2100.0  # the Convox CLI's own limit: 35 min
    write_convox_cli: bool = True
    backoff_schedule: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> RollOptions:
        values: dict[str, object] = {
            "poll_s": settings.poll_active_s,
            "probe_s": settings.probe_interval_s,
            "write_convox_cli": settings.write_convox_cli,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class RollTarget:
    """One rack of the inventory, with the keystore, journal and settings a roll writes to."""

    rack: RackEntry
    inventory: Inventory
    keystore: Keystore
    journal: Journal
    settings: Settings
    env: Mapping[str, str] = field(default_factory=dict)
    locks_dir: Path | None = None

    @property
    def name(self) -> str:
        return self.rack.name

    @property
    def via_console(self) -> bool:
        return self.rack.via == VIA_CONSOLE

    @property
    def direct_host(self) -> str | None:
        """The rack's own API host: for a direct rack its host, for a Console rack its setting."""
        if not self.via_console:
            return self.rack.host
        return self.rack.settings.host if self.rack.settings else None

    @property
    def verify(self) -> bool | str:
        """The certificate check of the rack's own API host (`tui/core/tls.py`)."""
        own = self.rack.settings
        return verify_for(self.settings, self.direct_host or "", ROLE_RACK, own)

    @property
    def console_verify(self) -> bool | str:
        """The certificate check of the Console the rack is reached through."""
        return verify_for(self.settings, self.inventory.console_host or "", ROLE_CONSOLE)

    @property
    def aws(self) -> AwsTarget:
        return self.rack.aws

    def console(self) -> ConsoleClient:
        """The Console this rack is reached through, with the account key keyroll holds."""
        key = self.inventory.console_key
        if key is None or not self.inventory.console_url:
            raise BadInputError(
                f"keyroll holds no account key for the Console of {self.name}; run "
                "`convox login` or paste the account key on keyroll's account screen."
            )
        return ConsoleClient(self.inventory.console_url, key, verify=self.console_verify)

    def client(self, keys: list[Secret] | None = None) -> RackClient:
        """The rack as keyroll normally reaches it: proxied by its Console, or direct."""
        if self.via_console:
            return self.console().rack(self.name, take_connection=True)
        return self.direct_client(keys)

    def direct_client(self, keys: list[Secret] | None = None) -> RackClient:
        """The rack's own API with the given keys (by default the ones keyroll holds)."""
        host = self.direct_host
        if not host:
            raise BadInputError(
                f"keyroll knows no host for {self.name}'s own API; add `host` (its RackDomain) "
                "to the rack in keyroll's settings."
            )
        held = keys if keys is not None else self.direct_keys()
        return RackClient(f"https://{host}", held, verify=self.verify)

    def direct_keys(self) -> list[Secret]:
        """The rack keys keyroll holds for the rack's own host, pending first."""
        host = self.direct_host
        if not host:
            return []
        if self.via_console:
            return self.keystore.keys_for(host)
        return rack_keys(self.inventory, self.rack) or self.keystore.keys_for(host)
