"""Metrics per integration and the circuit breaker around connector calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.health import BreakerPolicy, guarded_call, record_outcome
from connectors.errors import ConnectorError, ErrorKind
from connectors.types import CheckRequest
from storage.db import open_database
from storage.metrics import BreakerState, MetricsRepository, percentile
from storage.paths import DATABASE_NAME
from storage.records import Status
from storage.service import Storage
from tests.health.conftest import add_feed

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.95) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0
    assert percentile([10.0, 1.0, 3.0, 2.0], 0.5) == 2.0


def test_health_counts_requests_errors_latency_and_last_outcomes(storage: Storage) -> None:
    integration_id = add_feed(storage)
    metrics = storage.metrics
    for n in range(19):
        metrics.record(integration_id, ok=True, latency_ms=10 + n, at=T0 + timedelta(seconds=n))
    metrics.record(
        integration_id,
        ok=False,
        latency_ms=500,
        error_kind="timeout",
        error_message="slow",
        at=T0 + timedelta(seconds=30),
    )
    health = metrics.health(integration_id, at=T0 + timedelta(minutes=1))
    assert (health.requests, health.errors) == (20, 1)
    assert health.error_rate == pytest.approx(0.05)
    assert health.last_latency_ms == 500
    assert health.p95_latency_ms == 28  # 19th of 20 sorted: 10..28 then 500
    assert health.last_success_at == T0 + timedelta(seconds=18)
    assert (health.last_error, health.last_error_kind, health.last_error_at) == (
        "slow",
        "timeout",
        T0 + timedelta(seconds=30),
    )


def test_samples_are_pruned_to_the_window_and_a_maximum(storage: Storage) -> None:
    integration_id = add_feed(storage)
    metrics = MetricsRepository(storage.integrations.engine, window=timedelta(hours=1), max_samples=5)
    metrics.record(integration_id, ok=True, latency_ms=1, at=T0)
    metrics.record(integration_id, ok=True, latency_ms=2, at=T0 + timedelta(hours=2))
    assert metrics.sample_count(integration_id) == 1  # the first fell out of the window
    for n in range(10):
        metrics.record(integration_id, ok=True, latency_ms=n, at=T0 + timedelta(hours=2, seconds=n))
    assert metrics.sample_count(integration_id) == 5
    assert metrics.health(integration_id, at=T0 + timedelta(hours=2, minutes=1)).last_latency_ms == 9


def test_pruning_waits_for_a_tenth_more_samples_but_health_counts_only_the_newest(storage: Storage) -> None:
    integration_id = add_feed(storage)
    metrics = MetricsRepository(storage.integrations.engine, window=timedelta(hours=1), max_samples=20)
    stored = []
    for n in range(100):
        metrics.record(integration_id, ok=n % 10 != 0, latency_ms=n, at=T0 + timedelta(seconds=n))
        stored.append(metrics.sample_count(integration_id))
    assert max(stored) == 22 and stored[-1] >= 20  # never more than a tenth over the maximum
    health = metrics.health(integration_id, at=T0 + timedelta(minutes=2))
    assert (health.requests, health.errors, health.last_latency_ms) == (20, 2, 99)  # samples 80 to 99


def test_samples_another_process_adds_do_not_count_beyond_the_maximum(storage: Storage) -> None:
    integration_id = add_feed(storage)
    ours = MetricsRepository(storage.integrations.engine, max_samples=10)
    theirs = MetricsRepository(open_database(storage.data_dir / DATABASE_NAME), max_samples=10)  # its own engine
    for n in range(10):
        ours.record(integration_id, ok=True, latency_ms=n)
    for n in range(10, 15):
        theirs.record(integration_id, ok=True, latency_ms=n)
    ours.record(integration_id, ok=True, latency_ms=15)
    for metrics in (ours, theirs):
        health = metrics.health(integration_id)
        assert health.requests == 10 and health.p95_latency_ms == 15 and health.last_latency_ms == 15


def test_samples_go_with_their_integration(storage: Storage) -> None:
    integration_id = add_feed(storage)
    storage.metrics.record(integration_id, ok=True, latency_ms=1)
    storage.integrations.remove(integration_id)
    assert storage.metrics.sample_count(integration_id) == 0
    storage.metrics.record(integration_id, ok=True, latency_ms=1)  # a call that outlived its row: ignored
    assert storage.metrics.sample_count(integration_id) == 0


def test_breaker_opens_after_three_failures_and_closes_on_success() -> None:
    policy = BreakerPolicy(failure_threshold=3)
    from storage.metrics import Breaker

    state = Breaker()
    for n in range(2):
        state = policy.after(state, False, T0 + timedelta(seconds=n))
        assert state.state is BreakerState.CLOSED
    state = policy.after(state, False, T0 + timedelta(seconds=5))
    assert (state.state, state.since, state.failures) == (BreakerState.OPEN, T0 + timedelta(seconds=5), 3)
    state = policy.after(state, False, T0 + timedelta(seconds=9))
    assert (state.state, state.since, state.failures) == (BreakerState.OPEN, T0 + timedelta(seconds=5), 4)
    assert policy.after(state, True, T0 + timedelta(seconds=10)) == Breaker()


def _failing(kind: ErrorKind = ErrorKind.UNREACHABLE):  # type: ignore[no-untyped-def]
    calls = []

    def call(request: CheckRequest) -> str:
        calls.append(request)
        raise ConnectorError(kind, "The server refused the connection.")

    return call, calls


def test_guarded_call_fails_fast_when_open_until_a_probe_succeeds(storage: Storage) -> None:
    integration_id = add_feed(storage, url="https://example.invalid/private/tok3n-value")
    policy = BreakerPolicy(failure_threshold=3, cool_down=timedelta(hours=1))
    call, calls = _failing()
    for _ in range(3):
        with pytest.raises(ConnectorError, match="refused"):
            guarded_call(storage.integrations, integration_id, call, metrics=storage.metrics, policy=policy)
    assert len(calls) == 3 and calls[0].secrets == {"url": "https://example.invalid/private/tok3n-value"}
    with pytest.raises(ConnectorError) as refused:
        guarded_call(storage.integrations, integration_id, call, metrics=storage.metrics, policy=policy)
    assert len(calls) == 3  # failed fast: the connector was not called
    assert refused.value.kind is ErrorKind.UNREACHABLE
    assert "'Team' is failing since" in str(refused.value) and "refused the connection" in str(refused.value)
    health = storage.metrics.health(integration_id)
    assert health.breaker.state is BreakerState.OPEN and health.requests == 3
    # A successful check (the probe) closes it; calls go through again.
    record_outcome(storage.metrics, integration_id, latency_ms=5, error=None, source="check", policy=policy)
    assert (
        guarded_call(storage.integrations, integration_id, lambda request: "ok", metrics=storage.metrics, policy=policy)
        == "ok"
    )
    assert storage.metrics.health(integration_id).breaker.state is BreakerState.CLOSED


def test_after_the_cool_down_one_call_is_let_through_as_a_probe(storage: Storage) -> None:
    integration_id = add_feed(storage)
    policy = BreakerPolicy(failure_threshold=1, cool_down=timedelta(0))
    call, calls = _failing()
    with pytest.raises(ConnectorError):
        guarded_call(storage.integrations, integration_id, call, metrics=storage.metrics, policy=policy)
    assert policy.shown_state(storage.metrics.health(integration_id), datetime.now(UTC)) is BreakerState.HALF_OPEN
    assert (
        guarded_call(storage.integrations, integration_id, lambda request: 42, metrics=storage.metrics, policy=policy)
        == 42
    )
    assert storage.metrics.health(integration_id).breaker.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (Status.DISABLED, ErrorKind.DISABLED, "is disabled"),
        (Status.NEEDS_REAUTH, ErrorKind.NEEDS_REAUTH, "sign in again"),
    ],
)
def test_guarded_call_refuses_disabled_and_reauth_without_calling(
    storage: Storage, status: Status, kind: ErrorKind, words: str
) -> None:
    integration_id = add_feed(storage)
    storage.integrations.set_status(integration_id, status)
    call, calls = _failing()
    with pytest.raises(ConnectorError) as refused:
        guarded_call(storage.integrations, integration_id, call, metrics=storage.metrics)
    assert refused.value.kind is kind and words in str(refused.value)
    assert calls == [] and storage.metrics.sample_count(integration_id) == 0


def test_an_unexpected_exception_is_reported_by_type_only(storage: Storage) -> None:
    integration_id = add_feed(storage, url="https://example.invalid/private/very-secret-token")

    def buggy(request: CheckRequest) -> None:
        raise ValueError(f"cannot parse {request.secrets['url']}")

    with pytest.raises(ConnectorError) as caught:
        guarded_call(storage.integrations, integration_id, buggy, metrics=storage.metrics)
    assert "ValueError" in str(caught.value) and "very-secret-token" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no chained traceback text
    assert storage.metrics.health(integration_id).errors == 1


def test_a_locked_secret_store_does_not_open_the_breaker(storage: Storage) -> None:
    from storage.secrets.base import SecretStoreLocked

    integration_id = add_feed(storage)

    class Locked:
        kind = "keyring"
        description = "locked"

        def get(self, key: str) -> str:
            raise SecretStoreLocked("The secret vault is locked; enter its passphrase first.")

    storage.integrations.secrets = Locked()  # type: ignore[assignment]
    for _ in range(5):
        with pytest.raises(ConnectorError, match="locked") as caught:
            guarded_call(storage.integrations, integration_id, lambda request: None, metrics=storage.metrics)
        assert caught.value.kind is ErrorKind.SECRETS
    assert storage.metrics.health(integration_id).breaker.state is BreakerState.CLOSED
