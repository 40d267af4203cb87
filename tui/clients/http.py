"""One HTTP path for every Convox call: headers, Basic auth, key fallback, typed errors.

The rack client and the Console client both speak through `ConvoxHttp`, so a call proxied
by the Console (`Rack: org/name` header) runs exactly the code a direct rack call runs.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from tui import __version__
from tui.base.errors import shown
from tui.base.secret import MASK, Secret
from tui.clients import errors
from tui.clients.models import MalformedReplyError

USER = "convox"
DEFAULT_TIMEOUT = 10.0
DEFAULT_KEEPALIVE_S = 5.0  # httpx's own: an idle connection is dropped after this long
MAX_ERROR_TEXT = 200
MAX_HOST_SHOWN = 80
PEM_BEGIN = "-----BEGIN"
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def make_verify(verify: bool | str) -> ssl.SSLContext:
    """No check (as the Convox CLI), the public CAs, or one pinned certificate.

    A string is a PEM certificate, its path or its text (`tui/core/tls.py` decides which a
    host gets): it becomes the only trust anchor, so any other certificate is refused.

    One context per setting is built and shared by every client that uses it: loading the
    CAs (or the pinned PEM) is the costly part of a client, and a fleet's clients would
    otherwise each load the same file. A pinned file is read again when it changes.
    """
    if verify is True:
        return _public_ca_context()
    if verify is False:
        return _unverified_context()
    is_text = verify.lstrip().startswith(PEM_BEGIN)
    if is_text:
        return _pinned_context(verify, None)
    path = os.path.expanduser(verify)
    try:
        stat = os.stat(path)
        version: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = None  # the load below fails and says so
    return _pinned_context(path, version)


@functools.cache
def _public_ca_context() -> ssl.SSLContext:
    """The public CAs (httpx's choice: certifi, or SSL_CERT_FILE), loaded once and shared."""
    return httpx.create_ssl_context()


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    """No certificate check at all (the Convox CLI's `InsecureSkipVerify`), built once."""
    return httpx.create_ssl_context(verify=False)


@functools.lru_cache(maxsize=64)
def _pinned_context(pem: str, version: tuple[int, int] | None) -> ssl.SSLContext:
    """The context trusting only `pem` (its text, or its path at this `version`)."""
    is_text = version is None and pem.lstrip().startswith(PEM_BEGIN)
    try:
        if is_text:
            context = ssl.create_default_context(cadata=pem)
        else:
            context = ssl.create_default_context(cafile=pem)
    except (OSError, ssl.SSLError, ValueError) as error:
        which = "The pinned PEM text" if is_text else f"The pinned certificate {shown(pem)}"
        raise errors.TlsError(
            f"{which} cannot be read ({error.__class__.__name__}); "
            "check the `verify_tls` value in keyroll's settings."
        ) from None
    # The pin is the identity: a rack's self-signed certificate does not name its ELB host.
    context.check_hostname = False
    return context


@dataclass
class Reply:
    """A successful answer: its status, its text, and which key got it."""

    status: int
    text: str
    key_index: int

    def json(self, where: str) -> Any:
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):  # a deeply nested body overflows the parser
            raise MalformedReplyError(
                f"The {where} reply is not JSON; check that the URL points at a Convox rack."
            ) from None


