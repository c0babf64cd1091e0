"""The background re-check schedule, on an injected clock: interval, backoff with jitter, bounds, manual checks."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.scheduler import HealthScheduler, interval_from_env
from storage.records import Status
from tests.health.conftest import add_feed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fake(ids: list[int], disabled: set[int] = frozenset()):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    return [SimpleNamespace(id=i, status=Status.DISABLED if i in disabled else Status.CONNECTED) for i in ids]


def test_new_integrations_are_due_at_once_but_never_more_than_the_bound() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=300, max_concurrent=3, clock=clock)
    scheduler.sync(fake(list(range(1, 8))))
    first = scheduler.take_due()
    assert len(first) == 3
    assert scheduler.take_due() == []  # all slots busy
    scheduler.finished(first[0], True)
    second = scheduler.take_due()
    assert len(second) == 1 and second[0] not in first


def test_healthy_ones_come_back_after_the_interval() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=300, max_concurrent=4, clock=clock)
    scheduler.sync(fake([1]))
    assert scheduler.take_due() == [1]
    assert scheduler.finished(1, True) == 300
    clock.now += 299
    assert scheduler.take_due() == []
    assert scheduler.next_due_in() == pytest.approx(1)
    clock.now += 1
    assert scheduler.take_due() == [1]


def test_failing_ones_back_off_exponentially_with_jitter_up_to_a_cap() -> None:
    clock = Clock()
    for jitter, expected in ((0.0, [5, 10, 20, 40, 50, 50]), (1.0, [10, 20, 40, 80, 100, 100])):
        scheduler = HealthScheduler(
            interval=60, backoff_base=10, backoff_cap=100, clock=clock, rng=lambda jitter=jitter: jitter
        )
        scheduler.sync(fake([1]))
        delays = []
        for _ in range(6):
            assert scheduler.take_due() == [1]
            delays.append(scheduler.finished(1, False))
            clock.now += delays[-1]
        assert delays == expected
        assert scheduler.take_due() == [1]
        assert scheduler.finished(1, True) == 60  # a success resets the backoff


def test_a_servers_retry_after_is_respected() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=60, backoff_base=10, clock=clock, rng=lambda: 0.5)
    scheduler.sync(fake([1]))
    scheduler.take_due()
    assert scheduler.finished(1, False, retry_after=120) == 120


def test_jitter_spreads_failing_checks_apart() -> None:
    import random

    generator = random.Random(7)
    scheduler = HealthScheduler(interval=60, backoff_base=10, rng=generator.random)
    delays = {round(scheduler.backoff_delay(3), 3) for _ in range(50)}
    assert len(delays) > 40 and min(delays) >= 20 and max(delays) <= 40


def test_a_manual_check_runs_at_once_even_when_not_due_and_slots_are_full() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=300, max_concurrent=1, clock=clock)
    scheduler.sync(fake([1, 2]))
    assert scheduler.take_due() == [1]
    scheduler.request([2])
    assert scheduler.take_due() == [2]
    scheduler.finished(2, True)
    scheduler.request([2])  # not due for 300 s, asked for again
    assert scheduler.take_due(manual_only=True) == [2]


def test_disabled_and_removed_integrations_are_not_checked() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=300, clock=clock)
    scheduler.sync(fake([1, 2, 3], disabled={2}))
    assert sorted(scheduler.take_due()) == [1, 3]
    for integration_id in (1, 3):
        scheduler.finished(integration_id, True)
    scheduler.sync(fake([1]))
    clock.now += 300
    assert scheduler.take_due() == [1]


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 300.0), ("45", 45.0), ("0.1", 2.0), ("soon", 300.0), ("off", None), ("0", None)]
)
def test_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, raw: str, expected: float) -> None:
    monkeypatch.setenv("TETHER_CHECK_INTERVAL", raw)
    assert interval_from_env() == expected


def test_one_hung_check_delays_only_itself() -> None:
    release = threading.Event()
    done: list[int] = []

    def check(integration_id: int) -> tuple[bool, None]:
        if integration_id == 1:
            release.wait(5)
        done.append(integration_id)
        return True, None

    scheduler = HealthScheduler(interval=300, max_concurrent=3)
    scheduler.sync(fake(list(range(1, 11))))
    threads: list[threading.Thread] = []

    def run(integration_id: int) -> None:
        ok, retry_after = check(integration_id)
        scheduler.finished(integration_id, ok, retry_after=retry_after)

    try:
        deadline = time.monotonic() + 5
        while len(done) < 9 and time.monotonic() < deadline:
            for integration_id in scheduler.take_due():  # what the app's health tick does, one thread each
                threads.append(threading.Thread(target=run, args=(integration_id,)))
                threads[-1].start()
            time.sleep(0.01)
        assert sorted(done) == list(range(2, 11))
        assert scheduler.running() == {1}
    finally:
        release.set()
        for thread in threads:
            thread.join(5)
    assert sorted(done) == list(range(1, 11))


def test_background_checks_record_status_and_metrics(storage) -> None:  # type: ignore[no-untyped-def]
    """A due check on real storage: the failing feed's status and metrics are recorded, and the schedule backs it off."""
    from app.core.checks import check_integration

    integration_id = add_feed(storage, url="http://127.0.0.1:9/nothing.ics")  # discard port: refused
    scheduler = HealthScheduler(interval=300, backoff_base=10, rng=lambda: 0.0)

    def check(target: int) -> tuple[bool, float | None]:
        outcome = check_integration(storage.integrations, storage.integrations.get(target), timeout=3)
        return outcome.ok, outcome.error.retry_after if outcome.error else None

    scheduler.sync(storage.integrations.list())
    for target in scheduler.take_due():
        ok, retry_after = check(target)
        scheduler.finished(target, ok, retry_after=retry_after)
    stored = storage.integrations.get(integration_id)
    assert stored.status is Status.ERROR
    health = storage.metrics.health(integration_id)
    assert (health.requests, health.errors, health.breaker.failures) == (1, 1, 1)
    assert scheduler.failures(integration_id) == 1 and 4.9 < scheduler.next_due_in() <= 5


def test_a_batch_starts_with_the_unmeasured_then_the_slowest() -> None:
    from app.core.scheduler import slowest_first

    assert slowest_first([1, 2, 3, 4, 5], {1: 20.0, 2: 5000.0, 4: 20.0, 5: 80.0}) == [3, 2, 5, 1, 4]


def test_a_postponed_check_comes_back_soon_without_counting_as_a_failure() -> None:
    clock = Clock()
    scheduler = HealthScheduler(interval=300, clock=clock)
    scheduler.sync(fake([1]))
    assert scheduler.take_due() == [1]
    scheduler.postpone(1, 5)
    clock.now += 4.9
    assert scheduler.take_due() == []
    clock.now += 0.1
    assert scheduler.take_due() == [1] and scheduler.failures(1) == 0
