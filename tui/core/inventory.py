"""The rack inventory: one list of racks from the Console, the Convox CLI and keyroll's settings.

Each rack says where it was found (`console`, `convox-cli`, `keyroll`) and how it is reached:
through a Console as `org/name` with the account key, or directly at its host with its own
key. Duplicates (same host, or same `org/name`) are merged. Live status is fetched for every
rack at once on a bounded thread pool; a rack that does not answer reads `unknown` with the
reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tui.clients.aws_session import AwsTarget
from tui.core.convox_cli import CliConfig
from tui.core.errors import KeyrollError
from tui.core.keystore import Keystore
from tui.core.secret import Secret
from tui.core.settings import RackSettings, Settings
from tui.core.tls import ROLE_CONSOLE, ROLE_RACK, verify_for

if TYPE_CHECKING:  # the HTTP clients (httpx) load at the first call, off the first frame
    from tui.clients.rack import RackClient

SOURCE_CONSOLE, SOURCE_CLI, SOURCE_KEYROLL = "console", "convox-cli", "keyroll"
VIA_CONSOLE, VIA_DIRECT = "console", "direct"
MAX_WORKERS = 16
STATUS_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RackEntry:
    """One rack, however many places list it."""

    name: str
    via: str
    host: str | None
    sources: tuple[str, ...]
    console_host: str | None = None
    settings: RackSettings | None = None
    aws: AwsTarget = field(default_factory=AwsTarget)

    @property
    def full_name(self) -> str:
        """The name `keyroll switch` and the Convox CLI know it by."""
        return self.name

    @property
    def short_name(self) -> str:
        """The rack's own name, without its Console org."""
        return self.name.rsplit("/", 1)[-1]

    @property
    def production(self) -> bool:
        return bool(self.settings and self.settings.production)

    @property
    def read_only(self) -> bool:
        return bool(self.settings and self.settings.read_only)

    @property
    def stack(self) -> str:
        """The CloudFormation stack name (the rack's name unless settings say otherwise)."""
        return self.settings.stack_name if self.settings else self.short_name


@dataclass(frozen=True)
class RackStatus:
    """A rack's live status, or `unknown` with the sentence saying why."""

    name: str
    status: str
    error: str | None = None
    version: str = ""
    region: str = ""
    count: int = 0  # instances (`InstanceCount`), 0 when unknown


