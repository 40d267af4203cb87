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

from tui.base.errors import KeyrollError
from tui.base.secret import Secret
from tui.clients.aws_session import AwsTarget
from tui.clients.errors import NotFoundError, ServerError, TimeoutError_, UnreachableError
from tui.core.convox_cli import DEFAULT_CONSOLE_HOST, CliConfig
from tui.core.inventory_record import InventoryRecord, SeenRacks
from tui.core.keystore import Keystore
from tui.core.settings import RackSettings, Settings
from tui.core.tls import ROLE_CONSOLE, ROLE_RACK, verify_for

if TYPE_CHECKING:  # the HTTP clients (httpx) load at the first call, off the first frame
    from tui.clients.models import System
    from tui.clients.rack import RackClient

SOURCE_CONSOLE, SOURCE_CLI, SOURCE_KEYROLL = "console", "convox-cli", "keyroll"
SOURCE_LAST_SEEN = "last-seen"  # keyroll's record: the Console listed it last time
CONSOLE_SILENT = "the Console does not answer"
# Host shapes only a rack's API has (`convox/rack` `pkg/cli/helpers.go` `currentEndpoint`):
# an ELB, or the ALB's RackDomain.
RACK_HOST_SUFFIXES = (".elb.amazonaws.com",)
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
    reason: str = ""  # a short why beside `unknown`, e.g. CONSOLE_SILENT

    @property
    def shown(self) -> str:
        """The status as a person reads it: `unknown: the Console does not answer`."""
        return f"{self.status}: {self.reason}" if self.reason else self.status


@dataclass
class Inventory:
    """The merged racks, plus the sentences of every source that could not be read."""

    racks: list[RackEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    console_url: str | None = None
    console_host: str | None = None
    console_key: Secret | None = None
    keys_by_host: dict[str, list[Secret]] = field(default_factory=dict, repr=False)
    # Why the Console's rack list is missing because it did not answer (None when it did).
    console_silent: str | None = None
    # The rack the Convox CLI's files make current, when the inventory holds it.
    cli_current: str | None = None
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


def is_rack_host(host: str) -> bool:
    """Whether `host` has a shape only a rack's own API has (an ELB, or a RackDomain)."""
    name = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    rack_domain = name.startswith("rack.") and name.endswith(".convox.site")
    return rack_domain or name.endswith(RACK_HOST_SUFFIXES)


@dataclass
class _CliFiles:
    """What the Convox CLI's files say, each read once (a bad file is a problem, not a stop)."""

    auth: dict[str, Secret] = field(default_factory=dict)
    self_managed: dict[str, str] = field(default_factory=dict)
    host: str | None = None
    racks: dict[str, str] = field(default_factory=dict)
    rack: str | None = None
    current: str | None = None  # v3 `current`, a Console rack

    @classmethod
    def read(cls, cli: CliConfig | None, inv: Inventory) -> _CliFiles:
        if cli is None:
            return cls()
        v3 = _attempt(inv, cli.current, None) if cli.is_v3 else None
        return cls(
            auth=_attempt(inv, cli.auth, {}),
            self_managed=_attempt(inv, cli.self_managed, {}),
            host=_attempt(inv, cli.host, None) or _attempt(inv, cli.console, None),
            racks=_attempt(inv, cli.racks, {}),
            rack=_attempt(inv, cli.rack, None),
            current=v3["name"] if v3 and v3.get("type") == "console" else None,
        )

    def current_on(self, host: str) -> str | None:
        """The CLI's current rack on `host` (`pkg/cli/helpers.go`: `racks[host]`, then `rack`)."""
        if host != self.host:
            return None
        return self.racks.get(host) or self.rack or self.current


def _did_not_answer(error: KeyrollError) -> bool:
    """No answer at all, or the 5xx of a server that is down (the sandbox's `console-down`)."""
    return isinstance(error, UnreachableError | TimeoutError_ | ServerError)


def build_inventory(
    settings: Settings,
    keystore: Keystore,
    cli: CliConfig | None = None,
    *,
    record: InventoryRecord | None = None,
) -> Inventory:
    """Merge the racks of the Console, the Convox CLI and keyroll's `[[racks]]`.

    With `record`, the Console's racks are remembered, and when the Console does not list
    them (it does not answer, or refuses the key) the last ones seen are kept, marked
    `last-seen`, with the CLI's current rack on that Console.
    """
    inv = Inventory(settings=settings)
    files = _CliFiles.read(cli, inv)
    seen = record.read(inv.problems) if record is not None else SeenRacks()

    def keys(host: str) -> list[Secret]:
        found = keystore.keys_for(host)
        if host in files.auth and files.auth[host] not in found:
            found.append(files.auth[host])
        return found

    direct_hosts = set(files.self_managed.values()) | {r.host for r in settings.racks if r.host}
    login_rack: str | None = None  # a CLI login straight to a rack (legacy `~/.convox`)
    cli_host = files.host if settings.console.url is None else None
    if cli_host and cli_host not in direct_hosts and is_rack_host(cli_host):
        login_rack = cli_host

    def use_console(host: str) -> None:
        inv.console_host = host
        inv.console_url = settings.console.url or f"https://{host}"
        console_keys = keys(host)
        inv.console_key = console_keys[0] if console_keys else None

    maybe_rack = cli_host not in (None, DEFAULT_CONSOLE_HOST, settings.console.host)
    if cli_host and not login_rack and cli_host not in direct_hosts:
        use_console(cli_host)  # the CLI is logged in to another Console than the default
    else:
        use_console(settings.console.host)

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

    try:
        listed = _console_racks(
            inv,
            settings,
            maybe_rack=maybe_rack and inv.console_host == cli_host,
            known_rack=cli_host in seen.rack_hosts,
        )
    except _NotAConsole:
        # `GET /racks` is the Console's alone: the CLI's host answered 404, so it is a rack.
        login_rack = inv.console_host
        use_console(settings.console.host)
        listed = _console_racks(inv, settings, maybe_rack=False, known_rack=False)
    console_host = inv.console_host or settings.console.host
    if listed is not None:
        for name in listed:
            add(RackEntry(name, VIA_CONSOLE, console_host, (SOURCE_CONSOLE,)))
        seen.consoles[console_host] = list(listed)
    else:
        current = files.current_on(console_host)
        if current and "/" in current:
            add(RackEntry(current, VIA_CONSOLE, console_host, (SOURCE_CLI,)))
        if inv.console_key is not None:
            for name in seen.consoles.get(console_host, []):
                add(RackEntry(name, VIA_CONSOLE, console_host, (SOURCE_LAST_SEEN,)))
    if login_rack:
        login_name = (
            files.racks.get(login_rack)
            or files.rack
            or seen.rack_hosts.get(login_rack)
            or login_rack
        )
        add(RackEntry(login_name, VIA_DIRECT, login_rack, (SOURCE_CLI,)))
        seen.rack_hosts[login_rack] = login_name
    for name, host in sorted(files.self_managed.items()):
        add(RackEntry(name, VIA_DIRECT, host, (SOURCE_CLI,)))
    for host in sorted(files.auth):
        if host != console_host and host not in files.self_managed.values():
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
    inv.cli_current = _cli_current(inv, files)
    if record is not None:
        record.save(seen, inv.problems)
    return inv


class _NotAConsole(Exception):
    """`GET /racks` answered 404: the host is a rack's own API, not a Console."""


def _console_racks(
    inv: Inventory, settings: Settings, *, maybe_rack: bool, known_rack: bool
) -> list[str] | None:
    """The `org/name` of every rack the Console lists, or None (why: in `inv.problems`).

    With `maybe_rack` (the host came from the CLI's login and is no known Console), a 404
    says the host is a rack's own API: raises `_NotAConsole`; so does no answer at all from
    a host keyroll's record knows as a rack (`known_rack`).
    """
    if inv.console_key is None or inv.console_url is None:
        return None
    try:
        racks = _list_console_racks(inv.console_url, inv.console_key, inv.console_verify())
    except NotFoundError as error:
        if maybe_rack:
            raise _NotAConsole from None
        inv.problems.append(f"The Console's rack list is missing: {error}")
        return None
    except KeyrollError as error:
        if maybe_rack and known_rack and _did_not_answer(error):
            raise _NotAConsole from None  # the rack is down: its status will say so
        inv.problems.append(f"The Console's rack list is missing: {error}")
        if _did_not_answer(error):
            inv.console_silent = str(error)
        return None
    return [rack.full_name for rack in racks]


def _cli_current(inv: Inventory, files: _CliFiles) -> str | None:
    """The inventory's rack that the Convox CLI's files make current (`convox switch`)."""
    host = files.host
    if not host:
        return None
    if host == inv.console_host:
        name = files.current_on(host)
        return name if name and inv.find(name) else None
    direct = [r for r in inv.racks if r.via == VIA_DIRECT and r.host == host]
    return direct[0].name if len(direct) == 1 else None


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
    keepalive_s: float | None = None,
) -> RackClient:
    """A client for `rack`, direct or proxied by its Console with the `Rack` header, checking
    the certificate as `inv.rack_verify` says; `keepalive_s` keeps idle connections that long
    (default: httpx's 5 s)."""
    from tui.clients.rack import RackClient

    keys = rack_keys(inv, rack)
    verify = inv.rack_verify(rack)
    extra: dict[str, Any] = {} if keepalive_s is None else {"keepalive_s": keepalive_s}
    if rack.via == VIA_CONSOLE:
        base = inv.console_url or f"https://{rack.host}"
        return RackClient(base, keys, rack=rack.name, verify=verify, timeout=timeout, **extra)
    return RackClient(f"https://{rack.host}", keys, verify=verify, timeout=timeout, **extra)


