"""keyroll's settings: `config.toml`, read with `tomllib`, written atomically with `tomli_w`.

Validation is strict: an unknown key or a wrong type is an error that names the file, the
key and the type expected, so a typo never silently turns a production rack into a normal
one. Keys never live here: they are in the keystore.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from tui.base.errors import BadInputError, shown
from tui.core import paths
from tui.core.files import read_text, toml_error_line, write_private

DEFAULT_CONSOLE_HOST = "console.convox.com"
MAX_INTERVAL_S = 86400.0  # a day: longer waits overflow the clock APIs and help no one


class SettingsError(BadInputError):
    """`config.toml` cannot be used: a syntax error, an unknown key or a wrong type."""


@dataclass(frozen=True)
class AwsSettings:
    """The `[aws]` table: the default AWS target for every rack (a rack may override it)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    credentials_file: str | None = None


@dataclass(frozen=True)
class ConsoleSettings:
    """The `[console]` table: which Convox Console to use."""

    host: str = DEFAULT_CONSOLE_HOST
    url: str | None = None
    verify_tls: bool | str | None = None  # the Console's own check (see tui/core/tls.py)

    @property
    def base_url(self) -> str:
        """The Console's base URL: `url` when set (the sandbox), else `https://<host>`."""
        return (self.url or f"https://{self.host}").rstrip("/")


@dataclass(frozen=True)
class RackSettings:
    """One `[[racks]]` table: a rack reached directly (`host`) or through a Console org.

    A Console rack may also name its own `host` (its RackDomain): keyroll uses it only for a
    rack-key roll that bypasses the Console, and to verify the new key directly.
    """

    name: str
    host: str | None = None
    console: str | None = None
    aws_profile: str | None = None
    region: str | None = None
    stack: str | None = None
    endpoint_url: str | None = None
    production: bool = False
    read_only: bool = False
    verify_tls: bool | str | None = None  # the check of `host` (see tui/core/tls.py)

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack: `stack`, else the rack's name (Convox's default)."""
        return self.stack or self.name

    @property
    def full_name(self) -> str:
        """`org/name` for a Console rack, the plain name for a direct one."""
        return f"{self.console}/{self.name}" if self.console else self.name


@dataclass(frozen=True)
class Settings:
    """Everything in `config.toml`, with the defaults for what it leaves out."""

    write_convox_cli: bool = True
    poll_active_s: float = 2.0
    poll_idle_s: float = 30.0
    probe_interval_s: float = 1.0
    # Unset: tui/core/tls.py decides per host. Set (true, false, or a PEM certificate to pin),
    # it holds for every host that `[console]` or a `[[racks]]` entry does not set otherwise.
    verify_tls: bool | str | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    racks: tuple[RackSettings, ...] = ()
    # `[keymap]`: binding id -> keys (`rack.refresh = "f5"`); the dashboard applies it
    keymap: Mapping[str, str] = field(default_factory=dict)
    # the file these settings were read from, named in errors found after loading
    path: Path | None = field(default=None, compare=False, repr=False)

    def rack(self, name: str) -> RackSettings | None:
        """The `[[racks]]` entry named `name` (plain name or `org/name`), if any."""
        for rack in self.racks:
            if name in (rack.name, rack.full_name):
                return rack
        return None

    def to_toml(self) -> str:
        """The settings as TOML text; unset optional values are left out."""
        data: dict[str, Any] = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name in _TOP_SCALARS and getattr(self, f.name) is not None
        }
        aws = _table(self.aws)
        if aws:
            data["aws"] = aws
        console = _table(self.console)
        if console:
            data["console"] = console
        if self.racks:
            data["racks"] = [_table(rack) for rack in self.racks]
        if self.keymap:
            data["keymap"] = dict(self.keymap)
        return tomli_w.dumps(data)

    def check_keymap(self, known_ids: Iterable[str]) -> None:
        """Raise `SettingsError` naming the file if `[keymap]` names a binding id not in
        `known_ids` (the dashboard knows its bindings; settings load without Textual)."""
        known = frozenset(known_ids)
        unknown = [binding_id for binding_id in self.keymap if binding_id not in known]
        if unknown:
            names = ", ".join(f"'{shown(binding_id)}'" for binding_id in unknown)
            raise _Checker(self.path or paths.settings_file()).fail(
                f"[keymap] names {names}, which {'is' if len(unknown) == 1 else 'are'} not the "
                f"id of any keyroll key (the ids are {', '.join(sorted(known))}; README.md, "
                '"Keys and colours", says what each does)'
            )


_TOP_SCALARS: dict[str, tuple[type, ...]] = {
    "write_convox_cli": (bool,),
    "poll_active_s": (float, int),
    "poll_idle_s": (float, int),
    "probe_interval_s": (float, int),
    "verify_tls": (bool, str),
}
_AWS_KEYS: dict[str, tuple[type, ...]] = {
    "profile": (str,),
    "region": (str,),
    "endpoint_url": (str,),
    "credentials_file": (str,),
}
_CONSOLE_KEYS: dict[str, tuple[type, ...]] = {
    "host": (str,),
    "url": (str,),
    "verify_tls": (bool, str),
}
_RACK_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "host": (str,),
    "console": (str,),
    "aws_profile": (str,),
    "region": (str,),
    "stack": (str,),
    "endpoint_url": (str,),
    "production": (bool,),
    "read_only": (bool,),
    "verify_tls": (bool, str),
}
KEYMAP_EXAMPLE = 'rack.refresh = "f5"'
_TYPE_NAMES = {bool: "a boolean (true or false)", str: "a string", float: "a number"}
_KIND_NAMES: dict[tuple[type, ...], str] = {
    (bool, str): "a boolean (true or false) or a PEM certificate to pin (its path or its text)"
}
_PEM_BEGIN = "-----BEGIN"
_QUOTED_BOOLEANS = frozenset({"true", "false", "yes", "no", "on", "off"})


def _table(obj: Any) -> dict[str, Any]:
    """A dataclass as a TOML table, leaving out unset and default values."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None or (f.name != "name" and value == f.default):
            continue
        out[f.name] = value
    return out


