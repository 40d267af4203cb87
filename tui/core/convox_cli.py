"""The Convox CLI's own files, read and written as the CLI does (`convox/rack`
`vendor/github.com/convox/stdcli/setting.go`, `pkg/cli/login.go`, `pkg/cli/switch.go`).

Each setting is its own file in the CLI's config dir: plain files (`host`, `rack`, `id`, v3
`console`) are read whitespace-trimmed; map files (`auth`, `racks`, `session`,
`self-managed`) are JSON objects host -> value, written pretty-printed with a 2-space indent,
keys sorted as Go writes them, 0600 in a 0700 dir. keyroll writes them atomically, and a
malformed file is an error naming the file and line; it is never rewritten.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

from tui.base.errors import BadInputError, KeyrollError, RefusedError, shown
from tui.base.secret import Secret
from tui.core.files import read_text, write_private

CONFIG_ENV = "CONVOX_CONFIG"
MAP_FILES = ("auth", "racks", "session", "self-managed")
DEFAULT_CONSOLE_HOST = "console.convox.com"

# Where each kind of dir comes from, in the order they are probed.
FROM_ENV, CONVOX2, CONVOX2_MACOS, LEGACY, V3 = (
    "CONVOX_CONFIG",
    "convox2",
    "convox2-macos",
    "legacy",
    "v3",
)


class CliFileError(BadInputError):
    """One of the Convox CLI's files cannot be parsed; it is left as it is."""


@dataclass(frozen=True)
class CliDir:
    """A Convox CLI config dir and where it comes from (`CONVOX_CONFIG`, `convox2`, ...)."""

    path: Path
    origin: str


def candidate_dirs(env: Mapping[str, str] | None = None) -> list[CliDir]:
    """Every place a Convox CLI keeps its config, in probe order (existing or not)."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    dirs: list[CliDir] = []
    if env.get(CONFIG_ENV):
        dirs.append(CliDir(Path(env[CONFIG_ENV]).expanduser(), FROM_ENV))
    dirs += [
        CliDir(xdg / "convox2", CONVOX2),
        CliDir(home / "Library" / "Preferences" / "convox2", CONVOX2_MACOS),
        CliDir(home / ".convox", LEGACY),
        CliDir(xdg / "convox", V3),
    ]
    return dirs


def find_dirs(env: Mapping[str, str] | None = None) -> list[CliDir]:
    """The Convox CLI config dirs that exist, in probe order."""
    return [d for d in candidate_dirs(env) if d.path.is_dir()]


def primary_dir(env: Mapping[str, str] | None = None) -> CliDir:
    """The dir the CLI itself reads: `CONVOX_CONFIG`, else the first that exists, else the
    v2 CLI's default for this platform (where keyroll creates it when it must write)."""
    env = os.environ if env is None else env
    candidates = candidate_dirs(env)
    if env.get(CONFIG_ENV):
        return candidates[0]
    for d in candidates:
        if d.path.is_dir():
            return d
    default = CONVOX2_MACOS if sys.platform == "darwin" else CONVOX2
    return next(d for d in candidates if d.origin == default)


