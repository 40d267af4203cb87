"""The Console's HTTP API: account auth, `GET /racks`, proxied rack calls, and the buttons.

The Console is closed source. `GET /auth`, `GET /racks` and the `Rack: org/name` proxy
follow the CLI's code (`convox/rack` `pkg/cli/helpers.go`, `pkg/cli/auth.go`). The routes
of the three web Console
buttons (account key roll, brokered rack key roll, re-link) have no public API: their
paths are THIS PROJECT'S ASSUMPTION, shared with `tui/clients/console_actions.py`.
"""

from __future__ import annotations

import re

from tui.base.secret import Secret
from tui.sandbox.cloud_errors import CloudApiError
from tui.sandbox.https_server import Request, Response
from tui.sandbox.rack_api import RackApi, cloud_error_text
from tui.sandbox.world import World

ROLL_ACCOUNT_KEY = re.compile(r"/account/api-key/roll")  # assumed route
ROLL_RACK_KEY = re.compile(r"/racks/(?P<name>[^/]+)/api-key/roll")  # assumed route
RELINK_RACK = re.compile(r"/racks/(?P<name>[^/]+)/relink")  # assumed route


class ConsoleApi:
    """console.convox.com for the world's account, proxying to the racks' `RackApi`s."""

    def __init__(self, world: World, racks: dict[str, RackApi], *, down: bool = False) -> None:
        self.world = world
        self.racks = racks  # org/name -> the rack's API
        self.down = down  # may change while serving (a test takes the Console down mid-roll)
        self.refused_while_down = 0

    def serve(self, request: Request) -> Response:
        """A request that reached the Console's port."""
        world, console = self.world, self.world.console
        world.count(f"console {request.method} {request.path}")
        if self.down:
            with world.lock:
                self.refused_while_down += 1
            return Response.text(503, "console unavailable")
        if console.session_required:
            return Response(
                401,
                b"session required\n",
                headers={"WWW-Authenticate": 'Session path="/session" token="false"'},
            )
        credentials = request.basic_auth()
        with world.locked():
            valid = (
                credentials is not None
                and credentials[0] == "convox"
                and Secret(credentials[1]) == console.api_key
            )
        if not valid:
            return Response.text(401, "invalid authentication")
        path, method = request.path, request.method
        if method == "GET" and path == "/auth":
            return Response.json({"id": console.email})
        if method == "GET" and path == "/racks":
            return self._racks()
        if method == "POST" and ROLL_ACCOUNT_KEY.fullmatch(path):
            return self._roll_account_key()
        match = ROLL_RACK_KEY.fullmatch(path)
        if method == "POST" and match:
            return self._roll_rack_key(request, match["name"])
        match = RELINK_RACK.fullmatch(path)
        if method == "POST" and match:
            return self._relink(request, match["name"])
        return self._proxy(request)

    def _racks(self) -> Response:
        with self.world.locked():
            return Response.json(
                [
                    {
                        "name": rack.name,
                        "organization": {"name": rack.organization},
                        "status": self.world.rack_status(rack),
                    }
                    for rack in sorted(self.world.console_racks(), key=lambda r: r.name)
                ]
            )

    def _roll_account_key(self) -> Response:
        new = self.world.new_rack_key()
        with self.world.locked():
            self.world.console.api_key = new  # the old key dies at once
        return Response.json({"api_key": new.reveal()})

    def _target(self, request: Request, name: str | None = None) -> str | None:
        """The `org/name` a request is for: its `Rack` header, or the account's rack `name`."""
        wanted = request.header("Rack") or (
            f"{self.world.console.organization}/{name}" if name else ""
        )
        if name and wanted.split("/", 1)[-1] != name:
            return None
        return wanted if wanted in self.racks else None

    def _roll_rack_key(self, request: Request, name: str) -> Response:
        """Like the Console's button: a random key, `Password` updated, the key stored at once."""
        target = self._target(request, name)
        if target is None:
            return Response.text(404, f"rack not found: {name}")
        new = self.world.new_rack_key()
        try:
            self.world.update_rack_parameters(self.racks[target].rack_name, {"Password": new})
        except CloudApiError as error:
            return Response.text(500, cloud_error_text(error, self.world.ids.uuid()))
        with self.world.locked():
            # stored before CloudFormation rolls it out: the rack is unreachable till then
            self.world.console.rack_keys[target] = new
        return Response.ok()

    def _relink(self, request: Request, name: str) -> Response:
        """Re-add a rack whose key was rolled around the Console: check the key, store it."""
        target = self._target(request, name)
        if target is None:
            return Response.text(404, f"rack not found: {name}")
        password = request.form().get("password", "")
        with self.world.locked():
            rack = self.world.rack(self.racks[target].rack_name)
            if not password or not rack.accepts(password):
                # not 401: the account key is fine, the rack key offered is not
                return Response.text(422, f"the key given does not open rack {target}")
            self.world.console.rack_keys[target] = Secret(password)
        return Response.ok()

    def _proxy(self, request: Request) -> Response:
        wanted = request.header("Rack")
        if not wanted:
            return Response.text(404, "404 page not found")
        if wanted not in self.racks:
            return Response.text(404, f"rack not found: {wanted}")
        with self.world.locked():
            key = self.world.console.rack_keys.get(wanted)
        if key is None:
            return Response.text(502, f"rack {wanted} has no API key in the Console")
        reply = self.racks[wanted].handle(request, key.reveal())
        if reply.status == 401:
            return Response.text(
                502,
                f"rack {wanted} rejected the API key the Console holds for it; "
                "wait for its key roll to finish or re-link the rack",
            )
        return reply