def rack_status(inv: Inventory, rack: RackEntry, ask: Callable[[], System]) -> RackStatus:
    """The status of `rack` from `ask()` (its `GET /system`), or `unknown` with the sentence
    saying why; never raises. The one status rule of `fetch_statuses` and `FleetStatus`."""
    if not rack.host:
        return RackStatus(rack.name, "unknown", f"keyroll knows no host for {rack.name}.")
    try:
        system = ask()
    except KeyrollError as error:
        unreachable = isinstance(error, UnreachableError | TimeoutError_)
        if rack.via == VIA_CONSOLE and (inv.console_silent is not None or unreachable):
            return RackStatus(
                rack.name,
                "unknown",
                f"The Console does not answer, so the status of {rack.name} (listed from "
                f"{', '.join(rack.sources)}) is unknown: {error}",
                reason=CONSOLE_SILENT,
            )
        return RackStatus(rack.name, "unknown", str(error))
    except Exception as error:  # a status cell must never take the whole list down
        return RackStatus(
            rack.name,
            "unknown",
            f"The status check of {rack.name} failed unexpectedly "
            f"({error.__class__.__name__}); try again.",
        )
    return RackStatus(rack.name, system.status, None, system.version, system.region, system.count)


def _status(inv: Inventory, rack: RackEntry, timeout: float) -> RackStatus:
    """One rack's status through a client of its own, closed after (no connection kept)."""

    def ask() -> System:
        with rack_client(inv, rack, timeout=timeout) as client:
            return client.system(retries=0)

    return rack_status(inv, rack, ask)


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