class ConvoxHttp:
    """A pooled HTTPS connection to one host (a rack or the Console), with no key of its own."""

    def __init__(
        self,
        base_url: str,
        *,
        verify: bool | str = False,
        timeout: float = DEFAULT_TIMEOUT,
        session: str | None = None,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
    ) -> None:
        if "://" not in base_url:
            base_url = f"https://{base_url}"
        # A host that cannot be a URL fails at the first call, as an unreachable one does.
        self._bad_host = host_problem(base_url)
        if self._bad_host is None:
            self.base_url = base_url.rstrip("/")
            self.host = urlsplit(self.base_url).netloc
        else:
            self.base_url, self.host = "https://invalid", _shown_host(base_url)
        headers = {
            "User-Agent": f"keyroll/{__version__}",
            "Version": __version__,
            "Accept": "*/*",
        }
        if session:
            headers["Session"] = session
        self._pinned = isinstance(verify, str)
        self._urls: dict[str, httpx.URL] = {}  # by path: parsed once, not at every call
        self._client = httpx.Client(
            base_url=self.base_url,
            cookies=_NoCookies(),  # no Convox API sets one; the jar cost a tenth of a poll
            verify=make_verify(verify),
            timeout=timeout,
            headers=headers,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=100, max_keepalive_connections=20, keepalive_expiry=keepalive_s
            ),
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        keys: Sequence[Secret],
        *,
        rack: str | None = None,
        form: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        timeout: float | None = None,
        console: bool = False,
    ) -> Reply:
        """Send one call, trying each key in order on 401 `invalid authentication`."""
        if self._bad_host is not None:
            raise errors.BadHostError(
                f"The host {self.host!r} is not a valid host name and port ({self._bad_host}); "
                "correct it where it was set (keyroll's settings, CONVOX_HOST, RACK_URL or the "
                "Convox CLI's files)."
            )
        if not keys:
            raise errors.WrongKeyError(
                f"keyroll holds no API key for {self.host}; add one in the rack settings "
                "or run `convox login`."
            )
        headers = {"Rack": rack} if rack else {}
        content = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            content = urlencode(form).encode()
        elif method in ("POST", "PUT"):
            headers["Content-Type"] = "application/octet-stream"
        last: httpx.Response | None = None
        # With several keys, a second pass: the rack may switch keys between two attempts
        # (the old key refused just after the new one was), which is no reason to fail.
        passes = 2 if len(keys) > 1 else 1
        for _ in range(passes):
            for index, key in enumerate(keys):
                response = self._send(
                    method, path, key, headers, content, query, timeout, console or bool(rack)
                )
                if response.status_code != 401 or self._is_final_401(response):
                    if response.status_code >= 400:
                        raise self._error(response, keys, rack=rack, console=console)
                    return Reply(response.status_code, response.text, index)
                last = response
        assert last is not None
        raise self._error(last, keys, rack=rack, console=console)

    def _send(
        self,
        method: str,
        path: str,
        key: Secret,
        headers: dict[str, str],
        content: bytes | None,
        query: Mapping[str, str] | None,
        timeout: float | None,
        console: bool,
    ) -> httpx.Response:
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = timeout
        try:
            return self._client.request(
                method,
                self._url(path),
                headers={**headers, "Authorization": _basic(key)},
                content=content,
                params=dict(query) if query else None,
                **extra,
            )
        except httpx.TimeoutException:
            raise errors.TimeoutError_(
                f"{self.host} did not answer {method} {path} in time; check the rack is "
                "up and reachable, then try again."
            ) from None
        except httpx.ConnectError as error:
            raise self._connect_error(error, console) from None
        except httpx.TransportError as error:
            raise errors.UnreachableError(
                f"The connection to {self.host} broke during {method} {path} "
                f"({error.__class__.__name__}); try again."
            ) from None

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls.setdefault(path, httpx.URL(self.base_url + path))
        return url

    def _connect_error(self, error: httpx.ConnectError, console: bool) -> errors.ClientError:
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, ssl.SSLError):
                return self._tls_error(cause, console)
            cause = cause.__cause__ or cause.__context__
        text = str(error).lower()
        if "refused" in text:
            return errors.UnreachableError(
                f"{self.host} refused the connection; check the host and port, and that "
                "the rack is running."
            )
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return errors.UnreachableError(
                f"The host name {self.host} does not resolve; check it for typos."
            )
        return errors.UnreachableError(
            f"keyroll cannot connect to {self.host}; check the host and your network."
        )

    def _tls_error(self, cause: ssl.SSLError, console: bool) -> errors.TlsError:
        """One sentence: which host, why, that no key went out, and the setting to change."""
        what = f"the Console at {self.host}" if console else f"the rack at {self.host}"
        where = (
            "under [console]" if console else f'in a [[racks]] entry with `host = "{self.host}"`'
        )
        reason = _ssl_reason(cause)
        if not isinstance(cause, ssl.SSLCertVerificationError):
            return errors.TlsError(
                f"The TLS handshake with {what} failed ({reason}), so keyroll sent no key; "
                f"check that {self.host} serves the Convox API over HTTPS."
            )
        if self._pinned:
            return errors.TlsError(
                f"The certificate of {what} is not the one pinned for it ({reason}), so "
                f"keyroll sent no key; if {self.host} made a new certificate (a rack's own API "
                f"makes one at every start), pin that one, or set `verify_tls = false` {where} "
                "in keyroll's settings to skip the check."
            )
        return errors.TlsError(
            f"The certificate of {what} does not verify ({reason}), so keyroll sent no key; "
            f"if {self.host} is the right host, pin its certificate (`verify_tls = "
            f'"<path of its PEM file>"`) or set `verify_tls = false` {where} in keyroll\'s '
            "settings."
        )

    @staticmethod
    def _is_final_401(response: httpx.Response) -> bool:
        """A 401 another key will not fix: a role refusal or a Console session challenge."""
        if response.headers.get("WWW-Authenticate", "").startswith("Session"):
            return True
        return "unauthorized to access" in response.text

    def _error(
        self,
        response: httpx.Response,
        keys: Sequence[Secret],
        *,
        rack: str | None,
        console: bool,
    ) -> errors.ClientError:
        status = response.status_code
        text = _clean_text(response, keys)
        what = f"the Console at {self.host}" if console or rack else f"the rack at {self.host}"
        if status == 401:
            challenge = response.headers.get("WWW-Authenticate", "")
            if challenge.startswith("Session"):
                return errors.SessionRequiredError(
                    f"{_cap(what)} asks for an interactive session login (two-factor); run "
                    f"`convox login {self.host}` in a terminal, then try again."
                )
            if "unauthorized to access" in text:
                return errors.ForbiddenError(
                    f"{_cap(what)} accepted the key but it may not do this "
                    "(read-only access); use a key with write access."
                )
            held = "the API key" if len(keys) == 1 else f"all {len(keys)} API keys"
            if console or rack:
                return errors.WrongKeyError(
                    f"{_cap(what)} refused {held} keyroll holds for your account; paste the "
                    "current account key (keyroll account screen, `p`) or run `convox login`."
                )
            return errors.WrongKeyError(
                f"{_cap(what)} refused {held} keyroll holds (invalid authentication); "
                "set the rack's current key in keyroll or run `convox login`."
            )
        if status == 404 and text.strip() == "unknown host":
            return errors.UnknownHostError(
                f"{self.host} answered 404 unknown host: its load balancer serves the API only "
                "under the rack's domain; use the RackDomain host (rack.<...>.convox.site)."
            )
        if status == 404:
            return errors.NotFoundError(
                f"{_cap(what)} answered 404 for {response.request.url.path}: {text}."
            )
        via = f" for rack {rack}" if rack else ""
        return errors.ServerError(
            f"{_cap(what)} answered {status}{via}: {text}; wait a moment and try again, "
            "or check the rack's logs.",
            status,
            text,
        )


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing: the rack API and the Console authenticate by header."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


