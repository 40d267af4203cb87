"""The rack API client, direct or proxied by the Console (`convox/rack` `sdk/sdk.go`,
`sdk/methods.go`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from urllib.parse import urlencode

from tui.base.secret import Secret
from tui.clients.errors import ServerError, TimeoutError_, UnreachableError
from tui.clients.http import DEFAULT_KEEPALIVE_S, DEFAULT_TIMEOUT, ConvoxHttp, Reply
from tui.clients.models import App, Instance, Process, Service, System, parse_list

READ_RETRIES = 2
RETRY_PAUSE_S = 0.3
PASSING_STATUSES = frozenset({502, 503, 504})


class RackClient:
    """Calls on one rack, holding an ordered list of keys (newest first).

    On a 401 `invalid authentication` it tries the next key, and `answered_key` tells which
    one the rack accepted last: during a rack-key roll the client carries the new key and the
    old one, so the rack stays reachable whichever CloudFormation has rolled out.
    """

    def __init__(
        self,
        base_url: str,
        keys: Sequence[Secret],
        *,
        rack: str | None = None,
        verify: bool | str = False,
        timeout: float = DEFAULT_TIMEOUT,
        session: str | None = None,
        http: ConvoxHttp | None = None,
        console: bool = False,
        owns_http: bool | None = None,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
    ) -> None:
        self._http = http or ConvoxHttp(
            base_url, verify=verify, timeout=timeout, session=session, keepalive_s=keepalive_s
        )
        self._owns_http = http is None if owns_http is None else owns_http
        self._keys: list[Secret] = list(keys)
        self.rack = rack
        self.console = console or rack is not None  # the key is an account key, not a rack's
        self.answered_key: Secret | None = None

    def __repr__(self) -> str:
        via = f" via Console as {self.rack}" if self.rack else ""
        return f"RackClient({self.host!r}{via}, keys={len(self._keys)})"

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def keys(self) -> list[Secret]:
        return list(self._keys)

    def set_keys(self, keys: Sequence[Secret]) -> None:
        """Replace the keys tried, newest first (a roll adds the new key, then retires the old)."""
        self._keys = list(keys)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> RackClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Reply:
        """One call with the keys this client holds; the typed methods below use it.

        A read (GET) that meets a passing fault (502/503/504, a timeout, a reset) is asked
        again up to `retries` times (default 2); a write is never sent twice.
        """
        attempts = 1 + (
            retries if retries is not None else (READ_RETRIES if method == "GET" else 0)
        )
        for attempt in range(attempts):
            try:
                reply = self._http.request(
                    method,
                    path,
                    self._keys,
                    rack=self.rack,
                    form=form,
                    query=query,
                    timeout=timeout,
                    console=self.console,
                )
            except (TimeoutError_, UnreachableError, ServerError) as error:
                passing = not isinstance(error, ServerError) or error.status in PASSING_STATUSES
                if not passing or attempt == attempts - 1:
                    raise
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
                continue
            self.answered_key = self._keys[reply.key_index]
            return reply
        raise AssertionError("unreachable")  # the loop returns or raises

    def auth(self, *, timeout: float | None = None, retries: int | None = None) -> str:
        """`GET /auth`: check the key; a rack answers `ok` (no id), the Console an id."""
        reply = self.call("GET", "/auth", timeout=timeout, retries=retries)
        text = reply.text.strip()
        if text.startswith("{"):
            body = reply.json("GET /auth")
            return str(body.get("id", "")) if isinstance(body, dict) else ""
        return ""

    def system(self, *, timeout: float | None = None, retries: int | None = None) -> System:
        """`GET /system`: status, version, region and stack parameters (`Password` masked)."""
        reply = self.call("GET", "/system", timeout=timeout, retries=retries)
        return System.from_json(reply.json("GET /system"))

    def update_parameters(self, changes: Mapping[str, str | Secret]) -> None:
        """`PUT /system` with `parameters` as one url-encoded field, as `convox rack params set`.

        The rack keeps every other parameter's previous value. It answers as soon as
        CloudFormation accepts the update, without waiting for it.
        """
        encoded = urlencode(
            {k: v.reveal() if isinstance(v, Secret) else v for k, v in changes.items()}
        )
        self.call("PUT", "/system", form={"parameters": encoded})

    def instances(self) -> list[Instance]:
        """`GET /instances`, sorted by id as the rack sorts them."""
        data = self.call("GET", "/instances").json("GET /instances")
        return parse_list(data, Instance, "GET /instances")

    def instance_keyroll(self) -> None:
        """`POST /instances/keyroll`: the rack makes a key pair and updates `Key`; no reply body."""
        self.call("POST", "/instances/keyroll")

    def apps(self) -> list[App]:
        """`GET /apps`."""
        return parse_list(self.call("GET", "/apps").json("GET /apps"), App, "GET /apps")

    def services(self, app: str) -> list[Service]:
        """`GET /apps/{app}/services`; `count` is the desired count."""
        where = "GET /apps/{app}/services"
        return parse_list(self.call("GET", f"/apps/{app}/services").json(where), Service, where)

    def processes(self, app: str, *, service: str | None = None) -> list[Process]:
        """`GET /apps/{app}/processes`, optionally for one service."""
        where = "GET /apps/{app}/processes"
        query = {"service": service} if service else None
        data = self.call("GET", f"/apps/{app}/processes", query=query).json(where)
        return parse_list(data, Process, where)
