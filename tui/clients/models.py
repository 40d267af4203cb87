"""What a rack reports, parsed from the Convox wire shapes of `convox/rack` `pkg/structs/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.base.errors import KeyrollError


class MalformedReplyError(KeyrollError):
    """A reply that does not have the shape the Convox protocol gives it."""


def _req(data: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(data, dict):
        raise MalformedReplyError(f"The {where} reply is not a JSON object; check the rack URL.")
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedReplyError(
            f"The {where} reply has no valid '{key}' field; check that the URL is a Convox rack."
        )
    return value


def _opt(data: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value if isinstance(value, kind) else default


def _list(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise MalformedReplyError(f"The {where} reply is not a JSON list; check the rack URL.")
    return data


@dataclass(frozen=True)
class System:
    """`GET /system`: the rack's status and stack parameters (`Password` comes masked)."""

    name: str
    status: str
    version: str = ""
    count: int = 0
    type: str = ""
    region: str = ""
    provider: str = ""
    domain: str = ""
    rack_domain: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> System:
        params = _opt(data, "parameters", dict, {}) if isinstance(data, dict) else {}
        return cls(
            name=_req(data, "name", str, "GET /system"),
            status=_req(data, "status", str, "GET /system"),
            version=_opt(data, "version", str, ""),
            count=_opt(data, "count", int, 0),
            type=_opt(data, "type", str, ""),
            region=_opt(data, "region", str, ""),
            provider=_opt(data, "provider", str, ""),
            domain=_opt(data, "domain", str, ""),
            rack_domain=_opt(data, "rack-domain", str, ""),
            parameters={str(k): str(v) for k, v in params.items()},
            outputs={str(k): str(v) for k, v in _opt(data, "outputs", dict, {}).items()},
        )

    @property
    def key_name(self) -> str:
        """The EC2 key pair the instances use (`Key` parameter), empty when none."""
        return self.parameters.get("Key", "")


@dataclass(frozen=True)
class Instance:
    """One entry of `GET /instances`."""

    id: str
    status: str = ""
    agent: bool = False
    processes: int = 0
    cpu: float = 0.0
    memory: float = 0.0
    private_ip: str = ""
    public_ip: str = ""
    started: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Instance:
        return cls(
            id=_req(data, "id", str, "GET /instances"),
            status=_opt(data, "status", str, ""),
            agent=_opt(data, "agent", bool, False),
            processes=_opt(data, "processes", int, 0),
            cpu=_opt(data, "cpu", float, 0.0),
            memory=_opt(data, "memory", float, 0.0),
            private_ip=_opt(data, "private-ip", str, ""),
            public_ip=_opt(data, "public-ip", str, ""),
            started=_opt(data, "started", str, ""),
        )

    @property
    def healthy(self) -> bool:
        """Registered with ECS, `active`, and with its agent connected."""
        return self.status == "active" and self.agent


@dataclass(frozen=True)
class App:
    """One entry of `GET /apps`."""

    name: str
    status: str = ""
    release: str = ""
    generation: str = "2"

    @classmethod
    def from_json(cls, data: Any) -> App:
        return cls(
            name=_req(data, "name", str, "GET /apps"),
            status=_opt(data, "status", str, ""),
            release=_opt(data, "release", str, ""),
            generation=_opt(data, "generation", str, "2"),
        )


@dataclass(frozen=True)
class Service:
    """One entry of `GET /apps/{app}/services`; `count` is the desired count."""

    name: str
    count: int = 0
    domain: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Service:
        return cls(
            name=_req(data, "name", str, "GET /apps/{app}/services"),
            count=_opt(data, "count", int, 0),
            domain=_opt(data, "domain", str, ""),
        )


@dataclass(frozen=True)
class Process:
    """One entry of `GET /apps/{app}/processes`; `name` is the service."""

    id: str
    app: str = ""
    name: str = ""
    status: str = ""
    release: str = ""
    instance: str = ""
    started: str = ""
    command: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Process:
        return cls(
            id=_req(data, "id", str, "GET /apps/{app}/processes"),
            app=_opt(data, "app", str, ""),
            name=_opt(data, "name", str, ""),
            status=_opt(data, "status", str, ""),
            release=_opt(data, "release", str, ""),
            instance=_opt(data, "instance", str, ""),
            started=_opt(data, "started", str, ""),
            command=_opt(data, "command", str, ""),
        )


@dataclass(frozen=True)
class ConsoleRack:
    """One entry of the Console's `GET /racks`, named `org/name` as the CLI shows it."""

    name: str
    organization: str
    status: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.organization}/{self.name}" if self.organization else self.name

    @classmethod
    def from_json(cls, data: Any) -> ConsoleRack:
        org = _opt(data, "organization", dict, {}) if isinstance(data, dict) else {}
        return cls(
            name=_req(data, "name", str, "GET /racks"),
            organization=_opt(org, "name", str, ""),
            status=_opt(data, "status", str, ""),
        )


def parse_list(data: Any, kind: Any, where: str) -> list[Any]:
    """Parse a JSON list of one of the models above (`kind` has a `from_json`)."""
    return [kind.from_json(item) for item in _list(data, where)]
