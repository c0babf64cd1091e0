"""Kept-alive HTTP/1.1 connections shared by every feed GET in the process.

Checking a hundred feeds on one server should cost a few TLS handshakes, not a hundred. An
answer read to its end leaves its connection idle here, and the next GET to the same scheme,
host and port, verified against the same trust (the same ``ssl.SSLContext``, one per CA file),
reuses it. Nothing else is shared between requests: each GET builds its own httpx client, so
credentials, cookies and headers never reach another request.

What the pool guarantees:
- A connection goes back to the pool only when its answer was read to the end without an error;
  one abandoned at the byte cap, cut by the deadline or broken in any way is closed.
- Before it goes back, the request's ``HAND_OVER`` hook takes its socket out of the request's
  deadline, which can then no longer shut it down under the next request; a connection whose
  deadline fired first is closed instead.
- Each host keeps at most ``IDLE_PER_HOST`` idle connections, and none stays idle longer than
  ``IDLE_SECONDS``: a background thread closes them then, so tether holds nothing open for long.
- A request on a reused connection first tells the request's trace hook (``REUSED_CONNECTION``),
  so the caller can put the socket under its deadline and check where it leads, as it does for
  new sockets on httpcore's ``connect_tcp.complete``.
- A kept-alive connection the server closed meanwhile does not fail the request: it is sent once
  more on a new connection (a GET may be repeated).

Imported only by ``connectors.http`` when a request is made, since it loads httpx.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from connectors.http import HAND_OVER, REUSED_CONNECTION

IDLE_SECONDS = 30.0
IDLE_PER_HOST = 16  # as many as tether checks at once (check all runs 16)

_Key = tuple[bytes, bytes, int | None, ssl.SSLContext | None]

# httpcore's failures in httpx's words, most specific first, so callers catch one family.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)

# What a connection the server closed while it sat idle fails with when it is used again.
_STALE = (httpcore.ConnectionNotAvailable, httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


@dataclass
class _Idle:
    connection: httpcore.HTTPConnection
    stream: Any  # its network stream, for the trace hook when it is reused
    since: float


class KeepAlivePool:
    """Idle connections by (scheme, host, port, trust); thread-safe, each connection used by one request at a time."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS, idle_per_host: int = IDLE_PER_HOST) -> None:
        self.idle_seconds, self.idle_per_host = idle_seconds, idle_per_host
        self._idle: dict[_Key, list[_Idle]] = {}
        self._lock = threading.Lock()
        self._closer: threading.Thread | None = None

    def transport(self, context: ssl.SSLContext | None) -> httpx.BaseTransport:
        """A transport for one httpx client: its connections come from, and return to, this pool."""
        return _PooledTransport(self, context)

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._idle.values())

    def close_idle(self) -> None:
        with self._lock:
            entries = [entry for group in self._idle.values() for entry in group]
            self._idle.clear()
        for entry in entries:
            entry.connection.close()

    def send(self, request: httpx.Request, context: ssl.SSLContext | None) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        key: _Key = (core.url.scheme, core.url.host, core.url.port, context)
        with _as_httpx(request):
            connection, stream, answer = self._answer(key, core, context)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_PooledBody(self, key, connection, stream, answer, request),
            extensions=answer.extensions,
        )

    def _answer(
        self, key: _Key, request: httpcore.Request, context: ssl.SSLContext | None
    ) -> tuple[httpcore.HTTPConnection, Any, httpcore.Response]:
        idle = self._take(key)
        if idle is not None:
            try:
                trace = request.extensions.get("trace")
                if trace is not None:
                    trace(REUSED_CONNECTION, {"return_value": idle.stream})
                return idle.connection, idle.stream, idle.connection.handle_request(request)
            except _STALE:
                idle.connection.close()  # closed by the server while idle: once more on a new connection
            except BaseException:
                idle.connection.close()
                raise
        connection = httpcore.HTTPConnection(
            origin=request.url.origin, ssl_context=context, keepalive_expiry=self.idle_seconds
        )
        try:
            answer = connection.handle_request(request)
        except BaseException:
            connection.close()
            raise
        return connection, answer.extensions.get("network_stream"), answer

    def _take(self, key: _Key) -> _Idle | None:
        now = time.monotonic()
        spent: list[_Idle] = []
        found = None
        with self._lock:
            entries = self._idle.get(key, [])
            while entries and found is None:
                entry = entries.pop()  # the most recently used: the least likely to be closed by now
                if now - entry.since < self.idle_seconds and not entry.connection.has_expired():
                    found = entry
                else:
                    spent.append(entry)
        for entry in spent:
            entry.connection.close()
        return found

    def release(
        self,
        key: _Key,
        connection: httpcore.HTTPConnection,
        stream: Any,
        read_to_end: bool,
        hand_over: Callable[[Any], bool] | None = None,
    ) -> None:
        """Keep ``connection`` for the next request if its answer was read to the end; close it otherwise.

        ``hand_over`` (the request's ``HAND_OVER`` hook) lets the socket go from the request's
        deadline before anyone else can take the connection, and refuses it if the deadline fired.
        """
        keep = read_to_end and stream is not None and connection.is_idle() and not connection.has_expired()
        if keep and hand_over is not None:
            keep = hand_over(stream)
        if keep:
            with self._lock:
                entries = self._idle.setdefault(key, [])
                keep = len(entries) < self.idle_per_host
                if keep:
                    entries.append(_Idle(connection, stream, time.monotonic()))
                    if self._closer is None:
                        self._closer = threading.Thread(
                            target=self._close_expired, name="tether-http-idle", daemon=True
                        )
                        self._closer.start()
        if not keep:
            connection.close()

    def _close_expired(self) -> None:
        """Close connections idle for ``idle_seconds``; ends when none is left (a release starts it again)."""
        while True:
            expired: list[_Idle] = []
            with self._lock:
                now = time.monotonic()
                for key, entries in list(self._idle.items()):
                    expired += [entry for entry in entries if now - entry.since >= self.idle_seconds]
                    entries[:] = [entry for entry in entries if now - entry.since < self.idle_seconds]
                    if not entries:
                        del self._idle[key]
                oldest = min((entry.since for entries in self._idle.values() for entry in entries), default=None)
                if oldest is None:
                    self._closer = None
            for entry in expired:
                entry.connection.close()
            if oldest is None:
                return
            time.sleep(max(0.05, oldest + self.idle_seconds - time.monotonic()))