def go_json(mapping: Mapping[str, str]) -> str:
    """A map as Go's `json.MarshalIndent(m, "", "  ")` writes it: keys sorted, HTML-escaped."""
    text = json.dumps(dict(mapping), indent=2, sort_keys=True, ensure_ascii=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _too_deep(path: Path) -> CliFileError:
    """A file nested deeper than any Convox CLI writes it (the JSON parser would overflow)."""
    return CliFileError(
        f"The Convox CLI file {path} nests JSON too deeply to be a Convox CLI file; keyroll "
        "left it unchanged, fix or remove it."
    )


def _line_of(text: str, key: str) -> int:
    """The line where `key` appears in a JSON text, to point the user at it."""
    needle = json.dumps(key)
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


class CliConfig:
    """One Convox CLI config dir: each read goes to the file, each write is atomic."""

    def __init__(self, directory: CliDir | Path) -> None:
        self.dir = directory if isinstance(directory, CliDir) else CliDir(directory, FROM_ENV)
        self.path = self.dir.path

    def __repr__(self) -> str:
        return f"CliConfig({str(self.path)!r}, {self.dir.origin})"

    @property
    def is_v3(self) -> bool:
        """A v3 CLI dir: it names its Console in `console` and its rack in `current`."""
        has_v3 = (self.path / "console").exists() or (self.path / "current").exists()
        return has_v3 and not (self.path / "host").exists()

    # Reading

    def plain(self, name: str) -> str | None:
        """A plain setting, trimmed as the CLI trims it; None when missing or empty."""
        text = read_text(self.path / name)
        if text is None:
            return None
        return text.strip() or None

    def mapping(self, name: str) -> dict[str, str]:
        """A JSON map setting; raises `CliFileError` naming the file and line if malformed."""
        path = self.path / name
        text = read_text(path)
        if text is None or not text.strip():
            return {}
        try:
            data = json.loads(text)
        except RecursionError:
            raise _too_deep(path) from None
        except json.JSONDecodeError as error:
            raise CliFileError(
                f"The Convox CLI file {path} is not valid JSON at line {error.lineno} "
                f"({error.msg}); keyroll left it unchanged, fix that line."
            ) from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise CliFileError(
                f"The Convox CLI file {path} is not a JSON object at line 1; keyroll left it "
                "unchanged, fix or remove it."
            )
        for key, value in data.items():
            if not isinstance(value, str):
                raise CliFileError(
                    f"The Convox CLI file {path} has a non-string value for '{shown(key)}' at line "
                    f"{_line_of(text, key)}; keyroll left it unchanged, fix that line."
                )
        return dict(data)

    def auth(self) -> dict[str, Secret]:
        """`auth`: host -> key (a Console host holds the account key, a rack host its key)."""
        return {host: Secret(key) for host, key in self.mapping("auth").items()}

    def host(self) -> str | None:
        """`host`: the current host (a Console or a rack)."""
        return self.plain("host")

    def racks(self) -> dict[str, str]:
        """`racks`: host -> current rack on that host."""
        return self.mapping("racks")

    def rack(self) -> str | None:
        """`rack`: the gen-1 CLI's current rack, still read last."""
        return self.plain("rack")

    def self_managed(self) -> dict[str, str]:
        """`self-managed`: rack name -> host, for racks installed from the CLI."""
        return self.mapping("self-managed")

    def session(self) -> dict[str, str]:
        """`session`: host -> Console session id."""
        return self.mapping("session")

    def account_id(self) -> str | None:
        """`id`: the account id or email the Console returned at login."""
        return self.plain("id")

    def console(self) -> str | None:
        """v3 `console`: the Console host."""
        return self.plain("console")

    def current(self) -> dict[str, str] | None:
        """v3 `current`: `{"name": "org/rack", "type": "console"|"terraform"}`."""
        path = self.path / "current"
        text = read_text(path)
        if text is None or not text.strip():
            return None
        try:
            data = json.loads(text)
        except RecursionError:
            raise _too_deep(path) from None
        except json.JSONDecodeError as error:
            raise CliFileError(
                f"The Convox CLI file {path} is not valid JSON at line {error.lineno} "
                f"({error.msg}); keyroll left it unchanged, fix that line."
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise CliFileError(
                f"The Convox CLI file {path} has no rack 'name' at line 1; keyroll left it "
                "unchanged, fix or remove it."
            )
        return {"name": data["name"], "type": str(data.get("type", "console"))}

    # Writing (a malformed map file is read first, so it raises and is never overwritten)

    def write_plain(self, name: str, value: str) -> None:
        """Write a plain setting as the CLI does: the bare value, 0600."""
        write_private(self.path / name, value)

    def write_map(self, name: str, mapping: Mapping[str, str]) -> None:
        """Write a whole map setting, pretty-printed like the CLI."""
        self.mapping(name)
        write_private(self.path / name, go_json(mapping))

    def write_map_key(self, name: str, key: str, value: str) -> None:
        """Set one entry of a map setting, keeping the others (the CLI's `SettingWriteKey`)."""
        data = self.mapping(name)
        data[key] = value
        write_private(self.path / name, go_json(data))

    def write_auth(self, host: str, key: Secret) -> None:
        """`auth[host] = key`, other entries kept."""
        self.write_map_key("auth", host, key.reveal())

    def write_current(self, name: str, kind: str = "console") -> None:
        """v3 `current`: the rack the v3 CLI uses."""
        self.current()
        write_private(self.path / "current", json.dumps({"name": name, "type": kind}, indent=2))


@dataclass(frozen=True)
class CliCurrent:
    """What the Convox CLI would use right now, and where each part came from."""

    directory: Path | None
    host: str | None = None
    host_from: str = ""
    password: Secret | None = None
    password_from: str = ""
    rack: str | None = None
    rack_from: str = ""
    endpoint: Secret | None = None
    endpoint_from: str = ""
    problems: tuple[str, ...] = field(default=())

    @property
    def endpoint_host(self) -> str | None:
        """The endpoint's host (with port), without the credentials it carries."""
        if self.endpoint is None:
            return None
        return _netloc(self.endpoint.reveal())


def _netloc(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # RACK_URL with a bad port or bracket: show it as written
        return url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    host = parts.hostname or ""
    return f"{host}:{port}" if port else host


def resolve(
    config: CliConfig | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    rack_flag: str | None = None,
) -> CliCurrent:
    """The CLI's current host, password, rack and endpoint, in `pkg/cli/helpers.go` order.

    A malformed file does not stop the others: its error sentence goes to `problems`.
    """
    env = os.environ if env is None else env
    config = config if config is not None else CliConfig(primary_dir(env))
    cwd = cwd or Path.cwd()
    problems: list[str] = []

    def attempt(read: Any, default: Any) -> Any:
        try:
            return read()
        except KeyrollError as error:
            problems.append(str(error))
            return default

    host, host_from = None, ""
    if env.get("CONVOX_HOST"):
        host, host_from = env["CONVOX_HOST"], "CONVOX_HOST"
    elif h := attempt(config.host, None):
        host, host_from = h, "host file"
    elif h := attempt(config.console, None):
        host, host_from = h, "console file"

    password, password_from = None, ""
    if env.get("CONVOX_PASSWORD"):
        password, password_from = Secret(env["CONVOX_PASSWORD"]), "CONVOX_PASSWORD"
    elif host and (key := attempt(config.auth, {}).get(host)):
        password, password_from = key, "auth file"

    rack, rack_from = None, ""
    local = attempt(lambda: read_text(cwd / ".convox" / "rack"), None)
    for value, source in (
        (lambda: rack_flag, "--rack"),
        (lambda: env.get("CONVOX_RACK"), "CONVOX_RACK"),
        (lambda: local.strip() if local else None, "./.convox/rack"),
        (lambda: attempt(config.racks, {}).get(host or ""), "racks file"),
        (lambda: attempt(config.rack, None), "rack file"),
        (lambda: (attempt(config.current, None) or {}).get("name"), "current file"),
    ):
        found = value()
        if found:
            rack, rack_from = found, source
            break

    endpoint, endpoint_from = None, ""
    if env.get("RACK_URL"):
        endpoint, endpoint_from = Secret(env["RACK_URL"]), "RACK_URL"
    elif rack and rack.startswith("local/"):
        endpoint, endpoint_from = Secret(f"https://rack.{rack.split('/', 1)[1]}"), "local rack"
    elif host:
        escaped = quote_plus(password.reveal() if password else "", safe="")
        endpoint, endpoint_from = Secret(f"https://convox:{escaped}@{host}"), "host"

    return CliCurrent(
        directory=config.path,
        host=host,
        host_from=host_from,
        password=password,
        password_from=password_from,
        rack=rack,
        rack_from=rack_from,
        endpoint=endpoint,
        endpoint_from=endpoint_from,
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class SwitchTarget:
    """A rack to make current for the CLI: `org/name` on a Console, or a direct rack."""

    name: str
    console_host: str | None = None
    rack_host: str | None = None
    key: Secret | None = None


def switch(
    config: CliConfig, target: SwitchTarget, *, env: Mapping[str, str] | None = None
) -> list[str]:
    """Make `target` the CLI's current rack as `convox switch` does; returns the files written.

    A Console rack sets `racks[current host] = "org/name"` (writing `host` first when the
    CLI's current host is not that Console). A direct rack writes `host` = its host, then
    `racks[host] = name`, and its key to `auth` when the CLI has none for it.
    """
    env = os.environ if env is None else env
    written: list[str] = []
    if config.is_v3:
        if target.console_host is None:
            raise RefusedError(
                f"The v3 Convox CLI in {config.path} has no direct racks; switch to "
                f"{target.name} with the v2 CLI's config dir instead."
            )
        config.write_current(target.name, "console")
        return ["current"]
    env_host = env.get("CONVOX_HOST")
    if target.console_host is not None:
        host = env_host or config.host()
        if host != target.console_host:
            if env_host:
                raise RefusedError(
                    f"CONVOX_HOST names {env_host}, not the Console of {target.name}; unset "
                    f"CONVOX_HOST to switch to {target.name}."
                )
            config.racks()  # a malformed racks file stops the switch before any write
            config.write_plain("host", target.console_host)
            written.append("host")
            host = target.console_host
        config.write_map_key("racks", host, target.name)
        written.append("racks")
        return written
    if not target.rack_host:
        raise BadInputError(
            f"keyroll knows no host for rack {target.name}; add `host` to its [[racks]] entry."
        )
    if env_host:
        raise RefusedError(f"Unset CONVOX_HOST to switch the Convox CLI to {target.name}.")
    auth = config.auth()
    config.racks()
    config.write_plain("host", target.rack_host)
    written.append("host")
    config.write_map_key("racks", target.rack_host, target.name)
    written.append("racks")
    if target.key is not None and target.rack_host not in auth:
        config.write_auth(target.rack_host, target.key)
        written.append("auth")
    return written


def update_auth_everywhere(
    host: str, key: Secret, env: Mapping[str, str] | None = None
) -> tuple[list[Path], list[str]]:
    """Rewrite `auth[host]` in every CLI dir that holds `host` (after a key roll).

    Returns the files rewritten and the error sentences of dirs left alone.
    """
    written: list[Path] = []
    problems: list[str] = []
    for d in find_dirs(env):
        config = CliConfig(d)
        try:
            if host in config.auth():
                config.write_auth(host, key)
                written.append(config.path / "auth")
        except KeyrollError as error:
            problems.append(str(error))
    return written, problems
