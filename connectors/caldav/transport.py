"""Every CalDAV answer read within a size cap and one deadline, and XML with a DOCTYPE refused.

The caldav library reads whole answers into memory and parses them: a 1.5 GB answer
reached 5.9 GB of memory. ``CappedSession`` sits in place of the library's HTTP
session, streams each body and stops at the cap (the iCal feed's limit, 20 MB by
default) or the deadline, before the library sees a byte. A document type
declaration has no place in WebDAV and is how entity-expansion attacks start, so
an answer that carries one is bad data with its own message.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.http import redact_url

DEFAULT_MAX_MB = 20
_CHUNK = 64 * 1024


def max_bytes_from(settings: Mapping[str, Any]) -> int:
    try:
        megabytes = float(settings.get("max_size_mb") or DEFAULT_MAX_MB)
    except (TypeError, ValueError):
        raise ConnectorError(
            ErrorKind.CONFIG, "The size limit must be a number of megabytes.", field="max_size_mb"
        ) from None
    return max(1, int(megabytes * 1024 * 1024))


class CappedSession:
    """Wraps a niquests session; everything but ``request`` is the session's own."""

    def __init__(self, session: Any, max_bytes: int, deadline: float) -> None:
        self._session = session
        self._max_bytes = max_bytes
        self._deadline = deadline  # time.monotonic() value shared by all requests of one connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        shown = redact_url(url)
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(shown)
        kwargs["stream"] = True
        kwargs["timeout"] = min(float(kwargs.get("timeout") or remaining), remaining)
        response = self._session.request(method, url, **kwargs)
        try:
            body = self._read(response, shown)
        except BaseException:
            response.close()
            raise
        if has_doctype(body):
            raise ConnectorError(
                ErrorKind.BAD_DATA,
                f"{shown} sent XML with a document type declaration (DOCTYPE or ENTITY), which CalDAV never needs.",
                hint="tether refuses such answers: they can make a reader expand text without end. "
                "Check that the URL points at a CalDAV server.",
                field="url",
            )
        response._content = body  # what niquests' own full read would have stored
        response._content_consumed = True
        return response

    def _read(self, response: Any, shown: str) -> bytes:
        declared = str(response.headers.get("Content-Length") or "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise _too_large(shown, self._max_bytes)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > self._max_bytes:
                raise _too_large(shown, self._max_bytes)
            if time.monotonic() > self._deadline:
                raise _timeout(shown, trickle=True)
            chunks.append(chunk)
        return b"".join(chunks)


def has_doctype(body: bytes) -> bool:
    """A DOCTYPE (entities can only be declared inside one), in UTF-8 or UTF-16."""
    head = body[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) == 4 and (head[0] == 0 or head[1] == 0)):
        text = body.decode("utf-16", errors="ignore")
        return "<!DOCTYPE" in text or "<!ENTITY" in text
    return b"<!DOCTYPE" in body or b"<!ENTITY" in body  # XML keywords are case-sensitive


def _too_large(shown: str, max_bytes: int) -> ConnectorError:
    return ConnectorError(
        ErrorKind.BAD_DATA,
        f"{shown} sent an answer larger than the {max_bytes / (1024 * 1024):.0f} MB limit.",
        hint="Raise the size limit in the advanced settings if the calendar is really this big.",
        field="max_size_mb",
    )


def _timeout(shown: str, *, trickle: bool = False) -> ConnectorError:
    what = "sent data too slowly to finish in time" if trickle else "did not answer in time"
    return ConnectorError(
        ErrorKind.TIMEOUT,
        f"{shown} {what}.",
        hint="The server may be overloaded or down; try again later.",
        field="url",
    )