@dataclass
class Inventory:
    """The merged racks, plus the sentences of every source that could not be read."""

    racks: list[RackEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    console_url: str | None = None
    console_host: str | None = None
    console_key: Secret | None = None
    keys_by_host: dict[str, list[Secret]] = field(default_factory=dict, repr=False)
    settings: Settings = field(default_factory=Settings, repr=False)  # decides TLS checks

    def console_verify(self) -> bool | str:
        """The certificate check of the Console (`tui/core/tls.py`)."""
        return verify_for(self.settings, self.console_host or "", ROLE_CONSOLE)

    def rack_verify(self, rack: RackEntry) -> bool | str:
        """The certificate check of the host keyroll reaches `rack` at: its Console or its own."""
        if rack.via == VIA_CONSOLE:
            return self.console_verify()
        return verify_for(self.settings, rack.host or "", ROLE_RACK, rack.settings)

    def find(self, name: str) -> RackEntry | None:
        """The rack with exactly this name (plain or `org/name`)."""
        return next((r for r in self.racks if r.name == name), None)


def _list_console_racks(base_url: str, key: Secret, verify: bool | str) -> list[Any]:
    from tui.clients.console import ConsoleClient

    with ConsoleClient(base_url, key, verify=verify, timeout=STATUS_TIMEOUT_S) as console:
        return list(console.racks())


def build_inventory(
    settings: Settings,
    keystore: Keystore,
    cli: CliConfig | None = None,
) -> Inventory:
    """Merge the racks of the Console, the Convox CLI and keyroll's `[[racks]]`."""
    inv = Inventory(settings=settings)
    cli_auth: dict[str, Secret] = {}
    self_managed: dict[str, str] = {}
    cli_host: str | None = None
    if cli is not None:
        cli_auth = _attempt(inv, cli.auth, {})
        self_managed = _attempt(inv, cli.self_managed, {})
        cli_host = _attempt(inv, cli.host, None) or _attempt(inv, cli.console, None)

    def keys(host: str) -> list[Secret]:
        found = keystore.keys_for(host)
        if host in cli_auth and cli_auth[host] not in found:
            found.append(cli_auth[host])
        return found

    direct_hosts = set(self_managed.values()) | {r.host for r in settings.racks if r.host}
    console_host = settings.console.host
    if settings.console.url is None and cli_host and cli_host not in direct_hosts:
        console_host = cli_host  # the CLI is logged in to another Console than the default
    inv.console_host = console_host
    inv.console_url = settings.console.url or f"https://{console_host}"
    console_keys = keys(console_host)
    inv.console_key = console_keys[0] if console_keys else None

    entries: dict[str, RackEntry] = {}

    def add(entry: RackEntry) -> None:
        for key, old in entries.items():
            same_host = entry.via == VIA_DIRECT and old.via == VIA_DIRECT and entry.host == old.host
            if old.name == entry.name or (same_host and entry.host):
                sources = tuple(dict.fromkeys(old.sources + entry.sources))
                # An `auth`-only rack is named by its host until another source names it.
                name = entry.name if old.name == old.host else old.name
                del entries[key]
                entries[name] = replace(
                    old,
                    name=name,
                    sources=sources,
                    settings=old.settings or entry.settings,
                    host=old.host or entry.host,
                )
                return
        entries[entry.name] = entry

    if inv.console_key is not None:
        try:
            verify = inv.console_verify()
            for rack in _list_console_racks(inv.console_url, inv.console_key, verify):
                add(RackEntry(rack.full_name, VIA_CONSOLE, console_host, (SOURCE_CONSOLE,)))
        except KeyrollError as error:
            inv.problems.append(f"The Console's rack list is missing: {error}")
    for name, host in sorted(self_managed.items()):
        add(RackEntry(name, VIA_DIRECT, host, (SOURCE_CLI,)))
    for host in sorted(cli_auth):
        if host != console_host and host not in self_managed.values():
            add(RackEntry(host, VIA_DIRECT, host, (SOURCE_CLI,)))
    for rack in settings.racks:
        if rack.console:
            add(
                RackEntry(
                    rack.full_name, VIA_CONSOLE, console_host, (SOURCE_KEYROLL,), settings=rack
                )
            )
        elif rack.host:
            add(RackEntry(rack.name, VIA_DIRECT, rack.host, (SOURCE_KEYROLL,), settings=rack))
        else:
            _attach_settings(entries, rack, inv)

    inv.racks = sorted(entries.values(), key=lambda r: r.name)
    inv.racks = [
        replace(
            r,
            console_host=console_host if r.via == VIA_CONSOLE else None,
            aws=aws_target(settings, r.settings),
        )
        for r in inv.racks
    ]
    inv.keys_by_host = {r.host: keys(r.host) for r in inv.racks if r.host}
    return inv


def aws_target(settings: Settings, rack: RackSettings | None) -> AwsTarget:
    """Where a rack's stack lives: its own `[[racks]]` values over the `[aws]` defaults."""
    aws = settings.aws
    return AwsTarget(
        profile=(rack.aws_profile if rack else None) or aws.profile,
        region=(rack.region if rack else None) or aws.region,
        endpoint_url=(rack.endpoint_url if rack else None) or aws.endpoint_url,
        credentials_file=aws.credentials_file,
    )


def _attach_settings(entries: dict[str, RackEntry], rack: RackSettings, inv: Inventory) -> None:
    """A `[[racks]]` entry with neither host nor console adds settings to a rack found elsewhere."""
    matches = [k for k, e in entries.items() if e.short_name == rack.name]
    if len(matches) == 1:
        entries[matches[0]] = replace(
            entries[matches[0]],
            settings=rack,
            sources=tuple(dict.fromkeys((*entries[matches[0]].sources, SOURCE_KEYROLL))),
        )
    else:
        inv.problems.append(
            f"The [[racks]] entry {rack.name} has no host or console and matches "
            f"{len(matches)} known racks; add `host` or `console` to it."
        )


def _attempt(inv: Inventory, read: Callable[[], Any], default: Any) -> Any:
    try:
        return read()
    except KeyrollError as error:
        inv.problems.append(str(error))
        return default


def rack_keys(inv: Inventory, rack: RackEntry) -> list[Secret]:
    """The keys to reach `rack`: its own (direct) or the account key (through a Console)."""
    return list(inv.keys_by_host.get(rack.host or "", []))


def rack_client(
    inv: Inventory,
    rack: RackEntry,
    *,
    timeout: float = STATUS_TIMEOUT_S,
) -> RackClient:
    """A client for `rack`, direct or proxied by its Console with the `Rack` header, checking
    the certificate as `inv.rack_verify` says."""
    from tui.clients.rack import RackClient

    keys = rack_keys(inv, rack)
    verify = inv.rack_verify(rack)
    if rack.via == VIA_CONSOLE:
        base = inv.console_url or f"https://{rack.host}"
        return RackClient(base, keys, rack=rack.name, verify=verify, timeout=timeout)
    return RackClient(f"https://{rack.host}", keys, verify=verify, timeout=timeout)


def _status(inv: Inventory, rack: RackEntry, timeout: float) -> RackStatus:
    if not rack.host:
        return RackStatus(rack.name, "unknown", f"keyroll knows no host for {rack.name}.")
    try:
        with rack_client(inv, rack, timeout=timeout) as client:
            system = client.system(retries=0)
    except KeyrollError as error:
        return RackStatus(rack.name, "unknown", str(error))
    except Exception as error:  # a status cell must never take the whole list down
        return RackStatus(
            rack.name,
            "unknown",
            f"The status check of {rack.name} failed unexpectedly "
            f"({error.__class__.__name__}); try again.",
        )
    return RackStatus(rack.name, system.status, None, system.version, system.region, system.count)


def fetch_statuses(
    inv: Inventory,
    racks: Sequence[RackEntry] | None = None,
    *,
    timeout: float = STATUS_TIMEOUT_S,
    max_workers: int = MAX_WORKERS,
) -> dict[str, RackStatus]:
    """`GET /system` on every rack at once (at most `max_workers` in flight), by rack name."""
    racks = list(inv.racks if racks is None else racks)
    if not racks:
        return {}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(racks))) as pool:
        results = pool.map(lambda r: _status(inv, r, timeout), racks)
        return {status.name: status for status in results}