class _PooledTransport(httpx.BaseTransport):
    def __init__(self, pool: KeepAlivePool, context: ssl.SSLContext | None) -> None:
        self.pool, self.context = pool, context

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.pool.send(request, self.context)

    def close(self) -> None:
        pass  # the client closing ends its requests, not the shared connections


class _PooledBody(httpx.SyncByteStream):
    """An answer's body; closing it gives its connection back to the pool, or closes it."""

    def __init__(
        self,
        pool: KeepAlivePool,
        key: _Key,
        connection: httpcore.HTTPConnection,
        stream: Any,
        answer: httpcore.Response,
        request: httpx.Request,
    ) -> None:
        self.pool, self.key, self.connection, self.stream = pool, key, connection, stream
        self.answer, self.request = answer, request
        self.read_to_end = False
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx(self.request):
            yield from self.answer.iter_stream()
        self.read_to_end = True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            with _as_httpx(self.request):
                self.answer.close()
        finally:
            hand_over = self.request.extensions.get(HAND_OVER)
            self.pool.release(self.key, self.connection, self.stream, self.read_to_end, hand_over)


class FirstBytes(httpx.SyncByteStream):
    """At most ``limit`` bytes of a body, then the end: for answers whose body nobody reads (a
    redirect's), so a server cannot make a client swallow gigabytes before it moves on. A body
    cut short is not read to the end, so its connection is closed rather than kept."""

    def __init__(self, body: httpx.SyncByteStream, limit: int) -> None:
        self.body, self.limit = body, limit

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self.body:
            yield chunk[: max(0, self.limit - seen)]
            seen += len(chunk)
            if seen >= self.limit:
                return

    def close(self) -> None:
        self.body.close()


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in _HTTPX_ERRORS:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc), request=request) from exc
        raise


_POOL = KeepAlivePool()


def shared_pool() -> KeepAlivePool:
    """The process's pool, used by every ``connectors.http.get``."""
    return _POOL
