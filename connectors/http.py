"""One bounded HTTP GET for connectors: one deadline, a size cap, a redirect limit, conditional requests.

The whole request (connect, TLS, headers, body, every redirect) runs under one wall-clock
deadline: httpx's timeouts bound each read, and a watchdog shuts the socket when the deadline
passes, so a server trickling one header line at a time cannot stretch it. A URL on the public
internet may not redirect into the user's own network (loopback, private, link-local).

Connections are kept alive between requests (``connectors.http_pool``), so checking many feeds
on one server costs a few TLS handshakes; a reused connection is put under the deadline and
checked against the same rule as a new one.

Transport failures (TLS, timeouts, refused connections, too many redirects, too
much data) become ConnectorErrors here, worded in ``connectors.http_errors``; what an
HTTP status means is left to the caller, which knows whether it fetched a feed or
something else. URLs may carry tokens, so messages only ever show ``redact_url``.
httpx is imported lazily.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connectors.addresses import is_internal
from connectors.deadline import Deadline, bounded
from connectors.errors import ConnectorError, ErrorKind
from connectors.http_errors import not_http, timed_out, too_large, transport_error
from connectors.tcp_tls import tls_context

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
REDIRECT_BODY_LIMIT = 64 * 1024  # a redirect's body is never used; real ones are a few hundred bytes
USER_AGENT = "tether (calendar check)"
# The trace event connectors.http_pool sends before a request goes out on a kept-alive connection;
# its info holds the connection's stream as "return_value", like httpcore's connect_tcp.complete.
REUSED_CONNECTION = "connection.reused"
# The request extension connectors.http_pool calls with a connection's stream before it keeps the
# connection for another request: it takes the socket out of this request's deadline and says
# whether the connection may be kept (not once the deadline fired: the socket may be shut down).
HAND_OVER = "tether.hand_over"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # after redirects
    elapsed: float
    redirected_to_http: bool = False
    cross_origin: bool = False  # redirected to another server, which never got the password

    @property
    def shown_url(self) -> str:
        return redact_url(self.url)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Request:
    url: str
    username: str = ""
    password: str = ""
    ca_file: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    field: str | None = "url"  # the form field to blame for URL problems


def redact_url(url: str) -> str:
    """scheme://host[:port]/… — enough to recognise the server, never a token or password."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6 bracket
        return "(a malformed URL)"
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The system trust store, plus a CA file the user chose; shared per CA file (building one costs ~30 ms)."""
    return tls_context(ca_file)


def get(request: Request, timeout: float) -> Response:
    """GET ``request.url`` within ``timeout`` seconds in total; the body only for 2xx answers."""
    shown = redact_url(request.url)
    _check_url(request, shown)
    context = ssl_context(request.ca_file)
    with bounded(
        Deadline(timeout), lambda stage: timed_out(shown, request.field, timeout, trickle=stage == "the body")
    ) as limit:
        return _get(request, timeout, context, limit, shown)


def _check_url(request: Request, shown: str) -> None:
    from connectors.fields import url_address_problem

    problem = url_address_problem(request.url)
    if problem:
        raise ConnectorError(ErrorKind.CONFIG, problem, field=request.field)


def _get(request: Request, timeout: float, context: ssl.SSLContext, limit: Deadline, shown: str) -> Response:
    import httpx

    from connectors.http_pool import shared_pool

    started = time.monotonic()
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    auth = httpx.BasicAuth(request.username, request.password) if request.username else None
    headers = {"User-Agent": USER_AGENT, **request.headers}
    guard = _ConnectionGuard(limit, shown, request.field)
    limit.stage = "the headers"
    try:
        guard.decide_origin(httpx.URL(request.url))
        # A client per request: its cookies, auth and redirect limit are this request's alone; only
        # the idle connections underneath are shared, per server and per trust (the SSL context).
        with (
            httpx.Client(
                transport=shared_pool().transport(context),
                timeout=limits,
                follow_redirects=True,
                max_redirects=request.max_redirects,
                trust_env=False,  # proxies and CA bundles from the environment must not override the user's choice
                event_hooks={"response": [_skip_redirect_body]},
            ) as client,
            client.stream(
                "GET", request.url, headers=headers, auth=auth, extensions={"trace": guard, HAND_OVER: guard.hand_over}
            ) as answer,
        ):
            body = b""
            if 200 <= answer.status_code < 300:
                limit.stage = "the body"
                body = _read_capped(answer, request, limit, shown, timeout)
            elif _without_body(answer):
                answer.read()  # nothing to wait for; it lets the connection serve the next request
            return Response(
                status=answer.status_code,
                headers={k.lower(): v for k, v in answer.headers.items()},
                body=body,
                url=str(answer.url),
                elapsed=time.monotonic() - started,
                redirected_to_http=request.url.lower().startswith(("https://", "webcal"))
                and answer.url.scheme == "http",
                cross_origin=_origin(str(answer.url)) != _origin(request.url),
            )
    except ConnectorError:
        raise
    except httpx.TooManyRedirects:
        raise ConnectorError(
            ErrorKind.BAD_DATA,
            f"{shown} redirects too many times (more than {request.max_redirects}).",
            hint="The link probably loops between pages; open it in a browser to see where it ends.",
            field=request.field,
        ) from None
    except httpx.TimeoutException:
        raise timed_out(shown, request.field, timeout) from None
    except httpx.RemoteProtocolError as exc:
        raise not_http(exc, shown, request.field) from None
    except (httpx.ConnectError, httpx.ReadError, httpx.WriteError) as exc:
        raise transport_error(exc, shown, request.field) from None
    except httpx.InvalidURL:
        raise ConnectorError(ErrorKind.CONFIG, f"{shown} is not a valid URL.", field=request.field) from None
    except httpx.HTTPError as exc:
        raise ConnectorError(
            ErrorKind.UNREACHABLE, f"Could not fetch {shown} ({type(exc).__name__}).", field=request.field
        ) from None


def _skip_redirect_body(answer: Any) -> None:
    """httpx reads a redirect's whole body before it follows the redirect, outside ``max_bytes``:
    only its first bytes are read (answers are hooked before that read)."""
    from connectors.http_pool import FirstBytes

    if answer.has_redirect_location:
        answer.stream = FirstBytes(answer.stream, REDIRECT_BODY_LIMIT)


def watch_connections(limit: Deadline) -> Any:
    """An httpcore trace hook that puts every new socket under ``limit`` (for clients other than ``get``)."""

    def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith("connect_tcp.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                limit.watch(sock)

    return trace


class _ConnectionGuard:
    """httpcore's trace hook: watches each socket a request uses (new or kept alive) under the
    deadline and keeps redirects out of the user's own network.

    Where the URL the user gave leads is decided before the request, from its host's addresses;
    if that server is on the public internet, no connection the request uses (a redirect, a
    reused one) may reach a loopback, private or link-local address. A URL that is itself such
    an address stays allowed: the user chose it.
    """

    def __init__(self, limit: Deadline, shown: str, field: str | None) -> None:
        self.limit, self.shown, self.field = limit, shown, field
        self.public_origin: bool | None = None  # None until the URL's host resolved, or a connection decided

    def decide_origin(self, url: Any) -> None:
        """Whether ``url`` (an httpx.URL) is on the public internet, by every address its host has."""
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = _resolve(url.raw_host.decode("ascii", "replace"), port)
        if addresses:
            self.public_origin = not any(is_internal(address) for address in addresses)

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith("connect_tcp.started"):
            self.limit.check()  # no new connection once the time is up (a retry after a cut one)
            self._before_connect(str(info.get("host", "")), int(info.get("port") or 0))
        elif event.endswith("connect_tcp.complete") or event == REUSED_CONNECTION:
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if stream is not None and sock is not None:
                self.limit.watch(sock)
                try:
                    peer = str(sock.getpeername()[0])
                except OSError:
                    return  # already gone: the request fails on its own, in httpx's words
                if self.public_origin is None:
                    self.public_origin = not is_internal(peer)
                elif self.public_origin and is_internal(peer):  # resolved differently this time
                    stream.close()
                    raise self._refused(peer)

    def hand_over(self, stream: Any) -> bool:
        """Whether the connection of ``stream`` may serve another request; from now on the deadline leaves it alone."""
        sock = stream.get_extra_info("socket")
        return sock is not None and self.limit.release(sock)

    def _before_connect(self, host: str, port: int) -> None:
        addresses = _resolve(host, port)
        internal = [address for address in addresses if is_internal(address)]
        if self.public_origin is None:
            self.public_origin = not internal
        elif self.public_origin and internal:
            raise self._refused(host if host == internal[0] else f"{host} ({internal[0]})")

    def _refused(self, where: str) -> ConnectorError:
        return ConnectorError(
            ErrorKind.BAD_DATA,
            f"{self.shown} redirected to {where}, an address inside your own network (loopback, private or "
            "link-local); tether does not follow a public URL there.",
            hint="If the calendar really lives on your network, use its own address as the URL.",
            field=self.field,
        )


def _resolve(host: str, port: int) -> list[str]:
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host.strip("[]"), port or None, type=socket.SOCK_STREAM)]
    except OSError:
        return []  # httpx reports the failed lookup in its own words


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


def _without_body(answer: Any) -> bool:
    return answer.status_code in (204, 304) or answer.headers.get("content-length", "").strip() == "0"


def _read_capped(answer, request: Request, limit: Deadline, shown: str, timeout: float) -> bytes:
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > request.max_bytes:
        raise too_large(shown, request.max_bytes, int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > request.max_bytes:
            raise too_large(shown, request.max_bytes, None)
        if limit.remaining() <= 0:  # a slow trickle must not outlast the budget
            raise timed_out(shown, request.field, timeout, trickle=True)
        chunks.append(chunk)
    return b"".join(chunks)
