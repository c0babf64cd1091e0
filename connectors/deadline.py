"""Wall-clock deadlines for network operations, and closing every open connection when tether quits.

A socket timeout bounds each read, so a server sending one byte just before it runs out keeps a
read loop going for ever. A ``Deadline`` watches the sockets of one operation from a single
background thread and shuts them down when the time is up, or at once when ``cancel_all()`` is
called on quit. That wakes any blocked connect, read, TLS handshake or select; the code that was
blocked then asks the deadline whether it fired and reports a timeout instead of a broken link.
A socket that outlives its operation (a kept-alive connection) is let go with ``release`` first.

    with Deadline(15) as limit:
        sock = connect_tcp(host, port, limit)  # watched from here on
        ...
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from connectors.errors import ConnectorError, ErrorKind

TIMED_OUT = "timed out"
CANCELLED = "cancelled"
CANCELLED_MESSAGE = "Stopped because tether is quitting."
MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 3600.0


class Deadline:
    """One operation's wall-clock limit; sockets handed to ``watch`` are shut down when it passes."""

    def __init__(self, seconds: float, *, at: float | None = None) -> None:
        self.seconds = seconds
        self.at = at if at is not None else time.monotonic() + seconds
        self.fired: str | None = None  # TIMED_OUT or CANCELLED once it has fired
        self.stage = "the operation"  # the step in progress, for the timeout message
        # (the watched socket's descriptor number, our duplicate of it); the number finds it in ``release``
        self._watched: list[tuple[int, socket.socket]] = []
        # Held while a socket is shut down or let go, so the two never cross.
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes, whatever wraps it later (TLS, STARTTLS).

        A duplicate descriptor is kept: it stays valid when the socket object is wrapped or
        detached, and it can never name some other, newer socket.
        """
        try:
            number = sock.fileno()
            copy = socket.socket(fileno=os.dup(number))
        except OSError:
            return  # already closed: nothing left to interrupt
        with self._lock:
            self._watched.append((number, copy))
            if self.fired is not None:
                _shut(copy)

    def release(self, sock: socket.socket) -> bool:
        """Stop watching ``sock``, which outlives this operation (a kept-alive connection going back to a pool).

        Returns False when the deadline has already fired: ``sock`` may be shut down, so it must not
        be used again. Once this returns True the deadline never touches ``sock``, whoever uses it next.
        """
        try:
            number = sock.fileno()
        except OSError:
            return False
        with self._lock:
            if self.fired is not None:
                return False
            # A TLS socket keeps the descriptor of the socket it wraps, so the number finds the watched
            # one; an older socket of this operation closed meanwhile may have had the same number, and
            # letting that one go too changes nothing.
            mine = [copy for watched, copy in self._watched if watched == number]
            self._watched = [(watched, copy) for watched, copy in self._watched if watched != number]
            for copy in mine:
                copy.close()
        return True

    def __enter__(self) -> Deadline:
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.remove(self)
        with self._lock:
            watched, self._watched = self._watched, []
        for _, copy in watched:
            copy.close()

    def fire(self, reason: str) -> None:
        with self._lock:  # shut down under the lock: a socket ``release`` let go is never touched
            if self.fired is not None:
                return
            self.fired = reason
            for _, copy in self._watched:
                _shut(copy)

    def check(self) -> None:
        """Raise at once when the deadline has fired, before starting the next step."""
        if self.fired is None and self.remaining() <= 0:
            self.fire(TIMED_OUT)
        if self.fired is not None:
            raise _Fired()


class _Fired(Exception):
    """Raised by ``Deadline.check``; ``bounded`` turns it into the caller's timeout message."""


@contextmanager
def bounded(limit: Deadline, timed_out: Callable[[str], ConnectorError]) -> Iterator[Deadline]:
    """Run a block under ``limit``; whatever breaks because the deadline fired is reported as such.

    A socket shut down by the watchdog surfaces as EOF, a reset, an SSL error or an IMAP abort,
    depending on where it was blocked; all of them mean the same here. ``timed_out`` gets the
    stage that was in progress.
    """
    with limit:
        try:
            yield limit
        except Exception:
            if limit.fired is None:
                raise
            if limit.fired == CANCELLED:
                raise ConnectorError(ErrorKind.TIMEOUT, CANCELLED_MESSAGE) from None
            raise timed_out(limit.stage) from None


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected yet, or already gone: the blocked call fails on its own
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for all deadlines: sleeps until the earliest one, fires what has passed."""

    def __init__(self) -> None:
        self._deadlines: set[Deadline] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.quitting = False

    def add(self, limit: Deadline) -> None:
        with self._wake:
            if self.quitting:
                limit.fire(CANCELLED)
                return
            self._deadlines.add(limit)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tether-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def remove(self, limit: Deadline) -> None:
        with self._wake:
            self._deadlines.discard(limit)

    def cancel_all(self) -> None:
        with self._wake:
            self.quitting = True
            live = list(self._deadlines)
        for limit in live:
            limit.fire(CANCELLED)

    def resume(self) -> None:
        with self._wake:
            self.quitting = False

    def _run(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                due = [limit for limit in self._deadlines if limit.at <= now]
                for limit in due:
                    self._deadlines.discard(limit)
                if not due:
                    soonest = min((limit.at for limit in self._deadlines), default=now + 60)
                    self._wake.wait(max(0.01, soonest - now))
                    continue
            for limit in due:
                limit.fire(TIMED_OUT)


_WATCHDOG = _Watchdog()


def cancel_all() -> None:
    """Interrupt every network operation in progress, and refuse new ones: tether is quitting.

    Worker threads blocked on a slow or silent server then end within moments instead of keeping
    the process alive until their timeouts run out.
    """
    _WATCHDOG.cancel_all()


def quitting() -> bool:
    """Whether ``cancel_all`` was called: an error now may be the quit, not the server."""
    return _WATCHDOG.quitting


def resume() -> None:
    """Allow network operations again after ``cancel_all`` (a new app in the same process, as in tests)."""
    _WATCHDOG.resume()


def parse_timeout(text: str) -> float:
    """A timeout given on the command line: a finite number of seconds, 0.1 to 3600.

    Raises ValueError with a one-line reason (argparse shows it as the error).
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < MIN_TIMEOUT or value > MAX_TIMEOUT:
        raise ValueError(
            f"{text!r} is not a usable timeout: give a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}"
        )
    return value
