"""One bounded HTTP GET for connectors: timeouts, a size cap, a redirect limit, conditional requests.

Transport failures (TLS, timeouts, refused connections, too many redirects, too
much data) become ConnectorErrors here; what an HTTP status means is left to the
caller, which knows whether it fetched a feed or something else. URLs may carry
tokens, so messages only ever show ``redact_url``. httpx is imported lazily.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from connectors.errors import ConnectorError, ErrorKind

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
USER_AGENT = "tether (calendar check)"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # after redirects
    elapsed: float
    redirected_to_http: bool = False

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
    parts = urlsplit(url)
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
    """The system trust store, plus a CA file the user chose (self-hosted servers, tests)."""
    context = ssl.create_default_context()
    if ca_file:
        path = Path(ca_file).expanduser()
        try:
            context.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError):
            raise ConnectorError(
                ErrorKind.CONFIG,
                f"The CA file {path} cannot be read as a PEM certificate.",
                hint="Choose a PEM file with the certificate authority that signed the server's certificate.",
                field="ca_file",
            ) from None
    return context


def get(request: Request, timeout: float) -> Response:
    """GET ``request.url`` within ``timeout`` seconds in total; the body only for 2xx answers."""
    import httpx

    shown = redact_url(request.url)
    started = time.monotonic()
    deadline = started + timeout
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    auth = httpx.BasicAuth(request.username, request.password) if request.username else None
    headers = {"User-Agent": USER_AGENT, **request.headers}
    try:
        with httpx.Client(
            verify=ssl_context(request.ca_file),
            timeout=limits,
            follow_redirects=True,
            max_redirects=request.max_redirects,
            trust_env=False,  # proxies and CA bundles from the environment must not override the user's choice
        ) as client, client.stream("GET", request.url, headers=headers, auth=auth) as answer:
            body = b""
            if 200 <= answer.status_code < 300:
                body = _read_capped(answer, request, deadline, shown)
            return Response(
                status=answer.status_code,
                headers={k.lower(): v for k, v in answer.headers.items()},
                body=body,
                url=str(answer.url),
                elapsed=time.monotonic() - started,
                redirected_to_http=request.url.lower().startswith(("https://", "webcal"))
                and answer.url.scheme == "http",
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
        raise _timeout(shown, request.field) from None
    except (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
        raise transport_error(exc, shown, request.field) from None
    except httpx.InvalidURL:
        raise ConnectorError(ErrorKind.CONFIG, f"{shown} is not a valid URL.", field=request.field) from None
    except httpx.HTTPError as exc:
        raise ConnectorError(
            ErrorKind.UNREACHABLE, f"Could not fetch {shown} ({type(exc).__name__}).", field=request.field
        ) from None


def _read_capped(answer, request: Request, deadline: float, shown: str) -> bytes:  # type: ignore[no-untyped-def]
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > request.max_bytes:
        raise _too_large(shown, request, int(declared))
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > request.max_bytes:
            raise _too_large(shown, request, None)
        if time.monotonic() > deadline:  # a slow trickle must not outlast the budget
            raise _timeout(shown, request.field, trickle=True)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(shown: str, request: Request, declared: int | None) -> ConnectorError:
    cap = _megabytes(request.max_bytes)
    size = f" ({_megabytes(declared)})" if declared else ""
    return ConnectorError(
        ErrorKind.BAD_DATA,
        f"{shown} is larger than the {cap} limit{size}.",
        hint="Raise the size limit in the advanced settings if the feed is really this big.",
        field="max_size_mb",
    )


def _timeout(shown: str, field: str | None, *, trickle: bool = False) -> ConnectorError:
    what = "sent data too slowly to finish in time" if trickle else "did not answer in time"
    return ConnectorError(
        ErrorKind.TIMEOUT,
        f"{shown} {what}.",
        hint="The server may be overloaded or down; try again later.",
        field=field,
    )


def transport_error(exc: BaseException, shown: str, field: str | None) -> ConnectorError:
    """Classify a failed connection: certificate problems first, then refusals and resets."""
    verify = _find(exc, ssl.SSLCertVerificationError)
    if verify is not None:
        return tls_error(verify, shown)
    if _find(exc, ssl.SSLError) is not None:
        return ConnectorError(
            ErrorKind.TLS,
            f"The TLS handshake with {shown} failed.",
            hint="Check that the URL uses the right scheme (https:// or http://) and port.",
            field=field,
        )
    os_error = _find(exc, OSError)
    reason = (os_error.strerror or "") if os_error is not None else ""
    if "Name or service not known" in reason or "nodename nor servname" in reason or "getaddrinfo" in str(exc):
        return ConnectorError(
            ErrorKind.UNREACHABLE,
            f"The server in {shown} could not be found.",
            hint="Check the server name for typos and that you are online.",
            field=field,
        )
    return ConnectorError(
        ErrorKind.UNREACHABLE,
        f"Could not connect to {shown}" + (f" ({reason.lower()})." if reason else "."),
        hint="Check the address and port, and that the server is running and reachable from here.",
        field=field,
    )


def tls_error(error: ssl.SSLCertVerificationError, shown: str) -> ConnectorError:
    code = getattr(error, "verify_code", None)
    message = str(getattr(error, "verify_message", "") or "")
    if code == 10 or "expired" in message:
        text, hint = "has an expired certificate", "The server's administrator must renew its certificate."
    elif code == 62 or "mismatch" in message:
        text, hint = (
            "has a certificate for a different name",
            "Use the server name the certificate was issued for, or ask the administrator to fix it.",
        )
    else:
        text, hint = (
            "has a certificate this computer does not trust",
            "For a self-hosted server, choose its CA file in the advanced settings.",
        )
    return ConnectorError(ErrorKind.TLS, f"{shown} {text}.", hint=hint, field="ca_file")


def _find(exc: BaseException | None, kind: type) -> BaseException | None:  # type: ignore[type-arg]
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"
