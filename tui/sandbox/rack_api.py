"""One rack's HTTP API as plain `Request -> Response` code (`convox/rack` `pkg/api/routes.go`,
`pkg/api/api.go`).

The rack server calls `serve()` (host check, faults, then Basic auth); the Console calls
`handle()` in-process with the key it holds, so a proxied call runs this very code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs

from tui.base.secret import Secret
from tui.sandbox import rack_views as views
from tui.sandbox.cloud_errors import CloudApiError
from tui.sandbox.flaky_gate import FlakyGate
from tui.sandbox.https_server import Request, Response
from tui.sandbox.rack_template import FORM_PARAMETERS
from tui.sandbox.world import World

NOT_FOUND = "404 page not found"


def cloud_error_text(error: CloudApiError, request_id: str) -> str:
    """How an AWS SDK for Go error prints (`err.Error()`), which the rack returns as is."""
    return f"{error.code}: {error}\n\tstatus code: {error.http_status}, request id: {request_id}"


class RackApi:
    """The API of one rack of the world, on the port the rack server sets in `port`."""

    def __init__(self, world: World, rack_name: str, *, flaky: FlakyGate | None = None) -> None:
        self.world = world
        self.rack_name = rack_name
        self.flaky = flaky
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
            ("GET", re.compile(r"/auth"), self._auth),
            ("GET", re.compile(r"/system"), self._system),
            ("PUT", re.compile(r"/system"), self._system_update),
            ("GET", re.compile(r"/system/processes"), self._system_processes),
            ("GET", re.compile(r"/instances"), self._instances),
            ("POST", re.compile(r"/instances/keyroll"), self._keyroll),
            ("GET", re.compile(r"/apps"), self._apps),
            ("GET", re.compile(r"/apps/(?P<app>[^/]+)"), self._app),
            ("GET", re.compile(r"/apps/(?P<app>[^/]+)/services"), self._services),
            ("GET", re.compile(r"/apps/(?P<app>[^/]+)/processes"), self._processes),
        ]

    @property
    def rack_domain(self) -> str:
        return self.world.rack(self.rack_name).rack_domain

    def serve(self, request: Request) -> Response:
        """A request that reached the rack's own port."""
        host = request.header("Host").lower()
        domain = self.rack_domain
        if host not in (f"127.0.0.1:{self.port}", domain, f"{domain}:{self.port}"):
            # the ALB listener's default action (rack.json ApiBalancerListener443)
            return Response(404, b"unknown host")
        fault = self.flaky.fault() if self.flaky is not None else None
        if fault is not None and not (self.flaky and self.flaky.after_the_work()):
            return fault
        credentials = request.basic_auth()
        if credentials is None or credentials[0] == "jwt":
            reply = Response.text(401, "invalid authentication")
        else:
            reply = self.handle(request, credentials[1])
        return fault or reply  # a fault after the work: it took effect, its answer is lost

    def handle(self, request: Request, password: str) -> Response:
        """Check `password` against the keys the rack accepts now, then route the request."""
        with self.world.locked():
            accepted = self.world.rack(self.rack_name).accepts(password)
        if not accepted:
            self.world.count(f"{self.rack_name} 401")
            return Response.text(401, "invalid authentication")
        for method, pattern, action in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                self.world.count(f"{self.rack_name} {method} {pattern.pattern}")
                try:
                    return action(request, **match.groupdict())
                except CloudApiError as error:
                    return Response.text(500, cloud_error_text(error, self.world.ids.uuid()))
        return Response.text(404, NOT_FOUND)

    # routes -------------------------------------------------------------------------------

    def _auth(self, _request: Request) -> Response:
        return Response.ok()

    def _system(self, _request: Request) -> Response:
        with self.world.locked():
            rack = self.world.rack(self.rack_name)
            return Response.json(views.system_json(rack, self.world.rack_status(rack)))

    def _system_update(self, request: Request) -> Response:
        form = request.form()
        changes: dict[str, str | Secret] = {}
        for name, value in parse_qs(form.get("parameters", ""), keep_blank_values=True).items():
            changes[name] = Secret(value[-1]) if name == "Password" else value[-1]
        for field_name, parameter in FORM_PARAMETERS.items():
            if form.get(field_name):
                changes[parameter] = form[field_name]
        self.world.update_rack_parameters(self.rack_name, changes)
        return Response.ok()

    def _system_processes(self, _request: Request) -> Response:
        with self.world.locked() as now:
            rack = self.world.rack(self.rack_name)
            return Response.json(views.system_processes_json(rack, now))

    def _instances(self, _request: Request) -> Response:
        with self.world.locked() as now:
            return Response.json(views.instances_json(self.world.rack(self.rack_name), now))

    def _keyroll(self, _request: Request) -> Response:
        self.world.instance_keyroll(self.rack_name)
        return Response.ok()

    def _apps(self, _request: Request) -> Response:
        with self.world.locked():
            rack = self.world.rack(self.rack_name)
            return Response.json([views.app_json(rack, a) for a in sorted(rack.apps, key=_name)])

    def _app(self, _request: Request, app: str) -> Response:
        with self.world.locked():
            rack = self.world.rack(self.rack_name)
            found = rack.app(app)
            if found is None:
                return Response.text(404, f"app not found: {app}")
            return Response.json(views.app_json(rack, found))

    def _services(self, _request: Request, app: str) -> Response:
        with self.world.locked():
            rack = self.world.rack(self.rack_name)
            found = rack.app(app)
            if found is None:
                return Response.text(404, f"app not found: {app}")
            return Response.json(views.services_json(rack, found))

    def _processes(self, request: Request, app: str) -> Response:
        service = (request.query.get("service") or [""])[-1]
        release = (request.query.get("release") or [""])[-1]
        with self.world.locked() as now:
            rack = self.world.rack(self.rack_name)
            found = rack.app(app)
            if found is None:
                return Response.text(404, f"app not found: {app}")
            return Response.json(
                views.processes_json(rack, found, now, service=service, release=release)
            )


def _name(item: object) -> str:
    return str(getattr(item, "name", ""))
