import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.retry import RetryPolicy, with_retries


def failing(kinds: list[ErrorKind], result: str = "ok"):
    calls = []

    def call() -> str:
        calls.append(1)
        if kinds:
            kind = kinds.pop(0)
            raise ConnectorError(kind, kind.heading, retry_after=2.0 if kind is ErrorKind.RATE_LIMITED else None)
        return result

    return call, calls


def test_transient_failures_are_retried_with_growing_delays() -> None:
    call, calls = failing([ErrorKind.TIMEOUT, ErrorKind.TIMEOUT])
    waits: list[float] = []
    assert with_retries(call, RetryPolicy(attempts=3, base_delay=1.0), sleep=waits.append) == "ok"
    assert len(calls) == 3
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0


def test_wrong_password_is_never_retried() -> None:
    call, calls = failing([ErrorKind.AUTH])
    with pytest.raises(ConnectorError):
        with_retries(call, sleep=lambda _: None)
    assert len(calls) == 1


def test_retry_after_is_honoured() -> None:
    call, _ = failing([ErrorKind.RATE_LIMITED])
    waits: list[float] = []
    with_retries(call, sleep=waits.append)
    assert waits == [2.0]


def test_gives_up_after_the_last_attempt() -> None:
    call, calls = failing([ErrorKind.UNREACHABLE] * 5)
    with pytest.raises(ConnectorError):
        with_retries(call, RetryPolicy(attempts=2), sleep=lambda _: None)
    assert len(calls) == 2