class _Checker:
    """Checks one parsed `config.toml` and names the file in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, text: str) -> SettingsError:
        return SettingsError(f"In {self.path}, {text}; fix it and start keyroll again.")

    def table(self, data: Any, where: str, schema: dict[str, tuple[type, ...]]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(f"'{where}' must be a table")
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = shown(f"{where}.{key}" if where else key)
            if key not in schema:
                raise self.fail(f"'{name}' is not a keyroll setting (check its spelling)")
            kinds = schema[key]
            ok = isinstance(value, kinds) and not (bool not in kinds and isinstance(value, bool))
            if not ok:
                kind = _KIND_NAMES.get(kinds) or _TYPE_NAMES[kinds[0]]
                raise self.fail(f"'{name}' must be {kind}")
            if float in kinds:
                value = float(value)
                if value <= 0:
                    raise self.fail(f"'{name}' must be a number above 0")
                if not math.isfinite(value) or value > MAX_INTERVAL_S:
                    limit = f"{MAX_INTERVAL_S:g}"
                    raise self.fail(f"'{name}' must be a number of seconds up to {limit}")
            if isinstance(value, str) and not value.strip():
                raise self.fail(f"'{name}' must not be empty")
            if key == "verify_tls" and isinstance(value, str):
                self.check_pin(value, name)
            out[key] = value
        return out

    def check_pin(self, value: str, name: str) -> None:
        """A `verify_tls` string: PEM text must hold a certificate; a path is read at use."""
        if value.strip().lower() in _QUOTED_BOOLEANS:
            raise self.fail(
                f"'{name}' is the text \"{value.strip()}\": write true or false without quotes, "
                "or give a PEM certificate to pin"
            )
        if value.lstrip().startswith(_PEM_BEGIN):
            import ssl  # only for PEM text: settings load on the dashboard's first frame

            try:
                ssl.create_default_context(cadata=value)
            except (ssl.SSLError, ValueError):
                raise self.fail(
                    f"'{name}' holds PEM text that is not a certificate; paste the whole "
                    "certificate, its BEGIN and END lines included, or give its path"
                ) from None

    def keymap(self, data: Any, prefix: str = "") -> dict[str, str]:
        """`[keymap]`: binding ids to keys; `rack.refresh = "f5"` is a dotted key, which TOML
        nests as a table, so nested tables flatten back into dotted ids."""
        if not isinstance(data, dict):
            raise self.fail(f"'keymap' must be a table ([keymap] with lines like {KEYMAP_EXAMPLE})")
        out: dict[str, str] = {}
        for key, value in data.items():
            binding_id = f"{prefix}{key}"
            if isinstance(value, dict):
                out.update(self.keymap(value, f"{binding_id}."))
                continue
            keys = value.split(",") if isinstance(value, str) else []
            if not keys or any(not part.strip() for part in keys):
                raise self.fail(
                    f"'keymap.{shown(binding_id)}' must be a string of keys, like \"f5\" or "
                    '"f5,ctrl+r" (several keys separated by commas)'
                )
            out[binding_id] = ",".join(part.strip() for part in keys)
        return out


def parse_settings(text: str, path: Path) -> Settings:
    """Settings from TOML text; `path` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise SettingsError(
            f"{path} nests arrays or tables too deeply to be keyroll's settings; fix or remove "
            "the file and start keyroll again."
        ) from None
    except tomllib.TOMLDecodeError as error:
        line = toml_error_line(str(error))
        detail = re.sub(r"\s*\(at [^)]*\)$", "", str(error))
        where = f" at line {line}" if line else ""
        raise SettingsError(
            f"{path} is not valid TOML{where} ({detail}); fix that line and start keyroll again."
        ) from None
    check = _Checker(path)
    top = {k: v for k, v in data.items() if k not in ("aws", "console", "racks", "keymap")}
    values = check.table(top, "", _TOP_SCALARS)
    aws = AwsSettings(**check.table(data.get("aws", {}), "aws", _AWS_KEYS))
    console = ConsoleSettings(**check.table(data.get("console", {}), "console", _CONSOLE_KEYS))
    raw_racks = data.get("racks", [])
    if not isinstance(raw_racks, list):
        raise check.fail("'racks' must be an array of tables ([[racks]])")
    racks: list[RackSettings] = []
    for index, raw in enumerate(raw_racks):
        where = f"racks[{index}]"
        entry = check.table(raw, where, _RACK_KEYS)
        if "name" not in entry:
            raise check.fail(f"'{where}' has no 'name' (a string)")
        rack = RackSettings(**entry)
        if any(other.full_name == rack.full_name for other in racks):
            raise check.fail(f"rack '{shown(rack.full_name)}' appears twice in [[racks]]")
        racks.append(rack)
    keymap = check.keymap(data.get("keymap", {}))
    return Settings(
        **values, aws=aws, console=console, racks=tuple(racks), keymap=keymap, path=path
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read `config.toml` (keyroll's by default); a missing file gives the defaults."""
    path = path or paths.settings_file()
    text = read_text(path)
    if text is None:
        return Settings()
    return parse_settings(text, path)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write `config.toml` atomically (0600, dir 0700).

    An existing file that does not parse is never overwritten: fix it first.
    """
    path = path or paths.settings_file()
    existing = read_text(path)
    if existing is not None:
        parse_settings(existing, path)
    write_private(path, settings.to_toml(), tighten_dir=True)


def with_racks(settings: Settings, racks: tuple[RackSettings, ...]) -> Settings:
    """A copy of `settings` with another list of racks."""
    return replace(settings, racks=racks)