def _basic(key: Secret) -> str:
    """The `Authorization` value for `convox:<key>` (built per call, never kept)."""
    return "Basic " + base64.b64encode(f"{USER}:{key.reveal()}".encode()).decode("ascii")


def host_problem(base_url: str) -> str | None:
    """Why `base_url` cannot name a rack or Console (`https://host[:port]`), or None."""
    try:
        parts = urlsplit(base_url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError as error:  # a bad port or an unclosed IPv6 bracket
        return str(error).lower()
    if parts.scheme not in ("http", "https"):
        return f"the scheme {parts.scheme[:10]!r} is not https"
    if port == 0:
        return "port 0 is not a port a server listens on"
    if not host:
        return "it has no host name"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return "it is not a host name DNS can look up"
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(0 < len(label) <= 63 for label in labels):
        return "a host name has labels of 1 to 63 characters, at most 253 in all"
    if not all(set(label) <= _LABEL_CHARS for label in labels):
        return "a host name holds only letters, digits, hyphens and dots"
    try:
        httpx.URL(base_url)
    except httpx.InvalidURL as error:
        return str(error).split(":", 1)[0].lower()
    return None


def _shown_host(base_url: str) -> str:
    """The host[:port] of `base_url` as it may appear in a message: no credentials, printable,
    short."""
    netloc = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    shown = "".join(c if c.isprintable() else "?" for c in netloc)
    return shown if len(shown) <= MAX_HOST_SHOWN else shown[: MAX_HOST_SHOWN - 1] + "…"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ssl_reason(error: ssl.SSLError) -> str:
    reason = getattr(error, "verify_message", None) or getattr(error, "reason", None)
    text = str(reason or error.__class__.__name__).replace("_", " ").lower()
    return text.replace("self signed", "self-signed")  # OpenSSL 1.1 spells it without a hyphen


def _clean_text(response: httpx.Response, keys: Sequence[Secret]) -> str:
    """The server's own error text, made safe to show: one line, short, no key, no HTML."""
    raw = response.text
    if "json" in response.headers.get("Content-Type", "") or raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                raw = body["error"]
        except (ValueError, RecursionError):
            pass
    if raw.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        return "an HTML error page instead of a Convox reply"
    for key in keys:
        if key:
            raw = raw.replace(key.reveal(), MASK)
    line = " ".join(raw.split())
    if not line:
        return "no message"
    line = "".join(c for c in line if c.isprintable()).rstrip(".")
    return line if len(line) <= MAX_ERROR_TEXT else line[: MAX_ERROR_TEXT - 1] + "…"
