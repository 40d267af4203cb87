"""Which certificate check each host gets: the one rule behind every client keyroll builds.

The Convox CLI never verifies (`convox/rack` `vendor/github.com/convox/stdsdk/client.go`
`DefaultClient` sets `InsecureSkipVerify`). keyroll verifies wherever a public certificate is
there to verify, so no key goes to whatever answers at an address:

- any Console host (console.convox.com, or a self-hosted Console);
- a current rack's API host, `rack.<alb name>.<region>.convox.site`, which the rack's ALB
  serves with an ACM certificate for `*.<alb name>.<region>.convox.site`
  (`convox/rack` `provider/aws/formation/rack.json` `ApiBalancerCertificate`,
  `ApiBalancerListener443`).

Older racks (an `...elb.amazonaws.com` host, or the API's own `:5443`, whose certificate
`stdapi` makes anew at every start) and any other host stay unverified unless pinned.
Settings override the rule: `verify_tls` under `[console]` or in a `[[racks]]` entry for that
host, else the top-level `verify_tls` when the user set it.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from tui.core.settings import RackSettings, Settings

Role = Literal["console", "rack"]
ROLE_CONSOLE: Role = "console"
ROLE_RACK: Role = "rack"
ALB_HTTPS_PORT = 443

# One label before `<alb name>.<region>.convox.site`: what the ALB's wildcard certificate covers.
_ALB_RACK_HOST = re.compile(r"^[^.]+\.[^.]+\.[^.]+\.convox\.site\.?$", re.IGNORECASE)


def has_public_certificate(host: str) -> bool:
    """Whether `host` (`name[:port]`) is a current rack's ALB host, served with an ACM
    certificate on port 443."""
    try:
        parts = urlsplit(f"//{host}")
        name, port = parts.hostname or "", parts.port
    except ValueError:
        return False
    return port in (None, ALB_HTTPS_PORT) and bool(_ALB_RACK_HOST.match(name))


def verify_for(
    settings: Settings, host: str, role: Role, rack: RackSettings | None = None
) -> bool | str:
    """How to check the certificate of `host`: True (the public CAs), False (not at all, as
    the Convox CLI), or a PEM certificate to pin (its path, or the PEM text).

    `role` says what answers there: the Console (also for racks it proxies) or a rack's own
    API; `rack` is that rack's `[[racks]]` entry when the caller knows it (else the entry
    whose `host` is `host`).
    """
    if role == ROLE_CONSOLE:
        own = settings.console.verify_tls
    else:
        entry = rack or _rack_at(settings, host)
        own = entry.verify_tls if entry is not None else None
    if own is not None:
        return own
    if settings.verify_tls is not None:
        return settings.verify_tls
    return role == ROLE_CONSOLE or has_public_certificate(host)


def _rack_at(settings: Settings, host: str) -> RackSettings | None:
    wanted = host.lower()
    return next((r for r in settings.racks if r.host and r.host.lower() == wanted), None)
