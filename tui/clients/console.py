"""The Convox Console client: account login, racks, and rack calls proxied by the Console."""

from __future__ import annotations

from types import TracebackType

from tui.base.secret import Secret
from tui.clients.http import DEFAULT_TIMEOUT, ConvoxHttp
from tui.clients.models import ConsoleRack, parse_list
from tui.clients.rack import RackClient

DEFAULT_CONSOLE_HOST = "console.convox.com"


class ConsoleClient:
    """The Console, authenticated by the account API key (Basic `convox:<account key>`).

    Rack calls go through `rack(org/name)`: a `RackClient` on the Console's connection that
    adds the `Rack` header, so a proxied call is the same code as a direct one.
    """

    def __init__(
        self,
        base_url: str,
        account_key: Secret,
        *,
        verify: bool | str = False,
        timeout: float = DEFAULT_TIMEOUT,
        session: str | None = None,
    ) -> None:
        self.http = ConvoxHttp(base_url, verify=verify, timeout=timeout, session=session)
        self._account = RackClient(base_url, [account_key], http=self.http, console=True)

    def __repr__(self) -> str:
        return f"ConsoleClient({self.host!r})"

    @property
    def host(self) -> str:
        return self.http.host

    @property
    def account_key(self) -> Secret:
        return self._account.keys[0]

    def set_account_key(self, key: Secret) -> None:
        """Use another account key from now on (after a roll or a paste)."""
        self._account.set_keys([key])

    def auth(self, *, timeout: float | None = None) -> str:
        """`GET /auth`: the account id the key belongs to; raises `WrongKeyError` on 401."""
        return self._account.auth(timeout=timeout)

    def racks(self) -> list[ConsoleRack]:
        """`GET /racks`: every rack the account can reach, as `org/name` with its status."""
        data = self._account.call("GET", "/racks").json("GET /racks")
        return parse_list(data, ConsoleRack, "GET /racks")

    def rack(self, full_name: str, *, take_connection: bool = False) -> RackClient:
        """A client for rack `org/name` whose calls the Console proxies with its stored key.

        With `take_connection`, closing the rack client closes the Console's connection too
        (for a caller that needs only the proxied rack).
        """
        return RackClient(
            self.http.base_url,
            self._account.keys,
            rack=full_name,
            http=self.http,
            owns_http=take_connection,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ConsoleClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
