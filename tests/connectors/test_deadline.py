"""connectors.deadline on a socket pair: a blocked read ends at the deadline, or at once on quit."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from connectors.deadline import (
    CANCELLED_MESSAGE,
    TIMED_OUT,
    Deadline,
    bounded,
    cancel_all,
    parse_timeout,
    quitting,
)
from connectors.errors import ConnectorError, ErrorKind


def timed_out(stage: str) -> ConnectorError:
    return ConnectorError(ErrorKind.TIMEOUT, f"too slow during {stage}")


def test_a_read_fed_a_byte_at_a_time_ends_at_the_deadline() -> None:
    ours, theirs = socket.socketpair()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.1):
            theirs.send(b"x")

    threading.Thread(target=trickle, daemon=True).start()
    ours.settimeout(5)  # each read gets its byte well within this
    started = time.monotonic()
    try:
        with pytest.raises(ConnectorError) as caught, bounded(Deadline(0.6), timed_out) as limit:
            limit.stage = "the greeting"
            limit.watch(ours)
            while True:
                if not ours.recv(1):
                    raise ConnectionResetError("EOF")
    finally:
        stop.set()
        ours.close()
        theirs.close()
    assert caught.value.message == "too slow during the greeting"
    assert 0.55 < time.monotonic() - started < 0.9


def test_quitting_interrupts_a_silent_read_and_refuses_new_work() -> None:
    ours, theirs = socket.socketpair()
    ours.settimeout(30)
    threading.Timer(0.2, cancel_all).start()
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught, bounded(Deadline(30), timed_out) as limit:
        limit.watch(ours)
        if not ours.recv(1):
            raise ConnectionResetError("EOF")
    assert time.monotonic() - started < 0.6
    assert caught.value.message == CANCELLED_MESSAGE
    assert quitting()
    with pytest.raises(ConnectorError) as refused, bounded(Deadline(30), timed_out) as limit:
        limit.check()  # a step started after the quit stops before it begins
    assert refused.value.message == CANCELLED_MESSAGE
    ours.close()
    theirs.close()


def test_work_that_finishes_in_time_is_untouched() -> None:
    ours, theirs = socket.socketpair()
    theirs.send(b"hello")
    with bounded(Deadline(5), timed_out) as limit:
        limit.watch(ours)
        assert ours.recv(5) == b"hello"
    theirs.send(b"again")  # the socket was not shut down when the block ended
    assert ours.recv(5) == b"again"
    ours.close()
    theirs.close()


def test_a_socket_let_go_before_the_deadline_fires_is_not_shut_down() -> None:
    ours, theirs = socket.socketpair()
    with bounded(Deadline(5), timed_out) as limit:
        limit.watch(ours)
        assert limit.release(ours)
        limit.fire(TIMED_OUT)  # as if the time ran out while another operation uses the socket
    theirs.send(b"still")
    assert ours.recv(5) == b"still"
    ours.close()
    theirs.close()


def test_a_socket_cannot_be_let_go_once_the_deadline_fired() -> None:
    ours, theirs = socket.socketpair()
    with pytest.raises(ConnectorError) as caught, bounded(Deadline(5), timed_out) as limit:
        limit.watch(ours)
        limit.fire(TIMED_OUT)
        assert not limit.release(ours)  # shut down already: no use to anyone else
        if not ours.recv(1):
            raise ConnectionResetError("EOF")
    assert caught.value.message == "too slow during the operation"
    ours.close()
    theirs.close()


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0", "-1", "0.01", "3601", "soon"])
def test_unusable_timeouts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timeout(text)


def test_a_usable_timeout_is_read() -> None:
    assert parse_timeout("2.5") == 2.5
