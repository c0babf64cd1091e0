"""What a failed HTTP exchange means, in words a person can act on: timeouts, refused or
unverifiable connections, answers that are not HTTP or too large, and Retry-After."""

from __future__ import annotations

import ssl
import time
from email.utils import parsedate_to_datetime
from typing import TypeVar

from connectors.errors import ConnectorError, ErrorKind

MAX_RETRY_AFTER = 3600.0  # a server asking for longer is told "an hour" and checked again then


def too_large(shown: str, max_bytes: int, declared: int | None) -> ConnectorError:
    cap = _megabytes(max_bytes)
    size = f" ({_megabytes(declared)})" if declared else ""
    return ConnectorError(
        ErrorKind.BAD_DATA,
        f"{shown} is larger than the {cap} limit{size}.",
        hint="Raise the size limit in the advanced settings if the feed is really this big.",
        field="max_size_mb",
    )


def timed_out(shown: str, field: str | None, timeout: float, *, trickle: bool = False) -> ConnectorError:
    what = "sent data too slowly to finish in time" if trickle else "did not answer in time"
    return ConnectorError(
        ErrorKind.TIMEOUT,
        f"{shown} {what} ({round(timeout, 1):g} s).",
        hint="The server may be overloaded or down; try again later.",
        field=field,
    )


def not_http(exc: BaseException, shown: str, field: str | None) -> ConnectorError:
    """The server broke HTTP's rules: oversized headers, garbage instead of a status line, a cut-off answer."""
    reason = str(exc)
    if "too long" in reason.lower():
        return ConnectorError(
            ErrorKind.BAD_DATA,
            f"{shown} sent more header data than tether accepts (over 100 KB of headers).",
            hint="The server is misbehaving or is not the calendar server you meant; check the URL.",
            field=field,
        )
    if "disconnected" in reason.lower() or "closed" in reason.lower():
        return ConnectorError(
            ErrorKind.UNREACHABLE,
            f"{shown} closed the connection before answering.",
            hint="Check that the URL uses the right scheme (https:// or http://) and port; try again later.",
            field=field,
        )
    return ConnectorError(
        ErrorKind.BAD_DATA,
        f"{shown} did not answer with valid HTTP ({reason or type(exc).__name__}).",
        hint="Check that the URL's port belongs to a web server.",
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
        text, hint, at = "has an expired certificate", "The server's administrator must renew its certificate.", "url"
    elif code in (62, 64) or "mismatch" in message:  # host name / IP address not on the certificate
        text, hint, at = (
            "has a certificate for a different name",
            "Use the server name the certificate was issued for in the URL, or ask the administrator to fix it.",
            "url",
        )
    else:
        text, hint, at = (
            "has a certificate this computer does not trust",
            "For a self-hosted server, choose its CA file in the advanced settings.",
            "ca_file",
        )
    return ConnectorError(ErrorKind.TLS, f"{shown} {text}.", hint=hint, field=at)


_E = TypeVar("_E", bound=BaseException)


def _find(exc: BaseException | None, kind: type[_E]) -> _E | None:
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
        return min(MAX_RETRY_AFTER, float(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, moment.timestamp() - time.time()))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"
